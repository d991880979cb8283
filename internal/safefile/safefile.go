// Package safefile reads files that come from outside: a pull request's
// environments/, policy/ or terraform/ tree, or a plan file named on the
// command line. It refuses symbolic links and anything that is not a regular
// file (devices, FIFOs, /proc entries), checks the size before reading, and
// never reads more than the limit even when the file grows while it is read.
//
// It is not for files gitops writes itself under its work directory.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is wrapped by errors for symbolic links, directories,
// devices, FIFOs, sockets and other files that are not plain files.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by errors for files over the limit.
var ErrTooLarge = errors.New("file too large")

// Check refuses path unless it is a regular file, not a symbolic link, of at
// most limit bytes. It does not follow a link in the last element.
func Check(path string, limit int64) (fs.FileInfo, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if err := checkInfo(path, fi, limit); err != nil {
		return nil, err
	}
	return fi, nil
}

func checkInfo(path string, fi fs.FileInfo, limit int64) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s: %w: it is a symbolic link (gitops reads only plain files)", path, ErrNotRegular)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, kind(fi.Mode()))
	case fi.Size() > limit:
		return fmt.Errorf("%s: %w: %d bytes, at most %d are read", path, ErrTooLarge, fi.Size(), limit)
	}
	return nil
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	default:
		return "mode " + m.String()
	}
}

// Open opens path for reading after the checks of Check, without following
// a symbolic link and without blocking on a FIFO swapped in after the check;
// the file opened is checked again, so a swap between the check and the open
// is caught.
func Open(path string, limit int64) (*os.File, error) {
	if _, err := Check(path, limit); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s: %w: it is a symbolic link (gitops reads only plain files)", path, ErrNotRegular)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := checkInfo(path, fi, limit); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ReadFile reads path after the checks of Open, reading at most limit bytes:
// a file that grew past the limit since it was checked is refused too.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := Open(path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", path, ErrTooLarge, limit)
	}
	return data, nil
}
