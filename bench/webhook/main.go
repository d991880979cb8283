// Command webhook measures the App's webhook acknowledgement: 1000 signed
// pull_request deliveries from 8 concurrent senders to the real server on
// SQLite, each stored with its job before the 202. It prints the latency
// p50 and p99, how many deliveries were stored, and the process's peak RSS.
//
//	go run ./bench/webhook            # goals: p99 ≤ 8 ms (floor 25 ms), 1000 stored
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gitops-bot/gitops/bot/jobs"
	"github.com/gitops-bot/gitops/bot/server"
	"github.com/gitops-bot/gitops/bot/store"
)

func main() {
	n := flag.Int("n", 1000, "deliveries")
	senders := flag.Int("senders", 8, "concurrent senders")
	flag.Parse()
	if err := run(*n, *senders); err != nil {
		fmt.Fprintln(os.Stderr, "bench/webhook:", err)
		os.Exit(1)
	}
}

func run(n, senders int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "bench-webhook-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "gitops.db"), store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	secret := []byte("bench-secret")
	srv := httptest.NewServer(server.New(server.Config{Store: st, WebhookSecret: secret, Repos: []string{"acme/infra"}, Jobs: jobs.ForEvent}))
	defer srv.Close()

	bodies := make([][]byte, n)
	for i := range bodies {
		sha := fmt.Sprintf("%040x", i+1)
		bodies[i] = []byte(`{"action":"synchronize","number":` + strconv.Itoa(i%50+1) + `,"pull_request":{"number":` + strconv.Itoa(i%50+1) + `,"head":{"sha":"` + sha + `"}},"repository":{"full_name":"acme/infra","clone_url":"http://x/acme/infra.git"},"installation":{"id":1},"sender":{"login":"alice"}}`)
	}
	latencies := make([]time.Duration, n)
	var wg sync.WaitGroup
	next := make(chan int)
	errs := make(chan error, senders)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				mac := hmac.New(sha256.New, secret)
				mac.Write(bodies[i])
				req, _ := http.NewRequest("POST", srv.URL+"/webhook", bytes.NewReader(bodies[i]))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-GitHub-Event", "pull_request")
				req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("bench-%d", i))
				req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
				start := time.Now()
				resp, err := client.Do(req)
				latencies[i] = time.Since(start)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					errs <- fmt.Errorf("delivery %d: status %d", i, resp.StatusCode)
					return
				}
			}
		}()
	}
	start := time.Now()
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	wall := time.Since(start)
	select {
	case err := <-errs:
		return err
	default:
	}
	stored := 0
	for i := range n {
		if _, err := st.Delivery(ctx, fmt.Sprintf("bench-%d", i)); err == nil {
			stored++
		}
	}
	slices.Sort(latencies)
	p := func(q float64) time.Duration { return latencies[min(int(q*float64(n)), n-1)] }
	fmt.Printf("webhook ack, %d deliveries from %d senders, SQLite: p50 %s, p99 %s, max %s (wall %s, %.0f/s)\n", n, senders, p(0.50).Round(10*time.Microsecond), p(0.99).Round(10*time.Microsecond), latencies[n-1].Round(10*time.Microsecond), wall.Round(time.Millisecond), float64(n)/wall.Seconds())
	fmt.Printf("stored before the answer: %d of %d\n", stored, n)
	fmt.Printf("p99 against the goal of 8 ms: %.2f (floor 25 ms: %.2f)\n", p(0.99).Seconds()/0.008, p(0.99).Seconds()/0.025)
	fmt.Printf("peak RSS: %s\n", peakRSS())
	return nil
}

// peakRSS is VmHWM from /proc/self/status.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}
