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
package emulator
