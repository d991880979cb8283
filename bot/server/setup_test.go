package server

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestSetupCreatesTheAppFromItsManifest(t *testing.T) {
	var conversions int
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/api/v3/app-manifests/c0de/conversions" {
			http.NotFound(w, r)
			return
		}
		conversions++
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":42,"slug":"gitops-acme","html_url":"https://github.com/apps/gitops-acme","pem":"-----BEGIN RSA PRIVATE KEY-----\nxyz\n-----END RSA PRIVATE KEY-----\n","webhook_secret":"wh-s3cret"}`)
	}))
	defer gh.Close()
	dir := filepath.Join(t.TempDir(), "app")
	h := Setup(SetupConfig{GitHubURL: gh.URL + "/api/v3/", PublicURL: "https://gitops.example.com", Dir: dir})

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/setup", nil))
	page := w.Body.String()
	m := regexp.MustCompile(`action="([^"]+)\?state=([0-9a-f]+)"`).FindStringSubmatch(page)
	if m == nil || m[1] != gh.URL+"/settings/apps/new" {
		t.Fatalf("the form does not post to GitHub's new-App page:\n%s", page)
	}
	value := regexp.MustCompile(`name="manifest" value="([^"]+)"`).FindStringSubmatch(page)
	var manifest struct {
		Hook        struct{ URL string } `json:"hook_attributes"`
		Redirect    string               `json:"redirect_url"`
		Permissions map[string]string    `json:"default_permissions"`
		Events      []string             `json:"default_events"`
	}
	if value == nil || json.Unmarshal([]byte(html.UnescapeString(value[1])), &manifest) != nil {
		t.Fatalf("no manifest in the form:\n%s", page)
	}
	if manifest.Hook.URL != "https://gitops.example.com/webhook" || manifest.Redirect != "https://gitops.example.com/setup/callback" ||
		manifest.Permissions["checks"] != "write" || manifest.Permissions["pull_requests"] != "write" || len(manifest.Events) != 5 {
		t.Fatalf("manifest = %+v", manifest)
	}

	t.Run("an unknown state is refused", func(t *testing.T) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/setup/callback?code=c0de&state=feed", nil))
		if w.Code != http.StatusBadRequest || conversions != 0 {
			t.Fatalf("status %d, %d conversions", w.Code, conversions)
		}
	})
	t.Run("the callback writes the credentials and shows none", func(t *testing.T) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/setup/callback?code=c0de&state="+m[2], nil))
		if w.Code != 200 || !strings.Contains(w.Body.String(), "--app-id 42") {
			t.Fatalf("status %d:\n%s", w.Code, w.Body)
		}
		if strings.Contains(w.Body.String(), "wh-s3cret") || strings.Contains(w.Body.String(), "PRIVATE KEY") {
			t.Fatalf("the page shows a secret:\n%s", w.Body)
		}
		for name, want := range map[string]string{"app.pem": "xyz", "webhook-secret": "wh-s3cret\n", "app-id": "42\n"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			fi, _ := os.Stat(filepath.Join(dir, name))
			if err != nil || !strings.Contains(string(b), want) || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %q %v %v", name, b, err, fi.Mode())
			}
		}
	})
	t.Run("a state is used once", func(t *testing.T) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/setup/callback?code=c0de&state="+m[2], nil))
		if w.Code != http.StatusBadRequest || conversions != 1 {
			t.Fatalf("status %d, %d conversions", w.Code, conversions)
		}
	})
}

func TestWebURL(t *testing.T) {
	for api, want := range map[string]string{
		"https://api.github.com/":         "https://github.com",
		"https://ghe.example.com/api/v3/": "https://ghe.example.com",
		"http://127.0.0.1:9000/":          "http://127.0.0.1:9000",
	} {
		if got := webURL(api); got != want {
			t.Errorf("webURL(%q) = %q, want %q", api, got, want)
		}
	}
}
