package report

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
)

// Redacted replaces every secret Redact and RedactValues find.
const Redacted = "(redacted)"

// redactedKey replaces a private key block.
const redactedKey = "(redacted private key)"

// The patterns Redact applies, in order. Private keys go first because their
// bodies would otherwise be cut into pieces by the narrower patterns; the key
// assignments go before the token shapes so that `token = "ghp_…"` keeps its
// key and loses its whole value.
var (
	// pemBegin and pemEnd are the BEGIN and END lines of a private key:
	// PEM (RSA, EC, OPENSSH, PKCS#8, encrypted) and PGP. redactKeys takes
	// what lies between and around them.
	pemBegin = regexp.MustCompile(`-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----`)
	pemEnd   = regexp.MustCompile(`-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----`)
	// pemBody is what a key's body is made of: base64, headers, line ends,
	// indentation (a terraform heredoc), escaped line ends (a JSON string).
	// It has no backtick or quote, so a key never reaches across a fence.
	pemBody = regexp.MustCompile(`^[A-Za-z0-9+/=\s\\:,.-]*$`)
	// pemRest is what follows the BEGIN line of a key whose END is missing
	// (a log or a plan cut short): the whole lines of base64 or headers.
	pemRest = regexp.MustCompile(`^[ \t]*(?:` + newline + `(?:[ \t]*(?:[A-Za-z0-9+/=]+|(?:Proc-Type|DEK-Info|Version|Comment):[^\r\n\\]*)?[ \t]*(?:` + newline + `|\z))*)?`)
	// pemTail is the end of a key whose BEGIN is missing: the lines of
	// base64 before its END line (which ends the window it runs on).
	pemTail = regexp.MustCompile(`(?:[A-Za-z0-9+/=]+[ \t]*` + newline + `[ \t]*)+-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----\z`)

	// urlCredentials is the password of scheme://user:password@host.
	urlCredentials = regexp.MustCompile("([A-Za-z][A-Za-z0-9+.-]*://[^\\s:/@\"'<>`]+:)([^\\s/\"'<>`]+)@")

	// keyAssignment is `key = "value"`, `key: value`, `"key": "value"`,
	// `KEY=value` for a key that names a secret, with terraform's
	// `-> "new"` or the summaries' `→ new` after it. The key must start a
	// word (a line, a space, a quote, punctuation), so that the `:secret:`
	// of a Secrets Manager ARN is not taken for one; it must end with the
	// secret's name, so that `secret_arn`, `password_wo_version` and
	// `token_validity` are not.
	keyAssignment = regexp.MustCompile(`(?im)(^|[^A-Za-z0-9_.:/@-])(["']?)([A-Za-z0-9_.-]*?(?:password|passwd|secret|token|secret[_-]?access[_-]?key|secret[_-]?key|api[_-]?key|private[_-]?key)(?:[_-]?(?:string|value|wo))?)(["']?)([ \t]*(?:=>|[:=])[ \t]*)` +
		valuePattern + `(?:([ \t]*(?:->|→)[ \t]*)` + valuePattern + `)?`)

	// gitHubToken: classic (ghp_, gho_, ghu_, ghs_, ghr_) and fine-grained
	// (github_pat_) tokens.
	gitHubToken = regexp.MustCompile(`(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})`)
	// awsAccessKeyID: long-term (AKIA) and temporary (ASIA) access key ids.
	awsAccessKeyID = regexp.MustCompile(`(?:AKIA|ASIA)[A-Z0-9]{16}`)
	// jwt: header.payload.signature, the header a base64url JSON object.
	jwt = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
)

// newline is a line end, also escaped as in a JSON string.
const newline = `(?:\r?\n|\\r\\n|\\n)`

// valuePattern is a value of keyAssignment: a double- or single-quoted string
// on one line (its closing quote may be missing where a log was cut), or a
// bare word. A bare word never starts with "(", so
// terraform's "(sensitive value)" and "(known after apply)" and our own
// "(redacted)" are left alone.
const valuePattern = `("(?:[^"\\\n]|\\.)*"?|'[^'\n]*'?|[^\s"'` + "`" + `<>|,;&(){}\[\]][^\s"'` + "`" + `<>|,;&(){}\[\]]*)`

