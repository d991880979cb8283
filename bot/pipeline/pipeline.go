// Package pipeline runs the engines over one checkout at one commit: it
// loads the environment specs, plans them, prices the plans, evaluates
// policy over them and applies a saved plan behind its policy gate. The CLI
// and the App's jobs call the very same functions, so a behaviour seen in
// one is the behaviour of the other.
//
// It is not for talking to GitHub, storing anything beyond what the engines
// save, or rendering text for people (bot/report does that).
package pipeline

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/gitops-bot/gitops/bot/cost"
	"github.com/gitops-bot/gitops/bot/envspec"
	"github.com/gitops-bot/gitops/bot/tf"
)

// Config says where one checkout's inputs are.
type Config struct {
	// Dir is the checkout: environments/, terraform/, policy/.
	Dir string
	// PolicyDir holds the rules that gate applies; default Dir/policy. The
	// App points it at the default branch's policy/, never at the pull
	// request's, so a change cannot approve itself.
	PolicyDir string
	// Runner runs terraform on Dir/terraform; nil for work without terraform
	// (validate, spec-only cost).
	Runner *tf.Runner
	// HeadSHA is the commit checked out in Dir, when known; plans record it
	// and an apply of a plan made for another commit is refused.
	HeadSHA string
}

// Pipeline runs the engines over one checkout.
type Pipeline struct {
	cfg Config
}

// New returns a Pipeline for cfg.
func New(cfg Config) *Pipeline {
	if cfg.PolicyDir == "" {
		cfg.PolicyDir = filepath.Join(cfg.Dir, "policy")
	}
	return &Pipeline{cfg: cfg}
}

// ErrNoRunner is returned by work that needs terraform when the pipeline
// was built without a runner.
var ErrNoRunner = errors.New("pipeline: no terraform runner configured")

// UnknownEnvError is a name that is not an environment of the checkout.
type UnknownEnvError struct {
	Name  string
	Known []string
}

func (e *UnknownEnvError) Error() string {
	return fmt.Sprintf("unknown environment %q (environments/: %v)", e.Name, e.Known)
}

// Environments decodes every environments/*.yaml of the checkout; the
// cross-environment rules need them all. The error, if any, is
// envspec.Errors with every problem found.
func (p *Pipeline) Environments() ([]*envspec.Spec, error) {
	return envspec.LoadDir(filepath.Join(p.cfg.Dir, "environments"))
}

// Select returns the specs named, in the order named.
func Select(specs []*envspec.Spec, names []string) ([]*envspec.Spec, error) {
	var known []string
	for _, s := range specs {
		known = append(known, s.Name)
	}
	out := make([]*envspec.Spec, 0, len(names))
	for _, n := range names {
		i := slices.IndexFunc(specs, func(s *envspec.Spec) bool { return s.Name == n })
		if i < 0 {
			return nil, &UnknownEnvError{Name: n, Known: known}
		}
		out = append(out, specs[i])
	}
	return out, nil
}

// CostOptions are the inputs of an environment's estimate besides its plan:
// region, budget and the usage assumptions of environments/<env>.usage.yaml.
func (p *Pipeline) CostOptions(spec *envspec.Spec) (cost.Options, error) {
	usage, err := cost.LoadUsage(filepath.Join(p.cfg.Dir, "environments", cost.UsageFileName(spec.Name)))
	if err != nil {
		return cost.Options{}, err
	}
	return cost.Options{Environment: spec.Name, Region: spec.Region, Usage: usage, Budget: spec.Budget}, nil
}
