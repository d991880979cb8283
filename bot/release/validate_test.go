package release

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateAgainstTheEnvironmentsServices(t *testing.T) {
	staging, err := Load(stagingFile)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		services []string
		want     []string // every error, in order
	}{
		{"the six inventory services are accepted", inventoryServices, nil},
		{"an image of a service the environment does not have is refused where it is written",
			[]string{"api-gateway", "inventory", "location", "user", "ui"},
			[]string{`../../releases/staging.yaml:13:3: images.reporting: no service "reporting" in environment staging; expected one of api-gateway, inventory, location, ui, user`}},
		{"a service of the environment without an image is refused",
			append([]string{"billing"}, inventoryServices...),
			[]string{`../../releases/staging.yaml:7:1: images: service "billing" of environment staging has no image; add images.billing`}},
		{"a near miss names the service meant",
			[]string{"api-gateway", "inventory", "location", "users", "reporting", "ui"},
			[]string{
				`../../releases/staging.yaml:7:1: images: service "users" of environment staging has no image; add images.users`,
				`../../releases/staging.yaml:12:3: images.user: no service "user" in environment staging (did you mean users?); expected one of api-gateway, inventory, location, reporting, ui, users`,
			}},
		{"no services at all is the caller's mistake, said so", nil,
			[]string{`../../releases/staging.yaml:7:1: images: the environment has no services to release; Validate needs the names from its spec`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := staging.Validate(tt.services)
			var got []string
			var errs Errors
			if errors.As(err, &errs) {
				for _, e := range errs {
					got = append(got, e.Error())
				}
			} else if err != nil {
				t.Fatalf("error is %T: %v", err, err)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// handBuilt is a valid Release made in code.
func handBuilt() *Release {
	return &Release{
		Environment: "staging",
		Follows:     FollowsTags,
		Version:     "v1.2.0",
		Previous:    "v1.1.0",
		Images: map[string]Image{
			"api-gateway": {Repository: "inventory-management/api-gateway", Tag: "v1.2.0", Digest: "sha256:" + strings.Repeat("a", 64)},
			"ui":          {Repository: "inventory-management/ui", Tag: "v1.2.0"},
		},
		Migrations: &Migrations{Service: "api-gateway", Command: []string{"alembic", "upgrade", "head"}},
		Smoke:      DefaultSmoke(),
		Freeze:     []Freeze{{Start: "0 17 * * FRI", Duration: 63 * time.Hour, TimeZone: "Europe/Berlin"}},
		Seed:       []SeedStep{{Name: "roles", Command: []string{"python", "a.py"}, Service: "api-gateway", Timeout: time.Minute}},
		Timeouts:   DefaultTimeouts(),
	}
}

func TestValidateHandBuiltRelease(t *testing.T) {
	services := []string{"api-gateway", "ui"}
	tests := []struct {
		name   string
		change func(r *Release)
		want   string // "" = valid
	}{
		{"a valid release", func(*Release) {}, ""},
		{"errors carry the field path, without a file", func(r *Release) { r.Version = "v1.2" }, `version: "v1.2" is not a release version`},
		{"a zero Follows means tags", func(r *Release) { r.Follows = "" }, ""},
		{"a commit in an environment following main", func(r *Release) { r.Follows, r.Version, r.Previous = FollowsMain, "a1b2c3d", "" }, ""},
		{"a service name that no file could hold", func(r *Release) { r.Images["UI"] = r.Images["ui"] }, `images.UI: "UI" is not a valid service name`},
		{"no images", func(r *Release) { r.Images = nil }, "images: no images"},
		{"a seed step without a service", func(r *Release) { r.Seed[0].Service = "" }, "seed[0].service: required"},
		{"a migration without a service", func(r *Release) { r.Migrations.Service = "" }, "migrations.service: required"},
		{"a zero timeout that Decode would have defaulted", func(r *Release) { r.Timeouts.Health = 0 }, "timeouts.health: 0s is not positive"},
		{"a freeze that never lifts", func(r *Release) { r.Freeze[0].Duration = 200 * time.Hour }, "freeze[0].duration: 200h is longer than the time between two starts"},
		{"a smoke check without a status", func(r *Release) { r.Smoke[1].Status = 0 }, "smoke[1].status: 0 is not an HTTP status"},
		{"too many freeze windows", func(r *Release) {
			for range maxFreeze {
				r.Freeze = append(r.Freeze, r.Freeze[0])
			}
		}, "freeze: 11 windows; at most 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := handBuilt()
			tt.change(r)
			err := r.Validate(services)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant it to start with %q", err, tt.want)
			}
		})
	}
}
