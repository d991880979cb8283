// Package toolcheck decides what a test does when an external tool it needs
// (terraform, moto_server, PostgreSQL) is missing: skip on a developer's
// machine, fail under CI=true so that a missing install step never passes
// silently.
package toolcheck

import (
	"os"
	"os/exec"
	"testing"
)

// Hints say how to install each tool the test suite depends on.
var hints = map[string]string{
	"terraform":   "install terraform 1.11 (https://developer.hashicorp.com/terraform/install) and put it on PATH",
	"moto_server": "install moto 5.2 with its server extra: pip install 'moto[server]==5.2.1'",
	"python3":     "install Python 3.9+ (apt-get install -y python3) and moto: pip install 'moto[server]==5.2.1'",
	"initdb":      "install PostgreSQL 15 server binaries (apt-get install -y postgresql-15) and put initdb/pg_ctl on PATH",
	"pg_ctl":      "install PostgreSQL 15 server binaries (apt-get install -y postgresql-15) and put initdb/pg_ctl on PATH",
}

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
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required by this test but was not found on PATH: %s", tool, hint)
		return ""
	}
	t.Skipf("%s not found on PATH (set CI=true to make this a failure): %s", tool, hint)
	return ""
}

// RequireModule is like Require for a Python module (e.g. moto) importable by python3.
func RequireModule(t testing.TB, module, hint string) {
	t.Helper()
	py := Require(t, "python3")
	if err := exec.Command(py, "-c", "import "+module).Run(); err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("python module %s is required by this test but cannot be imported: %s", module, hint)
		return
	}
	t.Skipf("python module %s not importable (set CI=true to make this a failure): %s", module, hint)
}
