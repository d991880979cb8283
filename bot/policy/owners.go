package policy

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"strings"
)

// Owners says who may override which rule. It is written like CODEOWNERS,
// with rule names instead of paths:
//
//	# rule pattern     owners
//	*                  @alice @bob
//	rds_*              @carol
//
// Patterns are path.Match globs over rule names; the last matching line
// wins, as in CODEOWNERS. Owners are GitHub logins (the @ is optional);
// teams are not expanded here.
type Owners struct {
	entries []ownerEntry
}

type ownerEntry struct {
	pattern string
	logins  []string
}

// ParseOwners reads an owners list; name is used in error messages.
func ParseOwners(r io.Reader, name string) (Owners, error) {
	var o Owners
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		if _, err := path.Match(fields[0], ""); err != nil {
			return Owners{}, fmt.Errorf("%s:%d: rule pattern %q: %w", name, line, fields[0], err)
		}
		if len(fields) == 1 {
			return Owners{}, fmt.Errorf("%s:%d: rule pattern %q has no owners; write \"%s @login\"", name, line, fields[0], fields[0])
		}
		e := ownerEntry{pattern: fields[0]}
		for _, f := range fields[1:] {
			e.logins = append(e.logins, normaliseLogin(f))
		}
		o.entries = append(o.entries, e)
	}
	if err := sc.Err(); err != nil {
		return Owners{}, fmt.Errorf("read %s: %w", name, err)
	}
	return o, nil
}

// For returns the owners of rule (empty when no line matches).
func (o Owners) For(rule string) []string {
	for i := len(o.entries) - 1; i >= 0; i-- {
		if ok, _ := path.Match(o.entries[i].pattern, rule); ok {
			return o.entries[i].logins
		}
	}
	return nil
}

func (o Owners) owns(rule, login string) bool {
	login = normaliseLogin(login)
	for _, l := range o.For(rule) {
		if l == login {
			return true
		}
	}
	return false
}

// normaliseLogin drops the @ and lower-cases: GitHub logins are
// case-insensitive.
func normaliseLogin(s string) string {
	return strings.ToLower(strings.TrimPrefix(s, "@"))
}

// applyOverrides marks the denies lifted by valid overrides and reports
// every requested override's outcome.
func applyOverrides(vs []Verdict, pr *PR, requested []Override, owners Owners) []OverrideOutcome {
	var out []OverrideOutcome
	applied := map[string]bool{}
	for _, o := range requested {
		oc := OverrideOutcome{Override: o}
		switch {
		case pr == nil:
			oc.Status, oc.Reason = OverrideRejected, "no pull request is being evaluated"
		case o.PR != pr.Number:
			oc.Status, oc.Reason = OverrideRejected, fmt.Sprintf("override is for PR #%d, not PR #%d", o.PR, pr.Number)
		case !owners.owns(o.Rule, o.By):
			oc.Status, oc.Reason = OverrideRejected, rejectNotOwner(o, owners.For(o.Rule))
		case applied[o.Rule]:
			oc.Status, oc.Reason = OverrideUnused, "rule already overridden by an earlier override"
		default:
			oc.Status, oc.Reason = OverrideUnused, fmt.Sprintf("rule %s did not deny", o.Rule)
			for i := range vs {
				if vs[i].Rule == o.Rule && vs[i].Level == Deny {
					ov := o
					vs[i].Overridden = &ov
					oc.Status, oc.Reason = OverrideApplied, ""
					applied[o.Rule] = true
				}
			}
		}
		out = append(out, oc)
	}
	return out
}

func rejectNotOwner(o Override, owners []string) string {
	if len(owners) == 0 {
		return fmt.Sprintf("%s is not an owner of rule %s (the rule has no owners)", o.By, o.Rule)
	}
	return fmt.Sprintf("%s is not an owner of rule %s (owners: @%s)", o.By, o.Rule, strings.Join(owners, ", @"))
}
