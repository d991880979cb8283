package deploy_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/localaws/ecsfake"
	"github.com/gitops-bot/gitops/bot/release"
)

func TestRollbackRelease(t *testing.T) {
	tests := []struct {
		name      string
		downgrade []string // v1.2.0's downgrade; nil: none
	}{
		{name: "the downgrade of the release being left runs, in its image", downgrade: []string{"alembic", "downgrade", "-1"}},
		{name: "without a downgrade no migration runs and the schema stays"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, ecsfake.Options{})
			older, newer := e.releases()
			newer.Migrations.Downgrade = tt.downgrade
			older.Migrations.Downgrade = nil
			older.Previous = "v1.2.0"
			if _, err := e.engine.Deploy(t.Context(), e.request(nil, newer, "gh-deployment-20")); err != nil {
				t.Fatalf("deploy v1.2.0: %v", err)
			}
			runsBefore := len(e.f.CallsTo("RunTask"))

			res, err := e.engine.Rollback(t.Context(), e.request(&newer, older, "gh-deployment-21"))
			if err != nil || !res.Succeeded {
				t.Fatalf("rollback: %v", err)
			}
			if res.Direction != release.Rollback || res.From != "v1.2.0" || res.To != "v1.1.0" {
				t.Errorf("result %s → %s %s", res.From, res.To, res.Direction)
			}
			for _, name := range ecsfake.ServiceNames() {
				td := e.taskDefinition(t, aws.ToString(e.service(t, name).TaskDefinition))
				if got, want := aws.ToString(td.ContainerDefinitions[0].Image), e.imageRef(name, e.seeded.Services[name].Digest); got != want {
					t.Errorf("%s runs %s, want v1.1.0's %s", name, got, want)
				}
			}
			runs := e.f.CallsTo("RunTask")[runsBefore:]
			if tt.downgrade == nil {
				if len(runs) != 0 || !res.SchemaStays || res.Migration != nil {
					t.Errorf("RunTask calls %d, schema stays %v, migration %+v; want no migration and the schema staying", len(runs), res.SchemaStays, res.Migration)
				}
				var skipped string
				for _, ev := range e.recorded() {
					if ev.Step == deploy.StepMigrate && ev.Status == deploy.StatusSkipped {
						skipped = ev.Message
					}
				}
				if !strings.Contains(skipped, "keeps the schema of v1.2.0") {
					t.Errorf("migrate skipped with %q, want it to say the schema stays", skipped)
				}
				return
			}
			if len(runs) != 1 || res.SchemaStays {
				t.Fatalf("RunTask calls %d, schema stays %v; want the downgrade", len(runs), res.SchemaStays)
			}
			c := runs[0].Params
			if c["command"] != "alembic downgrade -1" || !strings.HasPrefix(c["clientToken"], "gitops-downgrade-") {
				t.Errorf("ran %q with token %q", c["command"], c["clientToken"])
			}
			td := e.taskDefinition(t, c["taskDefinition"])
			if got, want := aws.ToString(td.ContainerDefinitions[0].Image), e.imageRef("api-gateway", e.next["api-gateway"]); got != want {
				t.Errorf("the downgrade ran in %s, want v1.2.0's image %s", got, want)
			}
		})
	}
}

func TestRollbackRefusesAForwardRelease(t *testing.T) {
	e := newEnv(t, ecsfake.Options{})
	current, next := e.releases()
	res, err := e.engine.Rollback(t.Context(), e.request(&current, next, "gh-deployment-22"))
	if res != nil || err == nil || !strings.Contains(err.Error(), "not a rollback: v1.2.0 after v1.1.0 is forward") {
		t.Errorf("rollback of a forward release: %v", err)
	}
	if n := len(e.f.Calls()); n != 0 {
		t.Errorf("%d AWS calls", n)
	}
}
