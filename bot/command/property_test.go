package command

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"pgregory.net/rapid"
)

// genOptions draws a repository's environments; sometimes none, so the
// grammar without known environments is covered too.
func genOptions() *rapid.Generator[Options] {
	return rapid.Custom(func(t *rapid.T) Options {
		envs := rapid.SliceOfNDistinct(rapid.StringMatching(envRe.String()), 0, 5, rapid.ID[string]).Draw(t, "envs")
		return Options{Envs: envs}
	})
}

// genEnvs draws distinct environments a command may name: known ones when
// opts has them, well-formed ones otherwise. None is nil, as Parse returns.
func genEnvs(t *rapid.T, opts Options, label string) []string {
	var envs []string
	if len(opts.Envs) > 0 {
		envs = rapid.SliceOfNDistinct(rapid.SampledFrom(opts.Envs), 0, len(opts.Envs), rapid.ID[string]).Draw(t, label)
	} else {
		envs = rapid.SliceOfNDistinct(rapid.StringMatching(envRe.String()), 0, 4, rapid.ID[string]).Draw(t, label)
	}
	if len(envs) == 0 {
		return nil
	}
	return envs
}

// genCommand draws a valid command for a repository with opts.
func genCommand(opts Options) *rapid.Generator[Command] {
	return rapid.Custom(func(t *rapid.T) Command {
		switch rapid.IntRange(0, 6).Draw(t, "kind") {
		case 0:
			return Plan{Envs: genEnvs(t, opts, "envs")}
		case 1:
			return Apply{Envs: genEnvs(t, opts, "envs")}
		case 2:
			return Unlock{Envs: genEnvs(t, opts, "envs")}
		case 3:
			c := ApprovePolicy{Rule: rapid.StringMatching(ruleRe.String()).Draw(t, "rule")}
			if envs := genEnvs(t, opts, "env"); len(envs) > 0 {
				c.Env = envs[0]
			}
			return c
		case 4:
			return Help{}
		case 5:
			var c Seed
			if envs := genEnvs(t, opts, "env"); len(envs) > 0 && len(opts.Envs) > 0 {
				c.Env = envs[0]
			}
			notEnv := func(s string) bool { return !slices.Contains(opts.Envs, s) }
			steps := rapid.SliceOfNDistinct(rapid.StringMatching(stepRe.String()).Filter(notEnv), 0, 4, rapid.ID[string]).Draw(t, "steps")
			if len(steps) > 0 {
				c.Steps = steps
			}
			return c
		default:
			return Deploy{Now: true}
		}
	})
}

func TestPropertyCanonicalLineParsesBack(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		opts := genOptions().Draw(t, "opts")
		want := genCommand(opts).Draw(t, "cmd")
		got, err := Parse(want.String(), opts)
		if err != nil {
			t.Fatalf("Parse(%q) error: %v", want.String(), err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Parse(%q) = %#v, want %#v", want.String(), got, want)
		}
	})
}

// blank draws a run of whitespace Parse ignores around the command line.
func blank(t *rapid.T, label string) string {
	return rapid.StringOfN(rapid.SampledFrom([]rune{' ', '\t', '\r', '\u00a0', '\u3000'}), 0, 4, -1).Draw(t, label)
}

func TestPropertyWhitespaceAndFreeTextDoNotChangeTheCommand(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		opts := genOptions().Draw(t, "opts")
		want := genCommand(opts).Draw(t, "cmd")
		var b strings.Builder
		for range rapid.IntRange(0, 3).Draw(t, "blank lines") {
			b.WriteString(blank(t, "blank line") + "\n")
		}
		b.WriteString(blank(t, "indent"))
		for i, w := range strings.Fields(want.String()) {
			if i > 0 {
				b.WriteString(rapid.StringOfN(rapid.SampledFrom([]rune{' ', '\t'}), 1, 3, -1).Draw(t, "separator"))
			}
			b.WriteString(w)
		}
		b.WriteString(blank(t, "trailer"))
		if rapid.Bool().Draw(t, "free text") {
			b.WriteString(rapid.SampledFrom([]string{"\n", "\r\n"}).Draw(t, "line end"))
			b.WriteString(rapid.String().Draw(t, "text"))
		}
		got, err := Parse(b.String(), opts)
		if err != nil {
			t.Fatalf("Parse(%q) error: %v", b.String(), err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Parse(%q) = %#v, want %#v", b.String(), got, want)
		}
	})
}

func TestPropertyTextNotStartingWithSlashIsNotACommand(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// Letters, digits, punctuation and symbols: anything visible a
		// comment may start with.
		first := rapid.RuneFrom(nil, unicode.L, unicode.N, unicode.P, unicode.S).
			Filter(func(r rune) bool { return r != '/' }).Draw(t, "first")
		body := blank(t, "indent") + string(first) + rapid.String().Draw(t, "rest")
		if _, err := Parse(body, repo); !errors.Is(err, ErrNotCommand) {
			t.Fatalf("Parse(%q) = %v, want ErrNotCommand", body, err)
		}
	})
}

// genLine draws a command line from the grammar's own words and near
// misses, so that random lines reach every branch of Parse.
func genLine() *rapid.Generator[string] {
	words := []string{
		"/plan", "/apply", "/unlock", "/approve-policy", "/help", "/seed", "/deploy", "/", "/Plan", "/aply", "/apply.",
		"dev", "staging", "prod", "Dev", "dev,staging", "--now", "-now", "now", "—now", "--all",
		"roles", "inventory", "movements", "protected_destroy", "protected-destroy", "1rule", "",
		"é", "\u00a0", "\x00", "\u202e", strings.Repeat("a", 120),
	}
	return rapid.Custom(func(t *rapid.T) string {
		ws := rapid.SliceOfN(rapid.SampledFrom(words), 1, 6).Draw(t, "words")
		return strings.Join(ws, rapid.SampledFrom([]string{" ", "\t", "  "}).Draw(t, "sep"))
	})
}

func TestPropertyParseIsTotal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		body := rapid.OneOf(rapid.String(), genLine(), rapid.Map(genLine(), func(s string) string { return s + "\n" + s })).Draw(t, "body")
		checkParse(t, body)
	})
}

func TestPropertyErrorsQuoteLittleOfTheInput(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		long := rapid.StringMatching(`[a-z0-9]{101,400}`).Draw(t, "long")
		line := rapid.SampledFrom([]string{
			"/%s", "/plan %s", "/plan dev %s", "/apply %s", "/approve-policy %s", "/approve-policy rule %s",
			"/seed %s", "/seed dev roles %s x", "/help %s", "/deploy %s", "/deploy --now %s", "/ %s",
		}).Draw(t, "line")
		body := strings.Replace(line, "%s", long, 1)
		_, err := Parse(body, repo)
		var e *Error
		if !errors.As(err, &e) {
			return // a long step or rule name can be valid
		}
		if strings.Contains(e.Msg, long[:maxEcho+1]) {
			t.Fatalf("error quotes more than %d characters of the input: %q", maxEcho, e.Msg)
		}
		if n := utf8.RuneCountInString(e.Msg); n > 300 {
			t.Fatalf("error of %d characters: %q", n, e.Msg)
		}
	})
}
