package emulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// gitRepo is a bare repository on disk, changed only through git's plumbing
// so that every commit, merge and diff is git's own.
type gitRepo struct {
	dir string
}

// gitEnv isolates git from the machine's and the user's configuration.
func gitEnv(extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.TempDir(),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_TERMINAL_PROMPT=0",
		"LC_ALL=C",
	}
	return append(env, extra...)
}

// errGitExit1 is git's exit status 1, which several commands use as "no"
// (merge-tree: conflicts; merge-base --is-ancestor: not an ancestor).
var errGitExit1 = errors.New("git exited 1")

func (g *gitRepo) run(ctx context.Context, stdin []byte, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = g.dir
	cmd.Env = gitEnv(env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 1 && stderr.Len() == 0 {
			return stdout.Bytes(), errGitExit1
		}
		return stdout.Bytes(), fmt.Errorf("git %s in %s: %w: %s", strings.Join(args, " "), g.dir, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func initBare(ctx context.Context, dir, branch string) (*gitRepo, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	g := &gitRepo{dir: dir}
	if _, err := g.run(ctx, nil, nil, "init", "--quiet", "--bare", "--initial-branch="+branch); err != nil {
		return nil, err
	}
	// Clients fetch refs/pull/N/head by name; allow any advertised sha too.
	if _, err := g.run(ctx, nil, nil, "config", "uploadpack.allowAnySHA1InWant", "true"); err != nil {
		return nil, err
	}
	return g, nil
}

// resolve returns the commit sha of a revision, or "" when it does not exist.
func (g *gitRepo) resolve(ctx context.Context, rev string) (string, error) {
	if rev == "" {
		return "", nil
	}
	b, err := g.run(ctx, nil, nil, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if errors.Is(err, errGitExit1) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// signature is a git author or committer.
type signature struct {
	Name, Email string
	When        time.Time
}

func (s signature) env(prefix string) []string {
	when := s.When
	if when.IsZero() {
		when = time.Now()
	}
	return []string{
		"GIT_" + prefix + "_NAME=" + s.Name,
		"GIT_" + prefix + "_EMAIL=" + s.Email,
		"GIT_" + prefix + "_DATE=" + strconv.FormatInt(when.Unix(), 10) + " +0000",
	}
}

// commitFiles writes a commit on top of parent ("" for a root commit) that
// sets each file to its content, or deletes it when the content is nil.
func (g *gitRepo) commitFiles(ctx context.Context, parent string, files map[string][]byte, message string, author, committer signature) (string, error) {
	index, err := os.CreateTemp("", "emulator-index-")
	if err != nil {
		return "", fmt.Errorf("commit in %s: %w", g.dir, err)
	}
	_ = index.Close()
	_ = os.Remove(index.Name()) // git wants to create it itself
	defer os.Remove(index.Name())
	env := []string{"GIT_INDEX_FILE=" + index.Name()}
	if parent != "" {
		if _, err := g.run(ctx, nil, env, "read-tree", parent); err != nil {
			return "", err
		}
	}
	var info bytes.Buffer
	for path, content := range files {
		path = strings.TrimPrefix(path, "/")
		if content == nil {
			// Mode 0 removes the path from the index.
			fmt.Fprintf(&info, "0 %s\t%s\n", zeroSHA, path)
			continue
		}
		blob, err := g.run(ctx, content, nil, "hash-object", "-w", "--stdin")
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&info, "100644 %s\t%s\n", strings.TrimSpace(string(blob)), path)
	}
	if info.Len() > 0 {
		if _, err := g.run(ctx, info.Bytes(), env, "update-index", "--add", "--index-info"); err != nil {
			return "", err
		}
	}
	tree, err := g.run(ctx, nil, env, "write-tree")
	if err != nil {
		return "", err
	}
	var parents []string
	if parent != "" {
		parents = []string{parent}
	}
	return g.commitTree(ctx, strings.TrimSpace(string(tree)), parents, message, author, committer)
}

func (g *gitRepo) commitTree(ctx context.Context, tree string, parents []string, message string, author, committer signature) (string, error) {
	args := []string{"commit-tree", tree}
	for _, p := range parents {
		args = append(args, "-p", p)
	}
	env := append(author.env("AUTHOR"), committer.env("COMMITTER")...)
	b, err := g.run(ctx, []byte(message), env, args...)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// updateRef moves ref to sha if it still points at old ("" when it must not
// exist yet).
func (g *gitRepo) updateRef(ctx context.Context, ref, sha, old string) error {
	if old == "" {
		old = strings.Repeat("0", 40)
	}
	_, err := g.run(ctx, nil, nil, "update-ref", ref, sha, old)
	return err
}

func (g *gitRepo) deleteRef(ctx context.Context, ref string) error {
	_, err := g.run(ctx, nil, nil, "update-ref", "-d", ref)
	return err
}

// mergeTree merges head into base without a work tree. conflict is true when
// the two cannot be merged cleanly.
func (g *gitRepo) mergeTree(ctx context.Context, base, head string) (tree string, conflict bool, err error) {
	b, err := g.run(ctx, nil, nil, "merge-tree", "--write-tree", "--no-messages", base, head)
	if errors.Is(err, errGitExit1) {
		return "", true, nil
	}
	if err != nil {
		return "", false, err
	}
	return strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]), false, nil
}

func (g *gitRepo) mergeBase(ctx context.Context, a, b string) (string, error) {
	out, err := g.run(ctx, nil, nil, "merge-base", a, b)
	if errors.Is(err, errGitExit1) {
		return "", nil
	}
	return strings.TrimSpace(string(out)), err
}

func (g *gitRepo) isAncestor(ctx context.Context, ancestor, descendant string) (bool, error) {
	_, err := g.run(ctx, nil, nil, "merge-base", "--is-ancestor", ancestor, descendant)
	if errors.Is(err, errGitExit1) {
		return false, nil
	}
	return err == nil, err
}

// commitInfo is what the REST API shows of a commit.
type commitInfo struct {
	SHA       string
	Tree      string
	Parents   []string
	Author    signature
	Committer signature
	Message   string
}

const logFormat = "%H%x00%T%x00%P%x00%an%x00%ae%x00%at%x00%cn%x00%ce%x00%ct%x00%B%x00%x01"

// log lists the commits reachable from to and not from from ("" for all),
// oldest first.
func (g *gitRepo) log(ctx context.Context, from, to string, limit int) ([]commitInfo, error) {
	rng := to
	if from != "" {
		rng = from + ".." + to
	}
	args := []string{"log", "--reverse", "--format=" + logFormat, rng}
	if limit > 0 {
		args = []string{"log", "--format=" + logFormat, "-n", strconv.Itoa(limit), rng}
	}
	b, err := g.run(ctx, nil, nil, args...)
	if err != nil {
		return nil, err
	}
	var out []commitInfo
	for _, rec := range strings.Split(string(b), "\x01") {
		rec = strings.TrimLeft(rec, "\n")
		if rec == "" {
			continue
		}
		f := strings.Split(rec, "\x00")
		if len(f) < 10 {
			continue
		}
		at, _ := strconv.ParseInt(f[5], 10, 64)
		ct, _ := strconv.ParseInt(f[8], 10, 64)
		c := commitInfo{
			SHA: f[0], Tree: f[1], Parents: strings.Fields(f[2]),
			Author:    signature{Name: f[3], Email: f[4], When: time.Unix(at, 0).UTC()},
			Committer: signature{Name: f[6], Email: f[7], When: time.Unix(ct, 0).UTC()},
			Message:   strings.TrimRight(f[9], "\n"),
		}
		out = append(out, c)
	}
	if limit > 0 {
		// git log -n lists newest first; callers want oldest first.
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}

func (g *gitRepo) commit(ctx context.Context, sha string) (*commitInfo, error) {
	cs, err := g.log(ctx, "", sha, 1)
	if err != nil || len(cs) == 0 {
		return nil, fmt.Errorf("commit %s in %s: %w", sha, g.dir, errors.Join(err, errors.New("not found")))
	}
	return &cs[0], nil
}

// fileDiff is one file of a diff, as the pulls files and compare APIs show it.
type fileDiff struct {
	Filename, PreviousFilename string
	Status                     string // added, removed, modified, renamed
	Additions, Deletions       int
	Patch                      string
	BlobSHA                    string
	Binary                     bool
}

// diff compares two commits file by file, with renames detected.
func (g *gitRepo) diff(ctx context.Context, from, to string) ([]fileDiff, error) {
	raw, err := g.run(ctx, nil, nil, "diff", "--no-color", "--raw", "-z", "-M", "--no-abbrev", from, to)
	if err != nil {
		return nil, err
	}
	var files []fileDiff
	fields := strings.Split(string(raw), "\x00")
	for i := 0; i < len(fields); i++ {
		meta := fields[i]
		if !strings.HasPrefix(meta, ":") {
			continue
		}
		parts := strings.Fields(meta)
		if len(parts) < 5 || i+1 >= len(fields) {
			break
		}
		f := fileDiff{BlobSHA: parts[3]}
		status := parts[4]
		switch status[0] {
		case 'A':
			f.Status, f.Filename = "added", fields[i+1]
			i++
		case 'D':
			f.Status, f.Filename, f.BlobSHA = "removed", fields[i+1], parts[2]
			i++
		case 'R':
			f.Status, f.PreviousFilename, f.Filename = "renamed", fields[i+1], fields[i+2]
			i += 2
		default:
			f.Status, f.Filename = "modified", fields[i+1]
			i++
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return files, nil
	}
	// Line counts and patches of all files, in two calls.
	num, err := g.run(ctx, nil, nil, "diff", "--numstat", "-z", "-M", from, to)
	if err != nil {
		return nil, err
	}
	counts := parseNumstat(string(num))
	patch, err := g.run(ctx, nil, nil, "diff", "--no-color", "-M", "--no-ext-diff", "--src-prefix=a/", "--dst-prefix=b/", from, to)
	if err != nil {
		return nil, err
	}
	patches := splitPatch(string(patch), files)
	for k := range files {
		f := &files[k]
		if c, ok := counts[f.Filename]; ok {
			f.Additions, f.Deletions, f.Binary = c[0], c[1], c[2] == 1
		}
		if !f.Binary {
			f.Patch = patches[k]
		}
	}
	return files, nil
}

// parseNumstat reads `git diff --numstat -z`: additions, deletions and
// whether the file is binary, by (new) file name.
func parseNumstat(out string) map[string][3]int {
	counts := map[string][3]int{}
	fields := strings.Split(out, "\x00")
	for i := 0; i < len(fields); i++ {
		cols := strings.SplitN(fields[i], "\t", 3)
		if len(cols) < 3 {
			continue
		}
		name := cols[2]
		if name == "" && i+2 < len(fields) { // a rename: old and new names follow
			name = fields[i+2]
			i += 2
		}
		add, errA := strconv.Atoi(cols[0])
		del, _ := strconv.Atoi(cols[1])
		bin := 0
		if errA != nil {
			bin = 1
		}
		counts[name] = [3]int{add, del, bin}
	}
	return counts
}

// splitPatch cuts a whole diff into the hunks of each file, in the order of
// files (git prints both in the same order); GitHub's patch of a file starts
// at its first hunk header.
func splitPatch(diff string, files []fileDiff) []string {
	out := make([]string, len(files))
	parts := strings.Split("\n"+diff, "\ndiff --git ")
	if len(parts) > 0 {
		parts = parts[1:]
	}
	for k := range files {
		if k >= len(parts) {
			break
		}
		if at := strings.Index(parts[k], "\n@@"); at >= 0 {
			out[k] = strings.TrimRight(parts[k][at+1:], "\n")
		}
	}
	return out
}

// readFile returns a file's content and blob sha at a revision; ok is false
// when the path does not exist there.
func (g *gitRepo) readFile(ctx context.Context, rev, path string) (content []byte, blob string, ok bool, err error) {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil, "", false, nil
	}
	b, err := g.run(ctx, nil, nil, "ls-tree", "-z", rev, "--", path)
	if err != nil {
		return nil, "", false, nil // an unknown revision is an answer, not an error
	}
	meta, name, found := strings.Cut(strings.TrimSuffix(string(b), "\x00"), "\t")
	f := strings.Fields(meta)
	if !found || name != path || len(f) < 3 || f[1] != "blob" {
		return nil, "", false, nil
	}
	content, err = g.run(ctx, nil, nil, "cat-file", "blob", f[2])
	if err != nil {
		return nil, "", false, err
	}
	return content, f[2], true, nil
}

// treeEntry is one entry of a directory listing.
type treeEntry struct {
	Mode, Type, SHA, Path string
	Size                  int64
}

// listDir lists a directory at a revision; ok is false when path is not a
// directory there.
func (g *gitRepo) listDir(ctx context.Context, rev, path string) ([]treeEntry, bool, error) {
	spec := rev + "^{tree}"
	if p := strings.Trim(path, "/"); p != "" {
		spec = rev + ":" + p
	}
	typ, err := g.run(ctx, nil, nil, "cat-file", "-t", spec)
	if err != nil || strings.TrimSpace(string(typ)) != "tree" {
		return nil, false, nil // not a directory is an answer
	}
	b, err := g.run(ctx, nil, nil, "ls-tree", "-z", "--long", spec)
	if err != nil {
		return nil, false, err
	}
	var out []treeEntry
	for _, line := range strings.Split(string(b), "\x00") {
		meta, name, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		f := strings.Fields(meta)
		if len(f) < 4 {
			continue
		}
		size, _ := strconv.ParseInt(f[3], 10, 64)
		p := name
		if dir := strings.Trim(path, "/"); dir != "" {
			p = dir + "/" + name
		}
		out = append(out, treeEntry{Mode: f[0], Type: f[1], SHA: f[2], Path: p, Size: size})
	}
	return out, true, nil
}

// gitPath recognises /{owner}/{repo}.git[/…], the smart HTTP paths.
func gitPath(p string) (owner, name string, ok bool) {
	parts := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 3)
	if len(parts) < 2 || !strings.HasSuffix(parts[1], ".git") || parts[0] == "" || parts[0] == "repos" {
		return "", "", false
	}
	return parts[0], strings.TrimSuffix(parts[1], ".git"), true
}

// serveGit serves clones and fetches through git http-backend. Reads need an
// installation token as basic auth (x-access-token:<token>); pushes are
// refused, since users push through the Go API, which sends the webhooks.
func (e *Emulator) serveGit(w http.ResponseWriter, r *http.Request, owner, name string) {
	if r.URL.Query().Get("service") == "git-receive-pack" || strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
		http.Error(w, "pushing over git is not supported by the emulator; use Emulator.Push", http.StatusForbidden)
		return
	}
	_, password, _ := r.BasicAuth()
	e.mu.Lock()
	repo := e.st.repo(owner + "/" + name)
	tok := e.st.tokens[password]
	allowed := repo != nil && tok != nil && time.Now().Before(tok.expires) && (repo.inst == tok.inst || repo.inst == nil)
	e.mu.Unlock()
	if !allowed {
		// Unknown repository and bad credentials look the same, as on GitHub.
		w.Header().Set("WWW-Authenticate", `Basic realm="GitHub"`)
		http.Error(w, "Invalid username or token.", http.StatusUnauthorized)
		return
	}
	h := &cgi.Handler{
		Path: gitBinary(),
		Args: []string{"http-backend"},
		Dir:  e.dir,
		Env: gitEnv(
			"GIT_PROJECT_ROOT="+filepath.Join(e.dir, "git"),
			"GIT_HTTP_EXPORT_ALL=1",
		),
	}
	// http-backend maps PATH_INFO under GIT_PROJECT_ROOT.
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + repo.owner.login + "/" + repo.name + ".git" + strings.TrimPrefix(r.URL.Path, "/"+owner+"/"+name+".git")
	h.ServeHTTP(w, r2)
}

func gitBinary() string {
	if p, err := exec.LookPath("git"); err == nil {
		return p
	}
	return "git"
}
