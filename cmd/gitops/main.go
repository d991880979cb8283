// Command gitops is the CLI and GitHub App server of the gitops bot. This
// package only parses flags and calls into bot/...; it holds no logic.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		var ec exitCoder
		if errors.As(err, &ec) {
			if msg := err.Error(); msg != "" {
				fmt.Fprintln(os.Stderr, msg)
			}
			os.Exit(ec.ExitCode())
		}
		fmt.Fprintln(os.Stderr, "gitops:", err)
		os.Exit(1)
	}
}

// exitCoder is an error that carries the process exit code (e.g. 1 for a
// policy deny, 2 for usage errors).
type exitCoder interface {
	error
	ExitCode() int
}
