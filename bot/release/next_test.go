package release

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func digestOf(s string) string {
	return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(s)))
}

// releaseImages are the images of version v of the six inventory services.
func releaseImages(v string) map[string]Image {
	out := map[string]Image{}
	for _, s := range inventoryServices {
		out[s] = Image{Repository: "inventory-management/" + s, Tag: v, Digest: digestOf(s + v)}
	}
	return out
}

// TestNextStagingGolden is the release pull request of v1.2.0 on the real
// staging file: only the version, previous and the images' tags and
// digests change. -update rewrites the golden file.
func TestNextStagingGolden(t *testing.T) {
	const golden = "testdata/next/staging-v1.2.0.yaml"
	cur, err := os.ReadFile(stagingFile)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Next("releases/staging.yaml", cur, Update{Version: "v1.2.0", Images: releaseImages("v1.2.0")})
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, want) {
		t.Fatalf("Next differs from %s (run with -update to accept):\n%s", golden, out)
	}
	// Every line but the version's and the images' is the same, and one
	// line (previous) is new.
	before, after := strings.Split(string(cur), "\n"), strings.Split(string(out), "\n")
	if len(after) != len(before)+1 {
		t.Fatalf("%d lines, want %d", len(after), len(before)+1)
	}
	var changed []string
	for i, j := 0, 0; i < len(before); i, j = i+1, j+1 {
		if after[j] == "previous: v1.1.0" {
			j++
		}
		if before[i] != after[j] {
			changed = append(changed, strings.Fields(before[i])[0])
		}
	}
	if want := "version: api-gateway: inventory: location: user: reporting: ui:"; strings.Join(changed, " ") != want {
		t.Errorf("changed lines start with %v, want %s", changed, want)
	}
}

