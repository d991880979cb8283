// Package release is the single place where releases/<env>.yaml is read and
// written: the model of a release (version, images pinned by digest,
// migrations, smoke checks, bake, freeze windows, seed steps, timeouts),
// strict decoding with file:line:col errors, the published JSON Schema,
// release versions (semver tags, or commits for an environment that follows
// main), the next file of a release PR edited in place, the plan of a
// release (what changes from the current one), freeze windows and the
// changelog between two releases.
//
// It is pure: no network, no AWS, no GitHub, no git. It is not the release
// engine: resolving images in ECR, listing commits, opening pull requests,
// registering task definitions and rolling services belong to the packages
// that call it (bot/jobs, bot/deploy), and rendering markdown to bot/report.
// Callers receive typed values and never re-read the YAML.
package release
