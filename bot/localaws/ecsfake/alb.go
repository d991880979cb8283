package ecsfake

import (
	"encoding/json"
	"net/http"
)

// ALBHandler serves the fake load balancer: a request is routed by path to a
// target group (see TargetGroupSpec.PathPatterns), and answered as the image
// of the tasks serving it would: the status its Behaviour.SmokeStatus gives
// the path, else 200 with a small JSON body naming service, image and path.
//
// Like an ALB it sends traffic to healthy targets, newest deployment first,
// and to all registered targets when none is healthy (fail-open); with no
// running target it answers 503, and 404 when no rule matches.
func (f *Fake) ALBHandler() http.Handler { return http.HandlerFunc(f.serveALB) }

func (f *Fake) serveALB(w http.ResponseWriter, r *http.Request) {
	now := f.lock()
	tg := f.route(r.URL.Path)
	if tg == nil {
		f.mu.Unlock()
		http.Error(w, "no listener rule matches "+r.URL.Path, http.StatusNotFound)
		return
	}
	targets := f.targets(tg, now)
	var pick *target
	for i := range targets {
		if targets[i].state == "healthy" {
			pick = &targets[i]
			break
		}
	}
	if pick == nil && len(targets) > 0 {
		pick = &targets[0]
	}
	if pick == nil {
		f.mu.Unlock()
		http.Error(w, "503 Service Temporarily Unavailable", http.StatusServiceUnavailable)
		return
	}
	status := http.StatusOK
	if s, ok := f.behaviourOf(pick.image).SmokeStatus[r.URL.Path]; ok {
		status = s
	}
	body, _ := json.Marshal(map[string]string{"service": pick.service.name, "image": pick.image, "path": r.URL.Path})
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Ecsfake-Image", pick.image)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