func TestNext(t *testing.T) {
	d1, d2 := digestOf("one"), digestOf("two")
	tests := []struct {
		name    string
		file    string // releases/staging.yaml, or dev.yaml when it follows main
		update  Update
		want    string
		wantErr string
	}{
		{
			name:   "previous is replaced where it is, comments on the edited lines stay",
			file:   "environment: staging\nversion: v1.1.0  # current\nprevious: v1.0.0 # before\nimages:\n  ui: {repository: r/ui, tag: v1.1.0} # the UI\n",
			update: Update{Version: "v1.2.0", Images: map[string]Image{"ui": {Repository: "r/ui", Tag: "v1.2.0", Digest: d1}}},
			want:   "environment: staging\nversion: v1.2.0  # current\nprevious: v1.1.0 # before\nimages:\n  ui: {repository: r/ui, tag: v1.2.0, digest: " + d1 + "} # the UI\n",
		},
		{
			name:   "a block image gets its digest under its last key, at its indentation",
			file:   "environment: staging\nversion: v1.1.0\nimages:\n  ui:\n     repository: r/ui\n     tag: v1.1.0\n  # next\n  user:\n     repository: r/user\n     tag: v1.1.0\n",
			update: Update{Version: "v1.2.0", Images: map[string]Image{"ui": {Repository: "r/ui", Tag: "v1.2.0", Digest: d1}}},
			want:   "environment: staging\nversion: v1.2.0\nprevious: v1.1.0\nimages:\n  ui:\n     repository: r/ui\n     tag: v1.2.0\n     digest: " + d1 + "\n  # next\n  user:\n     repository: r/user\n     tag: v1.1.0\n",
		},
		{
			name:   "services the update does not name keep their images",
			file:   "environment: staging\nversion: v1.1.0\nimages:\n  ui: {repository: r/ui, tag: v1.1.0}\n  user: {repository: r/user, tag: v1.0.0, digest: " + d2 + "}\n",
			update: Update{Version: "v1.2.0", Images: map[string]Image{"ui": {Repository: "r/ui", Tag: "v1.2.0", Digest: d1}}},
			want:   "environment: staging\nversion: v1.2.0\nprevious: v1.1.0\nimages:\n  ui: {repository: r/ui, tag: v1.2.0, digest: " + d1 + "}\n  user: {repository: r/user, tag: v1.0.0, digest: " + d2 + "}\n",
		},
		{
			name:   "a service new to the file is added after the last image, written like it",
			file:   "environment: staging\nversion: v1.1.0\nimages:\n  ui: {repository: r/ui, tag: 'v1.1.0', digest: \"" + d2 + "\"}\n# the end\nseed: []\n",
			update: Update{Version: "v1.2.0", Images: map[string]Image{"billing": {Repository: "r/billing", Tag: "v1.2.0", Digest: d1}, "audit": {Repository: "r/audit", Tag: "v1.2.0", Digest: d2}}},
			want:   "environment: staging\nversion: v1.2.0\nprevious: v1.1.0\nimages:\n  ui: {repository: r/ui, tag: 'v1.1.0', digest: \"" + d2 + "\"}\n  audit: {repository: r/audit, tag: 'v1.2.0', digest: \"" + d2 + "\"}\n  billing: {repository: r/billing, tag: 'v1.2.0', digest: \"" + d1 + "\"}\n# the end\nseed: []\n",
		},
		{
			name:   "a service new to a file of block images is added as a block",
			file:   "environment: staging\nversion: v1.1.0\nimages:\n  ui:\n    repository: r/ui\n    tag: v1.1.0",
			update: Update{Version: "v1.2.0", Images: map[string]Image{"user": {Repository: "r/user", Tag: "v1.2.0", Digest: d1}}},
			want:   "environment: staging\nversion: v1.2.0\nprevious: v1.1.0\nimages:\n  ui:\n    repository: r/ui\n    tag: v1.1.0\n  user:\n    repository: r/user\n    tag: v1.2.0\n    digest: " + d1,
		},
		{
			name:   "quoted values keep their quotes",
			file:   "environment: staging\nversion: \"v1.1.0\"\nprevious: 'v1.0.0'\nimages:\n  ui: {repository: \"r/ui\", tag: 'v1.1.0', digest: \"" + d2 + "\"}\n",
			update: Update{Version: "v1.2.0-rc.1", Images: map[string]Image{"ui": {Repository: "r/ui", Tag: "v1.2.0-rc.1", Digest: d1}}},
			want:   "environment: staging\nversion: \"v1.2.0-rc.1\"\nprevious: 'v1.1.0'\nimages:\n  ui: {repository: \"r/ui\", tag: 'v1.2.0-rc.1', digest: \"" + d1 + "\"}\n",
		},
		{
			name:   "a commit of digits is quoted, or it would read as a number",
			file:   "environment: dev\nfollows: main\nversion: a1b2c3d\nimages:\n  ui: {repository: r/ui, tag: a1b2c3d}\n",
			update: Update{Version: "1234567", Images: map[string]Image{"ui": {Repository: "r/ui", Tag: "1234567", Digest: d1}}},
			want:   "environment: dev\nfollows: main\nversion: \"1234567\"\nprevious: a1b2c3d\nimages:\n  ui: {repository: r/ui, tag: \"1234567\", digest: " + d1 + "}\n",
		},
		{
			name:   "the same version again keeps previous, so updating a release pull request changes nothing more",
			file:   "environment: staging\nversion: v1.2.0\nprevious: v1.1.0\nimages:\n  ui: {repository: r/ui, tag: v1.2.0, digest: " + d2 + "}\n",
			update: Update{Version: "v1.2.0", Images: map[string]Image{"ui": {Repository: "r/ui", Tag: "v1.2.0", Digest: d1}}},
			want:   "environment: staging\nversion: v1.2.0\nprevious: v1.1.0\nimages:\n  ui: {repository: r/ui, tag: v1.2.0, digest: " + d1 + "}\n",
		},
		{
			name:   "a rollback names the release left as previous",
			file:   "environment: staging\nversion: v1.2.0\nprevious: v1.1.0\nimages:\n  ui: {repository: r/ui, tag: v1.2.0}\n",
			update: Update{Version: "v1.1.0", Images: map[string]Image{"ui": {Repository: "r/ui", Tag: "v1.1.0", Digest: d1}}},
			want:   "environment: staging\nversion: v1.1.0\nprevious: v1.2.0\nimages:\n  ui: {repository: r/ui, tag: v1.1.0, digest: " + d1 + "}\n",
		},
		{
			name:   "CRLF line endings are kept, also on inserted lines",
			file:   "environment: staging\r\nversion: v1.1.0\r\nimages:\r\n  ui:\r\n    repository: r/ui\r\n    tag: v1.1.0\r\n",
			update: Update{Version: "v1.2.0", Images: map[string]Image{"ui": {Repository: "r/ui", Tag: "v1.2.0", Digest: d1}}},
			want:   "environment: staging\r\nversion: v1.2.0\r\nprevious: v1.1.0\r\nimages:\r\n  ui:\r\n    repository: r/ui\r\n    tag: v1.2.0\r\n    digest: " + d1 + "\r\n",
		},
		{
			name:   "a byte order mark is kept",
			file:   "\ufeffenvironment: staging\nversion: v1.1.0\nimages: {ui: {repository: r/ui, tag: v1.1.0}}\n",
			update: Update{Version: "v1.2.0", Images: map[string]Image{"ui": {Repository: "r/ui", Tag: "v1.2.0", Digest: d1}, "user": {Repository: "r/user", Tag: "v1.2.0", Digest: d2}}},
			want:   "\ufeffenvironment: staging\nversion: v1.2.0\nprevious: v1.1.0\nimages: {ui: {repository: r/ui, tag: v1.2.0, digest: " + d1 + "}, user: {repository: r/user, tag: v1.2.0, digest: " + d2 + "}}\n",
		},
		{
			name:   "a file written as one flow mapping",
			file:   "{environment: staging, version: v1.1.0, images: {ui: {repository: r/ui, tag: v1.1.0}}}",
			update: Update{Version: "v1.2.0", Images: map[string]Image{"ui": {Repository: "r/ui", Tag: "v1.2.0", Digest: d1}}},
			want:   "{environment: staging, version: v1.2.0, previous: v1.1.0, images: {ui: {repository: r/ui, tag: v1.2.0, digest: " + d1 + "}}}",
		},
		{
			name:    "a current file that does not decode is refused with its errors",
			file:    "environment: staging\nversion: 1.1.0\nimages:\n  ui: {repository: r/ui, tag: v1.1.0}\n",
			update:  Update{Version: "v1.2.0", Images: map[string]Image{"ui": {Repository: "r/ui", Tag: "v1.2.0", Digest: d1}}},
			wantErr: "next release of releases/staging.yaml: releases/staging.yaml:2:10: version: \"1.1.0\" is missing the leading v; expected v1.1.0",
		},
		{
			name:    "an update is checked like a file: version kind, tag, digest required",
			file:    "environment: staging\nversion: v1.1.0\nimages:\n  ui: {repository: r/ui, tag: v1.1.0}\n",
			update:  Update{Version: "a1b2c3d", Images: map[string]Image{"ui": {Repository: "r/ui", Tag: "latest"}, "Bad": {}}},
			wantErr: "next release a1b2c3d of releases/staging.yaml: images.Bad: \"Bad\" is not a valid service name; use lowercase letters, digits and -, starting with a letter, at most 31 characters\nimages.ui.digest: missing; an image is pinned by its digest, sha256: and 64 lowercase hex digits\nimages.ui.tag: \"latest\" is moved by every build; use the release's own tag (the version, or the commit SHA when the environment follows main)\nversion: \"a1b2c3d\" is not a release version; expected v<major>.<minor>.<patch> with an optional pre-release, such as v1.2.0 or v1.3.0-rc.1",
		},
		{
			name:    "an update without images is a caller's mistake",
			file:    "environment: staging\nversion: v1.1.0\nimages:\n  ui: {repository: r/ui, tag: v1.1.0}\n",
			update:  Update{Version: "v1.2.0"},
			wantErr: "next release v1.2.0 of releases/staging.yaml: images: the update names no images; a release resolves the image of every service it deploys",
		},
		{
			name:   "a double-quoted value continued on the next line is replaced whole",
			file:   "environment: staging\nversion: v1.1.0\nimages:\n  ui: {repository: r/ui, tag: \"v1.\\\n    1.0\"}\n",
			update: Update{Version: "v1.2.0", Images: map[string]Image{"ui": {Repository: "r/ui", Tag: "v1.2.0", Digest: d1}}},
			want:   "environment: staging\nversion: v1.2.0\nprevious: v1.1.0\nimages:\n  ui: {repository: r/ui, tag: \"v1.2.0\", digest: " + d1 + "}\n",
		},
		{
			name:    "a block scalar cannot be edited in place",
			file:    "environment: staging\nversion: v1.1.0\nimages:\n  ui:\n    repository: r/ui\n    tag: |-\n      v1.1.0\n",
			update:  Update{Version: "v1.2.0", Images: map[string]Image{"ui": {Repository: "r/ui", Tag: "v1.2.0", Digest: d1}}},
			wantErr: "next release v1.2.0 of releases/staging.yaml: images.ui.tag: a block scalar (|-) at line 6: cannot edit in place",
		},
		{
			name:   "a service added after a block scalar goes after its last line",
			file:   "environment: staging\nversion: v1.1.0\nimages:\n  ui:\n    tag: v1.1.0\n    repository: |-\n      r/ui\n  # after\n",
			update: Update{Version: "v1.2.0", Images: map[string]Image{"user": {Repository: "r/user", Tag: "v1.2.0", Digest: d1}}},
			want:   "environment: staging\nversion: v1.2.0\nprevious: v1.1.0\nimages:\n  ui:\n    tag: v1.1.0\n    repository: |-\n      r/ui\n  user:\n    repository: r/user\n    tag: v1.2.0\n    digest: " + d1 + "\n  # after\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "releases/staging.yaml"
			if strings.Contains(tt.file, "follows: main") {
				path = "releases/dev.yaml"
			}
			got, err := Next(path, []byte(tt.file), tt.update)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err:\n%v\nwant:\n%s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func mustDecode(t testing.TB, path string, data []byte) *Release {
	t.Helper()
	r, err := Decode(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNextIsIdempotent(t *testing.T) {
	cur, err := os.ReadFile(stagingFile)
	if err != nil {
		t.Fatal(err)
	}
	u := Update{Version: "v1.2.0", Images: releaseImages("v1.2.0")}
	once, err := Next("releases/staging.yaml", cur, u)
	if err != nil {
		t.Fatal(err)
	}
	twice, err := Next("releases/staging.yaml", once, u)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(once, twice) {
		t.Errorf("a second Next with the same update changed the file:\n%s", twice)
	}
}

func TestNextOfDevFollowsMain(t *testing.T) {
	cur, err := os.ReadFile(devFile)
	if err != nil {
		t.Fatal(err)
	}
	const commit = "0f3e5d7c9b1a2468ace13579bdf02468ace13579"
	out, err := Next("releases/dev.yaml", cur, Update{Version: commit, Images: releaseImages(commit[:7])})
	if err != nil {
		t.Fatal(err)
	}
	r := mustDecode(t, "releases/dev.yaml", out)
	if r.Version != commit || r.Previous != "a1b2c3d" || r.Images["ui"].Tag != "0f3e5d7" {
		t.Errorf("version %s previous %s ui %+v", r.Version, r.Previous, r.Images["ui"])
	}
	if !bytes.Contains(out, []byte("version: "+commit+"  # placeholder until the first deploy from main\nprevious: a1b2c3d\n")) {
		t.Errorf("version line or previous not where expected:\n%s", out)
	}
	if _, err := Next("releases/dev.yaml", cur, Update{Version: "v1.2.0", Images: releaseImages("v1.2.0")}); err == nil || !strings.Contains(err.Error(), "(follows: main)") {
		t.Errorf("a tag for an environment that follows main: %v", err)
	}
}

func genUpdate(r *Release) *rapid.Generator[Update] {
	return rapid.Custom(func(t *rapid.T) Update {
		u := Update{Version: genVersion(r.Follows).Draw(t, "next version"), Images: map[string]Image{}}
		if rapid.IntRange(0, 4).Draw(t, "same version") == 0 {
			u.Version = r.Version
		}
		names := slices.Sorted(maps.Keys(r.Images))
		for _, n := range rapid.SliceOfNDistinct(rapid.SampledFrom(names), 1, len(names), rapid.ID[string]).Draw(t, "updated") {
			u.Images[n] = genImage(n, r.Follows, true).Draw(t, "new image "+n)
		}
		for _, n := range serviceNames {
			if _, ok := r.Images[n]; ok {
				continue
			}
			if len(r.Images)+countNew(r, u) >= maxImages {
				break
			}
			if rapid.IntRange(0, 5).Draw(t, "add "+n) == 0 {
				u.Images[n] = genImage(n, r.Follows, true).Draw(t, "added image "+n)
			}
		}
		return u
	})
}

func countNew(r *Release, u Update) int {
	n := 0
	for name := range u.Images {
		if _, ok := r.Images[name]; !ok {
			n++
		}
	}
	return n
}

// commentsOf lists the comments of a file, in order.
func commentsOf(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if i := strings.Index(line, "# "); i >= 0 && (i == 0 || line[i-1] == ' ') {
			out = append(out, line[i:])
		}
	}
	return out
}

// decode(Next(file, u)) has u's version and images, previous = the old
// version (kept when the version does not change), and every other field as
// before; the comments are all still there, in order, and so is every line
// that holds no edited value.
func TestNextRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := genRelease().Draw(t, "release")
		text := writeRelease(t, r)
		path := "releases/" + r.Environment + ".yaml"
		u := genUpdate(r).Draw(t, "update")
		out, err := Next(path, []byte(text), u)
		if errors.Is(err, errLayout) {
			t.Skip("layout Next does not edit")
		}
		if err != nil {
			t.Fatalf("%v\n%s", err, text)
		}
		got, err := Decode(path, out)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		want := r.withoutSource()
		want.Version = u.Version
		if u.Version != r.Version {
			want.Previous = r.Version
		}
		want.Images = maps.Clone(r.Images)
		maps.Copy(want.Images, u.Images)
		if g := got.withoutSource(); !reflect.DeepEqual(g, want) {
			t.Fatalf("got  %+v\nwant %+v\nfrom:\n%s\nto:\n%s", g, want, text, out)
		}
		if a, b := commentsOf(text), commentsOf(string(out)); !slices.Equal(a, b) {
			t.Fatalf("comments changed:\n%q\n%q\n%s", a, b, out)
		}
		kept := strings.Split(string(out), "\n")
		for _, line := range strings.Split(text, "\n") {
			if strings.Contains(line, "version:") || strings.Contains(line, "previous:") || strings.Contains(line, "tag:") || strings.Contains(line, "digest:") || strings.Contains(line, "repository:") {
				continue
			}
			i := slices.Index(kept, line)
			if i < 0 {
				t.Fatalf("line %q is gone:\n%s", line, out)
			}
			kept = kept[i+1:]
		}
	})
}
