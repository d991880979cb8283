package checkout

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// origin makes a repository with a commit on main and returns its file URL
// and the commit; extra files are written by add before the commit.
func origin(t *testing.T, add func(dir string)) (url, sha string) {
	t.Helper()
	dir := t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("init", "--quiet", "--initial-branch=main")
	if err := os.MkdirAll(filepath.Join(dir, "environments"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "environments", "dev.yaml"), []byte("name: dev\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if add != nil {
		add(dir)
	}
	run("add", "-A")
	run("commit", "--quiet", "-m", "first")
	return "file://" + dir, run("rev-parse", "HEAD")
}

func TestFetch(t *testing.T) {
	ctx := context.Background()
	t.Run("the commit asked for is checked out", func(t *testing.T) {
		url, sha := origin(t, nil)
		dir := filepath.Join(t.TempDir(), "co")
		if err := Fetch(ctx, Request{CloneURL: url, Ref: "main", SHA: sha, Dir: dir}); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "environments", "dev.yaml")); err != nil || string(b) != "name: dev\n" {
			t.Fatalf("checked out %q, %v", b, err)
		}
	})
	t.Run("a ref that moved on is reported, not checked out", func(t *testing.T) {
		url, sha := origin(t, nil)
		old := strings.Repeat("a", 40)
		err := Fetch(ctx, Request{CloneURL: url, Ref: "main", SHA: old, Dir: filepath.Join(t.TempDir(), "co")})
		var moved *MovedError
		if !errors.As(err, &moved) || moved.Got != sha {
			t.Fatalf("err = %v, want moved to %s", err, sha)
		}
	})
	t.Run("a symbolic link under environments/ is refused", func(t *testing.T) {
		url, sha := origin(t, func(dir string) {
			if err := os.Symlink("/proc/self/environ", filepath.Join(dir, "environments", "staging.yaml")); err != nil {
				t.Fatal(err)
			}
		})
		dir := filepath.Join(t.TempDir(), "co")
		err := Fetch(ctx, Request{CloneURL: url, Ref: "main", SHA: sha, Dir: dir})
		var links *SymlinkError
		if !errors.As(err, &links) || len(links.Paths) != 1 || links.Paths[0] != "environments/staging.yaml" {
			t.Fatalf("err = %v, want the link named", err)
		}
		if _, err := os.Lstat(filepath.Join(dir, "environments", "staging.yaml")); !os.IsNotExist(err) {
			t.Fatalf("the refused tree was checked out (%v)", err)
		}
	})
	t.Run("a symbolic link outside the guarded directories is allowed", func(t *testing.T) {
		url, sha := origin(t, func(dir string) {
			if err := os.Symlink("README.md", filepath.Join(dir, "LINK.md")); err != nil {
				t.Fatal(err)
			}
		})
		if err := Fetch(ctx, Request{CloneURL: url, Ref: "main", SHA: sha, Dir: filepath.Join(t.TempDir(), "co")}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a ref that looks like an option is refused", func(t *testing.T) {
		err := Fetch(ctx, Request{CloneURL: "file:///nonexistent", Ref: "--upload-pack=touch /tmp/x", Dir: filepath.Join(t.TempDir(), "co")})
		if err == nil || !strings.Contains(err.Error(), "is not a ref") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("the token never appears in an error", func(t *testing.T) {
		err := Fetch(ctx, Request{CloneURL: "http://127.0.0.1:1/acme/infra.git", Token: "ghs_secrettoken123", Ref: "main", Dir: filepath.Join(t.TempDir(), "co")})
		if err == nil || strings.Contains(err.Error(), "ghs_secrettoken123") {
			t.Fatalf("err = %v", err)
		}
	})
}
