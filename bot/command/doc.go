// Package command reads the commands people write in pull-request comments
// (/plan, /apply, /unlock, /approve-policy, /seed, /deploy, /help): it turns
// a comment body into a typed Command, or into an *Error that says what is
// wrong and what would be accepted, and it writes the help text that lists
// the grammar.
//
// It is the grammar only. It does no I/O and decides nothing about who may
// run a command, whether a plan exists or which environment a bare /seed
// means: the jobs do that with the value Parse returns. It knows the
// repository's environment names only through Options.
//
// A comment is a command when its first non-empty line starts with "/".
// Anything else is ordinary conversation, reported as ErrNotCommand so the
// App stays silent; a first line that starts with "/" but does not parse is
// an *Error the App answers.
package command