// keepValues are values of a secret-named key that are not secrets.
var keepValues = map[string]bool{
	`""`: true, `''`: true, "null": true, "true": true, "false": true,
	`"` + Redacted + `"`: true, `'` + Redacted + `'`: true,
	`"(sensitive value)"`: true, `"(sensitive)"`: true,
}

// Redact removes secrets from text that is about to be posted: private key
// blocks, credentials in URLs, the values of keys that name a secret
// (password, passwd, secret, token, auth_token, api_key, private_key,
// secret_access_key …; the key is kept), GitHub tokens, AWS access key ids
// and JWTs. terraform already prints "(sensitive value)" for what the
// provider marks sensitive; Redact is for what it does not know about
// (values in error messages and logs, defaults of variables, outputs of
// scripts).
//
// Redact is idempotent and leaves ordinary plan text alone: ARNs (including
// those of secrets), sha256 digests, commit SHAs, image tags, counts.
func Redact(text string) string {
	if text == "" {
		return text
	}
	// Go's regexp has no DFA: a pattern that does not start with a literal
	// costs about a second per megabyte of plan. Those patterns only run
	// where their literal part is: a private key's "PRIVATE KEY", a URL's
	// "://" and "@", a key's name.
	if strings.Contains(text, "PRIVATE KEY") {
		text = redactKeys(text)
	}
	text = replaceLines(text, func(line, _ string) bool {
		return strings.Contains(line, "://") && strings.Contains(line, "@")
	}, func(line string) string {
		return urlCredentials.ReplaceAllStringFunc(line, func(m string) string {
			sub := urlCredentials.FindStringSubmatch(m)
			if sub[2] == Redacted {
				return m
			}
			return sub[1] + Redacted + "@"
		})
	})
	text = replaceLines(text, func(_, lower string) bool { return mayAssign(lower) }, replaceAssignments)
	text = gitHubToken.ReplaceAllLiteralString(text, Redacted)
	text = awsAccessKeyID.ReplaceAllLiteralString(text, Redacted)
	text = jwt.ReplaceAllLiteralString(text, Redacted)
	return text
}

// maxKeyBody bounds the body of a private key redactKeys looks for: an RSA
// key of 16384 bits is under 13 KB.
const maxKeyBody = 32 << 10

