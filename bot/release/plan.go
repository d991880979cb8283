package release

import (
	"fmt"
	"maps"
	"slices"
)

// Direction is how a release moves from the current one.
type Direction string

const (
	// Forward: a higher tag than the current one, or the first release.
	Forward Direction = "forward"
	// Rollback: a lower tag than the current one.
	Rollback Direction = "rollback"
	// Redeploy: the same version again (images may have been rebuilt).
	Redeploy Direction = "redeploy"
	// Unordered: another commit of an environment that follows main; only
	// git knows whether it is ahead.
	Unordered Direction = "unordered"
)

// Plan is what deploying a release changes, for the release pull request's
// body and for the deploy: which images move, which stay, and which
// migration runs.
type Plan struct {
	Environment string
	From, To    Version // From is empty for the first release
	Direction   Direction
	// Changed are the services whose image changes, added ones included
	// (their From is the zero Image), sorted by name.
	Changed []ServiceChange
	// Unchanged are the services deployed as they are, sorted.
	Unchanged []string
	// Removed are services of the current release that the next one has
	// no image for; the deploy leaves them running as they are.
	Removed []string
	// Migration is the migration step; nil when the release has none.
	Migration *MigrationStep
}

// ServiceChange is one service whose image changes.
type ServiceChange struct {
	Service  string
	From, To Image
}

// TagChanged says whether the tag moves; when only the digest does, the
// image was rebuilt under the same tag.
func (c ServiceChange) TagChanged() bool { return c.From.Tag != c.To.Tag }

// MigrationStep is the migration a deploy runs before rolling the services.
type MigrationStep struct {
	Service string
	// Command is what runs: the upgrade for a forward release (and a
	// redeploy), the downgrade for a rollback; nil when nothing runs.
	Command []string
	// Image is the image the task runs: the new release's for an upgrade;
	// for a downgrade the current one's, the only one that knows the
	// migrations to undo.
	Image Image
	// Downgrade says that Command is the downgrade of a rollback.
	Downgrade bool
	// SchemaStays is set for a rollback without a downgrade: no migration
	// runs and the database stays at the current release's schema, which
	// the older services must tolerate.
	SchemaStays bool
}

// NewPlan compares the release deployed (current; nil before the first
// release) with the next one. Both must be of the same environment.
func NewPlan(current, next *Release) (*Plan, error) {
	if next == nil {
		return nil, fmt.Errorf("plan release: no next release")
	}
	if current != nil && current.Environment != next.Environment {
		return nil, fmt.Errorf("plan release %s: current release is of environment %q, next of %q", next.Version, current.Environment, next.Environment)
	}
	p := &Plan{Environment: next.Environment, To: next.Version, Direction: Forward}
	var before map[string]Image
	if current != nil {
		p.From = current.Version
		before = current.Images
		switch {
		case current.Version == next.Version:
			p.Direction = Redeploy
		case !current.Version.IsSemver() || !next.Version.IsSemver():
			p.Direction = Unordered
		case IsRollback(current.Version, next.Version):
			p.Direction = Rollback
		}
	}
	for _, name := range slices.Sorted(maps.Keys(next.Images)) {
		old, ok := before[name]
		if ok && old == next.Images[name] {
			p.Unchanged = append(p.Unchanged, name)
			continue
		}
		p.Changed = append(p.Changed, ServiceChange{Service: name, From: old, To: next.Images[name]})
	}
	for _, name := range slices.Sorted(maps.Keys(before)) {
		if _, ok := next.Images[name]; !ok {
			p.Removed = append(p.Removed, name)
		}
	}
	p.Migration = migrationStep(current, next, p.Direction)
	return p, nil
}

// migrationStep picks the migration of a release: the upgrade of the next
// release, or on a rollback the downgrade the current release declares.
func migrationStep(current, next *Release, dir Direction) *MigrationStep {
	if dir != Rollback {
		m := next.Migrations
		if m == nil {
			return nil
		}
		return &MigrationStep{Service: m.Service, Command: slices.Clone(m.Command), Image: next.Images[m.Service]}
	}
	m := current.Migrations
	if m == nil {
		m = next.Migrations
	}
	if m == nil {
		return nil
	}
	if len(m.Downgrade) == 0 {
		return &MigrationStep{Service: m.Service, SchemaStays: true}
	}
	return &MigrationStep{Service: m.Service, Command: slices.Clone(m.Downgrade), Image: current.Images[m.Service], Downgrade: true}
}
