package emulator_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"

	"github.com/gitops-bot/gitops/bot/github/emulator"
)

// The App's view: go-github over ghinstallation, pointed at the emulator as
// --github-url points it; the test's view: users acting through the Go API.
func Example() {
	ctx := context.Background()
	e, err := emulator.New(emulator.Options{WebhookSecret: "s3cret"}) // WebhookURL: the App's /webhook
	if err != nil {
		panic(err)
	}
	defer e.Close()
	repo, err := e.CreateRepo(ctx, "acme/infra", map[string][]byte{"environments/dev.yaml": []byte("name: dev\n")})
	if err != nil {
		panic(err)
	}
	_ = e.SetPermission("acme/infra", "alice", emulator.RoleWrite)

	// A user pushes a branch and opens a pull request: push and
	// pull_request "opened" are delivered.
	if _, err := e.Push(ctx, "acme/infra", "alice", "dev-logs", map[string][]byte{
		"environments/dev.yaml": []byte("name: dev\nlogs: {retention_days: 14}\n"),
	}, "dev: keep logs 14 days"); err != nil {
		panic(err)
	}
	pr, err := e.OpenPR(ctx, "acme/infra", "alice", "dev-logs", "main", "Keep dev logs longer", "")
	if err != nil {
		panic(err)
	}

	// The App answers with its installation's token.
	itr, err := ghinstallation.New(http.DefaultTransport, e.AppID(), repo.InstallationID, e.PrivateKeyPEM())
	if err != nil {
		panic(err)
	}
	itr.BaseURL = e.URL()
	gh := github.NewClient(&http.Client{Transport: itr})
	gh.BaseURL, _ = url.Parse(e.URL() + "/")
	files, _, err := gh.PullRequests.ListFiles(ctx, "acme", "infra", pr.Number, nil)
	if err != nil {
		panic(err)
	}
	if _, _, err := gh.Issues.CreateComment(ctx, "acme", "infra", pr.Number, &github.IssueComment{Body: github.String("Plan: 0 to add")}); err != nil {
		panic(err)
	}

	fmt.Println(files[0].GetFilename(), files[0].GetStatus())
	fmt.Println(len(e.CallsTo("POST", "/repos/acme/infra/issues/1/comments")), "comment posted,", len(e.Violations()), "violations")
	for _, d := range e.DeliveriesOf("pull_request", "") {
		fmt.Println("delivered:", d.Event, d.Action)
	}
	// Output:
	// environments/dev.yaml modified
	// 1 comment posted, 0 violations
	// delivered: pull_request opened
}
