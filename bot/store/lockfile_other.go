//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package store

// lockFile does not lock where flock(2) is missing: two processes opening
// one new SQLite file at the same moment may then fail the second open
// (retrying it succeeds). Only PostgreSQL serves several processes.
func lockFile(string) (func(), error) { return func() {}, nil }

// tryLockFile cannot tell where flock(2) is missing: it reports the lock as
// free, so orphaned jobs wait for River's rescuer instead.
func tryLockFile(string) (func(), bool, error) { return func() {}, false, errNoFlock }
