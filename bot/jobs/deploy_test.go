package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/gitops-bot/gitops/bot/config"
	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/github"
	"github.com/gitops-bot/gitops/bot/release"
	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/store"
)

// fakeGitHub is one repository's files at two commits, its comments and
// its deployments: the calls the deploy job makes.
type fakeGitHub struct {
	Client // the calls the deploy job does not make panic

	mu          sync.Mutex
	files       map[string]map[string][]byte // ref → path → content
	comments    map[int64]string
	edits       int
	deployments []github.Deployment
	statuses    []string
	nextID      int64
}

// installation is the GitHub of one installation.
type installation struct{ c Client }

func (i installation) Client(int64) Client { return i.c }

func (f *fakeGitHub) PullRequest(_ context.Context, repo string, n int) (*github.PR, error) {
	return &github.PR{Number: n, State: "closed", Merged: true, HTMLURL: fmt.Sprintf("https://github.com/%s/pull/%d", repo, n)}, nil
}

func (f *fakeGitHub) FileContent(_ context.Context, repo, ref, path string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b, ok := f.files[ref][path]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("%s at %s: %w", path, ref, github.ErrNotFound)
}

func (f *fakeGitHub) MarkedComment(_ context.Context, _ string, _ int, marker string) (int64, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, body := range f.comments {
		if strings.HasPrefix(body, marker) {
			return id, body, nil
		}
	}
	return 0, "", nil
}

func (f *fakeGitHub) CreateComment(_ context.Context, _ string, _ int, body string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	f.comments[f.nextID] = body
	return f.nextID, nil
}

func (f *fakeGitHub) EditComment(_ context.Context, _ string, id int64, body string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.comments[id] = body
	f.edits++
	return nil
}

func (f *fakeGitHub) React(context.Context, string, int64, string) error { return nil }

func (f *fakeGitHub) CreateDeployment(_ context.Context, _ string, d github.Deployment) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deployments = append(f.deployments, d)
	f.nextID++
	return f.nextID, nil
}

func (f *fakeGitHub) DeploymentStatus(_ context.Context, _ string, id int64, state, _, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses = append(f.statuses, fmt.Sprintf("%d:%s", id, state))
	return nil
}

// fakeEngine records the deploys asked of it; each records ui's rollback
// point and succeeds.
type fakeEngine struct {
	Engine
	mu      sync.Mutex
	deploys []deploy.DeployRequest
}

func (e *fakeEngine) Deploy(_ context.Context, req deploy.DeployRequest) (*deploy.DeployResult, error) {
	e.mu.Lock()
	e.deploys = append(e.deploys, req)
	e.mu.Unlock()
	req.Progress(deploy.Event{Step: deploy.StepRecord, Service: "ui", Status: deploy.StatusSucceeded, TaskDefinition: "arn:aws:ecs:us-east-1:1:task-definition/staging-inventory-ui:1"})
	req.Progress(deploy.Event{Step: deploy.StepRoll, Status: deploy.StatusSucceeded})
	return &deploy.DeployResult{Succeeded: true}, nil
}

const (
	mergeSHA = "1111111111111111111111111111111111111111"
	baseSHA  = "2222222222222222222222222222222222222222"
)

func releaseFile(version, digit string) []byte {
	return []byte(fmt.Sprintf("environment: staging\nversion: %s\nimages:\n  ui: {repository: inventory-management/ui, tag: %s, digest: \"sha256:%s\"}\n", version, version, strings.Repeat(digit, 64)))
}

