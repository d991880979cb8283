package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "dev.yaml")
	if err := os.WriteFile(regular, []byte("name: dev\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(regular, link); err != nil {
		t.Fatal(err)
	}
	environ := filepath.Join(dir, "environ.yaml")
	if err := os.Symlink("/proc/self/environ", environ); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sparse := filepath.Join(dir, "sparse.yaml")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(3 << 30); err != nil { // 3 GiB, no blocks written
		t.Fatal(err)
	}
	f.Close()

	tests := []struct {
		name string
		path string
		want error
	}{
		{"a regular file is read", regular, nil},
		{"a symbolic link to a regular file is refused", link, ErrNotRegular},
		{"a link to /proc/self/environ is refused", environ, ErrNotRegular},
		{"/dev/zero is refused", "/dev/zero", ErrNotRegular},
		{"/dev/urandom is refused", "/dev/urandom", ErrNotRegular},
		{"a FIFO is refused without blocking", fifo, ErrNotRegular},
		{"a directory is refused", dir, ErrNotRegular},
		{"a 3 GiB sparse file is refused before reading", sparse, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := ReadFile(tt.path, 1<<20)
			if tt.want == nil {
				if err != nil || string(data) != "name: dev\n" {
					t.Fatalf("ReadFile = %q, %v", data, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("ReadFile error = %v, want %v", err, tt.want)
			}
			if data != nil {
				t.Fatalf("ReadFile returned %d bytes with an error", len(data))
			}
		})
	}
}

func TestReadFileLimitIsInclusive(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, make([]byte, 10), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p, 10); err != nil {
		t.Fatalf("10 bytes at limit 10: %v", err)
	}
	if _, err := ReadFile(p, 9); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("10 bytes at limit 9: %v, want ErrTooLarge", err)
	}
}

func TestMissingFileKeepsNotExist(t *testing.T) {
	_, err := ReadFile(filepath.Join(t.TempDir(), "none"), 10)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error = %v, want os.ErrNotExist", err)
	}
}
