package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/github/emulator"
	"github.com/gitops-bot/gitops/bot/localaws/ecsfake"
	"github.com/gitops-bot/gitops/bot/release"
	"github.com/gitops-bot/gitops/bot/report"
)

var migrate = []string{"alembic", "upgrade", "head"}

// releaseWorld is staging's inventory-management in an ecsfake at v1.1.0,
// on a real clock with rollouts of a fraction of a second, with v1.2.0's
// images pushed, and the App running against it: its AWS is the fake's, its
// stack outputs those the stack would have for it, and its release engine
// polls every 20ms. No terraform and no moto.
type releaseWorld struct {
	*harness
	fake   *ecsfake.Fake
	seeded *ecsfake.Seeded
	ecs    *ecs.Client
	// next are v1.2.0's digests by service.
	next map[string]string
}

func startRelease(t *testing.T) *releaseWorld {
	t.Helper()
	fake := ecsfake.Start(ecsfake.Options{RolloutDuration: 300 * time.Millisecond, TaskStartDuration: 30 * time.Millisecond, TaskRunTime: 60 * time.Millisecond})
	t.Cleanup(fake.Close)
	seeded, err := fake.Seed(ecsfake.Inventory{})
	if err != nil {
		t.Fatal(err)
	}
	r := &releaseWorld{fake: fake, seeded: seeded, ecs: ecs.NewFromConfig(fake.Config()), next: map[string]string{}}
	for _, name := range ecsfake.ServiceNames() {
		r.next[name] = fake.AddImage(seeded.Services[name].Repository, "v1.2.0", "")
	}
	outputs := stackOutputs(t, fake, seeded)
	poll := 20 * time.Millisecond
	r.harness = startIn(t, emulatorWorld(t), Options{
		AWS: func(context.Context, string) (aws.Config, error) { return fake.Config(), nil },
		Engine: func(c *deploy.Config) {
			c.Poll = deploy.Intervals{Task: poll, Rollout: poll, Health: poll, Smoke: poll, Bake: poll}
		},
		Outputs: func(_ context.Context, env string) (map[string]json.RawMessage, error) {
			if env != "staging" {
				return nil, fmt.Errorf("no stack outputs of %s in this test", env)
			}
			return outputs, nil
		},
	})
	return r
}

// stackOutputs are the outputs terraform/stack would have for the seeded
// inventory (the names ecsfake.Seed documents).
func stackOutputs(t *testing.T, f *ecsfake.Fake, s *ecsfake.Seeded) map[string]json.RawMessage {
	t.Helper()
	families, repos, services := map[string]string{}, map[string]string{}, map[string]any{}
	for name, svc := range s.Services {
		families[name] = svc.Family
		repos[name] = f.Registry() + "/" + svc.Repository
		services[name] = map[string]bool{"public": svc.TargetGroupArn != ""}
	}
	out := map[string]json.RawMessage{}
	for k, v := range map[string]any{
		"cluster_name": s.Cluster, "task_definition_families": families, "migration_task_family": s.Migration.Family,
		"private_subnet_ids": []string{"subnet-0a"}, "ecs_security_group_id": "sg-0a", "ecr_repository_urls": repos,
		"alb_dns_name": strings.TrimPrefix(f.ALBURL(), "http://"), "spec": map[string]any{"region": "us-east-1", "services": services},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = b
	}
	return out
}

