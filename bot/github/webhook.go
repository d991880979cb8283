package github

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// MaxWebhookBody is the largest webhook body read; GitHub caps deliveries
// at 25 MB.
const MaxWebhookBody = 25 << 20

// Event is a verified webhook delivery, reduced to what the App routes on.
// Payload keeps the whole body for the job that handles it.
type Event struct {
	// DeliveryID is X-GitHub-Delivery; Kind is X-GitHub-Event.
	DeliveryID string
	Kind       string
	Action     string
	// Repo is "owner/name"; Number the pull request (or issue) number.
	Repo           string
	Number         int
	HeadSHA        string
	CommentID      int64
	CheckRunID     int64
	InstallationID int64
	Sender         string
	// Ref is the pushed ref of a push ("refs/tags/v1.2.0").
	Ref     string
	Payload []byte
}

// Key identifies what the delivery is about, so that the same event sent
// under two delivery ids is handled once: event, action, repository, pull
// request, head, comment, check run and pushed ref.
func (e *Event) Key() string {
	return strings.Join([]string{
		e.Kind, e.Action, e.Repo, strconv.Itoa(e.Number), e.HeadSHA,
		strconv.FormatInt(e.CommentID, 10), strconv.FormatInt(e.CheckRunID, 10), e.Ref,
	}, "|")
}

// ErrSignature is wrapped by every refusal of a delivery's signature.
var ErrSignature = errors.New("webhook signature does not match")

// ParseWebhook reads a webhook request: the body (at most MaxWebhookBody
// bytes), its X-Hub-Signature-256 checked against secret in constant time
// before anything is parsed, then the event. An event kind the App does not
// route on is returned with only DeliveryID, Kind and Payload set.
func ParseWebhook(r *http.Request, secret []byte) (*Event, error) {
	if len(secret) == 0 {
		return nil, errors.New("parse webhook: no webhook secret configured")
	}
	if r.Header.Get("X-Hub-Signature-256") == "" {
		return nil, fmt.Errorf("parse webhook: %w: no X-Hub-Signature-256 header", ErrSignature)
	}
	r.Body = http.MaxBytesReader(nil, r.Body, MaxWebhookBody)
	payload, err := gh.ValidatePayload(r, secret)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, fmt.Errorf("parse webhook: body over %d bytes", MaxWebhookBody)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("parse webhook: %w", err)
		}
		return nil, fmt.Errorf("parse webhook: %w: %v", ErrSignature, err)
	}
	return ParsePayload(gh.WebHookType(r), gh.DeliveryID(r), payload)
}

// ParsePayload decodes a verified payload of the given event kind.
func ParsePayload(kind, deliveryID string, payload []byte) (*Event, error) {
	e := &Event{DeliveryID: deliveryID, Kind: kind, Payload: payload}
	if deliveryID == "" {
		return nil, errors.New("parse webhook: no X-GitHub-Delivery header")
	}
	if kind == "" {
		return nil, errors.New("parse webhook: no X-GitHub-Event header")
	}
	if !Routed(kind) {
		return e, nil
	}
	v, err := gh.ParseWebHook(kind, payload)
	if err != nil {
		return nil, fmt.Errorf("parse webhook %s %s: %w", kind, deliveryID, err)
	}
	switch ev := v.(type) {
	case *gh.PullRequestEvent:
		e.Action = ev.GetAction()
		e.Number = ev.GetNumber()
		e.HeadSHA = ev.GetPullRequest().GetHead().GetSHA()
		e.Repo = ev.GetRepo().GetFullName()
		e.InstallationID = ev.GetInstallation().GetID()
		e.Sender = ev.GetSender().GetLogin()
	case *gh.IssueCommentEvent:
		e.Action = ev.GetAction()
		e.Number = ev.GetIssue().GetNumber()
		e.CommentID = ev.GetComment().GetID()
		e.Repo = ev.GetRepo().GetFullName()
		e.InstallationID = ev.GetInstallation().GetID()
		e.Sender = ev.GetSender().GetLogin()
	case *gh.PullRequestReviewEvent:
		e.Action = ev.GetAction()
		e.Number = ev.GetPullRequest().GetNumber()
		e.HeadSHA = ev.GetPullRequest().GetHead().GetSHA()
		e.CommentID = ev.GetReview().GetID()
		e.Repo = ev.GetRepo().GetFullName()
		e.InstallationID = ev.GetInstallation().GetID()
		e.Sender = ev.GetSender().GetLogin()
	case *gh.CheckRunEvent:
		e.Action = ev.GetAction()
		e.CheckRunID = ev.GetCheckRun().GetID()
		e.HeadSHA = ev.GetCheckRun().GetHeadSHA()
		if cr := ev.GetCheckRun(); cr != nil && len(cr.PullRequests) > 0 {
			e.Number = cr.PullRequests[0].GetNumber()
		}
		if ra := ev.GetRequestedAction(); ra != nil {
			e.Ref = ra.Identifier
		}
		e.Repo = ev.GetRepo().GetFullName()
		e.InstallationID = ev.GetInstallation().GetID()
		e.Sender = ev.GetSender().GetLogin()
	case *gh.PushEvent:
		e.Ref = ev.GetRef()
		e.HeadSHA = ev.GetAfter()
		e.Repo = ev.GetRepo().GetFullName()
		e.InstallationID = ev.GetInstallation().GetID()
		e.Sender = ev.GetSender().GetLogin()
	case *gh.InstallationEvent:
		e.Action = ev.GetAction()
		e.InstallationID = ev.GetInstallation().GetID()
		e.Sender = ev.GetSender().GetLogin()
	}
	if e.Repo != "" && !validRepo(e.Repo) {
		return nil, fmt.Errorf("parse webhook %s %s: repository %q is not owner/name", kind, deliveryID, e.Repo)
	}
	return e, nil
}

// Routed reports whether the App acts on deliveries of this kind.
func Routed(kind string) bool {
	switch kind {
	case "pull_request", "issue_comment", "pull_request_review", "check_run", "push", "installation":
		return true
	}
	return false
}

func validRepo(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	return ok && owner != "" && name != "" && !strings.ContainsAny(name, "/ \t\n") && !strings.ContainsAny(owner, " \t\n")
}
