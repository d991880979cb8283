package tf

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultMirror is where the machine image keeps the provider filesystem mirror.
const DefaultMirror = "/opt/tf-plugins"

// CLIConfig is the terraform CLI configuration the bot writes for itself, so that
// a user's ~/.terraformrc (or a TF_CLI_CONFIG_FILE pointing nowhere) never
// decides where providers come from.
type CLIConfig struct {
	// Mirror is a provider filesystem mirror (unpacked layout). Providers found
	// there are never downloaded.
	Mirror string
	// PluginCacheDir caches downloaded providers when there is no mirror.
	PluginCacheDir string
}

// mirrorProviders lists the providers present in an unpacked filesystem mirror
// as "host/namespace/type".
func mirrorProviders(mirror string) []string {
	matches, _ := filepath.Glob(filepath.Join(mirror, "*", "*", "*"))
	var out []string
	for _, m := range matches {
		if fi, err := os.Stat(m); err != nil || !fi.IsDir() {
			continue
		}
		rel, err := filepath.Rel(mirror, m)
		if err != nil {
			continue
		}
		out = append(out, filepath.ToSlash(rel))
	}
	return out
}

// Render returns the HCL text of the CLI config. With a mirror that holds
// providers, those providers are installed only from it (direct download is
// excluded for them); every other provider may still be downloaded into the
// plugin cache.
func (c CLIConfig) Render() string {
	var b strings.Builder
	if c.PluginCacheDir != "" {
		fmt.Fprintf(&b, "plugin_cache_dir = %q\n", c.PluginCacheDir)
	}
	providers := mirrorProviders(c.Mirror)
	if c.Mirror == "" || len(providers) == 0 {
		return b.String()
	}
	quoted := make([]string, len(providers))
	for i, p := range providers {
		quoted[i] = fmt.Sprintf("%q", p)
	}
	list := "[" + strings.Join(quoted, ", ") + "]"
	fmt.Fprintf(&b, "provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = %s\n  }\n  direct {\n    exclude = %s\n  }\n}\n", c.Mirror, list, list)
	return b.String()
}

// Write renders the config into dir/terraformrc and returns its path.
func (c CLIConfig) Write(dir string) (string, error) {
	if c.PluginCacheDir != "" {
		if err := os.MkdirAll(c.PluginCacheDir, 0o755); err != nil {
			return "", fmt.Errorf("create plugin cache: %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	path := filepath.Join(dir, "terraformrc")
	if err := writeFileIfChanged(path, []byte(c.Render())); err != nil {
		return "", fmt.Errorf("write terraform CLI config: %w", err)
	}
	return path, nil
}

// writeFileIfChanged avoids touching files whose content is already right, so
// concurrent runs reading them never see a half-written file.
func writeFileIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
