package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gitops-bot/gitops/bot/config"
	"github.com/gitops-bot/gitops/bot/github/emulator"
	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/store"
	"github.com/gitops-bot/gitops/bot/tf"
)

// childEnv names the file of a child's configuration: the test binary,
// started with it, is a `gitops serve` process of its own (this package's
// Run, as cmd/gitops serve calls it) that a test can kill.
const childEnv = "GITOPS_APP_TEST_CHILD"

type childConfig struct {
	Config config.Config
	TF     tf.Options
}

// runChild serves until SIGTERM, printing "ready <addr>" and "job <kind>
// <completed>" lines on stdout for the parent.
func runChild(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var c childConfig
	if err := json.Unmarshal(data, &c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	err = Run(ctx, c.Config, Options{
		TF:      c.TF,
		Ready:   func(addr string) { fmt.Printf("ready %s\n", addr) },
		JobDone: func(kind string, completed bool) { fmt.Printf("job %s %v\n", kind, completed) },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		return 1
	}
	return 0
}

// child is a serve process started by a test.
type child struct {
	cmd   *exec.Cmd
	lines chan string
	addr  string
}

func startChild(t *testing.T, w world) *child {
	t.Helper()
	data, err := json.Marshal(childConfig{Config: w.cfg, TF: w.tf})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "child.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, lines: make(chan string, 100)}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, ok := <-c.lines
	if !ok || !strings.HasPrefix(line, "ready ") {
		t.Fatalf("serve process did not start (first line %q)", line)
	}
	c.addr = strings.TrimPrefix(line, "ready ")
	if err := w.emu.SetWebhookURL("http://" + c.addr + "/webhook"); err != nil {
		t.Fatal(err)
	}
	return c
}

// waitJob waits until the process says a job of kind completed; the
// deadline only guards a hang.
func (c *child) waitJob(t *testing.T, kind string) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Minute)
	defer deadline.Stop()
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				t.Fatalf("serve process exited before a %s job completed", kind)
			}
			if line == "job "+kind+" true" {
				return
			}
		case <-deadline.C:
			t.Fatalf("no %s job completed within 10 minutes of the restart", kind)
		}
	}
}

func TestServeKilledMidPlanResumesAfterRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute) // guards a hang only
	defer cancel()
	w := newWorld(t)
	first := startChild(t, w)

	spec, err := w.emu.FileAt(ctx, repo, "main", "environments/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	head, err := w.emu.Push(ctx, repo, "alice", "logs", map[string][]byte{"environments/dev.yaml": []byte(strings.Replace(string(spec), "retention_days: 7", "retention_days: 14", 1))}, "dev: keep logs 14 days")
	if err != nil {
		t.Fatal(err)
	}
	pr, err := w.emu.OpenPR(ctx, repo, "alice", "logs", "main", "Keep dev logs longer", "")
	if err != nil {
		t.Fatal(err)
	}
	// The check run says "planning…" just before terraform starts: kill the
	// process there, as a crash or an OOM kill would.
	if _, err := w.emu.AwaitCall(ctx, func(c emulator.Call) bool {
		return strings.Contains(c.Path, "/check-runs") && strings.Contains(string(c.Body), "planning…")
	}); err != nil {
		t.Fatal(err)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	if n := len(stickyOf(w.emu, pr.Number)); n != 0 {
		t.Fatalf("the plan finished before the kill (%d comments): the test did not interrupt it", n)
	}

	second := startChild(t, w)
	second.waitJob(t, "pr_plan")
	s := stickyOf(w.emu, pr.Number)
	if len(s) != 1 {
		t.Fatalf("%d bot comments after the restart, want 1", len(s))
	}
	if sha, ok := report.StickyHeadSHA(s[0].Body); !ok || sha != head || !strings.Contains(s[0].Body, "## dev") {
		t.Fatalf("the comment does not show dev's plan of %s:\n%s", head, s[0].Body)
	}
	var done []string
	for _, r := range w.emu.CheckRuns(repo) {
		done = append(done, r.Name+": "+r.Status+"/"+r.Conclusion)
	}
	if strings.Join(done, ", ") != "gitops/plan (dev): completed/success" {
		t.Fatalf("check runs: %v", done)
	}

	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	st, err := store.Open(ctx, w.cfg.DatabaseURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	plans, err := st.Plans(ctx, repo, pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 1 || plans[0].Env != "dev" || plans[0].HeadSHA != head || plans[0].Status != store.PlanCurrent {
		t.Fatalf("plans after the restart: %+v; want one current plan of dev at %s", plans, head)
	}
}

func stickyOf(emu *emulator.Emulator, number int) []emulator.Comment {
	var out []emulator.Comment
	for _, c := range emu.Comments(repo, number) {
		if strings.HasPrefix(c.Body, report.StickyMarker) {
			out = append(out, c)
		}
	}
	return out
}
