package command

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// repo is the Options of a repository with environments dev and staging.
var repo = Options{Envs: []string{"staging", "dev"}}

type parseCase struct {
	name string
	body string
	opts *Options // repo when nil
	want Command  // nil: an error is expected
	err  string   // the *Error's message; "" with want nil: ErrNotCommand
	col  int
}

// manyEnvs are 40 environments, env-00 to env-39.
var manyEnvs = func() []string {
	var envs []string
	for i := range 40 {
		envs = append(envs, fmt.Sprintf("env-%02d", i))
	}
	return envs
}()

var parseCases = []parseCase{
	// Every command.
	{name: "plan without environments plans every affected one", body: "/plan", want: Plan{}},
	{name: "plan names environments in the order given", body: "/plan staging dev", want: Plan{Envs: []string{"staging", "dev"}}},
	{name: "apply without environments applies every planned one", body: "/apply", want: Apply{}},
	{name: "apply names one environment", body: "/apply dev", want: Apply{Envs: []string{"dev"}}},
	{name: "unlock without environments releases every lock", body: "/unlock", want: Unlock{}},
	{name: "unlock names environments", body: "/unlock dev staging", want: Unlock{Envs: []string{"dev", "staging"}}},
	{name: "approve-policy with a rule only approves it everywhere", body: "/approve-policy protected_destroy", want: ApprovePolicy{Rule: "protected_destroy"}},
	{name: "approve-policy with a rule and an environment", body: "/approve-policy dev_max_tasks dev", want: ApprovePolicy{Rule: "dev_max_tasks", Env: "dev"}},
	{name: "approve-policy rule may hold digits", body: "/approve-policy rule2 staging", want: ApprovePolicy{Rule: "rule2", Env: "staging"}},
	{name: "help", body: "/help", want: Help{}},
	{name: "seed alone leaves environment and steps to the App", body: "/seed", want: Seed{}},
	{name: "seed first word that is an environment is the environment", body: "/seed staging roles inventory", want: Seed{Env: "staging", Steps: []string{"roles", "inventory"}}},
	{name: "seed environment alone", body: "/seed dev", want: Seed{Env: "dev"}},
	{name: "seed words that are not environments are all steps", body: "/seed roles inventory movements", want: Seed{Steps: []string{"roles", "inventory", "movements"}}},
	{name: "seed unknown first word is a step, not an environment", body: "/seed prod roles", want: Seed{Steps: []string{"prod", "roles"}}},
	{name: "seed step names may hold digits and dashes", body: "/seed dev step-2 3rd", want: Seed{Env: "dev", Steps: []string{"step-2", "3rd"}}},
	{name: "deploy --now", body: "/deploy --now", want: Deploy{Now: true}},

	// Whitespace, line ends and free text.
	{name: "leading blank lines and indentation are ignored", body: "\n\n   \t\n  /plan dev", want: Plan{Envs: []string{"dev"}}},
	{name: "CRLF line ends are ignored", body: "/apply dev\r\nthanks!\r\n", want: Apply{Envs: []string{"dev"}}},
	{name: "blank CRLF lines before the command are ignored", body: "\r\n\r\n/apply\r\n", want: Apply{}},
	{name: "trailing spaces and tabs are ignored", body: "/plan dev \t ", want: Plan{Envs: []string{"dev"}}},
	{name: "words may be separated by several spaces and tabs", body: "/plan\tdev  \t staging", want: Plan{Envs: []string{"dev", "staging"}}},
	{name: "text after the first line is free text", body: "/apply staging\nThe plan looks right; /apply dev later.\n/help", want: Apply{Envs: []string{"staging"}}},
	{name: "environments on the second line are free text, not arguments", body: "/plan\ndev", want: Plan{}},
	{name: "a bad second line does not matter", body: "/help\n/aply prod", want: Help{}},
	{name: "non-breaking space around the line is trimmed", body: "\u00a0/help\u00a0", want: Help{}},

	// Not a command: the App stays silent.
	{name: "empty comment is not a command", body: ""},
	{name: "blank comment is not a command", body: " \n\t\r\n "},
	{name: "LGTM is not a command", body: "LGTM"},
	{name: "a command later in the line is not a command", body: "looks good /apply"},
	{name: "a command on the second line is not a command", body: "Thanks!\n/apply"},
	{name: "a quoted command in a reply is not a command", body: "> /apply dev\n\nDone?"},
	{name: "a command in backticks is not a command", body: "`/apply dev` would do it"},
	{name: "a command in a code block is not a command", body: "```\n/apply\n```"},

	// Malformed command lines: the App replies.
	{name: "space after the slash is an error suggesting the command", body: "/ plan", err: "no space allowed after /; did you mean /plan?", col: 2},
	{name: "slash alone is an error listing the commands", body: "/", err: "missing command name after /; commands: /plan, /apply, /unlock, /approve-policy, /seed, /deploy, /help", col: 2},
	{name: "slash before an unknown word lists the commands", body: "/ please", err: "missing command name after /; commands: /plan, /apply, /unlock, /approve-policy, /seed, /deploy, /help", col: 2},
	{name: "typo suggests the nearest command", body: "/aply", err: "unknown command /aply; did you mean /apply?", col: 1},
	{name: "typo with a transposition suggests the command", body: "/unlcok dev", err: "unknown command /unlcok; did you mean /unlock?", col: 1},
	{name: "commands are lowercase", body: "/Plan", err: "unknown command /Plan; commands are lowercase, did you mean /plan?", col: 1},
	{name: "uppercase command is an error suggesting lowercase", body: "/APPLY dev", err: "unknown command /APPLY; commands are lowercase, did you mean /apply?", col: 1},
	{name: "trailing punctuation suggests the command", body: "/apply.", err: "unknown command /apply.; did you mean /apply?", col: 1},
	{name: "colon after the command suggests the command", body: "/plan:dev", err: "unknown command /plan:dev; did you mean /plan?", col: 1},
	{name: "a prefix of a command suggests it", body: "/approve protected_destroy", err: "unknown command /approve; did you mean /approve-policy?", col: 1},
	{name: "unknown command lists the commands", body: "/etc/hosts is wrong", err: "unknown command /etc/hosts; commands: /plan, /apply, /unlock, /approve-policy, /seed, /deploy, /help", col: 1},
	{name: "double slash is an unknown command", body: "// comment", err: "unknown command //; commands: /plan, /apply, /unlock, /approve-policy, /seed, /deploy, /help", col: 1},
	{name: "unknown command with odd characters is quoted", body: "/pl\u202ean", err: `unknown command "/pl\u202ean"; did you mean /plan?`, col: 1},
	{name: "non-breaking space inside the line is not a separator", body: "/plan\u00a0dev", err: `unknown command "/plan\u00a0dev"; did you mean /plan?`, col: 1},

	// Environments.
	{name: "unknown environment names the known ones", body: "/apply prod", err: `unknown environment "prod"; environments: dev, staging`, col: 8},
	{name: "unknown environment after a known one points at it", body: "/plan dev prod", err: `unknown environment "prod"; environments: dev, staging`, col: 11},
	{name: "misspelt environment suggests the nearest", body: "/plan stagin", err: `unknown environment "stagin" (did you mean staging?); environments: dev, staging`, col: 7},
	{name: "environments are lowercase", body: "/unlock Dev", err: `unknown environment "Dev" (did you mean dev?); environments: dev, staging`, col: 9},
	{name: "comma-separated environments ask for spaces", body: "/plan dev,staging", err: `unknown environment "dev,staging" (separate environments with spaces); environments: dev, staging`, col: 7},
	{name: "duplicate environment is an error", body: "/plan dev dev", err: `environment "dev" given twice`, col: 11},
	{name: "flags are not accepted by plan", body: "/plan --all", err: `unexpected flag "--all"; usage: /plan [env…]`, col: 7},
	{name: "flags are not accepted by apply", body: "/apply dev -auto-approve", err: `unexpected flag "-auto-approve"; usage: /apply [env…]`, col: 12},
	{name: "columns count characters, not bytes", body: "/plan dev\tstaging éé", err: `unknown environment "éé"; environments: dev, staging`, col: 19},
	{name: "columns count from the trimmed line", body: "\n   /plan prod", err: `unknown environment "prod"; environments: dev, staging`, col: 7},
	{name: "without known environments any well-formed name is accepted", body: "/plan prod eu-west-1", opts: &Options{}, want: Plan{Envs: []string{"prod", "eu-west-1"}}},
	{name: "without known environments a malformed name is an error", body: "/plan Prod", opts: &Options{}, err: `invalid environment name "Prod": a lowercase letter, then up to 30 lowercase letters, digits or dashes`, col: 7},
	{name: "environment name longer than 31 characters is an error", body: "/plan a" + strings.Repeat("b", 31), opts: &Options{}, err: `invalid environment name "abbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": a lowercase letter, then up to 30 lowercase letters, digits or dashes`, col: 7},
	{name: "environment name of 31 characters is accepted", body: "/plan a" + strings.Repeat("b", 30), opts: &Options{}, want: Plan{Envs: []string{"a" + strings.Repeat("b", 30)}}},
	{name: "a known environment with a malformed name is still refused", body: "/plan Prod", opts: &Options{Envs: []string{"Prod"}}, err: `invalid environment name "Prod": a lowercase letter, then up to 30 lowercase letters, digits or dashes`, col: 7},
	{name: "unknown environment lists only the well-formed known ones", body: "/plan prod", opts: &Options{Envs: []string{"dev", "Bad Name", "staging"}}, err: `unknown environment "prod"; environments: dev, staging`, col: 7},
	{name: "a long list of environments is cut", body: "/plan x", opts: &Options{Envs: manyEnvs}, err: `unknown environment "x"; environments: env-00, env-01, env-02, env-03, env-04, env-05, env-06, env-07, env-08, env-09, env-10, env-11, env-12, env-13, env-14, … (40 in all)`, col: 7},
	{name: "duplicate environment without known ones is an error", body: "/unlock a b a", opts: &Options{}, err: `environment "a" given twice`, col: 13},

	// approve-policy.
	{name: "approve-policy without a rule is an error", body: "/approve-policy", err: "/approve-policy needs the name of the denied rule, e.g. /approve-policy protected_destroy; usage: /approve-policy <rule> [env]"},
	{name: "approve-policy rule with dashes suggests underscores", body: "/approve-policy protected-destroy", err: `invalid rule name "protected-destroy": rule names use underscores; did you mean protected_destroy?`, col: 17},
	{name: "approve-policy rule in capitals is an error", body: "/approve-policy Budget", err: `invalid rule name "Budget": a lowercase letter, then up to 63 lowercase letters, digits or underscores, e.g. protected_destroy`, col: 17},
	{name: "approve-policy rule starting with a digit is an error", body: "/approve-policy 1rule", err: `invalid rule name "1rule": a lowercase letter, then up to 63 lowercase letters, digits or underscores, e.g. protected_destroy`, col: 17},
	{name: "approve-policy with environment before rule is an error", body: "/approve-policy dev protected_destroy", err: "the rule comes before the environment; usage: /approve-policy <rule> [env]", col: 17},
	{name: "approve-policy unknown environment is an error", body: "/approve-policy budget prod", err: `unknown environment "prod"; environments: dev, staging`, col: 24},
	{name: "approve-policy takes one environment", body: "/approve-policy budget dev staging", err: `unexpected argument "staging"; usage: /approve-policy <rule> [env]`, col: 28},
	{name: "approve-policy takes no flags", body: "/approve-policy --force budget", err: `unexpected flag "--force"; usage: /approve-policy <rule> [env]`, col: 17},

	// help.
	{name: "help takes no arguments", body: "/help me", err: `unexpected argument "me"; usage: /help`, col: 7},

	// seed.
	{name: "seed environment after the steps is an error", body: "/seed roles staging", err: `environment "staging" must come before the steps; usage: /seed [env] [step…]`, col: 13},
	{name: "seed takes one environment", body: "/seed dev staging", err: `/seed takes one environment, and "staging" is the second; usage: /seed [env] [step…]`, col: 11},
	{name: "seed duplicate step is an error", body: "/seed dev roles roles", err: `seed step "roles" given twice`, col: 17},
	{name: "seed step with capitals is an error", body: "/seed Roles", err: `invalid seed step "Roles": lowercase letters, digits or dashes (at most 64), e.g. roles`, col: 7},
	{name: "seed step with underscore is an error", body: "/seed dev gen_movements", err: `invalid seed step "gen_movements": lowercase letters, digits or dashes (at most 64), e.g. roles`, col: 11},
	{name: "seed takes no flags", body: "/seed --all", err: `unexpected flag "--all"; usage: /seed [env] [step…]`, col: 7},
	{name: "seed without known environments reads every word as a step", body: "/seed staging roles", opts: &Options{}, want: Seed{Steps: []string{"staging", "roles"}}},

	// deploy.
	{name: "deploy without --now is an error saying it is required", body: "/deploy", err: "/deploy needs --now: /deploy --now deploys at once, overriding a freeze window"},
	{name: "deploy now without dashes suggests --now", body: "/deploy now", err: `unexpected "now"; did you mean --now?`, col: 9},
	{name: "deploy with an em dash suggests --now", body: "/deploy —now", err: `unexpected "—now"; did you mean --now?`, col: 9},
	{name: "deploy with one dash suggests --now", body: "/deploy -now", err: `unexpected "-now"; did you mean --now?`, col: 9},
	{name: "deploy other flags are errors", body: "/deploy --force", err: `unknown flag "--force"; /deploy accepts only --now`, col: 9},
	{name: "deploy --now twice is an error", body: "/deploy --now --now", err: "--now given twice; usage: /deploy --now", col: 15},
	{name: "deploy takes no environment", body: "/deploy --now staging", err: `unexpected argument "staging"; usage: /deploy --now`, col: 15},

	// The comment as a whole.
	{name: "comment over 65536 bytes is an error", body: "/plan\n" + strings.Repeat("x", MaxBodyBytes), err: "comment is 65542 bytes; the limit is 65536, GitHub's own for a comment"},
	{name: "comment of exactly 65536 bytes is read", body: "/plan\n" + strings.Repeat("x", MaxBodyBytes-6), want: Plan{}},
	{name: "non-UTF-8 comment is an error", body: "/plan dev\nbad \xff byte", err: "comment is not valid UTF-8: byte 0xff on line 2"},
	{name: "non-UTF-8 in the command is an error", body: "/plan \xc3", err: "comment is not valid UTF-8: byte 0xc3 on line 1"},

	// Echoes of user input are short and escaped.
	{name: "long unknown command is cut", body: "/" + strings.Repeat("a", 500), err: `unknown command "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…"; commands: /plan, /apply, /unlock, /approve-policy, /seed, /deploy, /help`, col: 1},
	{name: "long unknown environment is cut", body: "/plan " + strings.Repeat("é", 500), err: `unknown environment "éééééééééééééééééééééééééééééééééééééééé…"; environments: dev, staging`, col: 7},
	{name: "control characters are escaped and count towards the cut", body: "/plan " + strings.Repeat("\x01", 20), err: `unknown environment "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01…"; environments: dev, staging`, col: 7},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			opts := repo
			if tc.opts != nil {
				opts = *tc.opts
			}
			got, err := Parse(tc.body, opts)
			switch {
			case tc.want != nil:
				if err != nil {
					t.Fatalf("Parse(%q) error: %v", tc.body, err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("Parse(%q) = %#v, want %#v", tc.body, got, tc.want)
				}
			case tc.err == "":
				if !errors.Is(err, ErrNotCommand) || got != nil {
					t.Fatalf("Parse(%q) = %#v, %v; want ErrNotCommand", tc.body, got, err)
				}
			default:
				var e *Error
				if !errors.As(err, &e) || got != nil {
					t.Fatalf("Parse(%q) = %#v, %v; want *Error", tc.body, got, err)
				}
				if e.Msg != tc.err || e.Error() != tc.err || e.Col != tc.col {
					t.Fatalf("Parse(%q) error\n got %q col %d\nwant %q col %d", tc.body, e.Msg, e.Col, tc.err, tc.col)
				}
			}
		})
	}
}

