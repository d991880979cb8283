package tf

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestFlockWaitsForItsHolderAndGivesUpWithTheContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".lock")
	release, err := flock(context.Background(), path, "first", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := flock(ctx, path, "the first holder", nil); err == nil || !strings.Contains(err.Error(), "waiting for the first holder") {
		t.Fatalf("second lock while held: err = %v, want a wait that ends with the context", err)
	}
	release()
	again, err := flock(context.Background(), path, "first", nil)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again()
}

// notifyWriter records what is written and closes written on the first write.
type notifyWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	once    sync.Once
	written chan struct{}
}

func (w *notifyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.once.Do(func() { close(w.written) })
	return len(p), nil
}

func (w *notifyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestAWaitForTheWorkDirectoryIsAnnounced(t *testing.T) {
	r := &Runner{opts: Options{WorkDir: t.TempDir()}}
	w, err := r.workdir("dev")
	if err != nil {
		t.Fatal(err)
	}
	holder, err := w.lock(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	progress := &notifyWriter{written: make(chan struct{})}
	acquired := make(chan error, 1)
	go func() {
		_, unlock, err := r.acquire(context.Background(), "dev", progress)
		if err == nil {
			unlock()
		}
		acquired <- err
	}()
	<-progress.written // the waiter said so before it got the lock
	if got := progress.String(); !strings.Contains(got, "waiting for another gitops run on dev to finish") {
		t.Fatalf("progress = %q, want the wait named", got)
	}
	select {
	case err := <-acquired:
		t.Fatalf("acquired while the lock was held (err %v)", err)
	default:
	}
	holder()
	if err := <-acquired; err != nil {
		t.Fatal(err)
	}
	if got := progress.String(); !strings.Contains(got, "another gitops run on dev finished") {
		t.Fatalf("progress = %q, want the end of the wait", got)
	}
}
