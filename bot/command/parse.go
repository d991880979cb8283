package command

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxBodyBytes is the longest comment body Parse reads: GitHub's own limit
// for a comment, so a longer body did not come from one.
const MaxBodyBytes = 65536

// Options is what Parse knows about the repository. The zero value works:
// it accepts any well-formed environment name.
type Options struct {
	// Envs are the repository's environment names. When set, a command
	// may name only these, and /seed reads its first word as the
	// environment when it is one of them. When empty, any well-formed
	// name is accepted, and /seed reads every word as a step.
	Envs []string
}

var (
	envRe  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)
	ruleRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	stepRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
)

// Parse reads the command on the first non-empty line of a comment body.
// It returns ErrNotCommand when that line does not start with "/" (or there
// is none), and an *Error when it does but is not a valid command, when the
// body is longer than MaxBodyBytes or when it is not UTF-8. Leading and
// trailing whitespace and a trailing "\r" on the line are ignored; words are
// separated by spaces and tabs; the lines after it are free text.
func Parse(body string, opts Options) (Command, error) {
	if len(body) > MaxBodyBytes {
		return nil, &Error{Msg: fmt.Sprintf("comment is %d bytes; the limit is %d, GitHub's own for a comment", len(body), MaxBodyBytes)}
	}
	if !utf8.ValidString(body) {
		return nil, &Error{Msg: notUTF8(body)}
	}
	line, ok := firstLine(body)
	if !ok || line[0] != '/' {
		return nil, ErrNotCommand
	}
	words := split(line)
	name, args := strings.TrimPrefix(words[0].text, "/"), words[1:]
	p := &parser{known: sortedUnique(opts.Envs)}
	if name == "" {
		return nil, missingName(args)
	}
	for _, c := range commands {
		if c.name == name {
			return c.parse(p, args)
		}
	}
	return nil, unknownCommand(words[0].text)
}

// firstLine returns the first line of body that is not blank, without its
// surrounding whitespace (a trailing "\r" included).
func firstLine(body string) (string, bool) {
	for rest := body; rest != ""; {
		var l string
		l, rest, _ = strings.Cut(rest, "\n")
		if l = strings.TrimSpace(l); l != "" {
			return l, true
		}
	}
	return "", false
}

// word is one word of the command line and the 1-based column, in
// characters, where it starts.
type word struct {
	text string
	col  int
}

// split cuts line into words at spaces and tabs.
func split(line string) []word {
	var words []word
	start, startCol, col := -1, 0, 0
	for i, r := range line {
		col++
		if r == ' ' || r == '\t' {
			if start >= 0 {
				words = append(words, word{line[start:i], startCol})
				start = -1
			}
			continue
		}
		if start < 0 {
			start, startCol = i, col
		}
	}
	if start >= 0 {
		words = append(words, word{line[start:], startCol})
	}
	return words
}

// parser holds what the per-command parse functions share.
type parser struct {
	known []string // the repository's environments, sorted, no repeats
}

func (p *parser) isEnv(s string) bool {
	_, found := slices.BinarySearch(p.known, s)
	return found
}

// env checks that w names an environment: a known one when the repository's
// are known, a well-formed one always.
func (p *parser) env(w word) error {
	if len(p.known) > 0 && !p.isEnv(w.text) {
		// Offer only the names that can be accepted.
		valid := slices.DeleteFunc(slices.Clone(p.known), func(s string) bool { return !envRe.MatchString(s) })
		msg := "unknown environment " + quote(w.text)
		if strings.ContainsAny(w.text, ",;") {
			msg += " (separate environments with spaces)"
		} else if s, ok := suggest(w.text, valid); ok {
			msg += " (did you mean " + s + "?)"
		}
		return &Error{Msg: msg + "; environments: " + list(valid), Col: w.col}
	}
	if !envRe.MatchString(w.text) {
		return &Error{Msg: "invalid environment name " + quote(w.text) + ": a lowercase letter, then up to 30 lowercase letters, digits or dashes", Col: w.col}
	}
	return nil
}