// redactKeys replaces private keys, whole or in part, by "(redacted private
// key)": from a BEGIN line to the next END line when only a key's body lies
// between them; from a BEGIN line through the lines of base64 after it when
// the END is missing; the lines of base64 before an END line whose BEGIN is
// missing. It walks the BEGIN and END lines in order and looks at most
// maxKeyBody around each, never past the one before: a regexp run over the
// whole text from each of them would be quadratic in a log full of keys.
func redactKeys(text string) string {
	begins := pemBegin.FindAllStringIndex(text, -1)
	ends := pemEnd.FindAllStringIndex(text, -1)
	var b strings.Builder
	last, prev := 0, 0 // what is written; the end of the last BEGIN or END line
	replace := func(from, to int, keep string) {
		b.WriteString(text[last:from])
		b.WriteString(redactedKey)
		b.WriteString(keep)
		last = to
	}
	bi, ei := 0, 0
	for bi < len(begins) || ei < len(ends) {
		if ei == len(ends) || bi < len(begins) && begins[bi][0] < ends[ei][0] {
			m := begins[bi]
			bi++
			if m[0] < last {
				continue
			}
			prev = m[1]
			for ei < len(ends) && ends[ei][0] < m[1] {
				ei++
			}
			if ei < len(ends) && (bi == len(begins) || ends[ei][0] < begins[bi][0]) &&
				ends[ei][0]-m[1] <= maxKeyBody && pemBody.MatchString(text[m[1]:ends[ei][0]]) {
				replace(m[0], ends[ei][1], "")
				prev = ends[ei][1]
				ei++
				continue
			}
			rest := pemRest.FindString(text[m[1]:min(len(text), m[1]+maxKeyBody)])
			replace(m[0], m[1]+len(rest), lineEnd(rest))
			continue
		}
		m := ends[ei]
		ei++
		if m[0] < last {
			continue
		}
		from := max(last, prev, m[0]-maxKeyBody)
		prev = m[1]
		if t := pemTail.FindStringIndex(text[from:m[1]]); t != nil {
			replace(from+t[0], m[1], "")
		}
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// lineEnd returns the line end s ends with, "" if none.
func lineEnd(s string) string {
	for _, nl := range []string{"\r\n", "\n", `\r\n`, `\n`} {
		if strings.HasSuffix(s, nl) {
			return nl
		}
	}
	return ""
}

// replaceLines applies fix to each line (without its "\n") for which
// candidate, given the line and its ASCII lower case, is true.
func replaceLines(text string, candidate func(line, lower string) bool, fix func(string) string) string {
	lower := asciiLower(text)
	var b strings.Builder
	last, changed := 0, false
	for start := 0; start < len(text); {
		end := strings.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		if line := text[start:end]; candidate(line, lower[start:end]) {
			if fixed := fix(line); fixed != line {
				b.WriteString(text[last:start])
				b.WriteString(fixed)
				last, changed = end, true
			}
		}
		start = end + 1
	}
	if !changed {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// mayAssign reports whether a lower-cased line has a word with a secret's
// name followed by a separator, as keyAssignment needs.
func mayAssign(lower string) bool {
	for _, name := range []string{"pass", "secret", "token", "key"} {
		for i := 0; i < len(lower); {
			j := strings.Index(lower[i:], name)
			if j < 0 {
				break
			}
			j += i + len(name)
			i = j
			for j < len(lower) && (isKeyByte(lower[j])) {
				j++
			}
			if j < len(lower) && (lower[j] == '"' || lower[j] == '\'') {
				j++
			}
			for j < len(lower) && (lower[j] == ' ' || lower[j] == '\t') {
				j++
			}
			if j < len(lower) && (lower[j] == ':' || lower[j] == '=') {
				return true
			}
		}
	}
	return false
}

func isKeyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
}

// asciiLower lowers ASCII letters only, so that byte offsets stay those of s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// replaceAssignments replaces the values of keyAssignment matches, keeping
// the key, the separator and the quotes around a quoted value.
func replaceAssignments(text string) string {
	idx := keyAssignment.FindAllStringSubmatchIndex(text, -1)
	if idx == nil {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for _, m := range idx {
		// Groups: 1 prefix, 2 quote, 3 key, 4 quote, 5 separator, 6 value,
		// 7 arrow, 8 new value.
		for _, g := range []int{6, 8} {
			start, end := m[2*g], m[2*g+1]
			if start < 0 {
				continue
			}
			b.WriteString(text[last:start])
			b.WriteString(redactValue(text[start:end]))
			last = end
		}
	}
	b.WriteString(text[last:])
	return b.String()
}

func redactValue(v string) string {
	if keepValues[v] || v == Redacted {
		return v
	}
	if q := v[0]; (q == '"' || q == '\'') && len(v) >= 2 && v[len(v)-1] == q {
		return string(q) + Redacted + string(q)
	}
	return Redacted
}

// RedactValues replaces every occurrence of the known secret values (from
// state, from the secrets the App created) with "(redacted)", longest value
// first so that a secret containing another is removed whole. Values shorter
// than 8 characters are ignored: they are too likely to be ordinary words or
// numbers of the plan. A value is also found in its JSON-escaped form, as it
// appears in plan JSON and in terraform's rendering of strings.
func RedactValues(text string, values []string) string {
	var vs []string
	seen := map[string]bool{}
	add := func(v string) {
		// A value inside "(redacted)" would make the result change again on
		// every call.
		if len([]rune(v)) < 8 || seen[v] || strings.Contains(Redacted, v) {
			return
		}
		seen[v] = true
		vs = append(vs, v)
	}
	for _, v := range values {
		add(v)
		if js, err := json.Marshal(v); err == nil {
			add(string(js[1 : len(js)-1]))
		}
	}
	if len(vs) == 0 || text == "" {
		return text
	}
	slices.SortStableFunc(vs, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(vs))
	for _, v := range vs {
		pairs = append(pairs, v, Redacted)
	}
	return strings.NewReplacer(pairs...).Replace(text)
}
