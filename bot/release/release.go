package release

import (
	"fmt"
	"time"
)

// Release is one releases/<env>.yaml, with the defaults of docs/contracts.md
// filled in after Decode. The YAML keys are the contract; the JSON names are
// for callers that hand a release on (policy input, status pages).
type Release struct {
	// Environment equals the file name without .yaml.
	Environment string `json:"environment"`
	// Follows says where versions come from: FollowsTags (the default,
	// semver tags; also what "" means in a Release built in code) or
	// FollowsMain (commits of the main branch, as dev does).
	Follows Follows `json:"follows"`
	// Version is the release deployed: a semver tag for FollowsTags, a
	// commit SHA for FollowsMain.
	Version Version `json:"version"`
	// Previous is the release this one replaced, of the same kind as
	// Version; empty for an environment's first release.
	Previous Version `json:"previous,omitempty"`
	// Images maps a service name of the environment to its image.
	Images map[string]Image `json:"images"`
	// Migrations is the database migration run before the services roll;
	// nil when the release has none.
	Migrations *Migrations `json:"migrations,omitempty"`
	// Smoke are the HTTP checks made through the load balancer once the
	// targets are healthy. Absent from the file means DefaultSmoke; an
	// explicit empty list means none.
	Smoke []Smoke `json:"smoke"`
	// Bake is how long alarms are watched after the roll (an alarm is a
	// failure and rolls back); 0 means no bake.
	Bake time.Duration `json:"bake,omitempty"`
	// Freeze are the windows during which a merged release waits.
	Freeze []Freeze `json:"freeze,omitempty"`
	// Seed are the steps of /seed, run in order as one-off tasks.
	Seed []SeedStep `json:"seed,omitempty"`
	// Timeouts bound each step of a deploy and the whole of it.
	Timeouts Timeouts `json:"timeouts"`

	// src locates the values of a decoded file, so that Validate can say
	// where a service it refuses is written; nil for a hand-built Release.
	src *source
}

// Follows is where an environment's versions come from.
type Follows string

const (
	// FollowsTags: every release is a semver tag vX.Y.Z (staging, prod).
	FollowsTags Follows = "tags"
	// FollowsMain: the environment follows the main branch; a release is
	// a commit SHA and its images are tagged with commit SHAs (dev).
	FollowsMain Follows = "main"
)

// follows is Follows with the zero value read as FollowsTags.
func (r *Release) follows() Follows {
	if r.Follows == "" {
		return FollowsTags
	}
	return r.Follows
}

// Image is the container image of one service. Digest pins it; it is
// optional until the image has been verified in ECR, and every file that
// Next writes has it.
type Image struct {
	Repository string `json:"repository"` // ECR repository name, e.g. inventory-management/api-gateway
	Tag        string `json:"tag"`
	Digest     string `json:"digest,omitempty"` // sha256:<64 hex>
}

// Ref is how ECS names the image in a task definition, without the
// registry: repository@digest when pinned (a tag can move), else
// repository:tag.
func (i Image) Ref() string {
	if i.Digest != "" {
		return i.Repository + "@" + i.Digest
	}
	return i.Repository + ":" + i.Tag
}

// String shows the tag and digest, for people.
func (i Image) String() string {
	if i.Digest != "" {
		return fmt.Sprintf("%s:%s (%s)", i.Repository, i.Tag, i.Digest)
	}
	return i.Repository + ":" + i.Tag
}

// Migrations is the database migration task: Command runs in a one-off task
// of Service's task definition with the release's image, before the roll.
// Downgrade, when set, is run by a rollback release, with the image of the
// release being left (the only one that knows the migrations to undo).
type Migrations struct {
	Service   string   `json:"service"`
	Command   []string `json:"command"`
	Downgrade []string `json:"downgrade,omitempty"`
}

// Smoke is one HTTP GET through the load balancer, which must answer Status
// within Timeout.
type Smoke struct {
	Path    string        `json:"path"`
	Status  int           `json:"status"`
	Timeout time.Duration `json:"timeout"`
}

// DefaultSmoke is the seeds' staging checklist, used when a file has no
// smoke key: the gateway's and the user service's health, and the UI.
func DefaultSmoke() []Smoke {
	return []Smoke{
		{Path: "/health", Status: 200, Timeout: 10 * time.Second},
		{Path: "/api/v1/user/health", Status: 200, Timeout: 10 * time.Second},
		{Path: "/", Status: 200, Timeout: 10 * time.Second},
	}
}

// Freeze is a recurring window during which merged releases wait: it starts
// at each occurrence of Start (a 5-field cron expression read in TimeZone)
// and lasts Duration on the wall clock of TimeZone. See FrozenAt.
type Freeze struct {
	Start    string        `json:"start"`
	Duration time.Duration `json:"duration"`
	TimeZone string        `json:"time_zone"`
}

// SeedStep is one step of /seed: Command in a one-off task of Service's task
// definition (default: the migrations service), which must exit 0 within
// Timeout.
type SeedStep struct {
	Name    string        `json:"name"`
	Command []string      `json:"command"`
	Service string        `json:"service"`
	Timeout time.Duration `json:"timeout"`
}

// Timeouts bound the steps of a deploy. Total bounds the whole deploy from
// the migration to the last smoke check (bake comes after it); each step
// is at most Total.
type Timeouts struct {
	Migration time.Duration `json:"migration"` // the migration task, from RunTask to STOPPED
	Rollout   time.Duration `json:"rollout"`   // every service's deployment PRIMARY, COMPLETED, running = desired (services roll concurrently)
	Health    time.Duration `json:"health"`    // load balancer targets healthy after the roll
	Smoke     time.Duration `json:"smoke"`     // smoke checks retried until they all pass
	Total     time.Duration `json:"total"`
}

// Defaults of the optional fields (docs/contracts.md). The timeouts fit the
// target of a whole deploy in under 15 minutes.
const (
	DefaultSeedTimeout = 10 * time.Minute
	DefaultSmokeStatus = 200
	DefaultSmokeTime   = 10 * time.Second
)

// DefaultTimeouts are the timeouts of a file without a timeouts key.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		Migration: 5 * time.Minute,
		Rollout:   10 * time.Minute,
		Health:    3 * time.Minute,
		Smoke:     2 * time.Minute,
		Total:     15 * time.Minute,
	}
}

// withoutSource is the release without where its values were written, for
// comparing releases.
func (r *Release) withoutSource() Release {
	c := *r
	c.src = nil
	return c
}
