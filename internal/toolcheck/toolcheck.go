// Package toolcheck decides what a test does when an external tool it needs
// (terraform, moto_server, PostgreSQL) is missing: skip on a developer's
// machine, fail under CI=true so that a missing install step never passes
// silently.
package toolcheck

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Hints say how to install each tool the test suite depends on.
var hints = map[string]string{
	"terraform":   "install terraform 1.11 (https://developer.hashicorp.com/terraform/install) and put it on PATH",
	"moto_server": "install moto 5.2 with its server extra: pip install 'moto[server]==5.2.1'",
	"python3":     "install Python 3.9+ (apt-get install -y python3) and moto: pip install 'moto[server]==5.2.1'",
	"initdb":      postgresHint,
	"pg_ctl":      postgresHint,
	"postgres":    postgresHint,
}

const postgresHint = "install the PostgreSQL 15 server (apt-get install -y postgresql); initdb and postgres are looked up on PATH, then in /usr/lib/postgresql/<version>/bin"

// Require returns the path of tool, or stops the test: t.Fatal under CI=true,
// t.Skip otherwise. The message always says how to install the tool.
func Require(t testing.TB, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err == nil {
		return p
	}
	hint := hints[tool]
	if hint == "" {
		hint = "install " + tool + " and put it on PATH"
	}
	stop(t, fmt.Sprintf("%s is required by this test but was not found on PATH", tool), hint)
	return ""
}

// stop fails the test under CI=true and skips it otherwise.
func stop(t testing.TB, what, hint string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s: %s", what, hint)
		return
	}
	t.Skipf("%s (set CI=true to make this a failure): %s", what, hint)
}

// Postgres returns the directory of the PostgreSQL server binaries (initdb,
// postgres), or stops the test like Require. Debian installs them outside
// PATH, in /usr/lib/postgresql/<version>/bin, so that is searched too.
func Postgres(t testing.TB) string {
	t.Helper()
	dir, err := PostgresBinDir()
	if err != nil {
		stop(t, err.Error(), postgresHint)
		return ""
	}
	return dir
}

// PostgresBinDir finds the PostgreSQL server binaries without a test (for a
// TestMain): the directory of initdb on PATH (links resolved), else the
// newest /usr/lib/postgresql/<version>/bin that has initdb and postgres.
func PostgresBinDir() (string, error) {
	return postgresBinDir(exec.LookPath, "/usr/lib/postgresql")
}

func postgresBinDir(lookPath func(string) (string, error), root string) (string, error) {
	if p, err := lookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if dir := filepath.Dir(p); isPostgresBinDir(dir) {
			return dir, nil
		}
	}
	entries, _ := os.ReadDir(root)
	var versions []int
	for _, e := range entries {
		if v, err := strconv.Atoi(strings.SplitN(e.Name(), ".", 2)[0]); err == nil && isPostgresBinDir(filepath.Join(root, e.Name(), "bin")) {
			versions = append(versions, v)
		}
	}
	if len(versions) == 0 {
		return "", fmt.Errorf("PostgreSQL server binaries (initdb, postgres) not found on PATH nor in %s/<version>/bin", root)
	}
	return filepath.Join(root, strconv.Itoa(slices.Max(versions)), "bin"), nil
}

func isPostgresBinDir(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// RequireModule is like Require for a Python module (e.g. moto) importable by python3.
func RequireModule(t testing.TB, module, hint string) {
	t.Helper()
	py := Require(t, "python3")
	if err := exec.Command(py, "-c", "import "+module).Run(); err == nil {
		return
	}
	stop(t, fmt.Sprintf("python module %s is required by this test but cannot be imported", module), hint)
}
