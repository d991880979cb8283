package deploy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/localaws/ecsfake"
)

func TestSeed(t *testing.T) {
	roles := "python scripts/setup_default_roles.py"
	inventory := "python scripts/reseed_complete_inventory.py"
	movements := "python scripts/generate_movements.py"
	tests := []struct {
		name     string
		steps    []string
		outcomes map[string]ecsfake.TaskOutcome // by command
		ran      []string                       // commands, in order
		failed   string                         // the failing step
		logTail  []string
	}{
		{
			name: "every step runs in file order when none is named",
			ran:  []string{roles, inventory, movements},
		},
		{
			name:  "named steps run in file order whatever the order asked",
			steps: []string{"movements", "roles"},
			ran:   []string{roles, movements},
		},
		{
			name:     "a failing step stops the rest and carries its log tail",
			outcomes: map[string]ecsfake.TaskOutcome{inventory: {ExitCode: 2, Logs: []string{"loading 5000 items", "KeyError: 'warehouse_id'"}}},
			ran:      []string{roles, inventory},
			failed:   "inventory",
			logTail:  []string{"loading 5000 items", "KeyError: 'warehouse_id'"},
		},
		{
			name:     "a step that fails to start stops the rest",
			steps:    []string{"inventory", "movements"},
			outcomes: map[string]ecsfake.TaskOutcome{inventory: {FailToStart: true}},
			ran:      []string{inventory},
			failed:   "inventory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, ecsfake.Options{})
			for cmd, o := range tt.outcomes {
				e.f.SetTaskOutcome(strings.Fields(cmd), o)
			}
			_, rel := e.releases()
			res, err := e.engine.Seed(t.Context(), deploy.SeedRequest{Target: e.target, Release: rel, Steps: tt.steps, Token: "comment-981", Progress: e.record})

			var ran, tokens []string
			for _, c := range e.f.CallsTo("RunTask") {
				ran = append(ran, c.Params["command"])
				tokens = append(tokens, c.Params["clientToken"])
				if c.Params["taskDefinition"] != e.seeded.Services["api-gateway"].TaskDefinition {
					t.Errorf("ran %s, want the task definition api-gateway runs", short(c.Params["taskDefinition"]))
				}
			}
			if !slices.Equal(ran, tt.ran) {
				t.Errorf("ran %q, want %q", ran, tt.ran)
			}
			if u := slices.Compact(slices.Sorted(slices.Values(tokens))); len(u) != len(tokens) {
				t.Errorf("client tokens %q, want one per step", tokens)
			}
			if tt.failed == "" {
				if err != nil || !res.Succeeded || len(res.Steps) != len(tt.ran) {
					t.Fatalf("seed: %v, %+v", err, res)
				}
				return
			}
			f := stepError(t, err).Failure
			if f.Step != deploy.StepSeed || f.Seed != tt.failed || res.Succeeded {
				t.Fatalf("failure %s, want seed step %s", f, tt.failed)
			}
			if !slices.Equal(f.LogTail, tt.logTail) {
				t.Errorf("log tail %q, want %q", f.LogTail, tt.logTail)
			}
			last := res.Steps[len(res.Steps)-1]
			if last.Name != tt.failed || last.Status != deploy.StatusFailed {
				t.Errorf("last step %+v", last)
			}
			var statuses []string
			for _, ev := range e.recorded() {
				if ev.Status != deploy.StatusProgress {
					statuses = append(statuses, ev.Seed+" "+string(ev.Status))
				}
			}
			if got := statuses[len(statuses)-1]; got != tt.failed+" failed" {
				t.Errorf("last event %q", got)
			}
		})
	}
}

func TestSeedRefusals(t *testing.T) {
	e := newEnv(t, ecsfake.Options{})
	_, rel := e.releases()
	_, err := e.engine.Seed(t.Context(), deploy.SeedRequest{Target: e.target, Release: rel, Steps: []string{"roles", "users", "stock"}, Token: "c-1"})
	if err == nil || !strings.Contains(err.Error(), "unknown seed step(s) users, stock; the release has roles, inventory, movements") {
		t.Errorf("unknown steps: %v", err)
	}
	_, err = e.engine.Seed(t.Context(), deploy.SeedRequest{Target: e.target, Release: rel})
	if err == nil || !strings.Contains(err.Error(), "no token") {
		t.Errorf("no token: %v", err)
	}
	if n := len(e.f.CallsTo("RunTask")); n != 0 {
		t.Errorf("RunTask calls = %d", n)
	}
}

func TestSeedWithTheSameTokenRunsNothingAgain(t *testing.T) {
	e := newEnv(t, ecsfake.Options{})
	_, rel := e.releases()
	req := deploy.SeedRequest{Target: e.target, Release: rel, Steps: []string{"roles"}, Token: "comment-5"}
	first, err := e.engine.Seed(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.engine.Seed(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if first.Steps[0].Task.TaskARN != again.Steps[0].Task.TaskARN {
		t.Errorf("the same token started another task")
	}
}
