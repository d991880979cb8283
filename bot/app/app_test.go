package app

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gitops-bot/gitops/bot/config"
	"github.com/gitops-bot/gitops/bot/github/emulator"
	"github.com/gitops-bot/gitops/bot/localaws"
	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/tf"
	"github.com/gitops-bot/gitops/internal/toolcheck"
)

// One moto serves the package; each test resets it.
var (
	motoOnce sync.Once
	moto     *localaws.Emulator
	motoErr  error
)

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(runChild(path))
	}
	code := m.Run()
	if moto != nil {
		moto.Close()
	}
	os.Exit(code)
}

const repo = "acme/infra"

type jobEvent struct {
	kind      string
	completed bool
}

type harness struct {
	emu  *emulator.Emulator
	done chan jobEvent
	addr string
}

// world is what the App runs against: a fresh GitHub emulator holding the
// repository's environments/, terraform/ and policy/ (with edit applied to
// the default branch's files, when given), moto, and the App's
// configuration and terraform options pointing at both.
type world struct {
	emu *emulator.Emulator
	cfg config.Config
	tf  tf.Options
}

func newWorld(t *testing.T, edit ...func(files map[string][]byte)) world {
	t.Helper()
	toolcheck.Require(t, "terraform")
	toolcheck.RequireModule(t, "moto", "pip install 'moto[server]==5.2.1'")
	ctx := context.Background()
	motoOnce.Do(func() { moto, motoErr = localaws.Start(ctx, localaws.Options{}) })
	if motoErr != nil {
		t.Fatal(motoErr)
	}
	if err := moto.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	backend := localaws.Backend{Bucket: "tfstate", Table: "tflock", Region: "us-east-1"}
	if err := moto.Bootstrap(ctx, backend); err != nil {
		t.Fatal(err)
	}
	w := emulatorWorld(t, edit...)
	w.cfg.State = config.State{Bucket: backend.Bucket, Table: backend.Table, Region: backend.Region}
	w.tf = tf.Options{Backend: tf.Backend{Endpoint: moto.Endpoint()}, Env: moto.Env(), Vars: map[string]string{"aws_max_retries": "2"}}
	return w
}

