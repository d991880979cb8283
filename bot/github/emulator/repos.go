package emulator

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// Repo describes a repository of the emulator.
type Repo struct {
	ID            int64
	Owner, Name   string
	FullName      string // owner/name
	DefaultBranch string
	// CloneURL is where git clones it, with an installation token as basic
	// auth x-access-token:<token>.
	CloneURL string
	// InstallationID is the App's installation on the owner; 0 for forks,
	// where the App is not installed.
	InstallationID int64
	Fork           bool
}

func (e *Emulator) repoValue(r *repoState) *Repo {
	out := &Repo{ID: r.id, Owner: r.owner.login, Name: r.name, FullName: r.fullName(),
		DefaultBranch: r.defaultBranch, CloneURL: e.url + "/" + r.fullName() + ".git", Fork: r.parent != nil}
	if r.inst != nil {
		out.InstallationID = r.inst.id
	}
	return out
}

func splitFullName(fullName string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") || strings.HasSuffix(name, ".git") {
		return "", "", fmt.Errorf("repository %q: want owner/name", fullName)
	}
	return owner, name, nil
}

// CreateRepo creates a repository whose default branch main holds files in
// one initial commit, and installs the App on its owner's account (an
// organization). No webhook is sent: the App sees the repository from then on.
func (e *Emulator) CreateRepo(ctx context.Context, fullName string, files map[string][]byte) (*Repo, error) {
	owner, name, err := splitFullName(fullName)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st.repo(fullName) != nil {
		return nil, fmt.Errorf("create repository %s: already exists", fullName)
	}
	r, err := e.newRepo(ctx, e.st.user(owner, "Organization"), name, "main")
	if err != nil {
		return nil, fmt.Errorf("create repository %s: %w", fullName, err)
	}
	if len(files) == 0 {
		files = map[string][]byte{"README.md": []byte("# " + name + "\n")}
	}
	sig := signature{Name: "GitHub", Email: "noreply@github.com"}
	sha, err := r.git.commitFiles(ctx, "", files, "Initial commit", sig, sig)
	if err != nil {
		return nil, fmt.Errorf("create repository %s: %w", fullName, err)
	}
	if err := r.git.updateRef(ctx, "refs/heads/main", sha, ""); err != nil {
		return nil, fmt.Errorf("create repository %s: %w", fullName, err)
	}
	r.inst = e.st.installationFor(r.owner)
	e.st.repos[strings.ToLower(fullName)] = r
	return e.repoValue(r), nil
}

func (e *Emulator) newRepo(ctx context.Context, owner *user, name, branch string) (*repoState, error) {
	g, err := initBare(ctx, filepath.Join(e.dir, "git", owner.login, name+".git"), branch)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	return &repoState{
		id: e.st.id(), owner: owner, name: name, git: g, defaultBranch: branch, created: now, pushed: now,
		perms: map[string]string{}, pulls: map[int]*pullState{}, labels: map[string]*labelState{},
	}, nil
}

// Fork creates user's fork of a repository (user/name) with the same
// branches, as GitHub's fork button does. The App is not installed on it,
// so pushes to it send no push webhook; pull requests from it into the
// parent do send pull_request webhooks. Forking again returns the fork.
func (e *Emulator) Fork(ctx context.Context, fullName, login string) (*Repo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	parent := e.st.repo(fullName)
	if parent == nil {
		return nil, fmt.Errorf("fork %s: no such repository", fullName)
	}
	u := e.st.user(login, "User")
	if f := e.st.repo(login + "/" + parent.name); f != nil {
		if f.parent != parent {
			return nil, fmt.Errorf("fork %s: %s already exists and is not its fork", fullName, f.fullName())
		}
		return e.repoValue(f), nil
	}
	f, err := e.newRepo(ctx, u, parent.name, parent.defaultBranch)
	if err != nil {
		return nil, fmt.Errorf("fork %s: %w", fullName, err)
	}
	if _, err := f.git.run(ctx, nil, nil, "fetch", "--quiet", "--no-tags", parent.git.dir, "+refs/heads/*:refs/heads/*"); err != nil {
		return nil, fmt.Errorf("fork %s: %w", fullName, err)
	}
	f.parent = parent
	e.st.repos[strings.ToLower(f.fullName())] = f
	return e.repoValue(f), nil
}

// Roles a user may have on a repository.
const (
	RoleAdmin    = "admin"
	RoleMaintain = "maintain"
	RoleWrite    = "write"
	RoleTriage   = "triage"
	RoleRead     = "read"
	RoleNone     = "none"
)

