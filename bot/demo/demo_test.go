package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gitops-bot/gitops/internal/toolcheck"
)

// TestDemoPlaysTheScaleDownPullRequest is README's first command, run as
// a user would: it fails when any step of the pull request does not behave.
func TestDemoPlaysTheScaleDownPullRequest(t *testing.T) {
	toolcheck.Require(t, "terraform")
	toolcheck.RequireModule(t, "moto", "pip install 'moto[server]==5.2.1'")
	var out bytes.Buffer
	if err := Run(context.Background(), Options{Dir: "../..", Out: &out}); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"0 to add, 3 to change, 0 to destroy",
		"$288.86 → $216.38",
		"the bot refused: @carol",
		"✅ **Applied dev**",
		"ECS reports api-gateway 1, inventory 1, location 1",
		"the check run followed the apply",
		"the lock on dev is released",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo's output lacks %q", want)
		}
	}
	if strings.Contains(out.String(), "(redacted)") {
		t.Errorf("the plan comment shows redactions of values that are not secrets:\n%s", out.String())
	}
}