func TestStringIsTheCanonicalLine(t *testing.T) {
	for _, tc := range []struct {
		cmd  Command
		want string
	}{
		{Plan{}, "/plan"},
		{Plan{Envs: []string{"dev", "staging"}}, "/plan dev staging"},
		{Apply{Envs: []string{"dev"}}, "/apply dev"},
		{Unlock{}, "/unlock"},
		{ApprovePolicy{Rule: "budget"}, "/approve-policy budget"},
		{ApprovePolicy{Rule: "budget", Env: "dev"}, "/approve-policy budget dev"},
		{Help{}, "/help"},
		{Seed{}, "/seed"},
		{Seed{Env: "dev"}, "/seed dev"},
		{Seed{Steps: []string{"roles", "inventory"}}, "/seed roles inventory"},
		{Seed{Env: "staging", Steps: []string{"roles"}}, "/seed staging roles"},
		{Deploy{Now: true}, "/deploy --now"},
	} {
		if got := tc.cmd.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.cmd, got, tc.want)
		}
		if got, want := tc.cmd.Name(), strings.TrimPrefix(strings.Fields(tc.want)[0], "/"); got != want {
			t.Errorf("%#v.Name() = %q, want %q", tc.cmd, got, want)
		}
	}
}

func TestHelpListsEveryCommandWithItsGrammar(t *testing.T) {
	help := HelpText()
	for _, usage := range []string{"`/plan [env…]`", "`/apply [env…]`", "`/unlock [env…]`", "`/approve-policy <rule> [env]`", "`/help`", "`/seed [env] [step…]`", "`/deploy --now`"} {
		if strings.Count(help, "\n- "+usage+" — ") != 1 {
			t.Errorf("help does not list %s once as a list item:\n%s", usage, help)
		}
	}
	if (&Error{}).Help() != help {
		t.Error("Error.Help differs from HelpText")
	}
	if got, err := Parse(Help{}.String(), repo); err != nil || got != (Help{}) {
		t.Errorf("the /help line does not parse as Help: %v, %v", got, err)
	}
}

// largestBodies are bodies at the size limit in the shapes a quadratic
// parser would rescan: blank lines before the command, many distinct
// environments or steps, one huge word.
func largestBodies() []struct{ name, body string } {
	words := func(prefix string) string {
		var b strings.Builder
		for i := 0; b.Len() < MaxBodyBytes-20; i++ {
			fmt.Fprintf(&b, " %s%d", prefix, i)
		}
		return b.String()
	}
	return []struct{ name, body string }{
		{"blank lines", strings.Repeat(" \r\n", MaxBodyBytes/3-10) + "/plan"},
		{"environments", "/plan" + words("e")},
		{"steps", "/seed" + words("")},
		{"one word", "/" + strings.Repeat("a", MaxBodyBytes-1)},
		{"one environment", "/plan " + strings.Repeat("a", MaxBodyBytes-6)},
	}
}

// BenchmarkParseLargestBodies measures bodies at the size limit (speed is
// a benchmark, never a test assertion).
func BenchmarkParseLargestBodies(b *testing.B) {
	for _, tc := range largestBodies() {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.body)))
			for b.Loop() {
				_, _ = Parse(tc.body, Options{})
			}
		})
	}
}
