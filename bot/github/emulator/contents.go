package emulator

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

func (e *Emulator) fileJSON(r *repoState, ref, p, blob string, size int64, typ string) *github.RepositoryContent {
	api := fmt.Sprintf("%s/repos/%s/contents/%s?ref=%s", e.url, r.fullName(), p, ref)
	html := fmt.Sprintf("%s/%s/blob/%s/%s", e.url, r.fullName(), ref, p)
	gitURL := fmt.Sprintf("%s/repos/%s/git/blobs/%s", e.url, r.fullName(), blob)
	if typ == "dir" {
		html = fmt.Sprintf("%s/%s/tree/%s/%s", e.url, r.fullName(), ref, p)
		gitURL = fmt.Sprintf("%s/repos/%s/git/trees/%s", e.url, r.fullName(), blob)
	}
	out := &github.RepositoryContent{
		Type: ptr(typ), Name: ptr(path.Base(p)), Path: ptr(p), SHA: ptr(blob), Size: ptr(int(size)),
		URL: ptr(api), HTMLURL: ptr(html), GitURL: ptr(gitURL),
	}
	if typ == "file" {
		out.DownloadURL = ptr(fmt.Sprintf("%s/%s/raw/%s/%s", e.url, r.fullName(), ref, p))
	}
	return out
}

// base64Lines encodes as GitHub does in contents answers: lines of 60
// characters, each ending in a newline.
func base64Lines(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 60 {
		out.WriteString(s[:60] + "\n")
		s = s[60:]
	}
	out.WriteString(s + "\n")
	return out.String()
}

// GET /repos/{owner}/{repo}/contents/{path}
func (e *Emulator) getContent(ctx context.Context, q *request) (int, any, error) {
	r := q.repo
	ref := q.query.Get("ref")
	if ref == "" {
		ref = r.defaultBranch
	}
	sha, err := r.resolveRev(ctx, ref)
	if err != nil {
		return 0, nil, err
	}
	if sha == "" {
		return 0, nil, &apiError{Status: http.StatusNotFound, Message: "No commit found for the ref " + ref}
	}
	p := strings.Trim(q.params["path"], "/")
	content, blob, ok, err := r.git.readFile(ctx, sha, p)
	if err != nil {
		return 0, nil, err
	}
	if ok {
		out := e.fileJSON(r, ref, p, blob, int64(len(content)), "file")
		out.Encoding, out.Content = ptr("base64"), ptr(base64Lines(content))
		return http.StatusOK, out, nil
	}
	entries, ok, err := r.git.listDir(ctx, sha, p)
	if err != nil {
		return 0, nil, err
	}
	if !ok {
		return 0, nil, notFound()
	}
	out := []*github.RepositoryContent{}
	for _, en := range entries {
		typ := "file"
		if en.Type == "tree" {
			typ = "dir"
		}
		out = append(out, e.fileJSON(r, ref, en.Path, en.SHA, en.Size, typ))
	}
	return http.StatusOK, out, nil
}

// PUT /repos/{owner}/{repo}/contents/{path}
//
// A real commit on the branch; updating a file needs its current blob sha
// (422 when missing, 409 when stale), as on GitHub.
func (e *Emulator) putContent(ctx context.Context, q *request) (int, any, error) {
	r := q.repo
	var in struct {
		Message, Content, SHA, Branch string
		Committer, Author             *struct{ Name, Email string }
	}
	if err := decode(q, &in); err != nil {
		return 0, nil, err
	}
	content, err := base64.StdEncoding.DecodeString(in.Content)
	if err != nil {
		return 0, nil, unprocessable("Content", "content", "invalid", "content is not valid Base64")
	}
	if in.Branch == "" {
		in.Branch = r.defaultBranch
	}
	p := strings.Trim(q.params["path"], "/")
	ref := "refs/heads/" + in.Branch
	before, err := r.git.resolve(ctx, ref)
	if err != nil {
		return 0, nil, err
	}
	if before == "" {
		return 0, nil, &apiError{Status: http.StatusNotFound, Message: "Branch " + in.Branch + " not found"}
	}
	_, blob, exists, err := r.git.readFile(ctx, before, p)
	if err != nil {
		return 0, nil, err
	}
	switch {
	case exists && in.SHA == "":
		return 0, nil, unprocessable("Content", "sha", "missing_field", "Invalid request.\n\n\"sha\" wasn't supplied.")
	case exists && in.SHA != blob, !exists && in.SHA != "":
		return 0, nil, &apiError{Status: http.StatusConflict, Message: fmt.Sprintf("%s does not match %s", p, in.SHA)}
	}
	author := signature{Name: e.st.app.login, Email: fmt.Sprintf("%d+%s@users.noreply.github.com", e.st.app.id, e.st.app.login)}
	committer := signature{Name: "GitHub", Email: "noreply@github.com"}
	if in.Author != nil {
		author = signature{Name: in.Author.Name, Email: in.Author.Email}
	}
	if in.Committer != nil {
		committer = signature{Name: in.Committer.Name, Email: in.Committer.Email}
		if in.Author == nil {
			author = committer
		}
	}
	after, err := r.git.commitFiles(ctx, before, map[string][]byte{p: content}, in.Message, author, committer)
	if err != nil {
		return 0, nil, err
	}
	if err := e.moveBranch(ctx, r, in.Branch, before, after); err != nil {
		return 0, nil, err
	}
	_, newBlob, _, err := r.git.readFile(ctx, after, p)
	if err != nil {
		return 0, nil, err
	}
	c, err := r.git.commit(ctx, after)
	if err != nil {
		return 0, nil, err
	}
	fc := e.fileJSON(r, in.Branch, p, newBlob, int64(len(content)), "file")
	rc := e.commitJSON(r, *c)
	status := http.StatusOK
	if !exists {
		status = http.StatusCreated
	}
	return status, &github.RepositoryContentResponse{Content: fc, Commit: github.Commit{
		SHA: rc.SHA, Message: rc.Commit.Message, Author: rc.Commit.Author, Committer: rc.Commit.Committer,
		Tree: rc.Commit.Tree, Parents: rc.Parents, URL: rc.Commit.URL, HTMLURL: rc.HTMLURL,
	}}, nil
}

// moveBranch moves a branch that the App changed through the API and sends
// what a push would: push, synchronize of pull requests from it, new test
// merges of pull requests into it.
func (e *Emulator) moveBranch(ctx context.Context, r *repoState, branch, before, after string) error {
	if err := r.git.updateRef(ctx, "refs/heads/"+branch, after, before); err != nil {
		return &apiError{Status: http.StatusConflict, Message: "Reference cannot be updated: " + err.Error()}
	}
	r.pushed = time.Now().UTC().Truncate(time.Second)
	if err := e.enqueuePush(ctx, r, e.st.app, "refs/heads/"+branch, before, after); err != nil {
		return err
	}
	if err := e.headMoved(ctx, r, branch, before, after, e.st.app); err != nil {
		return err
	}
	return e.baseMoved(ctx, r, branch)
}

func (e *Emulator) refJSON(r *repoState, ref, sha string) *github.Reference {
	return &github.Reference{
		Ref: ptr(ref), NodeID: ptr(nodeID("REF", r.id) + "_" + ref), URL: ptr(fmt.Sprintf("%s/repos/%s/git/%s", e.url, r.fullName(), ref)),
		Object: &github.GitObject{Type: ptr("commit"), SHA: ptr(sha), URL: ptr(fmt.Sprintf("%s/repos/%s/git/commits/%s", e.url, r.fullName(), sha))},
	}
}

// GET /repos/{owner}/{repo}/git/ref/{ref}
func (e *Emulator) getRef(ctx context.Context, q *request) (int, any, error) {
	ref := "refs/" + strings.TrimPrefix(q.params["ref"], "refs/")
	sha, err := q.repo.git.resolve(ctx, ref)
	if err != nil {
		return 0, nil, err
	}
	if sha == "" || !(strings.HasPrefix(ref, "refs/heads/") || strings.HasPrefix(ref, "refs/tags/") || strings.HasPrefix(ref, "refs/pull/")) {
		return 0, nil, notFound()
	}
	return http.StatusOK, e.refJSON(q.repo, ref, sha), nil
}

// POST /repos/{owner}/{repo}/git/refs
func (e *Emulator) createRef(ctx context.Context, q *request) (int, any, error) {
	var in struct{ Ref, SHA string }
	if err := decode(q, &in); err != nil {
		return 0, nil, err
	}
	r := q.repo
	if !strings.HasPrefix(in.Ref, "refs/") || strings.Count(in.Ref, "/") < 2 {
		return 0, nil, &apiError{Status: http.StatusUnprocessableEntity, Message: "Reference name must start with 'refs/' and have at least two slashes."}
	}
	if !strings.HasPrefix(in.Ref, "refs/heads/") && !strings.HasPrefix(in.Ref, "refs/tags/") {
		return 0, nil, &apiError{Status: http.StatusUnprocessableEntity, Message: "Reference update failed"}
	}
	if sha, err := r.git.resolve(ctx, in.SHA); err != nil {
		return 0, nil, err
	} else if sha == "" || sha != in.SHA {
		return 0, nil, &apiError{Status: http.StatusUnprocessableEntity, Message: "Object does not exist"}
	}
	if old, err := r.git.resolve(ctx, in.Ref); err != nil {
		return 0, nil, err
	} else if old != "" {
		return 0, nil, &apiError{Status: http.StatusUnprocessableEntity, Message: "Reference already exists"}
	}
	if err := r.git.updateRef(ctx, in.Ref, in.SHA, ""); err != nil {
		return 0, nil, err
	}
	if err := e.enqueuePush(ctx, r, e.st.app, in.Ref, "", in.SHA); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, e.refJSON(r, in.Ref, in.SHA), nil
}

// PATCH /repos/{owner}/{repo}/git/refs/{ref}
func (e *Emulator) updateRef(ctx context.Context, q *request) (int, any, error) {
	var in struct {
		SHA   string
		Force *bool
	}
	if err := decode(q, &in); err != nil {
		return 0, nil, err
	}
	r := q.repo
	ref := "refs/" + strings.TrimPrefix(q.params["ref"], "refs/")
	branch, isBranch := strings.CutPrefix(ref, "refs/heads/")
	before, err := r.git.resolve(ctx, ref)
	if err != nil {
		return 0, nil, err
	}
	if before == "" || !isBranch && !strings.HasPrefix(ref, "refs/tags/") {
		return 0, nil, &apiError{Status: http.StatusUnprocessableEntity, Message: "Reference does not exist"}
	}
	if sha, err := r.git.resolve(ctx, in.SHA); err != nil {
		return 0, nil, err
	} else if sha == "" || sha != in.SHA {
		return 0, nil, &apiError{Status: http.StatusUnprocessableEntity, Message: "Object does not exist"}
	}
	if in.Force == nil || !*in.Force {
		ff, err := r.git.isAncestor(ctx, before, in.SHA)
		if err != nil {
			return 0, nil, err
		}
		if !ff {
			return 0, nil, &apiError{Status: http.StatusUnprocessableEntity, Message: "Update is not a fast forward"}
		}
	}
	if !isBranch {
		if err := r.git.updateRef(ctx, ref, in.SHA, before); err != nil {
			return 0, nil, err
		}
		if err := e.enqueuePush(ctx, r, e.st.app, ref, before, in.SHA); err != nil {
			return 0, nil, err
		}
	} else if err := e.moveBranch(ctx, r, branch, before, in.SHA); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.refJSON(r, ref, in.SHA), nil
}
