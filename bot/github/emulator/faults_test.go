package emulator_test

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/gitops-bot/gitops/bot/github/emulator"
)

// onlyComments faults comment creation only.
func onlyComments(method, path string) bool {
	return method == "POST" && strings.HasSuffix(path, "/comments")
}

// notTokens spares the App's token requests, so that ghinstallation gets its token.
func notTokens(_, path string) bool { return !strings.HasPrefix(path, "/app/") }

// postComments posts n comments and returns which calls failed, and how.
func postComments(t *testing.T, f *fixture, number, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range n {
		_, resp, err := f.gh.Issues.CreateComment(f.ctx, f.owner, f.name, number, &github.IssueComment{Body: github.String(fmt.Sprint(i))})
		var abuse *github.AbuseRateLimitError
		switch {
		case err == nil:
		case errors.As(err, &abuse):
			out[i] = "secondary-rate-limit"
			if abuse.GetRetryAfter() != 0 {
				t.Errorf("Retry-After = %v, want the configured 0", abuse.GetRetryAfter())
			}
		case resp != nil:
			out[i] = fmt.Sprint(resp.StatusCode)
		default:
			t.Fatal(err)
		}
	}
	return out
}

func TestFaultsAreDeterministicAndChangeNothing(t *testing.T) {
	const n, rate = 120, 0.25
	run := func() ([]string, *fixture) {
		f := newFixture(t)
		pr := f.openPR("feature")
		f.e.SetFaults(emulator.Faults{Rate: rate, Seed: 42, Match: onlyComments})
		return postComments(t, f, pr.Number, n), f
	}
	first, f := run()
	second, _ := run()

	failed, kinds := 0, map[string]int{}
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("call %d: %q then %q with the same seed", i, first[i], second[i])
		}
		if first[i] != "" {
			failed++
			kinds[first[i]]++
		}
	}
	if share := float64(failed) / n; math.Abs(share-rate) > 0.1 {
		t.Errorf("%d of %d calls failed (%.2f), want about %.2f", failed, n, share, rate)
	}
	if kinds["502"] == 0 || kinds["500"] == 0 || kinds["secondary-rate-limit"] == 0 {
		t.Errorf("kinds = %v, want all three", kinds)
	}

	// Faulted calls changed nothing: exactly the answered comments exist,
	// and each faulted call is recorded as such.
	if got := len(f.e.Comments(testRepo, 1)); got != n-failed {
		t.Errorf("comments = %d, want %d", got, n-failed)
	}
	faulted := 0
	for _, c := range f.e.CallsFor("issues/create-comment") {
		if c.Fault != "" {
			faulted++
			if c.Status < 403 {
				t.Errorf("faulted call answered %d", c.Status)
			}
		}
	}
	if faulted != failed {
		t.Errorf("calls recorded as faulted = %d, want %d", faulted, failed)
	}

	// SetFaults(Faults{}) stops.
	f.e.SetFaults(emulator.Faults{})
	if got := postComments(t, f, 1, 5); fmt.Sprint(got) != "[    ]" {
		t.Errorf("after SetFaults(Faults{}) = %q", got)
	}
	f.noViolations()
}

func TestFaultKinds(t *testing.T) {
	tests := []struct {
		kind   emulator.FaultKind
		status int
	}{
		{emulator.Fault502, http.StatusBadGateway},
		{emulator.Fault500, http.StatusInternalServerError},
		{emulator.FaultSecondaryRateLimit, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.kind.String(), func(t *testing.T) {
			f := newFixture(t)
			f.e.SetFaults(emulator.Faults{Rate: 1, Seed: 1, Kinds: tc.kind, RetryAfter: 7, Match: notTokens})
			_, resp, err := f.gh.Repositories.Get(f.ctx, f.owner, f.name)
			if err == nil || resp.StatusCode != tc.status {
				t.Fatalf("status = %v, want %d", err, tc.status)
			}
			if tc.kind == emulator.FaultSecondaryRateLimit {
				var abuse *github.AbuseRateLimitError
				if !errors.As(err, &abuse) || abuse.GetRetryAfter().Seconds() != 7 {
					t.Errorf("error = %#v, want a secondary rate limit with Retry-After 7", err)
				}
			}
			// Git is never faulted.
			token, _, err := f.e.InstallationToken(f.repo.InstallationID)
			if err != nil {
				t.Fatal(err)
			}
			if out, err := git(t, "", "ls-remote", cloneURL(t, f.repo.CloneURL, token)); err != nil {
				t.Errorf("git under faults: %v: %s", err, out)
			}
		})
	}
}
