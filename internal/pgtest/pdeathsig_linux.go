package pgtest

import "syscall"

// setParentDeathSignal makes the kernel stop postgres (SIGQUIT: immediate
// shutdown) when the test binary dies without running Stop, e.g. on a test
// timeout panic, so no server outlives its tests on a shared machine.
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGQUIT }
