package emulator

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// state is everything the emulator knows; it is guarded by Emulator.mu.
type state struct {
	nextID        int64
	users         map[string]*user // by lower-case login
	app           *user            // the App's bot user
	installations []*installation
	tokens        map[string]*token
	repos         map[string]*repoState // by lower-case full name
	comments      map[int64]*commentState
	checkRuns     map[int64]*checkRunState
	deployments   map[int64]*deploymentState
}

func (s *state) init() {
	s.nextID = 1000
	s.users = map[string]*user{}
	s.tokens = map[string]*token{}
	s.repos = map[string]*repoState{}
	s.comments = map[int64]*commentState{}
	s.checkRuns = map[int64]*checkRunState{}
	s.deployments = map[int64]*deploymentState{}
}

// id hands out the next ID; one sequence for every kind of object keeps
// them unique and deterministic.
func (s *state) id() int64 {
	s.nextID++
	return s.nextID
}

type user struct {
	id    int64
	login string
	typ   string // User, Organization or Bot
}

// user returns the user with that login, creating it on first use.
func (s *state) user(login, typ string) *user {
	key := strings.ToLower(login)
	if u := s.users[key]; u != nil {
		return u
	}
	u := &user{id: s.id(), login: login, typ: typ}
	s.users[key] = u
	return u
}

func (s *state) repo(fullName string) *repoState {
	return s.repos[strings.ToLower(fullName)]
}

// installation is the App installed on one account's repositories.
type installation struct {
	id      int64
	account *user
	created time.Time
}

func (s *state) installationFor(account *user) *installation {
	for _, in := range s.installations {
		if in.account == account {
			return in
		}
	}
	in := &installation{id: s.id(), account: account, created: time.Now().UTC()}
	s.installations = append(s.installations, in)
	return in
}

func (s *state) installationByID(id int64) *installation {
	for _, in := range s.installations {
		if in.id == id {
			return in
		}
	}
	return nil
}

type token struct {
	value   string
	inst    *installation
	expires time.Time
}

// repoState is one repository: its bare git repository and the GitHub
// objects that live beside it.
type repoState struct {
	id            int64
	owner         *user
	name          string
	git           *gitRepo
	defaultBranch string
	parent        *repoState    // set for forks
	inst          *installation // nil when the App is not installed (forks)
	created       time.Time
	pushed        time.Time
	perms         map[string]string // login (lower case) → role
	nextNumber    int
	pulls         map[int]*pullState
	labels        map[string]*labelState // by lower-case name
	statuses      []*statusState
}

func (r *repoState) fullName() string { return r.owner.login + "/" + r.name }

// role is a user's role on the repository: admin, maintain, write, triage,
// read or none. The owner is admin.
func (r *repoState) role(u *user) string {
	if u == r.owner {
		return "admin"
	}
	if p, ok := r.perms[strings.ToLower(u.login)]; ok {
		return p
	}
	return "none"
}

var roleRank = map[string]int{"none": 0, "read": 1, "triage": 2, "write": 3, "maintain": 4, "admin": 5}

// canWrite tells whether a user may push and merge.
func (r *repoState) canWrite(u *user) bool { return roleRank[r.role(u)] >= roleRank["write"] }

type labelState struct {
	id    int64
	name  string
	color string
}

// JSON shapes, built with go-github's types.

func (e *Emulator) userJSON(u *user) *github.User {
	if u == nil {
		return nil
	}
	base := e.url + "/users/" + u.login
	return &github.User{
		Login: ptr(u.login), ID: ptr(u.id), NodeID: ptr(nodeID("U", u.id)), Type: ptr(u.typ),
		SiteAdmin: ptr(false), GravatarID: ptr(""), URL: ptr(base), HTMLURL: ptr(e.url + "/" + u.login),
		AvatarURL: ptr(fmt.Sprintf("%s/avatars/u/%d?v=4", e.url, u.id)),
		ReposURL:  ptr(base + "/repos"), EventsURL: ptr(base + "/events{/privacy}"),
	}
}

func (e *Emulator) repoJSON(r *repoState) *github.Repository {
	api := e.url + "/repos/" + r.fullName()
	out := &github.Repository{
		ID: ptr(r.id), NodeID: ptr(nodeID("R", r.id)), Name: ptr(r.name), FullName: ptr(r.fullName()),
		Owner: e.userJSON(r.owner), Private: ptr(true), Visibility: ptr("private"), Fork: ptr(r.parent != nil),
		HTMLURL: ptr(e.url + "/" + r.fullName()), URL: ptr(api),
		CloneURL: ptr(e.url + "/" + r.fullName() + ".git"), GitURL: ptr(e.url + "/" + r.fullName() + ".git"),
		SSHURL:        ptr("git@" + strings.TrimPrefix(e.url, "http://") + ":" + r.fullName() + ".git"),
		DefaultBranch: ptr(r.defaultBranch), MasterBranch: nil,
		CreatedAt: &github.Timestamp{Time: r.created}, UpdatedAt: &github.Timestamp{Time: r.pushed},
		PushedAt: &github.Timestamp{Time: r.pushed},
		PullsURL: ptr(api + "/pulls{/number}"), StatusesURL: ptr(api + "/statuses/{sha}"),
		CommitsURL: ptr(api + "/commits{/sha}"), ContentsURL: ptr(api + "/contents/{+path}"),
		DeploymentsURL: ptr(api + "/deployments"), IssuesURL: ptr(api + "/issues{/number}"),
		HasIssues: ptr(true), Archived: ptr(false), Disabled: ptr(false),
		AllowMergeCommit: ptr(true), AllowSquashMerge: ptr(true), AllowRebaseMerge: ptr(false),
		Topics: []string{},
	}
	if r.parent != nil {
		out.Parent = e.repoJSON(r.parent)
		out.Source = out.Parent
	}
	return out
}

// nodeID makes a GraphQL-looking node ID; the App only compares them.
func nodeID(prefix string, id int64) string {
	return fmt.Sprintf("%s_kgDO%08d", prefix, id)
}

func ts(t time.Time) *github.Timestamp {
	if t.IsZero() {
		return nil
	}
	return &github.Timestamp{Time: t}
}
