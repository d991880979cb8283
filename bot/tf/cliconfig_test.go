package tf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCLIConfigUsesMirrorOnlyForProvidersItHolds(t *testing.T) {
	mirror := t.TempDir()
	if err := os.MkdirAll(filepath.Join(mirror, "registry.terraform.io", "hashicorp", "aws", "5.100.0", "linux_amd64"), 0o755); err != nil {
		t.Fatal(err)
	}
	got := CLIConfig{Mirror: mirror, PluginCacheDir: "/cache"}.Render()
	for _, want := range []string{
		`plugin_cache_dir = "/cache"`,
		`path    = "` + mirror + `"`,
		`include = ["registry.terraform.io/hashicorp/aws"]`,
		`exclude = ["registry.terraform.io/hashicorp/aws"]`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("config lacks %q:\n%s", want, got)
		}
	}
}

func TestCLIConfigWithoutMirrorFallsBackToPluginCache(t *testing.T) {
	got := CLIConfig{Mirror: filepath.Join(t.TempDir(), "absent"), PluginCacheDir: "/cache"}.Render()
	if got != "plugin_cache_dir = \"/cache\"\n" {
		t.Fatalf("got %q", got)
	}
}

func TestBackendConfigPointsAtEmulatorOnlyWhenAsked(t *testing.T) {
	real := Backend{Bucket: "b", Table: "t", Region: "us-east-1"}.config("dev")
	if !strings.Contains(real, `key            = "dev/terraform.tfstate"`) || strings.Contains(real, "endpoints") {
		t.Fatalf("real backend config wrong:\n%s", real)
	}
	local := Backend{Bucket: "b", Table: "t", Region: "us-east-1", Endpoint: "http://127.0.0.1:5000"}.config("staging")
	for _, want := range []string{`key            = "staging/terraform.tfstate"`, "use_path_style = true"} {
		if !strings.Contains(local, want) {
			t.Errorf("emulator backend config lacks %q:\n%s", want, local)
		}
	}
	other := Backend{Bucket: "b", Table: "t", Region: "us-east-1", Endpoint: "http://127.0.0.1:6000"}.config("staging")
	if other != local {
		t.Errorf("backend config depends on the emulator's port, so every run would re-init:\n%s\n%s", local, other)
	}
}

func TestSyncCopiesTreeAndRemovesDeletedFiles(t *testing.T) {
	src := t.TempDir()
	write := func(rel, body string) {
		t.Helper()
		p := filepath.Join(src, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("stack/main.tf", "a")
	write("modules/x/main.tf", "b")
	w := workdir{root: t.TempDir(), env: "dev"}
	h1, err := w.sync(src, "backend", "cli")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(src, "modules/x/main.tf")); err != nil {
		t.Fatal(err)
	}
	h2, err := w.sync(src, "backend", "cli")
	if err != nil {
		t.Fatal(err)
	}
	if h1 == h2 {
		t.Fatal("hash did not change when a module file was removed")
	}
	if _, err := os.Stat(filepath.Join(w.root, "terraform/modules/x/main.tf")); !os.IsNotExist(err) {
		t.Fatalf("removed source file still in workdir: %v", err)
	}
	h3, _ := w.sync(src, "backend", "cli")
	if h3 != h2 {
		t.Fatal("hash changed with nothing changed: init would never be reused")
	}
	h4, _ := w.sync(src, "other backend", "cli")
	if h4 == h3 {
		t.Fatal("hash ignores the backend config")
	}
}

func TestPrunePlansKeepsTheNewestWithTheirFiles(t *testing.T) {
	dir := t.TempDir()
	names := []string{"20261101T000000Z-a", "20261102T000000Z-b", "20261103T000000Z-c"}
	for _, n := range names {
		for _, ext := range []string{".tfplan", ".tfplan.json", ".tfplan.meta.json", ".tfvars.json"} {
			if err := os.WriteFile(filepath.Join(dir, n+ext), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := prunePlans(dir, 2); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(left) != 8 {
		t.Fatalf("%d files left, want the 8 of the two newest plans: %v", len(left), left)
	}
	if gone, _ := filepath.Glob(filepath.Join(dir, names[0]+"*")); len(gone) != 0 {
		t.Fatalf("oldest plan not pruned: %v", gone)
	}
}