// mergeRelease opens a pull request that moves releases/staging.yaml to
// v1.2.0 (every image pinned to the fake's digest), with extra appended to
// the file, and merges it as bob; it returns the pull request's number and
// the merge commit.
func (r *releaseWorld) mergeRelease(t *testing.T, branch, extra string) (int, string) {
	t.Helper()
	ctx := context.Background()
	const path = "releases/staging.yaml"
	cur, err := r.emu.FileAt(ctx, repo, "main", path)
	if err != nil {
		t.Fatal(err)
	}
	images := map[string]release.Image{}
	for name, digest := range r.next {
		images[name] = release.Image{Repository: r.seeded.Services[name].Repository, Tag: "v1.2.0", Digest: digest}
	}
	next, err := release.Next(path, cur, release.Update{Version: "v1.2.0", Images: images})
	if err != nil {
		t.Fatal(err)
	}
	next = append(next, extra...)
	if _, err := release.Decode(path, next); err != nil {
		t.Fatal(err)
	}
	if _, err := r.emu.Push(ctx, repo, "alice", branch, map[string][]byte{path: next}, "release v1.2.0 to staging"); err != nil {
		t.Fatal(err)
	}
	pr, err := r.emu.OpenPR(ctx, repo, "alice", branch, "main", "Release v1.2.0 to staging", "")
	if err != nil {
		t.Fatal(err)
	}
	sha, err := r.emu.Merge(ctx, repo, "bob", pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	return pr.Number, sha
}

// deployComment is the bot's deploy comment on a pull request.
func (r *releaseWorld) deployComment(t *testing.T, pr int) emulator.Comment {
	t.Helper()
	var found []emulator.Comment
	for _, c := range r.emu.Comments(repo, pr) {
		if strings.HasPrefix(c.Body, report.DeployCommentMarker("staging")+"\n") {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d deploy comments on #%d, want 1: %+v", len(found), pr, r.emu.Comments(repo, pr))
	}
	return found[0]
}

// deploymentStates are the states of each GitHub deployment of staging.
func (r *releaseWorld) deploymentStates(sha string) [][]string {
	var out [][]string
	for _, d := range r.emu.Deployments(repo) {
		if d.Environment != "staging" || d.SHA != sha {
			continue
		}
		var states []string
		for _, s := range d.Statuses {
			states = append(states, s.State)
		}
		out = append(out, states)
	}
	return out
}

// images are the images the services' task definitions run now, and the
// task definitions, by service.
func (r *releaseWorld) running(t *testing.T) (images, tds map[string]string) {
	t.Helper()
	ctx := context.Background()
	out, err := r.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(r.seeded.Cluster), Services: ecsfake.ServiceNames()})
	if err != nil {
		t.Fatal(err)
	}
	images, tds = map[string]string{}, map[string]string{}
	for _, s := range out.Services {
		td, err := r.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: s.TaskDefinition})
		if err != nil {
			t.Fatal(err)
		}
		name := aws.ToString(s.ServiceName)
		images[name] = aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image)
		tds[name] = aws.ToString(s.TaskDefinition)
	}
	return images, tds
}

func (r *releaseWorld) migrations() int {
	n := 0
	for _, c := range r.fake.CallsTo("RunTask") {
		if c.Params["command"] == strings.Join(migrate, " ") && c.Err == "" {
			n++
		}
	}
	return n
}

