// Package localaws runs the local AWS emulator the bot plans and applies
// against with --local and in tests: moto 5.2.1 started in-process by an
// embedded Python launcher that patches the moto gaps the terraform stack hits
// (see moto_launcher.py). It also creates the state backend on the emulator.
//
// It is not an AWS client for the bot's own logic and not a behavioural ECS
// fake: moto answers API shapes but never schedules tasks.
package localaws

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

//go:embed moto_launcher.py
var launcher string

// Options configure Start. The zero value works when python3 with moto is on PATH.
type Options struct {
	// Python is the interpreter that can import moto; default "python3".
	Python string
	// Stderr receives moto's request log and errors; nil discards them.
	Stderr io.Writer
	// StopGrace is how long Close waits for moto to stop by itself before
	// killing it; default 10 s.
	StopGrace time.Duration
}

// Emulator is a running moto server on 127.0.0.1, owned by this process:
// it stops when Close is called or when this process exits (the launcher
// watches its stdin).
type Emulator struct {
	endpoint string
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	done     chan struct{} // closed once cmd.Wait returned
	waitErr  error

	closeOnce sync.Once
	stopGrace time.Duration
	closeErr  error
}

// ready is the one line the launcher prints on stdout once it serves.
type ready struct {
	Endpoint string `json:"endpoint"`
	Port     int    `json:"port"`
}

// Start runs the embedded launcher and returns once moto accepts requests.
// ctx bounds the start-up only; the emulator then runs until Close.
func Start(ctx context.Context, opts Options) (*Emulator, error) {
	python := opts.Python
	if python == "" {
		python = "python3"
	}
	// -c keeps the launcher inside the binary: no file to write or clean up.
	cmd := exec.Command(python, "-c", launcher)
	cmd.Stderr = opts.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("moto launcher stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("moto launcher stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto launcher with %s: %w", python, err)
	}
	e := &Emulator{cmd: cmd, stdin: stdin, done: make(chan struct{}), stopGrace: opts.StopGrace}
	if e.stopGrace <= 0 {
		e.stopGrace = 10 * time.Second
	}

	lines := make(chan ready, 1)
	readErr := make(chan error, 1)
	stdoutDone := make(chan struct{})
	go func() {
		defer close(stdoutDone)
		line, err := bufio.NewReader(stdout).ReadBytes('\n')
		if err != nil {
			readErr <- fmt.Errorf("moto launcher exited before serving: %w", err)
			return
		}
		var r ready
		if err := json.Unmarshal(line, &r); err != nil || r.Endpoint == "" {
			readErr <- fmt.Errorf("moto launcher printed %q, want {\"endpoint\": ...}", line)
			return
		}
		lines <- r
		// Nothing else is expected on stdout; drain it so the launcher never blocks.
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		// Wait closes the stdout pipe, so it may only run once the reader
		// is done with it (EOF, when the launcher exits).
		<-stdoutDone
		e.waitErr = cmd.Wait()
		close(e.done)
	}()

	select {
	case r := <-lines:
		e.endpoint = r.Endpoint
		return e, nil
	case err := <-readErr:
		_ = e.Close()
		return nil, err
	case <-ctx.Done():
		_ = e.Close()
		return nil, fmt.Errorf("wait for moto to serve: %w", ctx.Err())
	}
}

// Endpoint is the emulator's base URL, http://127.0.0.1:PORT.
func (e *Emulator) Endpoint() string { return e.endpoint }

// Env is what to add to a terraform or AWS SDK process environment so that it
// talks to the emulator with fake credentials: AWS_ENDPOINT_URL points every
// service at moto, and the variables that could select real credentials
// (session token, profile, IMDS) are emptied or disabled.
func (e *Emulator) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + e.endpoint,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		// Empty counts as unset for terraform and the SDKs; callers merge
		// this list over their own environment, where unsetting is not possible.
		"AWS_SESSION_TOKEN=",
		"AWS_PROFILE=",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Reset drops every resource in every account and region of the emulator
// (POST /moto-api/reset). The state backend is gone too: call Bootstrap again.
func (e *Emulator) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.endpoint+"/moto-api/reset", nil)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: %s", resp.Status)
	}
	return nil
}

// Close stops the launcher and waits for it to exit (killing it after
// Options.StopGrace). It is safe to call twice.
func (e *Emulator) Close() error {
	e.closeOnce.Do(func() {
		// EOF on stdin is the launcher's normal stop signal; SIGTERM covers a
		// launcher stuck before it started watching stdin.
		_ = e.stdin.Close()
		if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) && !errors.Is(err, syscall.ESRCH) {
			e.closeErr = fmt.Errorf("stop moto launcher: %w", err)
		}
		// moto's threaded server can wait forever in its shutdown for a
		// connection a client left open (seen once in CI: a CLI command hung
		// 13 minutes in Close); after a grace period the launcher is killed.
		select {
		case <-e.done:
		case <-time.After(e.stopGrace):
			_ = e.cmd.Process.Kill()
			<-e.done
		}
		var exit *exec.ExitError
		if e.waitErr != nil && !errors.As(e.waitErr, &exit) {
			e.closeErr = fmt.Errorf("wait for moto launcher: %w", e.waitErr)
		}
	})
	return e.closeErr
}

// PID is the launcher's process id (for diagnostics and tests).
func (e *Emulator) PID() int { return e.cmd.Process.Pid }