// envs reads the [env…] arguments of /plan, /apply and /unlock.
func (p *parser) envs(usage string, args []word) ([]string, error) {
	var envs []string
	seen := make(map[string]bool, len(args))
	for _, a := range args {
		if err := noFlag(a, usage); err != nil {
			return nil, err
		}
		if err := p.env(a); err != nil {
			return nil, err
		}
		if seen[a.text] {
			return nil, &Error{Msg: "environment " + quote(a.text) + " given twice", Col: a.col}
		}
		seen[a.text] = true
		envs = append(envs, a.text)
	}
	return envs, nil
}

func parsePlan(p *parser, args []word) (Command, error) {
	envs, err := p.envs(usagePlan, args)
	if err != nil {
		return nil, err
	}
	return Plan{Envs: envs}, nil
}

func parseApply(p *parser, args []word) (Command, error) {
	envs, err := p.envs(usageApply, args)
	if err != nil {
		return nil, err
	}
	return Apply{Envs: envs}, nil
}

func parseUnlock(p *parser, args []word) (Command, error) {
	envs, err := p.envs(usageUnlock, args)
	if err != nil {
		return nil, err
	}
	return Unlock{Envs: envs}, nil
}

func parseApprovePolicy(p *parser, args []word) (Command, error) {
	if len(args) == 0 {
		return nil, &Error{Msg: "/approve-policy needs the name of the denied rule, e.g. /approve-policy protected_destroy; usage: " + usageApprovePolicy}
	}
	rule := args[0]
	if err := noFlag(rule, usageApprovePolicy); err != nil {
		return nil, err
	}
	if len(args) >= 2 && p.isEnv(rule.text) && !p.isEnv(args[1].text) {
		return nil, &Error{Msg: "the rule comes before the environment; usage: " + usageApprovePolicy, Col: rule.col}
	}
	if !ruleRe.MatchString(rule.text) {
		msg := "invalid rule name " + quote(rule.text) + ": a lowercase letter, then up to 63 lowercase letters, digits or underscores, e.g. protected_destroy"
		if s := strings.ReplaceAll(rule.text, "-", "_"); s != rule.text && ruleRe.MatchString(s) {
			msg = "invalid rule name " + quote(rule.text) + ": rule names use underscores; did you mean " + s + "?"
		}
		return nil, &Error{Msg: msg, Col: rule.col}
	}
	c := ApprovePolicy{Rule: rule.text}
	if len(args) >= 2 {
		if err := noFlag(args[1], usageApprovePolicy); err != nil {
			return nil, err
		}
		if err := p.env(args[1]); err != nil {
			return nil, err
		}
		c.Env = args[1].text
	}
	if len(args) > 2 {
		return nil, unexpected(args[2], usageApprovePolicy)
	}
	return c, nil
}

func parseHelp(_ *parser, args []word) (Command, error) {
	if len(args) > 0 {
		return nil, unexpected(args[0], usageHelp)
	}
	return Help{}, nil
}

func parseSeed(p *parser, args []word) (Command, error) {
	var c Seed
	if len(args) > 0 && p.isEnv(args[0].text) {
		if err := p.env(args[0]); err != nil {
			return nil, err
		}
		c.Env, args = args[0].text, args[1:]
	}
	seen := make(map[string]bool, len(args))
	for _, a := range args {
		if err := noFlag(a, usageSeed); err != nil {
			return nil, err
		}
		if p.isEnv(a.text) {
			msg := "environment " + quote(a.text) + " must come before the steps; usage: " + usageSeed
			if c.Env != "" {
				msg = "/seed takes one environment, and " + quote(a.text) + " is the second; usage: " + usageSeed
			}
			return nil, &Error{Msg: msg, Col: a.col}
		}
		if !stepRe.MatchString(a.text) {
			return nil, &Error{Msg: "invalid seed step " + quote(a.text) + ": lowercase letters, digits or dashes (at most 64), e.g. roles", Col: a.col}
		}
		if seen[a.text] {
			return nil, &Error{Msg: "seed step " + quote(a.text) + " given twice", Col: a.col}
		}
		seen[a.text] = true
		c.Steps = append(c.Steps, a.text)
	}
	return c, nil
}

