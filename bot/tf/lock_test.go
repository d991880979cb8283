package tf

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestFlockWaitsForItsHolderAndGivesUpWithTheContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".lock")
	release, err := flock(context.Background(), path, "first")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := flock(ctx, path, "the first holder"); err == nil || !strings.Contains(err.Error(), "waiting for the first holder") {
		t.Fatalf("second lock while held: err = %v, want a wait that ends with the context", err)
	}
	release()
	again, err := flock(context.Background(), path, "first")
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again()
}
