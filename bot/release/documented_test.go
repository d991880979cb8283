package release

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docRows reads the field table of the releases section of docs/contracts.md:
// path → default column.
func docRows(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile("../../docs/contracts.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## releases/<env>.yaml\n")
	if !ok {
		t.Fatal("docs/contracts.md has no section releases/<env>.yaml")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile("(?m)^\\| `([^`]+)`\\*? \\|[^|]+\\|([^|]*)\\|")
	rows := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		rows[m[1]] = strings.TrimSpace(m[2])
	}
	return rows
}

// schemaPaths lists the field paths of the schema, as the docs write them.
func schemaPaths(prefix string, o obj) []string {
	var out []string
	props, _ := o["properties"].(obj)
	for k, v := range props {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		out = append(out, p)
		vo := v.(obj)
		if items, ok := vo["items"].(obj); ok {
			out = append(out, schemaPaths(p+"[]", items)...)
		}
		if _, ok := vo["properties"]; ok {
			out = append(out, schemaPaths(p, vo)...)
		}
	}
	return out
}

func TestEveryFieldIsDocumented(t *testing.T) {
	rows := docRows(t)
	paths := schemaPaths("", schema())
	paths = append(paths, schemaPaths("images.<s>", schema()["$defs"].(obj)["image"].(obj))...)
	slices.Sort(paths)
	for _, p := range paths {
		if p == "timeouts" {
			continue // documented by its fields
		}
		if _, ok := rows[p]; !ok {
			t.Errorf("docs/contracts.md does not document %s", p)
		}
	}
	for p := range rows {
		if !slices.Contains(paths, p) {
			t.Errorf("docs/contracts.md documents %s, which the schema does not have", p)
		}
	}
}

func TestDocumentedDefaultsAreTheCodes(t *testing.T) {
	rows := docRows(t)
	d := DefaultTimeouts()
	want := map[string]string{
		"follows":            "`" + string(FollowsTags) + "`",
		"smoke[].status":     "200",
		"smoke[].timeout":    "`" + formatDuration(DefaultSmokeTime) + "`",
		"seed[].timeout":     "`" + formatDuration(DefaultSeedTimeout) + "`",
		"timeouts.migration": "`" + formatDuration(d.Migration) + "`",
		"timeouts.rollout":   "`" + formatDuration(d.Rollout) + "`",
		"timeouts.health":    "`" + formatDuration(d.Health) + "`",
		"timeouts.smoke":     "`" + formatDuration(d.Smoke) + "`",
		"timeouts.total":     "`" + formatDuration(d.Total) + "`",
	}
	for path, def := range want {
		if rows[path] != def {
			t.Errorf("docs give %s the default %q, the code %q", path, rows[path], def)
		}
	}
	if s := rows["smoke"]; !strings.Contains(s, "`/health`, `/api/v1/user/health`, `/`, each 200 within 10s") {
		t.Errorf("docs give smoke the default %q", s)
	}
}
