package deploy_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/localaws/ecsfake"
	"github.com/gitops-bot/gitops/bot/release"
)

func TestResolve(t *testing.T) {
	e := newEnv(t, ecsfake.Options{})
	images := func(tag string) map[string]release.Image {
		out := map[string]release.Image{}
		for name, s := range e.seeded.Services {
			out[name] = release.Image{Repository: s.Repository, Tag: tag}
		}
		return out
	}

	t.Run("every image found is pinned by the digest its tag has", func(t *testing.T) {
		res, err := e.engine.Resolve(t.Context(), deploy.ResolveRequest{Images: images("v1.2.0")})
		if err != nil {
			t.Fatal(err)
		}
		for name, img := range res.Images {
			if img.Digest != e.next[name] || img.Tag != "v1.2.0" {
				t.Errorf("%s: %s, want digest %s", name, img, e.next[name])
			}
		}
		if len(res.Images) != 6 || len(res.Repinned) != 0 {
			t.Errorf("%d images, repinned %q", len(res.Images), res.Repinned)
		}
	})

	t.Run("a tag pushed again is pinned to its new digest and reported", func(t *testing.T) {
		imgs := images("v1.2.0")
		ui := imgs["ui"]
		ui.Digest = "sha256:" + strings.Repeat("0", 64)
		imgs["ui"] = ui
		res, err := e.engine.Resolve(t.Context(), deploy.ResolveRequest{Images: imgs})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Repinned, []string{"ui"}) || res.Images["ui"].Digest != e.next["ui"] {
			t.Errorf("repinned %q, ui %s", res.Repinned, res.Images["ui"])
		}
	})

	t.Run("every missing image is reported at once", func(t *testing.T) {
		imgs := images("v1.2.0")
		imgs["location"] = release.Image{Repository: "inventory-management/location", Tag: "v9.9.9"}
		imgs["reporting"] = release.Image{Repository: "inventory-management/reportng", Tag: "v1.2.0"}
		imgs["user"] = release.Image{Repository: "inventory-management/user", Tag: "v1.3.0"}
		res, err := e.engine.Resolve(t.Context(), deploy.ResolveRequest{Images: imgs})
		var missing *deploy.MissingImagesError
		if res != nil || !errors.As(err, &missing) {
			t.Fatalf("result %v, err %v; want a *MissingImagesError", res, err)
		}
		var got []string
		for _, m := range missing.Missing {
			got = append(got, m.Service+" "+m.Reason)
		}
		want := []string{"location ImageNotFoundException", "reporting RepositoryNotFoundException", "user ImageNotFoundException"}
		if !slices.Equal(got, want) {
			t.Errorf("missing %q, want %q", got, want)
		}
		if !strings.Contains(err.Error(), "3 image(s) not in ECR: location (inventory-management/location:v9.9.9: ImageNotFoundException)") {
			t.Errorf("error %q", err)
		}
	})

	t.Run("a deploy whose images are missing fails before it changes anything", func(t *testing.T) {
		current, next := e.releases()
		img := next.Images["inventory"]
		img.Digest = "sha256:" + strings.Repeat("f", 64)
		next.Images["inventory"] = img
		res, err := e.engine.Deploy(t.Context(), e.request(&current, next, "gh-deployment-3"))
		f := stepError(t, err).Failure
		var missing *deploy.MissingImagesError
		if f.Step != deploy.StepImages || !errors.As(err, &missing) || len(missing.Missing) != 1 || missing.Missing[0].Service != "inventory" {
			t.Fatalf("failure %s, want the images step naming inventory", f)
		}
		if res.Rollback != nil || len(e.f.CallsTo("RegisterTaskDefinition"))+len(e.f.CallsTo("UpdateService"))+len(e.f.CallsTo("RunTask")) != 0 {
			t.Error("the deploy changed something")
		}
	})
}
