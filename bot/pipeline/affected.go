package pipeline

import (
	"path"
	"slices"
	"strings"
)

// Affected returns the environments (of envs, in their order) that a change
// to the given repository paths can alter: environments/<env>.yaml and its
// usage file touch that environment; anything under terraform/ touches every
// environment; a change to policy/ re-evaluates every environment (its
// rules are previewed, never its gate). Other paths touch none.
func Affected(changed []string, envs []string) []string {
	hit := map[string]bool{}
	for _, p := range changed {
		p = path.Clean(p)
		dir, file := path.Split(p)
		switch {
		case strings.HasPrefix(p, "terraform/"), strings.HasPrefix(p, "policy/"):
			return slices.Clone(envs)
		case dir == "environments/":
			name := strings.TrimSuffix(strings.TrimSuffix(file, ".yaml"), ".usage")
			hit[name] = true
		}
	}
	var out []string
	for _, e := range envs {
		if hit[e] {
			out = append(out, e)
		}
	}
	return out
}

// TouchesEnvironments reports whether a change may add, remove or break an
// environment file, so that the whole directory must be validated even
// when no known environment is affected (a new environments/prod.yaml).
func TouchesEnvironments(changed []string) bool {
	for _, p := range changed {
		if strings.HasPrefix(path.Clean(p), "environments/") {
			return true
		}
	}
	return false
}
