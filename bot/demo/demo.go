// Package demo plays a user through gitops without GitHub or AWS: the real
// App (bot/app) runs against the project's GitHub emulator, a local AWS
// emulator (moto) and SQLite, all on loopback. It applies the dev
// environment as it was before the scale-down, then opens the scale-down
// pull request, waits for the bot's comment, has a read-only user try
// /apply, approves, applies with /apply and merges, checking each step.
//
// It is not a test harness: each step's check is what a person would look
// for, and Run fails on the first step that does not behave.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/gitops-bot/gitops/bot/app"
	"github.com/gitops-bot/gitops/bot/config"
	"github.com/gitops-bot/gitops/bot/github/emulator"
	"github.com/gitops-bot/gitops/bot/localaws"
	"github.com/gitops-bot/gitops/bot/pipeline"
	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/tf"
)

// Options configure a demo run.
type Options struct {
	// Dir is the gitops checkout whose environments/, terraform/ and
	// policy/ the demo repository holds; default ".".
	Dir string
	// Out receives the steps as they happen.
	Out io.Writer
	// Keep leaves everything running after the last step, until ctx ends.
	Keep bool
	// StepTimeout bounds each wait for the bot; default 10 minutes.
	StepTimeout time.Duration
	// Logger receives gitops serve's logs; default: discarded.
	Logger *slog.Logger
}

const repo = "acme/inventory-infra"

// preScaleDown is dev as it was before the scale-down pull request.
const preScaleDown = "bot/envspec/testdata/dev-pre-scale-down.yaml"

// Run plays the demo.
func Run(ctx context.Context, opts Options) (err error) {
	w, err := Setup(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}()
	d := w.demo
	if err := d.playPR(ctx, w.Files); err != nil {
		return err
	}
	d.step("done: every step behaved")
	if w.demo.opts.Keep {
		fmt.Fprintf(d.opts.Out, "\nStill running (Ctrl-C to stop):\n  gitops status page  http://%s/\n  metrics             http://%s/metrics\n  GitHub emulator     %s\n  AWS emulator        %s\n", d.addr, d.addr, d.emu.URL(), d.aws.Endpoint())
		<-ctx.Done()
	}
	return nil
}

// World is what the demo runs in, ready for a user to act: moto with dev
// applied as it was before the scale-down, the GitHub emulator holding the
// repository (dev before the scale-down on main), and gitops serve. The
// benchmarks use it too.
type World struct {
	Emu  *emulator.Emulator
	AWS  *localaws.Emulator
	Addr string // gitops serve's address
	// Files are the repository's files as in the checkout given
	// (environments/dev.yaml is the scale-down).
	Files map[string][]byte
	// TF are the terraform options gitops uses; OperatorDir is the
	// terraform work directory dev was applied from (tf.Options.WorkDir),
	// initialized and on dev's state.
	TF          tf.Options
	OperatorDir string
	// JobDone receives the kind of each job that completes.
	JobDone <-chan string

	demo    *demo
	work    string
	stopApp context.CancelFunc
	appDone chan error
}