// deployDeps are Deps with a real SQLite store, fakeGitHub holding staging's
// release at v1.1.0 before the merge and v1.2.0 after, and fakeEngine.
func deployDeps(t *testing.T) (*Deps, *fakeGitHub, *fakeEngine) {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "gitops.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	gh := &fakeGitHub{comments: map[int64]string{}, nextID: 100, files: map[string]map[string][]byte{
		mergeSHA: {"releases/staging.yaml": releaseFile("v1.2.0", "b")},
		baseSHA:  {"releases/staging.yaml": releaseFile("v1.1.0", "a")},
	}}
	eng := &fakeEngine{}
	outputs := map[string]any{
		"cluster_name": "staging-inventory", "task_definition_families": map[string]string{"ui": "staging-inventory-ui"},
		"migration_task_family": "staging-inventory-migrate", "private_subnet_ids": []string{"subnet-1"}, "ecs_security_group_id": "sg-1",
		"ecr_repository_urls": map[string]string{"ui": "1.dkr.ecr.us-east-1.amazonaws.com/inventory-management/ui"},
		"spec":                map[string]any{"region": "us-east-1", "services": map[string]any{"ui": map[string]bool{"public": true}}},
	}
	raw := map[string]json.RawMessage{}
	for k, v := range outputs {
		raw[k], _ = json.Marshal(v)
	}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	d := &Deps{Store: st, GitHub: installation{gh}, Config: cfg,
		Engine:  func(context.Context, string) (Engine, error) { return eng, nil },
		Outputs: func(context.Context, string) (map[string]json.RawMessage, error) { return raw, nil },
	}
	return d, gh, eng
}

func deployJob(id int64, a DeployArgs) *river.Job[DeployArgs] {
	return &river.Job[DeployArgs]{JobRow: &rivertype.JobRow{ID: id}, Args: a}
}

var stagingDeploy = DeployArgs{Repo: "acme/infra", PR: 7, Env: "staging", MergeSHA: mergeSHA, BaseSHA: baseSHA, InstallationID: 1}

func TestADeployJobRunAgainDeploysOnce(t *testing.T) {
	ctx := context.Background()
	d, gh, eng := deployDeps(t)
	w := &DeployWorker{d: d}
	if err := w.Work(ctx, deployJob(1, stagingDeploy)); err != nil {
		t.Fatal(err)
	}
	// The same merge's deploy again: a duplicate job, and /deploy --now.
	if err := w.Work(ctx, deployJob(2, stagingDeploy)); err != nil {
		t.Fatal(err)
	}
	now := stagingDeploy
	now.NowBy = "bob"
	if err := w.Work(ctx, deployJob(3, now)); err != nil {
		t.Fatal(err)
	}
	if len(eng.deploys) != 1 || len(gh.deployments) != 1 {
		t.Fatalf("%d deploys and %d GitHub deployments, want 1 each", len(eng.deploys), len(gh.deployments))
	}
	if want := []string{"101:in_progress", "101:success"}; !reflect.DeepEqual(gh.statuses, want) {
		t.Errorf("deployment statuses %v, want %v", gh.statuses, want)
	}
	if got := eng.deploys[0].DeploymentID; got != "github-101" {
		t.Errorf("deployment id %q, want the GitHub deployment's", got)
	}
	locks, err := d.Store.Locks(ctx, "acme/infra")
	if err != nil || len(locks) != 0 {
		t.Fatalf("locks after the deploys: %+v, %v; want none", locks, err)
	}
}

func TestADeployResumedAfterItsProcessDiedGoesOnWithTheSameDeployment(t *testing.T) {
	ctx := context.Background()
	d, gh, eng := deployDeps(t)
	// Job 5 had begun the deploy, created GitHub deployment 55 and recorded
	// ui's rollback point when its process died; the queue hands it back.
	run, _, err := d.Store.BeginRun(ctx, store.Run{Kind: store.RunDeploy, Repo: "acme/infra", PR: 7, Env: "staging", JobID: 5, Key: deployKey(stagingDeploy)})
	if err != nil {
		t.Fatal(err)
	}
	const point = "arn:aws:ecs:us-east-1:1:task-definition/staging-inventory-ui:1"
	if err := d.Store.AppendLog(ctx, run.ID, []byte(journalDeployment+"55\n14:02:00 record ui: succeeded\n"+journalRollbackPoint+"ui "+point+"\n")); err != nil {
		t.Fatal(err)
	}
	if err := (&DeployWorker{d: d}).Work(ctx, deployJob(5, stagingDeploy)); err != nil {
		t.Fatal(err)
	}
	if len(gh.deployments) != 0 {
		t.Errorf("a second GitHub deployment was created: %+v", gh.deployments)
	}
	if len(eng.deploys) != 1 {
		t.Fatalf("%d deploys, want 1", len(eng.deploys))
	}
	req := eng.deploys[0]
	if req.DeploymentID != "github-55" || !reflect.DeepEqual(req.RollbackTo, map[string]string{"ui": point}) {
		t.Fatalf("resumed with deployment %q and rollback points %v; want the first attempt's", req.DeploymentID, req.RollbackTo)
	}
	if got, _ := d.Store.RunByID(ctx, run.ID); got.Status != store.RunSucceeded {
		t.Errorf("run %s, want succeeded", got.Status)
	}
}