func TestMergingAReadyReleasePullRequestDeploysItOnce(t *testing.T) {
	ctx := context.Background()
	r := startRelease(t)
	if _, err := r.emu.PushTag(ctx, repo, "alice", "v1.2.0", "main"); err != nil {
		t.Fatal(err)
	}
	r.wait(t, "release_pr")
	pr := r.releasePR(t, "release/v1.2.0")
	if pr.Draft {
		t.Fatalf("with every image pushed, the release pull request is a draft:\n%s", pr.Body)
	}
	sha, err := r.emu.Merge(ctx, repo, "bob", pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	r.wait(t, "deploy")

	if got := r.deploymentStates(sha); len(got) != 1 || strings.Join(got[0], ",") != "in_progress,success" {
		t.Fatalf("GitHub deployments of the merge commit: %v; want one, in_progress then success", got)
	}
	images, _ := r.running(t)
	for _, name := range ecsfake.ServiceNames() {
		if !strings.HasSuffix(images[name], "@"+r.next[name]) {
			t.Errorf("%s runs %s, want v1.2.0's digest %s", name, images[name], r.next[name])
		}
	}
	comment := r.deployComment(t, pr.Number)
	if comment.Edits < 3 {
		t.Errorf("the deploy comment was edited %d times; want it updated as the steps went", comment.Edits)
	}
	body := comment.Body
	if !strings.Contains(body, "✅ **Deployed** `v1.2.0` to staging") {
		t.Errorf("the comment does not say the deploy succeeded:\n%s", body)
	}
	for _, step := range []string{"images", "record", "register", "migrate", "roll", "health", "smoke"} {
		if !strings.Contains(body, "| `"+step+"` | ✅ passed |") {
			t.Errorf("the comment does not show step %s passed:\n%s", step, body)
		}
	}
	if !strings.Contains(body, "| `bake` | ⏭️ skipped |") {
		t.Errorf("the comment does not show the bake skipped:\n%s", body)
	}

	t.Run("the merge delivered again deploys nothing more", func(t *testing.T) {
		var id string
		for _, d := range r.emu.DeliveriesOf("pull_request", "closed") {
			id = d.ID
		}
		if d, err := r.emu.Redeliver(ctx, id); err != nil || d.Status != 202 {
			t.Fatalf("redeliver: %v, %v", d.Status, err)
		}
		if d, err := r.emu.Resend(ctx, id); err != nil || d.Status != 202 {
			t.Fatalf("resend: %v, %v", d.Status, err)
		}
		// A maintainer asks again: the deploy is there already.
		if _, err := r.emu.Comment(ctx, repo, "bob", pr.Number, "/deploy --now"); err != nil {
			t.Fatal(err)
		}
		r.wait(t, "command")
		cs := r.emu.Comments(repo, pr.Number)
		if last := cs[len(cs)-1].Body; !strings.Contains(last, "already deployed") {
			t.Errorf("reply to /deploy --now after the deploy: %s", last)
		}
		if got := r.deploymentStates(sha); len(got) != 1 {
			t.Errorf("%d GitHub deployments, want 1", len(got))
		}
		if n := r.migrations(); n != 1 {
			t.Errorf("the migration ran %d times, want once", n)
		}
	})
}

func TestAMigrationThatFailsStopsTheDeployBeforeAnyServiceRolls(t *testing.T) {
	r := startRelease(t)
	r.fake.SetTaskOutcome(migrate, ecsfake.TaskOutcome{ExitCode: 1, Logs: []string{
		"INFO  [alembic.runtime.migration] Running upgrade 3f2a -> 4b1c, add stock reservations",
		`sqlalchemy.exc.ProgrammingError: column "reserved" of relation "stock" already exists`,
	}})
	_, before := r.running(t)
	pr, sha := r.mergeRelease(t, "release-v1.2.0", "")
	r.wait(t, "deploy")

	if got := r.deploymentStates(sha); len(got) != 1 || strings.Join(got[0], ",") != "in_progress,failure" {
		t.Fatalf("GitHub deployments: %v; want one, in_progress then failure", got)
	}
	if calls := r.fake.CallsTo("UpdateService"); len(calls) != 0 {
		t.Errorf("%d UpdateService calls after the migration failed, want none", len(calls))
	}
	if _, after := r.running(t); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("services moved: %v, were %v", after, before)
	}
	body := r.deployComment(t, pr).Body
	for _, want := range []string{"failed** at step `migrate`", "| `migrate` | ❌ failed |", "| `roll` | · not run |", `column "reserved" of relation "stock" already exists`, "**Nothing was rolled back:**"} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment lacks %q:\n%s", want, body)
		}
	}
}