// Setup starts the world; Close stops it.
func Setup(ctx context.Context, opts Options) (*World, error) {
	if opts.Dir == "" {
		opts.Dir = "."
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.StepTimeout == 0 {
		opts.StepTimeout = 10 * time.Minute
	}
	work, err := os.MkdirTemp("", "gitops-demo-")
	if err != nil {
		return nil, err
	}
	w := &World{demo: &demo{opts: opts, start: time.Now()}, work: work}
	if err := w.setup(ctx); err != nil {
		_ = w.Close()
		return nil, err
	}
	return w, nil
}

// Close stops gitops serve and the emulators and removes the work files.
func (w *World) Close() error {
	var err error
	if w.stopApp != nil {
		w.stopApp()
		if aerr := <-w.appDone; aerr != nil && !errors.Is(aerr, context.Canceled) {
			err = fmt.Errorf("gitops serve: %w", aerr)
		}
	}
	if w.Emu != nil {
		_ = w.Emu.Close()
	}
	if w.AWS != nil {
		w.AWS.Close()
	}
	_ = os.RemoveAll(w.work)
	return err
}

type demo struct {
	opts  Options
	start time.Time
	emu   *emulator.Emulator
	aws   *localaws.Emulator
	addr  string
}

func (d *demo) step(format string, args ...any) {
	fmt.Fprintf(d.opts.Out, "[%6.1fs] %s\n", time.Since(d.start).Seconds(), fmt.Sprintf(format, args...))
}

func (w *World) setup(ctx context.Context) error {
	d, work := w.demo, w.work
	files, err := repoFiles(d.opts.Dir)
	if err != nil {
		return err
	}
	w.Files = files
	d.step("starting the AWS emulator (moto)…")
	d.aws, err = localaws.Start(ctx, localaws.Options{})
	if err != nil {
		return fmt.Errorf("start moto: %w", err)
	}
	w.AWS = d.aws
	backend := localaws.Backend{Bucket: "inventory-management-tfstate", Table: "inventory-management-tflock", Region: "us-east-1"}
	if err := d.aws.Bootstrap(ctx, backend); err != nil {
		return err
	}
	w.TF = tf.Options{
		Backend: tf.Backend{Bucket: backend.Bucket, Table: backend.Table, Region: backend.Region, Endpoint: d.aws.Endpoint()},
		Env:     d.aws.Env(),
		Vars:    map[string]string{"aws_max_retries": "2"},
	}

	d.step("applying dev as it was before the scale-down (api-gateway 3, inventory 2, location 2); a whole stack on moto takes a few minutes…")
	w.OperatorDir = filepath.Join(work, "operator")
	if err := d.applyBefore(ctx, work, w.OperatorDir, files, w.TF); err != nil {
		return err
	}
	if err := d.expectCounts(ctx, map[string]int32{"api-gateway": 3, "inventory": 2, "location": 2}); err != nil {
		return err
	}

	d.step("starting the GitHub emulator and gitops serve…")
	secret := "demo-webhook-secret"
	d.emu, err = emulator.New(emulator.Options{WebhookSecret: secret})
	if err != nil {
		return err
	}
	w.Emu = d.emu
	before := cloneFiles(files)
	before["environments/dev.yaml"] = files[preScaleDown]
	if _, err := d.emu.CreateRepo(ctx, repo, before); err != nil {
		return err
	}
	for user, role := range map[string]string{"alice": emulator.RoleWrite, "bob": emulator.RoleMaintain, "carol": emulator.RoleRead} {
		if err := d.emu.SetPermission(repo, user, role); err != nil {
			return err
		}
	}
	cfg := config.Default()
	cfg.GitHubURL = d.emu.URL()
	cfg.AppID = d.emu.AppID()
	cfg.AppKeyFile = filepath.Join(work, "app.pem")
	cfg.WebhookSecretFile = filepath.Join(work, "webhook-secret")
	if err := os.WriteFile(cfg.AppKeyFile, d.emu.PrivateKeyPEM(), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(cfg.WebhookSecretFile, []byte(secret), 0o600); err != nil {
		return err
	}
	cfg.Repos = []string{repo}
	cfg.DataDir = filepath.Join(work, "data")
	cfg.Listen = "127.0.0.1:0"
	cfg.Workers = 2
	if err := cfg.Validate(); err != nil {
		return err
	}
	appCtx, stopApp := context.WithCancel(context.WithoutCancel(ctx))
	ready := make(chan string, 1)
	done := make(chan string, 100)
	w.JobDone = done
	w.stopApp, w.appDone = stopApp, make(chan error, 1)
	go func() {
		w.appDone <- app.Run(appCtx, cfg, app.Options{TF: w.TF, Logger: d.opts.Logger, Ready: func(addr string) { ready <- addr }, Version: "demo",
			JobDone: func(kind string, completed bool) {
				if completed {
					select {
					case done <- kind:
					default: // nobody is listening: the demo polls what users see
					}
				}
			}})
	}()
	select {
	case d.addr = <-ready:
	case err := <-w.appDone:
		w.stopApp = nil
		return fmt.Errorf("gitops serve: %w", err)
	}
	w.Addr = d.addr
	if err := d.emu.SetWebhookURL("http://" + d.addr + "/webhook"); err != nil {
		return err
	}
	d.step("gitops serve listens on http://%s (GitHub emulator at %s)", d.addr, d.emu.URL())
	return nil
}

// playPR is the user's side: open, read, refuse, approve, apply, merge.
func (d *demo) playPR(ctx context.Context, files map[string][]byte) error {
	d.step("alice pushes the scale-down (api-gateway 3→1, inventory 2→1, location 2→1) and opens a pull request")
	if _, err := d.emu.Push(ctx, repo, "alice", "scale-down-dev", map[string][]byte{"environments/dev.yaml": files["environments/dev.yaml"]}, "dev: one task per service"); err != nil {
		return err
	}
	pr, err := d.emu.OpenPR(ctx, repo, "alice", "scale-down-dev", "main", "Scale dev down to one task per service", "")
	if err != nil {
		return err
	}
	comment, err := d.waitFor(ctx, "the bot's plan comment", func() (string, bool) {
		for _, c := range d.emu.Comments(repo, pr.Number) {
			if strings.HasPrefix(c.Body, report.StickyMarker) && strings.Contains(c.Body, "desired_count") {
				return c.Body, true
			}
		}
		return "", false
	})
	if err != nil {
		return err
	}
	d.step("the bot commented:\n\n%s\n", indent(comment))
	for _, want := range []string{"api-gateway", "inventory", "location"} {
		if !strings.Contains(comment, want) {
			return fmt.Errorf("the plan comment does not mention %s", want)
		}
	}

	d.step("carol (read access) comments /apply")
	if _, err := d.emu.Comment(ctx, repo, "carol", pr.Number, "/apply"); err != nil {
		return err
	}
	refusal, err := d.waitFor(ctx, "the refusal", func() (string, bool) { return d.reply(pr.Number, "@carol") })
	if err != nil {
		return err
	}
	d.step("the bot refused: %s", firstLine(refusal))
	if err := d.expectCounts(ctx, map[string]int32{"api-gateway": 3, "inventory": 2, "location": 2}); err != nil {
		return fmt.Errorf("after the refused /apply: %w", err)
	}

	d.step("bob (maintainer) approves and comments /apply")
	if err := d.emu.Review(ctx, repo, "bob", pr.Number, "APPROVE"); err != nil {
		return err
	}
	if _, err := d.emu.Comment(ctx, repo, "bob", pr.Number, "/apply"); err != nil {
		return err
	}
	result, err := d.waitFor(ctx, "the apply result", func() (string, bool) { return d.reply(pr.Number, "@bob asked with") })
	if err != nil {
		return err
	}
	d.step("the bot answered:\n\n%s\n", indent(result))
	if !strings.Contains(result, "✅ **Applied dev**") {
		return fmt.Errorf("the apply did not succeed: %s", result)
	}
	if err := d.expectCounts(ctx, map[string]int32{"api-gateway": 1, "inventory": 1, "location": 1}); err != nil {
		return err
	}
	d.step("ECS reports api-gateway 1, inventory 1, location 1")
	progress := 0
	for _, c := range d.emu.Calls() {
		if strings.Contains(c.Path, "/check-runs") && strings.Contains(string(c.Body), "applying… 3/3 resources") {
			progress++
		}
	}
	if progress == 0 {
		return fmt.Errorf("the check run never showed the apply's progress (applying… 3/3 resources)")
	}
	d.step("the check run followed the apply (applying… 3/3 resources, with terraform's output)")

	d.step("alice merges the pull request")
	if _, err := d.emu.Merge(ctx, repo, "alice", pr.Number); err != nil {
		return err
	}
	if _, err := d.waitFor(ctx, "the lock on dev to be released", func() (string, bool) {
		page, err := d.get("/")
		locks, _, _ := strings.Cut(page, "<h2>Recent runs</h2>")
		return page, err == nil && strings.Contains(locks, "<h2>Locks</h2>") && !strings.Contains(locks, "<td>dev</td>")
	}); err != nil {
		return err
	}
	d.step("merged; the lock on dev is released")
	return nil
}

// reply is the newest bot reply on the pull request that starts with prefix.
func (d *demo) reply(number int, prefix string) (string, bool) {
	cs := d.emu.Comments(repo, number)
	for i := len(cs) - 1; i >= 0; i-- {
		if strings.HasPrefix(cs[i].Body, prefix) && strings.HasSuffix(cs[i].User, "[bot]") {
			return cs[i].Body, true
		}
	}
	return "", false
}

// waitFor polls check until it holds, or the step's time runs out.
func (d *demo) waitFor(ctx context.Context, what string, check func() (string, bool)) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, d.opts.StepTimeout)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		if v, ok := check(); ok {
			return v, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("waited %s for %s: %w (status page: http://%s/)", d.opts.StepTimeout, what, ctx.Err(), d.addr)
		case <-tick.C:
		}
	}
}