func TestADeployWaitsForTheLockAndSaysOnceWhoHoldsIt(t *testing.T) {
	ctx := context.Background()
	d, gh, eng := deployDeps(t)
	if _, ok, err := d.Store.TryLock(ctx, store.Lock{Repo: "acme/infra", Env: "staging", Holder: holder(5), PR: 5, URL: "https://github.com/acme/infra/pull/5"}); err != nil || !ok {
		t.Fatalf("lock: %v %v", ok, err)
	}
	w := &DeployWorker{d: d}
	for range 2 {
		err := w.Work(ctx, deployJob(1, stagingDeploy))
		var snooze *river.JobSnoozeError
		if !errors.As(err, &snooze) || snooze.Duration != lockRetry {
			t.Fatalf("with the lock held: %v, want a snooze of %s", err, lockRetry)
		}
	}
	if len(gh.comments) != 1 || gh.edits != 0 {
		t.Fatalf("%d comments, %d edits; want one comment, never edited", len(gh.comments), gh.edits)
	}
	for _, body := range gh.comments {
		if !strings.Contains(body, "held by [#5](https://github.com/acme/infra/pull/5)") {
			t.Errorf("the comment does not name the holder:\n%s", body)
		}
	}
	if len(eng.deploys) != 0 {
		t.Fatal("deployed while another held the lock")
	}
	if _, err := d.Store.Unlock(ctx, "acme/infra", "staging", holder(5)); err != nil {
		t.Fatal(err)
	}
	if err := w.Work(ctx, deployJob(1, stagingDeploy)); err != nil {
		t.Fatal(err)
	}
	if len(eng.deploys) != 1 || len(gh.comments) != 1 {
		t.Fatalf("%d deploys, %d comments; want the deploy in the one comment", len(eng.deploys), len(gh.comments))
	}
	for _, body := range gh.comments {
		if !strings.HasPrefix(body, report.DeployCommentMarker("staging")) || !strings.Contains(body, "✅ **Deployed**") {
			t.Errorf("the comment after the deploy:\n%s", body)
		}
	}
}

func TestReleaseEnvs(t *testing.T) {
	for _, tt := range []struct {
		files []string
		want  []string
	}{
		{nil, nil},
		{[]string{"environments/staging.yaml", "README.md"}, nil},
		{[]string{"releases/staging.yaml", "releases/dev.yaml", "releases/staging.yaml"}, []string{"dev", "staging"}},
		{[]string{"releases/schema.json", "releases/old/staging.yaml", "releases/.yaml"}, nil},
	} {
		if got := releaseEnvs(tt.files); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("releaseEnvs(%v) = %v, want %v", tt.files, got, tt.want)
		}
	}
}

func TestReadJournal(t *testing.T) {
	log := journalDeployment + "12\n" +
		"14:02:00 record ui: succeeded: rollback point ui:1\n" +
		journalRollbackPoint + "ui td/ui:1\n" +
		journalRollbackPoint + "user td/user:4\n" +
		journalRollbackPoint + "ui td/ui:2\n" // a later attempt's: the first stays
	j := readJournal([]byte(log))
	if j.deployment != 12 || !reflect.DeepEqual(j.rollbackTo, map[string]string{"ui": "td/ui:1", "user": "td/user:4"}) {
		t.Fatalf("journal %+v", j)
	}
	if j := readJournal(nil); j.deployment != 0 || j.rollbackTo != nil {
		t.Fatalf("empty journal %+v", j)
	}
}

