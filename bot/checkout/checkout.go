// Package checkout fetches one commit of a repository into a directory:
// shallow, from the clone URL GitHub gave (never one built by hand), with
// the installation token passed to git in its environment (never on a
// command line or in .git/config). It refuses a tree whose trusted
// directories hold symbolic links, so nothing gitops reads can point
// outside the checkout.
//
// It is not for deciding what to fetch (bot/jobs) nor for reading what was
// fetched (the engines).
package checkout

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
)

// Request is one commit to fetch.
type Request struct {
	// CloneURL is the repository's clone URL from the webhook payload.
	CloneURL string
	// Token is the installation token (x-access-token); empty for a public
	// or local repository.
	Token string
	// Ref is what to fetch: a branch, or refs/pull/<n>/head.
	Ref string
	// SHA is the commit expected at Ref; when the ref has moved on, Fetch
	// fails with a MovedError and the caller plans the newer head later.
	SHA string
	// Dir is where the work tree goes; it is created, and emptied first.
	Dir string
	// Guarded are the directories of the tree that may hold no symbolic
	// link; default Guarded.
	Guarded []string
}

// Guarded are the directories whose files gitops reads from a pull request.
var Guarded = []string{"environments", "releases", "policy", "terraform"}

// MovedError is a ref that no longer points at the commit asked for.
type MovedError struct {
	Ref, Want, Got string
}

func (e *MovedError) Error() string {
	return fmt.Sprintf("%s moved on: it is at %s, not %s", e.Ref, e.Got, e.Want)
}

// SymlinkError lists the symbolic links found in guarded directories.
type SymlinkError struct {
	Paths []string
}

func (e *SymlinkError) Error() string {
	return fmt.Sprintf("the commit adds symbolic links where gitops reads files (%s); gitops reads only plain files there: replace them with the files themselves", strings.Join(e.Paths, ", "))
}

var shaRE = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// Fetch fetches req.Ref at depth 1 into req.Dir and checks it out.
func Fetch(ctx context.Context, req Request) error {
	if req.SHA != "" && !shaRE.MatchString(req.SHA) {
		return fmt.Errorf("fetch %s: %q is not a commit id", req.Ref, req.SHA)
	}
	if strings.HasPrefix(req.Ref, "-") || req.Ref == "" {
		return fmt.Errorf("fetch: ref %q is not a ref", req.Ref)
	}
	if err := os.RemoveAll(req.Dir); err != nil {
		return fmt.Errorf("fetch %s: empty %s: %w", req.Ref, req.Dir, err)
	}
	if err := os.MkdirAll(req.Dir, 0o700); err != nil {
		return fmt.Errorf("fetch %s: %w", req.Ref, err)
	}
	g := git{dir: req.Dir, token: req.Token}
	if _, err := g.run(ctx, "init", "--quiet"); err != nil {
		return err
	}
	// Symbolic links stay links in the index (so they are found below), but
	// the work tree is checked out only after the check.
	if _, err := g.run(ctx, "fetch", "--quiet", "--depth=1", "--no-tags", "--", req.CloneURL, req.Ref); err != nil {
		return err
	}
	got, err := g.run(ctx, "rev-parse", "FETCH_HEAD")
	if err != nil {
		return err
	}
	got = strings.TrimSpace(got)
	if req.SHA != "" && got != req.SHA {
		return &MovedError{Ref: req.Ref, Want: req.SHA, Got: got}
	}
	guarded := req.Guarded
	if guarded == nil {
		guarded = Guarded
	}
	if err := refuseSymlinks(ctx, g, guarded); err != nil {
		return err
	}
	if _, err := g.run(ctx, "-c", "core.symlinks=false", "checkout", "--quiet", "--detach", "FETCH_HEAD"); err != nil {
		return err
	}
	return nil
}

// refuseSymlinks lists the tree of FETCH_HEAD and refuses links (mode
// 120000) and submodules (160000) under the guarded directories.
func refuseSymlinks(ctx context.Context, g git, guarded []string) error {
	out, err := g.run(ctx, "ls-tree", "-r", "-z", "FETCH_HEAD", "--")
	if err != nil {
		return err
	}
	var links []string
	for _, entry := range strings.Split(out, "\x00") {
		meta, path, ok := strings.Cut(entry, "\t")
		if !ok {
			continue
		}
		mode, _, _ := strings.Cut(meta, " ")
		if mode != "120000" && mode != "160000" {
			continue
		}
		top, _, _ := strings.Cut(path, "/")
		for _, d := range guarded {
			if top == d {
				links = append(links, path)
			}
		}
	}
	if len(links) > 0 {
		return &SymlinkError{Paths: links}
	}
	return nil
}

type git struct {
	dir   string
	token string
}

// run runs git in the checkout. The token reaches git as an HTTP header
// through GIT_CONFIG_* variables, which no other user can read and which
// git never writes to disk; errors carry git's message without it.
func (g git) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = g.dir
	env := []string{"GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + g.dir, "GIT_ASKPASS=/bin/false"}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k == "PATH" || k == "SSL_CERT_FILE" || k == "SSL_CERT_DIR" || strings.HasPrefix(k, "HTTPS_PROXY") || strings.HasPrefix(k, "NO_PROXY") {
			env = append(env, kv)
		}
	}
	if g.token != "" {
		basic := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + g.token))
		env = append(env, "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.extraHeader", "GIT_CONFIG_VALUE_0=Authorization: Basic "+basic)
	}
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if g.token != "" {
			msg = strings.ReplaceAll(msg, g.token, "(token)")
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("git %s: %w", args[0], ctx.Err())
		}
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return "", fmt.Errorf("git %s: %s", args[0], msg)
		}
		return "", fmt.Errorf("git %s: %w", args[0], err)
	}
	return stdout.String(), nil
}
