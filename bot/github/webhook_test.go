package github

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

var secret = []byte("webhook-secret")

func sign(body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func webhookRequest(kind, delivery string, body []byte, signature string) *httptestRequest {
	r := httptest.NewRequest("POST", "/webhook", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-GitHub-Event", kind)
	r.Header.Set("X-GitHub-Delivery", delivery)
	if signature != "" {
		r.Header.Set("X-Hub-Signature-256", signature)
	}
	return &httptestRequest{httpRequest: r}
}

type httptestRequest struct{ httpRequest *http.Request }

const prOpened = `{"action":"opened","number":7,"pull_request":{"number":7,"head":{"sha":"0123456789abcdef0123456789abcdef01234567","ref":"scale-down"}},"repository":{"full_name":"acme/infra"},"installation":{"id":42},"sender":{"login":"alice"}}`
const commentCreated = `{"action":"created","issue":{"number":7,"pull_request":{"url":"x"}},"comment":{"id":99,"body":"/apply"},"repository":{"full_name":"acme/infra"},"installation":{"id":42},"sender":{"login":"bob"}}`
const checkRunAction = `{"action":"requested_action","check_run":{"id":5,"head_sha":"0123456789abcdef0123456789abcdef01234567","pull_requests":[{"number":7}]},"requested_action":{"identifier":"apply"},"repository":{"full_name":"acme/infra"},"installation":{"id":42},"sender":{"login":"bob"}}`

func TestParseWebhook(t *testing.T) {
	tests := []struct {
		name, kind, body string
		signature        string
		want             Event
		wantErr          error
	}{
		{"a signed pull request is parsed", "pull_request", prOpened, "", Event{Kind: "pull_request", Action: "opened", Repo: "acme/infra", Number: 7, HeadSHA: "0123456789abcdef0123456789abcdef01234567", InstallationID: 42, Sender: "alice"}, nil},
		{"a comment carries its id", "issue_comment", commentCreated, "", Event{Kind: "issue_comment", Action: "created", Repo: "acme/infra", Number: 7, CommentID: 99, InstallationID: 42, Sender: "bob"}, nil},
		{"a check run button names its action", "check_run", checkRunAction, "", Event{Kind: "check_run", Action: "requested_action", Repo: "acme/infra", Number: 7, CheckRunID: 5, HeadSHA: "0123456789abcdef0123456789abcdef01234567", Ref: "apply", InstallationID: 42, Sender: "bob"}, nil},
		{"an event not routed keeps only its kind", "star", `{"action":"created"}`, "", Event{Kind: "star"}, nil},
		{"a wrong signature is refused", "pull_request", prOpened, "sha256=" + strings.Repeat("0", 64), Event{}, ErrSignature},
		{"a missing signature is refused", "pull_request", prOpened, "none", Event{}, ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := tt.signature
			switch sig {
			case "":
				sig = sign([]byte(tt.body))
			case "none":
				sig = ""
			}
			req := webhookRequest(tt.kind, "d-1", []byte(tt.body), sig)
			got, err := ParseWebhook(req.httpRequest, secret)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || got != nil {
					t.Fatalf("ParseWebhook = %+v, %v; want %v", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want.DeliveryID = "d-1"
			tt.want.Payload = []byte(tt.body)
			if got.Key() != tt.want.Key() || string(got.Payload) != tt.body || got.InstallationID != tt.want.InstallationID || got.Sender != tt.want.Sender {
				t.Fatalf("ParseWebhook = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestTheSameEventUnderTwoDeliveriesHasOneKey(t *testing.T) {
	a, err := ParsePayload("issue_comment", "d-1", []byte(commentCreated))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParsePayload("issue_comment", "d-2", []byte(commentCreated))
	if err != nil {
		t.Fatal(err)
	}
	other, err := ParsePayload("issue_comment", "d-3", []byte(strings.Replace(commentCreated, `"id":99`, `"id":100`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if a.Key() != b.Key() || a.Key() == other.Key() {
		t.Fatalf("keys %q %q %q: the same comment must share a key, another comment must not", a.Key(), b.Key(), other.Key())
	}
}

func FuzzParsePayload(f *testing.F) {
	for _, s := range []struct{ kind, body string }{
		{"pull_request", prOpened}, {"issue_comment", commentCreated}, {"check_run", checkRunAction},
		{"push", `{"ref":"refs/tags/v1.2.0","after":"abc","repository":{"full_name":"acme/app"}}`},
		{"pull_request", `{"repository":{"full_name":"no-slash"}}`}, {"installation", `{"action":"created","installation":{"id":1}}`},
	} {
		f.Add(s.kind, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, kind string, body []byte) {
		e, err := ParsePayload(kind, "d", body)
		if err != nil {
			return
		}
		if e.Repo != "" && !validRepo(e.Repo) {
			t.Fatalf("accepted repository %q", e.Repo)
		}
		if !bytes.Equal(e.Payload, body) {
			t.Fatal("payload not kept as received")
		}
	})
}
