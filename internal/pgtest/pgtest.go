// Package pgtest runs a throwaway PostgreSQL server for tests: initdb into a
// temporary directory, postgres on a free loopback port, a fresh database per
// test. It is for tests only; nothing in the product starts PostgreSQL.
//
// initdb and postgres refuse to run as root, and CI runs as root, so under
// root both run as the unprivileged "postgres" user (or "nobody" when there
// is none), in a temporary directory that user owns.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gitops-bot/gitops/internal/toolcheck"
	"github.com/jackc/pgx/v5"
)

// superuser is the role initdb creates; the server trusts loopback connections.
const superuser = "gitops"

// Server is one running postgres.
type Server struct {
	dir  string // owned by the server's user; data/ and postgres.log inside
	port int
	cmd  *exec.Cmd
	done chan struct{} // closed when postgres has exited
	err  error         // postgres' exit status, valid once done is closed
	seq  atomic.Int64
}

// Start initialises a cluster in a new temporary directory and starts postgres
// from binDir on a free loopback port; it returns once the server accepts
// connections. Stop removes everything again.
func Start(ctx context.Context, binDir string) (*Server, error) {
	cred, err := unprivileged()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(tempBase(cred), "gitops-pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	s := &Server{dir: dir}
	if err := s.start(ctx, binDir, cred); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(ctx context.Context, binDir string, cred *syscall.Credential) error {
	if cred != nil {
		if err := os.Chown(s.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("pgtest: hand %s to uid %d: %w", s.dir, cred.Uid, err)
		}
	}
	data := filepath.Join(s.dir, "data")
	initdb := s.command(ctx, cred, filepath.Join(binDir, "initdb"),
		"-D", data, "-U", superuser, "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C")
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}

	// The free port may be taken between finding and binding it (another
	// test binary starting its own server): then try another.
	for attempt := 1; ; attempt++ {
		err := s.launch(ctx, binDir, cred, data)
		if err == nil || attempt == 3 || !strings.Contains(s.logTail(), "Address already in use") {
			return err
		}
	}
}

// launch starts postgres on a free port and waits until it is ready.
func (s *Server) launch(ctx context.Context, binDir string, cred *syscall.Credential, data string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	s.port = port
	logFile, err := os.Create(filepath.Join(s.dir, "postgres.log"))
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	// Durability is of no use to a throwaway cluster: fsync off makes
	// CREATE DATABASE and commits cheap on a shared CI machine.
	s.cmd = s.command(context.Background(), cred, filepath.Join(binDir, "postgres"),
		"-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	setParentDeathSignal(s.cmd.SysProcAttr)
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	cmd, done := s.cmd, make(chan struct{})
	s.done = done
	go func() {
		s.err = cmd.Wait()
		close(done)
	}()
	return s.waitReady(ctx)
}

func (s *Server) command(ctx context.Context, cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = s.dir
	// A clean environment: no PGDATA, PGPORT… of the developer's leaks in.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "LANG=C", "TZ=UTC"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return cmd
}

// waitReady polls until postgres accepts a connection, it exits, or 60 s pass.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-s.done:
			return fmt.Errorf("pgtest: postgres exited (%v) before accepting connections:\n%s", s.err, s.logTail())
		case <-ctx.Done():
			return fmt.Errorf("pgtest: postgres not ready: %w (last: %v)\n%s", ctx.Err(), err, s.logTail())
		case <-tick.C:
		}
	}
}

// URL is the connection URL of database db.
func (s *Server) URL(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(superuser),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

var unsafeName = regexp.MustCompile(`[^a-z0-9]+`)

// CreateDatabase creates a new, empty database whose name starts with hint
// (made safe, shortened, numbered to be unique) and returns its URL.
func (s *Server) CreateDatabase(ctx context.Context, hint string) (string, error) {
	name := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(hint), "_"), "_")
	name = fmt.Sprintf("t%d_%.50s", s.seq.Add(1), name)
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return s.URL(name), nil
}

// Stop shuts postgres down (fast shutdown: sessions are disconnected) and
// removes its directory.
func (s *Server) Stop() error {
	var err error
	if s.cmd != nil && s.cmd.Process != nil && s.done != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
			err = fmt.Errorf("pgtest: postgres did not stop within 30s:\n%s", s.logTail())
		}
	}
	return errors.Join(err, os.RemoveAll(s.dir))
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// unprivileged returns the credential to run initdb and postgres with: nil
// when not root, else the "postgres" user, else "nobody".
func unprivileged() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("pgtest: running as root, and neither a postgres nor a nobody user exists to run initdb as (initdb refuses root)")
}

// tempBase is where the server's directory goes: the usual temporary
// directory, unless the server's user could not reach into it (a TMPDIR
// under root's home, say); then /tmp.
func tempBase(cred *syscall.Credential) string {
	base := os.TempDir()
	if cred == nil {
		return base
	}
	for d := base; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return base
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Shared is one server per test binary, started on first use: declare one
// in the test package and stop it in TestMain after m.Run.
//
//	var pg pgtest.Shared
//	func TestMain(m *testing.M) { code := m.Run(); pg.Stop(); os.Exit(code) }
type Shared struct {
	mu  sync.Mutex
	srv *Server
	err error
}

// Database returns the URL of a fresh database for t, starting the server on
// the first call. Without PostgreSQL the test is skipped, or fails under
// CI=true (see toolcheck.Postgres).
func (sh *Shared) Database(t testing.TB) string {
	t.Helper()
	srv := sh.server(t)
	u, err := srv.CreateDatabase(context.Background(), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (sh *Shared) server(t testing.TB) *Server {
	t.Helper()
	binDir := toolcheck.Postgres(t)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.srv == nil && sh.err == nil {
		sh.srv, sh.err = Start(context.Background(), binDir)
	}
	if sh.err != nil {
		t.Fatal(sh.err)
	}
	return sh.srv
}

// Stop stops the server if one was started.
func (sh *Shared) Stop() {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.srv != nil {
		if err := sh.srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		sh.srv = nil
	}
}