func parseDeploy(_ *parser, args []word) (Command, error) {
	if len(args) == 0 {
		return nil, &Error{Msg: "/deploy needs --now: /deploy --now deploys at once, overriding a freeze window"}
	}
	now := false
	for _, a := range args {
		switch {
		case a.text == "--now" && now:
			return nil, &Error{Msg: "--now given twice; usage: " + usageDeploy, Col: a.col}
		case a.text == "--now":
			now = true
		case strings.ToLower(strings.TrimLeft(a.text, "-—–")) == "now":
			// "now", "-now", and "—now" as typed by an editor that turns
			// "--" into a dash.
			return nil, &Error{Msg: "unexpected " + quote(a.text) + "; did you mean --now?", Col: a.col}
		case strings.HasPrefix(a.text, "-"):
			return nil, &Error{Msg: "unknown flag " + quote(a.text) + "; /deploy accepts only --now", Col: a.col}
		default:
			return nil, unexpected(a, usageDeploy)
		}
	}
	return Deploy{Now: true}, nil
}

// noFlag rejects a word that looks like a flag where none is accepted.
func noFlag(w word, usage string) error {
	if strings.HasPrefix(w.text, "-") {
		return &Error{Msg: "unexpected flag " + quote(w.text) + "; usage: " + usage, Col: w.col}
	}
	return nil
}

func unexpected(w word, usage string) error {
	return &Error{Msg: "unexpected argument " + quote(w.text) + "; usage: " + usage, Col: w.col}
}

// missingName is the error for a line that is "/" alone or "/ plan".
func missingName(args []word) error {
	if len(args) > 0 {
		if s, ok := suggestCommand(args[0].text); ok {
			return &Error{Msg: "no space allowed after /; did you mean /" + s + "?", Col: 2}
		}
	}
	return &Error{Msg: "missing command name after /; commands: " + commandList(), Col: 2}
}

// unknownCommand is the error for a command word (slash included) that names
// no command.
func unknownCommand(w string) error {
	msg := "unknown command " + commandWord(w)
	name := strings.TrimPrefix(w, "/")
	switch s, ok := suggestCommand(name); {
	case ok && s == strings.ToLower(name):
		msg += "; commands are lowercase, did you mean /" + s + "?"
	case ok:
		msg += "; did you mean /" + s + "?"
	default:
		msg += "; commands: " + commandList()
	}
	return &Error{Msg: msg, Col: 1}
}

// suggestCommand returns the command a mistyped name most likely meant: the
// same in lowercase, a command followed by punctuation ("/apply."), one
// within two edits ("/aply"), or one the name begins ("/approve").
func suggestCommand(name string) (string, bool) {
	names := commandNames()
	if s, ok := suggest(name, names); ok {
		return s, true
	}
	lower := strings.ToLower(name)
	best := ""
	for _, n := range names {
		if rest, ok := strings.CutPrefix(lower, n); ok && len(n) > len(best) {
			if r, _ := utf8.DecodeRuneInString(rest); !isNameRune(r) {
				best = n
			}
		}
	}
	if best != "" {
		return best, true
	}
	if len(lower) >= 3 {
		for _, n := range names {
			if strings.HasPrefix(n, lower) {
				return n, true
			}
		}
	}
	return "", false
}

// suggest returns the candidate s most likely meant: s in lowercase, or the
// nearest within two edits.
func suggest(s string, candidates []string) (string, bool) {
	lower := strings.ToLower(s)
	if slices.Contains(candidates, lower) {
		return lower, true
	}
	return nearest(lower, candidates)
}

func isNameRune(r rune) bool {
	return 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_'
}

// notUTF8 says where body stops being UTF-8.
func notUTF8(body string) string {
	line := 1
	for i := 0; i < len(body); {
		r, size := utf8.DecodeRuneInString(body[i:])
		if r == utf8.RuneError && size == 1 {
			return fmt.Sprintf("comment is not valid UTF-8: byte %#02x on line %d", body[i], line)
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return "comment is not valid UTF-8"
}