// SetPermission gives a user a role on a repository (admin, maintain,
// write, triage, read or none). Users without a role have none; the owner
// is admin.
func (e *Emulator) SetPermission(fullName, login, role string) error {
	if _, ok := roleRank[role]; !ok {
		return fmt.Errorf("set permission of %s on %s: role %q is not one of admin, maintain, write, triage, read, none", login, fullName, role)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.st.repo(fullName)
	if r == nil {
		return fmt.Errorf("set permission of %s on %s: no such repository", login, fullName)
	}
	e.st.user(login, "User")
	r.perms[strings.ToLower(login)] = role
	return nil
}

// Repo returns a repository by full name.
func (e *Emulator) Repo(fullName string) (*Repo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.st.repo(fullName)
	if r == nil {
		return nil, fmt.Errorf("repository %s: not found", fullName)
	}
	return e.repoValue(r), nil
}

// lookup returns a repository and the acting user for a user action.
func (e *Emulator) lookup(fullName, login string) (*repoState, *user, error) {
	r := e.st.repo(fullName)
	if r == nil {
		return nil, nil, fmt.Errorf("repository %s: not found", fullName)
	}
	if login == "" {
		return nil, nil, fmt.Errorf("repository %s: an acting user is required", fullName)
	}
	return r, e.st.user(login, "User"), nil
}

// Commit is a commit as the accessors show it.
type Commit struct {
	SHA     string
	Parents []string
	Message string
	Author  string // the author's name
}

// Commits lists the commits of a branch (or any revision), newest first.
func (e *Emulator) Commits(ctx context.Context, fullName, rev string) ([]Commit, error) {
	e.mu.Lock()
	r := e.st.repo(fullName)
	e.mu.Unlock()
	if r == nil {
		return nil, fmt.Errorf("commits of %s: no such repository", fullName)
	}
	cs, err := r.git.log(ctx, "", rev, 0)
	if err != nil {
		return nil, fmt.Errorf("commits of %s %s: %w", fullName, rev, err)
	}
	out := make([]Commit, len(cs))
	for i, c := range cs {
		out[len(cs)-1-i] = Commit{SHA: c.SHA, Parents: c.Parents, Message: c.Message, Author: c.Author.Name}
	}
	return out, nil
}

// FileAt returns a file's content at a revision (branch, tag or sha).
func (e *Emulator) FileAt(ctx context.Context, fullName, rev, path string) ([]byte, error) {
	e.mu.Lock()
	r := e.st.repo(fullName)
	e.mu.Unlock()
	if r == nil {
		return nil, fmt.Errorf("read %s at %s: no such repository %s", path, rev, fullName)
	}
	b, _, ok, err := r.git.readFile(ctx, rev, path)
	if err != nil {
		return nil, fmt.Errorf("read %s at %s of %s: %w", path, rev, fullName, err)
	}
	if !ok {
		return nil, fmt.Errorf("read %s at %s of %s: not found", path, rev, fullName)
	}
	return b, nil
}

// ResolveRef returns the commit sha of a revision of a repository.
func (e *Emulator) ResolveRef(ctx context.Context, fullName, rev string) (string, error) {
	e.mu.Lock()
	r := e.st.repo(fullName)
	e.mu.Unlock()
	if r == nil {
		return "", fmt.Errorf("resolve %s: no such repository %s", rev, fullName)
	}
	sha, err := r.git.resolve(ctx, rev)
	if err != nil {
		return "", fmt.Errorf("resolve %s in %s: %w", rev, fullName, err)
	}
	if sha == "" {
		return "", fmt.Errorf("resolve %s in %s: not found", rev, fullName)
	}
	return sha, nil
}

// resolveRev resolves a branch name, tag name, full ref or sha.
func (r *repoState) resolveRev(ctx context.Context, rev string) (string, error) {
	for _, cand := range []string{"refs/heads/" + rev, "refs/tags/" + rev, rev} {
		if strings.HasPrefix(rev, "refs/") && cand != rev {
			continue
		}
		sha, err := r.git.resolve(ctx, cand)
		if err != nil {
			return "", err
		}
		if sha != "" {
			return sha, nil
		}
	}
	return "", nil
}

// GET /repos/{owner}/{repo}
func (e *Emulator) getRepo(_ context.Context, q *request) (int, any, error) {
	out := e.repoJSON(q.repo)
	out.Permissions = map[string]bool{"admin": false, "maintain": false, "push": true, "triage": true, "pull": true}
	return http.StatusOK, out, nil
}

// GET /repos/{owner}/{repo}/collaborators/{username}/permission
//
// As on GitHub, permission is the legacy level (admin, write, read, none:
// maintain reads as write and triage as read) and role_name the role itself.
func (e *Emulator) getCollaboratorPermission(_ context.Context, q *request) (int, any, error) {
	login := q.params["username"]
	u := e.st.users[strings.ToLower(login)]
	if u == nil {
		return 0, nil, &apiError{Status: http.StatusNotFound, Message: login + " is not a user"}
	}
	role := q.repo.role(u)
	legacy := map[string]string{"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read", "none": "none"}[role]
	roleName := role
	if role == "none" {
		roleName = ""
	}
	uj := e.userJSON(u)
	rank := roleRank[role]
	uj.Permissions = map[string]bool{
		"admin": rank >= roleRank["admin"], "maintain": rank >= roleRank["maintain"], "push": rank >= roleRank["write"],
		"triage": rank >= roleRank["triage"], "pull": rank >= roleRank["read"],
	}
	// go-github v60's RepositoryPermissionLevel has no role_name yet.
	return http.StatusOK, struct {
		github.RepositoryPermissionLevel
		RoleName string `json:"role_name"`
	}{github.RepositoryPermissionLevel{Permission: ptr(legacy), User: uj}, roleName}, nil
}

// sortedLabels lists labels by name, for stable answers.
func sortedLabels(ls []*labelState) []*labelState {
	out := append([]*labelState(nil), ls...)
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}
