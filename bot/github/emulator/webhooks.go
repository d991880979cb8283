package emulator

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"time"

	"github.com/google/go-github/v60/github"
)

// hookID is the ID of the App's webhook (X-GitHub-Hook-ID).
const hookID = 4242

// Delivery is one webhook delivery: what was sent and how the receiver answered.
type Delivery struct {
	// ID is the X-GitHub-Delivery GUID; a redelivery keeps its delivery's ID.
	ID     string
	Event  string // X-GitHub-Event: pull_request, push, issue_comment, …
	Action string // the payload's action, "" for push
	HookID int64
	// Payload is the body, byte for byte as signed and sent.
	Payload []byte
	Time    time.Time
	// Status is the receiver's HTTP status; 0 when nothing answered (no
	// webhook URL, or a transport error in Err).
	Status int
	Err    string
	// Response is the start of the receiver's answer.
	Response   []byte
	Redelivery bool
}

// SetWebhookURL points deliveries at a receiver on the loopback interface.
func (e *Emulator) SetWebhookURL(u string) error {
	if err := checkLoopbackURL(u); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.webhookURL = u
	return nil
}

// Deliveries returns every delivery sent so far, in the order sent.
func (e *Emulator) Deliveries() []Delivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Delivery, len(e.deliveries))
	for i, d := range e.deliveries {
		out[i] = *d
	}
	return out
}

// DeliveriesOf returns the deliveries of one event (and action, when not "").
func (e *Emulator) DeliveriesOf(event, action string) []Delivery {
	var out []Delivery
	for _, d := range e.Deliveries() {
		if d.Event == event && (action == "" || d.Action == action) {
			out = append(out, d)
		}
	}
	return out
}

// Redeliver sends a delivery again under the same delivery ID, as GitHub's
// "Redeliver" does.
func (e *Emulator) Redeliver(ctx context.Context, deliveryID string) (Delivery, error) {
	return e.again(ctx, deliveryID, false)
}

// Resend sends a delivery's payload again under a new delivery ID, as
// GitHub occasionally does; a receiver that deduplicates only by delivery
// ID processes it twice.
func (e *Emulator) Resend(ctx context.Context, deliveryID string) (Delivery, error) {
	return e.again(ctx, deliveryID, true)
}

func (e *Emulator) again(ctx context.Context, deliveryID string, newID bool) (Delivery, error) {
	e.mu.Lock()
	var orig *Delivery
	for _, d := range e.deliveries {
		if d.ID == deliveryID {
			orig = d
			break
		}
	}
	if orig == nil {
		e.mu.Unlock()
		return Delivery{}, fmt.Errorf("redeliver %s: no such delivery", deliveryID)
	}
	d := &Delivery{ID: orig.ID, Event: orig.Event, Action: orig.Action, HookID: orig.HookID, Payload: orig.Payload, Redelivery: !newID}
	if newID {
		d.ID = newUUID()
	}
	e.pending = append(e.pending, d)
	e.mu.Unlock()
	if err := e.Flush(ctx); err != nil {
		return Delivery{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return *d, nil
}

// enqueue builds a delivery of payload; called with e.mu held. It is sent
// by the next Flush: at once by the user actions, in the background for
// deliveries that REST calls caused.
func (e *Emulator) enqueue(event, action string, payload any) {
	body, err := json.Marshal(payload)
	if err != nil {
		// The payloads are go-github values; failing to marshal one is a bug here.
		panic(fmt.Sprintf("github emulator: marshal %s payload: %v", event, err))
	}
	e.pending = append(e.pending, &Delivery{ID: newUUID(), Event: event, Action: action, HookID: hookID, Payload: body})
}

// Flush sends every delivery still queued (those caused by REST calls are
// sent in the background) and returns when the receiver has answered them.
func (e *Emulator) Flush(ctx context.Context) error {
	e.deliverMu.Lock()
	defer e.deliverMu.Unlock()
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("flush webhook deliveries: %w", err)
		}
		e.mu.Lock()
		if len(e.pending) == 0 {
			e.mu.Unlock()
			return nil
		}
		d := e.pending[0]
		e.pending = e.pending[1:]
		target, secret := e.webhookURL, e.opts.WebhookSecret
		d.Time = time.Now()
		e.deliveries = append(e.deliveries, d)
		e.mu.Unlock()

		status, resp, err := e.send(ctx, target, secret, d)
		e.mu.Lock()
		d.Status, d.Response = status, resp
		if err != nil {
			d.Err = err.Error()
		}
		e.mu.Unlock()
	}
}

func (e *Emulator) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// sender sends the deliveries that REST calls caused, so that a call of the
// App never waits for the App's own webhook handler.
func (e *Emulator) sender(ctx context.Context) {
	defer close(e.senderStopped)
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
			_ = e.Flush(ctx)
		}
	}
}

// send posts one delivery with GitHub's headers.
func (e *Emulator) send(ctx context.Context, target, secret string, d *Delivery) (int, []byte, error) {
	if target == "" {
		return 0, nil, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, nil, fmt.Errorf("delivery %s: %w", d.ID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/emulator")
	req.Header.Set("Accept", "*/*")
	req.Header.Set("X-GitHub-Event", d.Event)
	req.Header.Set("X-GitHub-Delivery", d.ID)
	req.Header.Set("X-GitHub-Hook-ID", fmt.Sprint(d.HookID))
	req.Header.Set("X-GitHub-Hook-Installation-Target-ID", fmt.Sprint(e.opts.AppID))
	req.Header.Set("X-GitHub-Hook-Installation-Target-Type", "integration")
	if secret != "" {
		req.Header.Set("X-Hub-Signature-256", "sha256="+sign(sha256.New, secret, d.Payload))
		req.Header.Set("X-Hub-Signature", "sha1="+sign(sha1.New, secret, d.Payload))
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("delivery %s to %s: %w", d.ID, target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, body, nil
}

// sign is the hex HMAC of body with the webhook secret.
func sign(newHash func() hash.Hash, secret string, body []byte) string {
	m := hmac.New(newHash, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Payload pieces common to every event.

func (e *Emulator) installationRef(r *repoState) *github.Installation {
	if r.inst == nil {
		return nil
	}
	return &github.Installation{ID: ptr(r.inst.id), NodeID: ptr(nodeID("I", r.inst.id))}
}