// emulatorWorld is a world without moto: a fresh GitHub emulator holding
// the repository and the App's configuration pointing at it. Terraform
// cannot run in it; the tests of releases, whose AWS is an ecsfake and
// whose stack outputs are given, need neither.
func emulatorWorld(t *testing.T, edit ...func(files map[string][]byte)) world {
	t.Helper()
	ctx := context.Background()
	emu, err := emulator.New(emulator.Options{WebhookSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	files := repoFiles(t)
	for _, e := range edit {
		e(files)
	}
	if _, err := emu.CreateRepo(ctx, repo, files); err != nil {
		t.Fatal(err)
	}
	for user, role := range map[string]string{"alice": emulator.RoleWrite, "bob": emulator.RoleMaintain, "carol": emulator.RoleRead} {
		if err := emu.SetPermission(repo, user, role); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	cfg := config.Default()
	cfg.GitHubURL, cfg.AppID = emu.URL(), emu.AppID()
	cfg.AppKeyFile, cfg.WebhookSecretFile = filepath.Join(dir, "key.pem"), filepath.Join(dir, "secret")
	if err := os.WriteFile(cfg.AppKeyFile, emu.PrivateKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.WebhookSecretFile, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Repos, cfg.DataDir, cfg.Listen, cfg.Workers = []string{repo}, filepath.Join(dir, "data"), "127.0.0.1:0", 2
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return world{emu: emu, cfg: cfg}
}

// start runs the App in this process against a new world.
func start(t *testing.T, edit ...func(files map[string][]byte)) *harness {
	t.Helper()
	return startIn(t, newWorld(t, edit...), Options{})
}

// startIn runs the App in this process against w, with the options opts
// gives besides those of the world and the harness (an AWS fake's
// configuration, the release engine's, stack outputs).
func startIn(t *testing.T, w world, opts Options) *harness {
	t.Helper()
	h := &harness{emu: w.emu, done: make(chan jobEvent, 100)}
	runCtx, stop := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	exited := make(chan error, 1)
	go func() {
		opts.TF, opts.Logger = w.tf, testLogger()
		opts.Ready = func(addr string) { ready <- addr }
		opts.JobDone = func(kind string, completed bool) { h.done <- jobEvent{kind, completed} }
		exited <- Run(runCtx, w.cfg, opts)
	}()
	t.Cleanup(func() {
		stop()
		if err := <-exited; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case addr := <-ready:
		h.addr = addr
		if err := w.emu.SetWebhookURL("http://" + addr + "/webhook"); err != nil {
			t.Fatal(err)
		}
	case err := <-exited:
		t.Fatalf("serve: %v", err)
	}
	return h
}

// wait waits for the next job of kind to complete (failed attempts are
// retried by River and waited through); the deadline only guards a hang.
func (h *harness) wait(t *testing.T, kind string) {
	t.Helper()
	deadline := time.NewTimer(15 * time.Minute)
	defer deadline.Stop()
	for {
		select {
		case ev := <-h.done:
			if ev.kind == kind && ev.completed {
				return
			}
		case <-deadline.C:
			t.Fatalf("no %s job completed", kind)
		}
	}
}

// waitEnd waits for the next job of kind to end, completed or not (failed
// or snoozed, to run again later).
func (h *harness) waitEnd(t *testing.T, kind string) jobEvent {
	t.Helper()
	deadline := time.NewTimer(15 * time.Minute)
	defer deadline.Stop()
	for {
		select {
		case ev := <-h.done:
			if ev.kind == kind {
				return ev
			}
		case <-deadline.C:
			t.Fatalf("no %s job ended", kind)
		}
	}
}

// sticky returns the bot's sticky comments on a pull request.
func (h *harness) sticky(number int) []emulator.Comment { return stickyOf(h.emu, number) }

func repoFiles(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, top := range []string{"environments", "terraform", "policy", "releases"} {
		err := filepath.WalkDir(filepath.Join("..", "..", top), func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || !e.Type().IsRegular() {
				return err
			}
			rel, _ := filepath.Rel(filepath.Join("..", ".."), p)
			data, err := os.ReadFile(p)
			out[filepath.ToSlash(rel)] = data
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestPullRequestsLocksDuplicatesAndFaults(t *testing.T) {
	ctx := context.Background()
	h := start(t)
	dev := h.emu // shorthand for the user actions below
	spec, err := os.ReadFile("../../environments/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	scaled := []byte(strings.Replace(string(spec), "retention_days: 7", "retention_days: 14", 1))
	if _, err := dev.Push(ctx, repo, "alice", "logs", map[string][]byte{"environments/dev.yaml": scaled}, "dev: keep logs 14 days"); err != nil {
		t.Fatal(err)
	}
	pr1, err := dev.OpenPR(ctx, repo, "alice", "logs", "main", "Keep dev logs longer", "")
	if err != nil {
		t.Fatal(err)
	}
	h.wait(t, "pr_plan")

	t.Run("the pull request gets one comment with its plan, cost and policy", func(t *testing.T) {
		s := h.sticky(pr1.Number)
		if len(s) != 1 || !strings.Contains(s[0].Body, "## dev") || !strings.Contains(s[0].Body, "Cost") || !strings.Contains(s[0].Body, "Policy") {
			t.Fatalf("sticky comments: %+v", s)
		}
		runs := dev.CheckRuns(repo)
		if len(runs) != 1 || runs[0].Name != "gitops/plan (dev)" {
			t.Fatalf("check runs: %+v", runs)
		}
	})

	t.Run("the same delivery three times and under a new id plans once", func(t *testing.T) {
		before := h.sticky(pr1.Number)
		opened := dev.DeliveriesOf("pull_request", "opened")
		if len(opened) == 0 {
			t.Fatal("no opened delivery recorded")
		}
		id := opened[len(opened)-1].ID
		for range 2 {
			if d, err := dev.Redeliver(ctx, id); err != nil || d.Status != 202 {
				t.Fatalf("redeliver: %d %v", d.Status, err)
			}
		}
		if d, err := dev.Resend(ctx, id); err != nil || d.Status != 202 {
			t.Fatalf("resend: %d %v", d.Status, err)
		}
		// The server answered each as a duplicate: nothing was enqueued.
		resp, err := http.Get("http://" + h.addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := `gitops_webhook_deliveries_total{event="pull_request",outcome="duplicate"} 3`; !strings.Contains(string(metrics), want) {
			t.Fatalf("metrics lack %s:\n%s", want, metrics)
		}
		if s := h.sticky(pr1.Number); len(s) != 1 || s[0].Edits != before[0].Edits {
			t.Fatalf("after duplicates: %d sticky comments, %d edits (%d before); want the one comment, untouched", len(s), s[0].Edits, before[0].Edits)
		}
	})

	t.Run("a second pull request on dev is told who holds the lock", func(t *testing.T) {
		if _, err := dev.Push(ctx, repo, "alice", "other", map[string][]byte{"environments/dev.yaml": []byte(strings.Replace(string(spec), "retention_days: 7", "retention_days: 30", 1))}, "dev: 30 days"); err != nil {
			t.Fatal(err)
		}
		pr2, err := dev.OpenPR(ctx, repo, "alice", "other", "main", "Keep dev logs a month", "")
		if err != nil {
			t.Fatal(err)
		}
		h.wait(t, "pr_plan")
		s := h.sticky(pr2.Number)
		if len(s) != 1 || !strings.Contains(s[0].Body, "#1") {
			t.Fatalf("second PR's comment does not name the holder:\n%+v", s)
		}
		var locked bool
		for _, r := range dev.CheckRuns(repo) {
			locked = locked || (r.HeadSHA == pr2.HeadSHA && r.Conclusion == "failure" && strings.Contains(r.Title, "locked by #1"))
		}
		if !locked {
			t.Fatalf("no failing check run says the lock is held: %+v", dev.CheckRuns(repo))
		}
	})

	t.Run("the Apply button goes through the same permission check as /apply", func(t *testing.T) {
		runs := dev.CheckRuns(repo)
		// alice may press it (write access) but may not apply (maintain).
		if err := dev.RequestCheckRunAction(ctx, repo, "alice", runs[0].ID, "apply"); err != nil {
			t.Fatal(err)
		}
		h.wait(t, "apply")
		cs := dev.Comments(repo, pr1.Number)
		last := cs[len(cs)-1].Body
		if !strings.HasPrefix(last, "@alice 🚫 `the Apply button` **was refused**") || !strings.Contains(last, "needs the maintain role") {
			t.Fatalf("refusal: %q", last)
		}
	})

	t.Run("with 20 % of GitHub calls failing, a push still ends with one up-to-date comment", func(t *testing.T) {
		dev.SetFaults(emulator.Faults{Rate: 0.2, Seed: 42, Kinds: emulator.Fault502 | emulator.FaultSecondaryRateLimit})
		head, err := dev.Push(ctx, repo, "alice", "logs", map[string][]byte{"environments/dev.yaml": []byte(strings.Replace(string(spec), "retention_days: 7", "retention_days: 60", 1))}, "dev: 60 days")
		if err != nil {
			t.Fatal(err)
		}
		h.wait(t, "pr_plan")
		dev.SetFaults(emulator.Faults{})
		s := h.sticky(pr1.Number)
		if len(s) != 1 {
			t.Fatalf("%d sticky comments, want 1", len(s))
		}
		if sha, ok := report.StickyHeadSHA(s[0].Body); !ok || sha != head {
			t.Fatalf("the comment describes %s, want the new head %s", sha, head)
		}
	})
}

func TestAPullRequestThatEditsPolicyIsGatedByTheDefaultBranchsRules(t *testing.T) {
	ctx := context.Background()
	// On main, dev's budget is enforced: any plan of dev is denied.
	h := start(t, func(files map[string][]byte) {
		files["environments/dev.yaml"] = []byte(strings.Replace(string(files["environments/dev.yaml"]), "enforce: false", "enforce: true", 1))
		files["policy/OWNERS"] = []byte("budget @bob\n")
	})
	if err := h.emu.SetPermission(repo, "erin", emulator.RoleMaintain); err != nil {
		t.Fatal(err)
	}
	spec, err := h.emu.FileAt(ctx, repo, "main", "environments/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rule, err := h.emu.FileAt(ctx, repo, "main", "policy/budget.rego")
	if err != nil {
		t.Fatal(err)
	}
	// The pull request changes dev and drops the budget's deny.
	lenient := strings.Replace(string(rule), `deny contains lib.verdict("budget", "budget.monthly_usd", over_budget) if input.cost.enforce == true`, "", 1)
	if lenient == string(rule) {
		t.Fatal("the budget rule no longer has the deny this test removes")
	}
	// It also makes erin an owner of the rule.
	if _, err := h.emu.Push(ctx, repo, "alice", "self-approve", map[string][]byte{
		"environments/dev.yaml": []byte(strings.Replace(string(spec), "retention_days: 7", "retention_days: 14", 1)),
		"policy/budget.rego":    []byte(lenient),
		"policy/OWNERS":         []byte("budget @erin\n"),
	}, "dev: longer logs, and a budget rule that lets it through"); err != nil {
		t.Fatal(err)
	}
	pr, err := h.emu.OpenPR(ctx, repo, "alice", "self-approve", "main", "Longer logs", "")
	if err != nil {
		t.Fatal(err)
	}
	h.wait(t, "pr_plan")
	s := h.sticky(pr.Number)
	if len(s) != 1 || !strings.Contains(s[0].Body, "`budget`") || !strings.Contains(s[0].Body, "❌") {
		t.Fatalf("the PR's own rules were its gate; comment:\n%+v", s)
	}
	// Its own rules are shown, as a preview: they would let it through.
	_, preview, ok := strings.Cut(s[0].Body, "Preview of the rules this pull request proposes — dev: ")
	if !ok || strings.HasPrefix(preview, "❌") || strings.HasPrefix(preview, "🛑") {
		t.Fatalf("no passing preview of the proposed rules in the comment:\n%s", s[0].Body)
	}
	for _, r := range h.emu.CheckRuns(repo) {
		if r.Name == "gitops/plan (dev)" && r.Conclusion != "failure" {
			t.Fatalf("check run %s concluded %s, want failure under the default branch's deny", r.Name, r.Conclusion)
		}
	}

	t.Run("an owner named only by the pull request's OWNERS may not override", func(t *testing.T) {
		if _, err := h.emu.Comment(ctx, repo, "erin", pr.Number, "/approve-policy budget dev"); err != nil {
			t.Fatal(err)
		}
		h.wait(t, "command")
		cs := h.emu.Comments(repo, pr.Number)
		last := cs[len(cs)-1].Body
		if !strings.Contains(last, "@erin is not an owner of rule `budget` in policy/OWNERS on main") || !strings.Contains(last, "@bob") {
			t.Fatalf("reply: %q", last)
		}
	})

	t.Run("an owner from the default branch lifts the deny for this pull request", func(t *testing.T) {
		if _, err := h.emu.Comment(ctx, repo, "bob", pr.Number, "/approve-policy budget dev"); err != nil {
			t.Fatal(err)
		}
		h.wait(t, "command")
		h.wait(t, "pr_plan")
		s := h.sticky(pr.Number)
		if len(s) != 1 || !strings.Contains(s[0].Body, "overridden by @bob") {
			t.Fatalf("the comment does not show the override:\n%+v", s)
		}
		for _, r := range h.emu.CheckRuns(repo) {
			if r.Name == "gitops/plan (dev)" && r.Conclusion != "success" {
				t.Fatalf("check run %s concluded %s after the override, want success", r.Name, r.Conclusion)
			}
		}
	})
}

func TestAMergeWhosePlanDiffersWaitsForApplyThenAppliesTheMergeCommitsPlan(t *testing.T) {
	ctx := context.Background()
	h := start(t)
	spec, err := h.emu.FileAt(ctx, repo, "main", "environments/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.emu.Push(ctx, repo, "alice", "logs", map[string][]byte{"environments/dev.yaml": []byte(strings.Replace(string(spec), "retention_days: 7", "retention_days: 14", 1))}, "dev: keep logs 14 days"); err != nil {
		t.Fatal(err)
	}
	pr, err := h.emu.OpenPR(ctx, repo, "alice", "logs", "main", "Keep dev logs longer", "")
	if err != nil {
		t.Fatal(err)
	}
	h.wait(t, "pr_plan")
	// After the review, someone changes dev on main directly: the merge
	// commit carries a change nobody reviewed in this pull request.
	moved := strings.Replace(string(spec), "    memory: 512\n    desired_count: 1", "    memory: 512\n    desired_count: 2", 1)
	if moved == string(spec) {
		t.Fatal("dev.yaml no longer has the service this test scales")
	}
	if _, err := h.emu.Push(ctx, repo, "bob", "main", map[string][]byte{"environments/dev.yaml": []byte(moved)}, "dev: two user tasks"); err != nil {
		t.Fatal(err)
	}
	if err := h.emu.Review(ctx, repo, "bob", pr.Number, "APPROVE"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.emu.Merge(ctx, repo, "bob", pr.Number); err != nil {
		t.Fatal(err)
	}
	h.wait(t, "pr_closed")
	cs := h.emu.Comments(repo, pr.Number)
	merged := cs[len(cs)-1].Body
	if !strings.Contains(merged, "differs from the plan reviewed here") || !strings.Contains(merged, `module.ecs_service["user"]`) {
		t.Fatalf("the merge comment does not show the difference:\n%s", merged)
	}
	if !h.locked(t, "dev") {
		t.Fatal("the lock of dev was released although nothing was applied")
	}

	if _, err := h.emu.Comment(ctx, repo, "bob", pr.Number, "/apply dev"); err != nil {
		t.Fatal(err)
	}
	h.wait(t, "apply")
	cs = h.emu.Comments(repo, pr.Number)
	if last := cs[len(cs)-1].Body; !strings.Contains(last, "✅ **Applied dev**") {
		t.Fatalf("/apply after the merge: %s", last)
	}
	if h.locked(t, "dev") {
		t.Fatal("the lock of dev stayed after the merge commit's plan was applied")
	}
}

// locked reports whether the status page lists env among the locks.
func (h *harness) locked(t *testing.T, env string) bool {
	t.Helper()
	locks, _, _ := strings.Cut(h.get(t, "/"), "<h2>Recent runs</h2>")
	return strings.Contains(locks, "<td>"+env+"</td>")
}

// get is a page of the App's status server.
func (h *harness) get(t *testing.T, path string) string {
	t.Helper()
	resp, err := http.Get("http://" + h.addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testLogger shows the App's logs when GITOPS_TEST_LOG is set (debugging a
// test); otherwise they are discarded.
func testLogger() *slog.Logger {
	if os.Getenv("GITOPS_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}
