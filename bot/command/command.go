package command

import "strings"

// Command is one parsed comment command: Plan, Apply, Unlock, ApprovePolicy,
// Help, Seed or Deploy. The set is closed, so a type switch over those seven
// is complete.
type Command interface {
	// Name is the command without its slash, e.g. "approve-policy".
	Name() string
	// String is the canonical command line; Parse reads it back to an
	// equal value.
	String() string
	command()
}

// Plan asks for a re-plan of Envs; none means every environment the pull
// request affects.
type Plan struct{ Envs []string }

// Apply asks to apply the reviewed plans of Envs; none means every planned
// environment.
type Apply struct{ Envs []string }

// Unlock asks to release the pull request's locks on Envs; none means every
// lock it holds.
type Unlock struct{ Envs []string }

// ApprovePolicy overrides the denied policy rule Rule, in Env only when Env
// is set.
type ApprovePolicy struct{ Rule, Env string }

// Help asks for the help text.
type Help struct{}

// Seed asks to run the demo-data seed Steps in Env. Either may be empty: the
// App decides the defaults.
type Seed struct {
	Env   string
	Steps []string
}

// Deploy is a maintainer's override of a freeze window. Parse only returns
// it with Now set: "/deploy" without --now is an error.
type Deploy struct{ Now bool }

func (Plan) Name() string          { return "plan" }
func (Apply) Name() string         { return "apply" }
func (Unlock) Name() string        { return "unlock" }
func (ApprovePolicy) Name() string { return "approve-policy" }
func (Help) Name() string          { return "help" }
func (Seed) Name() string          { return "seed" }
func (Deploy) Name() string        { return "deploy" }

func (c Plan) String() string   { return line(c, c.Envs...) }
func (c Apply) String() string  { return line(c, c.Envs...) }
func (c Unlock) String() string { return line(c, c.Envs...) }
func (c Help) String() string   { return line(c) }

func (c ApprovePolicy) String() string {
	if c.Env == "" {
		return line(c, c.Rule)
	}
	return line(c, c.Rule, c.Env)
}

func (c Seed) String() string {
	if c.Env == "" {
		return line(c, c.Steps...)
	}
	return line(c, append([]string{c.Env}, c.Steps...)...)
}

func (c Deploy) String() string {
	if c.Now {
		return line(c, "--now")
	}
	return line(c)
}

func (Plan) command()          {}
func (Apply) command()         {}
func (Unlock) command()        {}
func (ApprovePolicy) command() {}
func (Help) command()          {}
func (Seed) command()          {}
func (Deploy) command()        {}

// line renders "/name arg…".
func line(c Command, args ...string) string {
	return strings.Join(append([]string{"/" + c.Name()}, args...), " ")
}
