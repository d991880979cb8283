package jobs

import (
	"reflect"
	"testing"

	"github.com/riverqueue/river"

	"github.com/gitops-bot/gitops/bot/github"
)

func TestForEvent(t *testing.T) {
	const sha = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name string
		e    github.Event
		want []river.JobArgs
	}{
		{"an opened pull request is planned", github.Event{Kind: "pull_request", Action: "opened", Repo: "a/b", Number: 1, HeadSHA: sha, InstallationID: 9},
			[]river.JobArgs{PlanArgs{Repo: "a/b", PR: 1, InstallationID: 9, HeadSHA: sha, Trigger: "opened"}}},
		{"a push to a pull request is planned", github.Event{Kind: "pull_request", Action: "synchronize", Repo: "a/b", Number: 1, HeadSHA: sha, InstallationID: 9},
			[]river.JobArgs{PlanArgs{Repo: "a/b", PR: 1, InstallationID: 9, HeadSHA: sha, Trigger: "synchronize"}}},
		{"a closed pull request is handled", github.Event{Kind: "pull_request", Action: "closed", Repo: "a/b", Number: 1, InstallationID: 9, DeliveryID: "d"},
			[]river.JobArgs{ClosedArgs{Repo: "a/b", PR: 1, InstallationID: 9, DeliveryID: "d"}}},
		{"a comment is read for a command", github.Event{Kind: "issue_comment", Action: "created", Repo: "a/b", Number: 1, Sender: "bob", DeliveryID: "d"},
			[]river.JobArgs{CommandArgs{DeliveryID: "d"}}},
		{"the bot's own comments are not read", github.Event{Kind: "issue_comment", Action: "created", Repo: "a/b", Number: 1, Sender: "gitops[bot]", DeliveryID: "d"}, nil},
		{"an edited comment runs nothing", github.Event{Kind: "issue_comment", Action: "edited", Repo: "a/b", Number: 1, Sender: "bob"}, nil},
		{"the Apply button applies", github.Event{Kind: "check_run", Action: "requested_action", Ref: "apply", Repo: "a/b", Number: 1, HeadSHA: sha, Sender: "bob", InstallationID: 9},
			[]river.JobArgs{ApplyArgs{Repo: "a/b", PR: 1, InstallationID: 9, Requester: "bob", HeadSHA: sha, Via: "the Apply button"}}},
		{"another button does nothing", github.Event{Kind: "check_run", Action: "requested_action", Ref: "other", Repo: "a/b", Number: 1}, nil},
		{"a pushed tag may be a release", github.Event{Kind: "push", Ref: "refs/tags/v1.2.0", Repo: "a/app", HeadSHA: sha, InstallationID: 9},
			[]river.JobArgs{ReleasePRArgs{AppRepo: "a/app", Tag: "v1.2.0", SHA: sha, InstallationID: 9}}},
		{"a deleted tag is not", github.Event{Kind: "push", Ref: "refs/tags/v1.2.0", Repo: "a/app", HeadSHA: "0000000000000000000000000000000000000000"}, nil},
		{"a pushed branch is not", github.Event{Kind: "push", Ref: "refs/heads/main", Repo: "a/app", HeadSHA: sha}, nil},
		{"a review starts nothing (approval is checked at apply)", github.Event{Kind: "pull_request_review", Action: "submitted", Repo: "a/b", Number: 1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ForEvent(&tt.e); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ForEvent = %#v, want %#v", got, tt.want)
			}
		})
	}
}
