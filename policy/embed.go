// Package policy holds the Rego rules (*.rego, with their tests in
// *_test.rego) and embeds them, so that the bot can evaluate the rules it was
// built and reviewed with rather than the ones a pull request proposes.
// Evaluation lives in bot/policy.
package policy

import "embed"

// Files holds every *.rego file of this directory (tests included;
// bot/policy skips *_test.rego).
//
//go:embed *.rego
var Files embed.FS
