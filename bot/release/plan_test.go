package release

import (
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestNewPlan(t *testing.T) {
	img := func(svc, tag, digest string) Image {
		return Image{Repository: "inventory-management/" + svc, Tag: tag, Digest: digest}
	}
	d1, d2, d3 := digestOf("1"), digestOf("2"), digestOf("3")
	rel := func(version string, migrations *Migrations, images map[string]Image) *Release {
		r := handBuilt()
		r.Version, r.Previous, r.Images, r.Migrations = Version(version), "", images, migrations
		if strings.HasPrefix(version, "v") {
			r.Follows = FollowsTags
		} else {
			r.Follows = FollowsMain
		}
		return r
	}
	upgrade := &Migrations{Service: "api-gateway", Command: []string{"alembic", "upgrade", "head"}}
	withDowngrade := &Migrations{Service: "api-gateway", Command: []string{"alembic", "upgrade", "head"}, Downgrade: []string{"alembic", "downgrade", "-1"}}
	v11 := map[string]Image{"api-gateway": img("api-gateway", "v1.1.0", d1), "ui": img("ui", "v1.1.0", d1), "user": img("user", "v1.0.0", d3)}
	v12 := map[string]Image{"api-gateway": img("api-gateway", "v1.2.0", d2), "ui": img("ui", "v1.2.0", d2), "user": img("user", "v1.0.0", d3)}
	tests := []struct {
		name    string
		current *Release
		next    *Release
		want    Plan
	}{
		{"a higher tag goes forward: the upgrade runs in the new image", rel("v1.1.0", withDowngrade, v11), rel("v1.2.0", withDowngrade, v12), Plan{
			Environment: "staging", From: "v1.1.0", To: "v1.2.0", Direction: Forward,
			Changed: []ServiceChange{
				{Service: "api-gateway", From: v11["api-gateway"], To: v12["api-gateway"]},
				{Service: "ui", From: v11["ui"], To: v12["ui"]},
			},
			Unchanged: []string{"user"},
			Migration: &MigrationStep{Service: "api-gateway", Command: []string{"alembic", "upgrade", "head"}, Image: v12["api-gateway"]},
		}},
		{"a lower tag rolls back: the downgrade runs in the image of the release left", rel("v1.2.0", withDowngrade, v12), rel("v1.1.0", withDowngrade, v11), Plan{
			Environment: "staging", From: "v1.2.0", To: "v1.1.0", Direction: Rollback,
			Changed: []ServiceChange{
				{Service: "api-gateway", From: v12["api-gateway"], To: v11["api-gateway"]},
				{Service: "ui", From: v12["ui"], To: v11["ui"]},
			},
			Unchanged: []string{"user"},
			Migration: &MigrationStep{Service: "api-gateway", Command: []string{"alembic", "downgrade", "-1"}, Image: v12["api-gateway"], Downgrade: true},
		}},
		{"a rollback without a downgrade runs nothing and says the schema stays", rel("v1.2.0", upgrade, v12), rel("v1.1.0", upgrade, v11), Plan{
			Environment: "staging", From: "v1.2.0", To: "v1.1.0", Direction: Rollback,
			Changed: []ServiceChange{
				{Service: "api-gateway", From: v12["api-gateway"], To: v11["api-gateway"]},
				{Service: "ui", From: v12["ui"], To: v11["ui"]},
			},
			Unchanged: []string{"user"},
			Migration: &MigrationStep{Service: "api-gateway", SchemaStays: true},
		}},
		{"the first release adds every service", nil, rel("v1.1.0", nil, v11), Plan{
			Environment: "staging", To: "v1.1.0", Direction: Forward,
			Changed: []ServiceChange{
				{Service: "api-gateway", To: v11["api-gateway"]},
				{Service: "ui", To: v11["ui"]},
				{Service: "user", To: v11["user"]},
			},
		}},
		{"the same version again with a rebuilt image is a redeploy, and migrates", rel("v1.2.0", upgrade, v12),
			rel("v1.2.0", upgrade, map[string]Image{"api-gateway": img("api-gateway", "v1.2.0", d3), "ui": v12["ui"], "user": v12["user"]}), Plan{
				Environment: "staging", From: "v1.2.0", To: "v1.2.0", Direction: Redeploy,
				Changed:   []ServiceChange{{Service: "api-gateway", From: v12["api-gateway"], To: img("api-gateway", "v1.2.0", d3)}},
				Unchanged: []string{"ui", "user"},
				Migration: &MigrationStep{Service: "api-gateway", Command: []string{"alembic", "upgrade", "head"}, Image: img("api-gateway", "v1.2.0", d3)},
			}},
		{"another commit of main has no order here, and migrates", rel("a1b2c3d", upgrade, map[string]Image{"api-gateway": img("api-gateway", "a1b2c3d", d1)}),
			rel("b2c3d4e", upgrade, map[string]Image{"api-gateway": img("api-gateway", "b2c3d4e", d2)}), Plan{
				Environment: "staging", From: "a1b2c3d", To: "b2c3d4e", Direction: Unordered,
				Changed:   []ServiceChange{{Service: "api-gateway", From: img("api-gateway", "a1b2c3d", d1), To: img("api-gateway", "b2c3d4e", d2)}},
				Migration: &MigrationStep{Service: "api-gateway", Command: []string{"alembic", "upgrade", "head"}, Image: img("api-gateway", "b2c3d4e", d2)},
			}},
		{"a service the next release has no image for is listed as removed", rel("v1.1.0", nil, v11),
			rel("v1.2.0", nil, map[string]Image{"api-gateway": v12["api-gateway"], "ui": v12["ui"]}), Plan{
				Environment: "staging", From: "v1.1.0", To: "v1.2.0", Direction: Forward,
				Changed: []ServiceChange{
					{Service: "api-gateway", From: v11["api-gateway"], To: v12["api-gateway"]},
					{Service: "ui", From: v11["ui"], To: v12["ui"]},
				},
				Removed: []string{"user"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewPlan(tt.current, tt.next)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
				if got.Migration != nil && tt.want.Migration != nil {
					t.Errorf("migration got %+v\nwant %+v", *got.Migration, *tt.want.Migration)
				}
			}
		})
	}
}

func TestNewPlanRefuses(t *testing.T) {
	staging, dev := handBuilt(), handBuilt()
	dev.Environment = "dev"
	if _, err := NewPlan(staging, dev); err == nil || err.Error() != `plan release v1.2.0: current release is of environment "staging", next of "dev"` {
		t.Errorf("err = %v", err)
	}
	if _, err := NewPlan(staging, nil); err == nil {
		t.Error("a nil next release was planned")
	}
}

// The plan of the v1.2.0 pull request on the real staging file.
func TestPlanOfTheStagingReleasePullRequest(t *testing.T) {
	data, err := os.ReadFile(stagingFile)
	if err != nil {
		t.Fatal(err)
	}
	cur := mustDecode(t, "releases/staging.yaml", data)
	out, err := Next("releases/staging.yaml", data, Update{Version: "v1.2.0", Images: releaseImages("v1.2.0")})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(cur, mustDecode(t, "releases/staging.yaml", out))
	if err != nil {
		t.Fatal(err)
	}
	if p.Direction != Forward || len(p.Changed) != 6 || len(p.Unchanged) != 0 || !p.Changed[0].TagChanged() {
		t.Errorf("plan = %+v", p)
	}
	if m := p.Migration; m == nil || strings.Join(m.Command, " ") != "alembic upgrade head" || m.Image.Tag != "v1.2.0" {
		t.Errorf("migration = %+v", m)
	}
}

// Every service of the next release is changed or unchanged, never both;
// the removed ones are the current ones the next lacks; each change holds
// the current and next images; the direction agrees with IsRollback.
func TestPlanProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cur := genRelease().Draw(t, "current")
		next := genRelease().Draw(t, "next")
		next.Environment, next.Follows = cur.Environment, cur.Follows
		p, err := NewPlan(cur, next)
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		for _, c := range p.Changed {
			seen = append(seen, c.Service)
			if c.From != cur.Images[c.Service] || c.To != next.Images[c.Service] || c.From == c.To {
				t.Fatalf("change %+v", c)
			}
		}
		for _, s := range p.Unchanged {
			seen = append(seen, s)
			if cur.Images[s] != next.Images[s] {
				t.Fatalf("%s listed unchanged", s)
			}
		}
		slices.Sort(seen)
		if want := slices.Sorted(maps.Keys(next.Images)); !slices.Equal(seen, want) {
			t.Fatalf("services %v, want %v", seen, want)
		}
		for _, s := range p.Removed {
			if _, ok := next.Images[s]; ok {
				t.Fatalf("%s removed but in next", s)
			}
		}
		if (p.Direction == Rollback) != IsRollback(cur.Version, next.Version) {
			t.Fatalf("direction %s for %s → %s", p.Direction, cur.Version, next.Version)
		}
		if m := p.Migration; m != nil && m.SchemaStays != (m.Command == nil) {
			t.Fatalf("migration %+v", m)
		}
	})
}
