//go:build !linux

package pgtest

import "syscall"

// setParentDeathSignal has no portable equivalent outside Linux: a server
// whose test binary was killed keeps running until stopped by hand.
func setParentDeathSignal(*syscall.SysProcAttr) {}