func TestSeedOrder(t *testing.T) {
	rel := &release.Release{Environment: "staging", Version: "v1.2.0", Seed: []release.SeedStep{{Name: "roles"}, {Name: "inventory"}, {Name: "movements"}}}
	for _, tt := range []struct {
		name    string
		asked   []string
		want    []string
		wantErr string
	}{
		{"none asked: every step", nil, []string{"roles", "inventory", "movements"}, ""},
		{"the file's order, not the comment's", []string{"movements", "roles"}, []string{"roles", "movements"}, ""},
		{"an unknown step names the known ones", []string{"stock", "roles"}, nil, "unknown seed step(s) stock; staging has roles, inventory, movements"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := seedOrder(rel, tt.asked)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("seedOrder = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if _, err := seedOrder(&release.Release{Environment: "dev", Version: "v1"}, nil); err == nil {
		t.Error("a release without seed steps: no error")
	}
}

// Permission, DefaultBranch and ListDir, for the command job.
func (f *fakeGitHub) Permission(_ context.Context, _, user string) (string, error) {
	return map[string]string{"alice": "write", "carol": "read"}[user], nil
}

func (f *fakeGitHub) DefaultBranch(context.Context, string) (string, string, error) {
	return "main", "https://github.com/acme/infra.git", nil
}

func (f *fakeGitHub) ListDir(_ context.Context, _, ref, dir string) ([]string, error) {
	if ref != "main" || dir != "releases" {
		return nil, github.ErrNotFound
	}
	return []string{"dev.yaml", "schema.json", "staging.yaml"}, nil
}

func TestSeedIsTheOneCommandOnAnIssue(t *testing.T) {
	ctx := context.Background()
	d, gh, _ := deployDeps(t)
	w := &CommandWorker{d: d}
	// An issue (no pull_request links), commented by user.
	comment := func(id int64, user, body string) {
		t.Helper()
		payload, _ := json.Marshal(map[string]any{
			"action": "created", "repository": map[string]any{"full_name": "acme/infra"}, "installation": map[string]any{"id": 1},
			"issue": map[string]any{"number": 12}, "sender": map[string]any{"login": user},
			"comment": map[string]any{"id": id, "body": body},
		})
		del := store.Delivery{ID: fmt.Sprint("d", id), Event: "issue_comment", Action: "created", Repo: "acme/infra", Number: 12, CommentID: id, Payload: payload}
		if _, err := d.Store.RecordDelivery(ctx, del); err != nil {
			t.Fatal(err)
		}
		job := &river.Job[CommandArgs]{JobRow: &rivertype.JobRow{ID: id}, Args: CommandArgs{DeliveryID: del.ID}}
		if err := w.Work(ctx, job); err != nil {
			t.Fatal(err)
		}
	}
	seeds := func() int64 {
		t.Helper()
		counts, err := d.Store.JobCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, c := range counts {
			if c.Kind == "seed" {
				n += c.Count
			}
		}
		return n
	}

	comment(1, "alice", "/plan staging")
	if len(gh.comments) != 0 || seeds() != 0 {
		t.Fatalf("/plan on an issue: %d comments, %d seeds; want it ignored", len(gh.comments), seeds())
	}
	comment(2, "carol", "/seed staging")
	if seeds() != 0 || len(gh.comments) != 1 {
		t.Fatalf("/seed by a reader: %d seeds, %d replies", seeds(), len(gh.comments))
	}
	for _, body := range gh.comments {
		if !strings.Contains(body, "needs the write role") {
			t.Errorf("reply to a reader's /seed: %s", body)
		}
	}
	comment(3, "alice", "/seed staging roles")
	if seeds() != 1 {
		t.Fatalf("/seed staging roles by a writer: %d seed jobs, want 1", seeds())
	}
}