func TestAServiceWhoseImageFailsToStartIsRolledBackWithEveryOther(t *testing.T) {
	r := startRelease(t)
	r.fake.SetImageBehaviour("inventory-management/user:v1.2.0", ecsfake.Behaviour{FailToStart: true})
	_, before := r.running(t)
	pr, sha := r.mergeRelease(t, "release-v1.2.0", "")
	r.wait(t, "deploy")

	if got := r.deploymentStates(sha); len(got) != 1 || strings.Join(got[0], ",") != "in_progress,failure" {
		t.Fatalf("GitHub deployments: %v; want one, in_progress then failure", got)
	}
	if _, after := r.running(t); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("after the rollback the services run %v, want their recorded revisions %v", after, before)
	}
	body := r.deployComment(t, pr).Body
	for _, want := range []string{"failed** at step `roll`", "**Failed at `roll (user)`:**", "circuit breaker", "**Rolled back:**", "| `rollback` | ✅ passed |"} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment lacks %q:\n%s", want, body)
		}
	}
}

func TestAMergeInsideAFreezeWindowWaitsUntilAMaintainerSaysDeployNow(t *testing.T) {
	ctx := context.Background()
	r := startRelease(t)
	start := time.Now().UTC()
	freeze := fmt.Sprintf("freeze:\n  - {start: \"%d %d %d %d *\", duration: 2h, time_zone: UTC}\n", start.Minute(), start.Hour(), start.Day(), int(start.Month()))
	pr, sha := r.mergeRelease(t, "release-v1.2.0", freeze)
	if ev := r.waitEnd(t, "deploy"); ev.completed {
		t.Fatal("the deploy completed inside the freeze window")
	}
	until := start.Truncate(time.Minute).Add(2 * time.Hour).Format("2006-01-02 15:04 UTC")
	waiting := r.deployComment(t, pr)
	if !strings.Contains(waiting.Body, "Waiting for the freeze window to end: "+until) {
		t.Fatalf("the comment does not say until when the deploy waits (%s):\n%s", until, waiting.Body)
	}
	if got := r.deploymentStates(sha); len(got) != 0 {
		t.Fatalf("GitHub deployments while frozen: %v, want none", got)
	}

	if _, err := r.emu.Comment(ctx, repo, "alice", pr, "/deploy --now"); err != nil {
		t.Fatal(err)
	}
	r.wait(t, "command")
	cs := r.emu.Comments(repo, pr)
	if last := cs[len(cs)-1].Body; !strings.Contains(last, "needs the maintain role") {
		t.Fatalf("/deploy --now by a writer: %s", last)
	}

	if _, err := r.emu.Comment(ctx, repo, "bob", pr, "/deploy --now"); err != nil {
		t.Fatal(err)
	}
	r.wait(t, "deploy")
	if got := r.deploymentStates(sha); len(got) != 1 || strings.Join(got[0], ",") != "in_progress,success" {
		t.Fatalf("GitHub deployments after /deploy --now: %v; want one, in_progress then success", got)
	}
	body := r.deployComment(t, pr).Body
	for _, want := range []string{"✅ **Deployed**", "@bob deployed during a freeze window with `/deploy --now` (recorded)"} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment lacks %q:\n%s", want, body)
		}
	}
}

// seedCommands are the commands of staging's seed steps, in file order.
var seedCommands = []string{"python scripts/setup_default_roles.py", "python scripts/reseed_complete_inventory.py", "python scripts/generate_movements.py"}

// seedTasks are the commands of the one-off tasks started so far.
func (r *releaseWorld) seedTasks() []string {
	var out []string
	for _, c := range r.fake.CallsTo("RunTask") {
		if c.Err == "" && strings.HasPrefix(c.Params["command"], "python ") {
			out = append(out, c.Params["command"])
		}
	}
	return out
}

// seedComment is the bot's answer to the /seed comment id.
func (r *releaseWorld) seedComment(t *testing.T, pr int, id int64) emulator.Comment {
	t.Helper()
	for _, c := range r.emu.Comments(repo, pr) {
		if strings.HasPrefix(c.Body, report.SeedCommentMarker(id)+"\n") {
			return c
		}
	}
	t.Fatalf("no answer to /seed comment %d on #%d: %+v", id, pr, r.emu.Comments(repo, pr))
	return emulator.Comment{}
}