func (d *demo) get(path string) (string, error) {
	resp, err := http.Get("http://" + d.addr + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// applyBefore plans and applies dev as it was before the scale-down, as an
// operator would have with gitops plan and gitops apply.
func (d *demo) applyBefore(ctx context.Context, work, operatorDir string, files map[string][]byte, tfOpts tf.Options) error {
	dir := filepath.Join(work, "before")
	before := cloneFiles(files)
	before["environments/dev.yaml"] = files[preScaleDown]
	for name, data := range before {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	tfOpts.SourceDir = filepath.Join(dir, "terraform")
	tfOpts.WorkDir = operatorDir
	r, err := tf.New(tfOpts)
	if err != nil {
		return err
	}
	p := pipeline.New(pipeline.Config{Dir: dir, Runner: r})
	all, err := p.Environments()
	if err != nil {
		return err
	}
	dev, err := pipeline.Select(all, []string{"dev"})
	if err != nil {
		return err
	}
	results, err := p.Plan(ctx, pipeline.PlanRequest{Specs: dev})
	if err != nil {
		return err
	}
	if results[0].Err != nil {
		return fmt.Errorf("plan dev: %w", results[0].Err)
	}
	res, err := p.Apply(ctx, pipeline.ApplyRequest{Env: "dev", Plan: results[0].Plan})
	if err != nil {
		return fmt.Errorf("apply dev: %w", err)
	}
	d.step("dev applied: %d resources, state serial %d", results[0].Plan.Summary.Add, res.After.Serial)
	return nil
}

// expectCounts checks ECS's desired counts of dev's services.
func (d *demo) expectCounts(ctx context.Context, want map[string]int32) error {
	c := ecs.NewFromConfig(d.aws.Config("us-west-2"))
	clusters, err := c.ListClusters(ctx, &ecs.ListClustersInput{})
	if err != nil {
		return fmt.Errorf("list ECS clusters: %w", err)
	}
	got := map[string]int32{}
	for _, cl := range clusters.ClusterArns {
		svcs, err := c.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String(cl)})
		if err != nil || len(svcs.ServiceArns) == 0 {
			continue
		}
		out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cl), Services: svcs.ServiceArns})
		if err != nil {
			return fmt.Errorf("describe ECS services: %w", err)
		}
		for _, s := range out.Services {
			got[strings.TrimPrefix(aws.ToString(s.ServiceName), "dev-")] = s.DesiredCount
		}
	}
	for svc, n := range want {
		if got[svc] != n {
			return fmt.Errorf("ECS says %s runs %d tasks, want %d (all: %v)", svc, got[svc], n, got)
		}
	}
	return nil
}

// repoFiles reads the files the demo repository holds: environments/,
// terraform/, policy/ and the pre-scale-down fixture.
func repoFiles(dir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, top := range []string{"environments", "terraform", "policy"} {
		err := filepath.WalkDir(filepath.Join(dir, top), func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() {
				if e.Name() == ".terraform" {
					return filepath.SkipDir
				}
				return nil
			}
			if !e.Type().IsRegular() {
				return nil
			}
			rel, _ := filepath.Rel(dir, p)
			data, err := os.ReadFile(p)
			out[filepath.ToSlash(rel)] = data
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("read %s (run the demo from the gitops checkout, or give -C): %w", top, err)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, preScaleDown))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", preScaleDown, err)
	}
	out[preScaleDown] = data
	return out, nil
}

func cloneFiles(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		if k != preScaleDown {
			out[k] = v
		}
	}
	return out
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
