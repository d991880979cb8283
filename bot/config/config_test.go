package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func secretFiles(t *testing.T) (key, secret string) {
	t.Helper()
	dir := t.TempDir()
	key, secret = filepath.Join(dir, "app.pem"), filepath.Join(dir, "webhook")
	for _, p := range []string{key, secret} {
		if err := os.WriteFile(p, []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return key, secret
}

func TestFileThenEnvironmentThenFlags(t *testing.T) {
	key, secret := secretFiles(t)
	file := filepath.Join(t.TempDir(), "gitops.yaml")
	yml := "app_id: 7\napp_key_file: " + key + "\nwebhook_secret_file: " + secret + "\nrepos: [acme/infra]\nlisten: 127.0.0.1:9000\npermissions: {apply: admin}\n"
	if err := os.WriteFile(file, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	if err := c.LoadFile(file); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GITOPS_APP_ID": "8", "GITOPS_REPOS": "acme/infra,acme/app"}
	if err := c.LoadEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	c.Listen = "127.0.0.1:9100" // as a flag would
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.AppID != 8 || len(c.Repos) != 2 || c.Listen != "127.0.0.1:9100" || c.Permissions["apply"] != "admin" || c.Permissions["plan"] != "write" {
		t.Fatalf("config = %+v", c)
	}
	if !strings.HasPrefix(c.DatabaseURL, "sqlite:///") || !strings.HasSuffix(c.DatabaseURL, "/gitops-data/gitops.db") {
		t.Fatalf("database url = %q, want sqlite in the data dir", c.DatabaseURL)
	}
}

func TestValidateReportsEveryProblemTogether(t *testing.T) {
	c := Default()
	c.GitHubURL = "ftp://x"
	c.Repos = []string{"not a repo"}
	c.DatabaseURL = "mysql://root:hunter2@db/gitops"
	c.Permissions["apply"] = "owner"
	c.Permissions["destroy"] = "admin"
	c.Workers = 0
	c.Releases = Releases{AppRepo: "acme/inventory", Environment: "Staging!"}
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`--github-url "ftp://x"`, "--app-id: not set", "--app-key-file: not set", "--webhook-secret-file: not set", `--repo "not a repo"`, `"mysql" URL`, `unknown role "owner"`, `unknown command "destroy"`, "--workers 0",
		"--app-repo acme/inventory: also name it with --repo", `--release-env "Staging!"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the database password is in the error:\n%v", err)
	}
}

func TestUnknownKeyInTheFileIsNamed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gitops.yaml")
	if err := os.WriteFile(file, []byte("app_id: 1\nwebhook_secrett: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	err := c.LoadFile(file)
	if err == nil || !strings.Contains(err.Error(), "webhook_secrett") || !strings.Contains(err.Error(), "[2:1]") {
		t.Fatalf("err = %v, want the unknown key with its position", err)
	}
}

func TestAllowsRole(t *testing.T) {
	tests := []struct {
		have, least string
		want        bool
	}{
		{"admin", "maintain", true}, {"maintain", "maintain", true}, {"write", "maintain", false},
		{"read", "write", false}, {"none", "read", false}, {"", "read", false},
	}
	for _, tt := range tests {
		if got := AllowsRole(tt.have, tt.least); got != tt.want {
			t.Errorf("AllowsRole(%q, %q) = %v, want %v", tt.have, tt.least, got, tt.want)
		}
	}
}

func TestReleaseRepo(t *testing.T) {
	for _, tt := range []struct {
		name          string
		repos         []string
		r             Releases
		tagRepo, want string
	}{
		{"without an app repository, a repository's tags release itself", []string{"acme/infra"}, Releases{}, "acme/infra", "acme/infra"},
		{"the app repository's tags release into the other repository", []string{"acme/inventory", "acme/infra"}, Releases{AppRepo: "acme/inventory"}, "acme/inventory", "acme/infra"},
		{"another repository's tags are not releases", []string{"acme/inventory", "acme/infra"}, Releases{AppRepo: "acme/inventory"}, "acme/infra", ""},
		{"an explicit release repository wins", []string{"acme/inventory", "acme/infra", "acme/ops"}, Releases{AppRepo: "acme/inventory", Repo: "acme/ops"}, "acme/inventory", "acme/ops"},
		{"an app repository that holds its own releases", []string{"acme/mono"}, Releases{AppRepo: "acme/mono"}, "acme/mono", "acme/mono"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Repos, c.Releases = tt.repos, tt.r
			if got := c.ReleaseRepo(tt.tagRepo); got != tt.want {
				t.Fatalf("ReleaseRepo(%s) = %q, want %q", tt.tagRepo, got, tt.want)
			}
		})
	}
}