func TestSeedRunsTheStepsInOrderAndStopsAtAFailingOne(t *testing.T) {
	ctx := context.Background()
	r := startRelease(t)
	if _, err := r.emu.Push(ctx, repo, "alice", "docs", map[string][]byte{"README.md": []byte("seeding staging\n")}, "docs: seeding"); err != nil {
		t.Fatal(err)
	}
	pr, err := r.emu.OpenPR(ctx, repo, "alice", "docs", "main", "Seed staging", "")
	if err != nil {
		t.Fatal(err)
	}
	seed := func(user, body string) *emulator.Comment {
		t.Helper()
		c, err := r.emu.Comment(ctx, repo, user, pr.Number, body)
		if err != nil {
			t.Fatal(err)
		}
		r.wait(t, "command")
		return c
	}
	reactions := func(id int64) string {
		for _, c := range r.emu.Comments(repo, pr.Number) {
			if c.ID == id {
				var out []string
				for _, x := range c.Reactions {
					out = append(out, x.Content)
				}
				return strings.Join(out, ",")
			}
		}
		return ""
	}

	t.Run("a read-only user is refused", func(t *testing.T) {
		c := seed("carol", "/seed staging")
		cs := r.emu.Comments(repo, pr.Number)
		if last := cs[len(cs)-1].Body; !strings.Contains(last, "needs the write role") {
			t.Fatalf("reply to carol's /seed: %s", last)
		}
		if got := reactions(c.ID); got != "eyes,-1" {
			t.Errorf("reactions %q, want eyes,-1", got)
		}
		if tasks := r.seedTasks(); len(tasks) != 0 {
			t.Fatalf("tasks started: %v", tasks)
		}
	})

	t.Run("every step runs, in the order of the file", func(t *testing.T) {
		c := seed("alice", "/seed staging")
		r.wait(t, "seed")
		if got := r.seedTasks(); strings.Join(got, "|") != strings.Join(seedCommands, "|") {
			t.Fatalf("seed tasks %v, want %v", got, seedCommands)
		}
		answer := r.seedComment(t, pr.Number, c.ID)
		for _, want := range []string{"✅ **Seeded** staging: 3 steps", "| `roles` | ✅ passed |", "| `inventory` | ✅ passed |", "| `movements` | ✅ passed |"} {
			if !strings.Contains(answer.Body, want) {
				t.Errorf("the answer lacks %q:\n%s", want, answer.Body)
			}
		}
		if got := reactions(c.ID); got != "eyes,+1" {
			t.Errorf("reactions %q, want eyes,+1", got)
		}
	})

	t.Run("a failing step stops the rest and shows its log", func(t *testing.T) {
		r.fake.SetTaskOutcome(strings.Fields(seedCommands[1]), ecsfake.TaskOutcome{ExitCode: 1, Logs: []string{"Seeding 1200 items…", `psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint "items_sku_key"`}})
		before := len(r.seedTasks())
		c := seed("alice", "/seed movements inventory roles")
		r.wait(t, "seed")
		if got := r.seedTasks()[before:]; strings.Join(got, "|") != strings.Join(seedCommands[:2], "|") {
			t.Fatalf("seed tasks %v, want roles then inventory, then nothing", got)
		}
		answer := r.seedComment(t, pr.Number, c.ID)
		for _, want := range []string{"at step `inventory`", "| `inventory` | ❌ failed |", "| `movements` | · not run |", "items_sku_key"} {
			if !strings.Contains(answer.Body, want) {
				t.Errorf("the answer lacks %q:\n%s", want, answer.Body)
			}
		}
		if got := reactions(c.ID); got != "eyes,-1" {
			t.Errorf("reactions %q, want eyes,-1", got)
		}
	})
}
