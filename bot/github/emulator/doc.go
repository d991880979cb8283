// Package emulator is a GitHub of the project's own: an HTTP server on the
// loopback interface that behaves like api.github.com for the calls the gitops
// App makes (through go-github and ghinstallation), serves real git over
// smart HTTP, and sends signed webhook deliveries to the App when a test (or
// `gitops demo`) plays users through its Go API.
//
// It is for the App's tests and for the demo: every REST call is checked
// against an embedded OpenAPI description of the subset of GitHub's REST API
// that the App uses (openapi.yaml) and recorded, so a test can fail on any
// call GitHub would reject and assert the exact calls the App made; faults
// (502, 500, secondary rate limits) can be injected deterministically to test
// retries. Repositories are real bare git repositories, so clones, fetches of
// refs/pull/N/head, diffs and merge commits are git's own.
//
// It is not a complete GitHub: only the operations in openapi.yaml exist
// (anything else is a 404 and a violation), there is one App, branch
// protection, GraphQL, search, teams and organizations are absent, and
// pushing over git is refused (users push through the Go API, which sends the
// webhooks GitHub would send). Not for production use nor for any address
// other than loopback.
//
// # Using it
//
// Point the App at it as at GitHub Enterprise: go-github's BaseURL is
// URL()+"/" (the API is also served under /api/v3/), ghinstallation's BaseURL
// is URL(), the App ID and private key are AppID and PrivateKeyPEM (or
// WritePrivateKey), and the installation is Repo.InstallationID. Point the
// emulator at the App with Options.WebhookURL or SetWebhookURL.
//
// # What a test writer must know
//
//   - User actions (Push, OpenPR, Comment, Review, Merge, ClosePR, ReopenPR,
//     Label, RequestCheckRunAction, PushTag, EditComment) deliver their
//     webhooks synchronously: they return once the App has answered.
//   - REST calls of the App that GitHub answers with webhooks (a comment, a
//     check run created or completed, a pull request opened, edited, closed
//     or labelled, a contents or ref change, a merge) queue deliveries that
//     are sent in the background, so the App never waits for its own
//     handler; Flush sends what is queued and waits for the answers. The App
//     receives its own comments and check runs, as on GitHub.
//   - Webhook payloads show mergeable as unknown, as GitHub does before it has
//     computed it; GET of one pull request computes it (clean, dirty,
//     unstable or draft) at once.
//   - Collaborator permission answers the legacy level in permission (admin,
//     write, read, none) and the role in role_name (maintain, triage, …), as
//     GitHub does. A user without a role has none; the owner is admin.
//   - Forks (Fork) are repositories of the forking user without the App:
//     pushes to them send no push delivery, check runs on their heads list no
//     pull requests. Any valid installation token may clone a fork, as a
//     public fork could be.
//   - Creating a deployment without required_contexts answers 409 when a
//     status or check run of the ref is not successful, as GitHub does;
//     auto_merge is not emulated.
//   - Merges: merge and squash; rebase answers 405 as on a repository that
//     disallows it.
//   - Faults are drawn once per eligible REST call in arrival order; a
//     retrying client that makes the same calls sees the same faults. A
//     faulted call changes nothing. Secondary rate limits carry
//     Faults.RetryAfter (0 by default, so go-github does not wait).
//   - ExpireTokens makes the tokens issued so far expired; ghinstallation
//     keeps its cached token until its own clock says otherwise.
package emulator
