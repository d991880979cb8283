package tf

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/gitops-bot/gitops/internal/safefile"
)

// workdir is one environment's working directory:
//
//	<WorkDir>/envs/<env>/terraform/...   copy of the repository's terraform/ tree
//	<WorkDir>/envs/<env>/backend.hcl     backend configuration for this env
//	<WorkDir>/envs/<env>/init.sha256     what the last successful init saw
//	<WorkDir>/envs/<env>/plans/          saved plans
type workdir struct {
	root string
	env  string
}

var envNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)

func (r *Runner) workdir(env string) (workdir, error) {
	if !envNameRE.MatchString(env) {
		return workdir{}, fmt.Errorf("environment name %q: want lowercase letters, digits and dashes", env)
	}
	return workdir{root: filepath.Join(r.opts.WorkDir, "envs", env), env: env}, nil
}

func (w workdir) stackDir() string     { return filepath.Join(w.root, "terraform", "stack") }
func (w workdir) plansDir() string     { return filepath.Join(w.root, "plans") }
func (w workdir) backendFile() string  { return filepath.Join(w.root, "backend.hcl") }
func (w workdir) initHashFile() string { return filepath.Join(w.root, "init.sha256") }

// acquire returns env's working directory, locked for this run; the
// returned func releases it. When another run holds it, acquire says so on
// wait (nil: silently) and waits.
func (r *Runner) acquire(ctx context.Context, env string, wait io.Writer) (workdir, func(), error) {
	w, err := r.workdir(env)
	if err != nil {
		return workdir{}, nil, err
	}
	unlock, err := w.lock(ctx, wait)
	if err != nil {
		return workdir{}, nil, err
	}
	return w, unlock, nil
}

// lock serialises runs on one environment's working directory across
// processes; the returned func releases it.
func (w workdir) lock(ctx context.Context, wait io.Writer) (func(), error) {
	if err := os.MkdirAll(w.root, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", w.root, err)
	}
	return flock(ctx, filepath.Join(w.root, ".lock"), "another gitops run on "+w.env, wait)
}

// flock takes an exclusive lock on path, waiting for its holder but giving
// up with the context; the returned func releases it. A wait is announced on
// wait, so that a command blocked for minutes behind another never looks hung.
func flock(ctx context.Context, path, holder string, wait io.Writer) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if wait != nil {
			fmt.Fprintf(wait, "waiting for %s to finish (lock %s)…\n", holder, path)
		}
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }()
		select {
		case err := <-done:
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("lock %s: %w", path, err)
			}
			if wait != nil {
				fmt.Fprintf(wait, "%s finished; went on after %s\n", holder, time.Since(start).Round(time.Millisecond))
			}
		case <-ctx.Done():
			f.Close() // closing the descriptor ends the waiting flock
			return nil, fmt.Errorf("waiting for %s: %w", holder, ctx.Err())
		}
	}
	return func() { f.Close() }, nil
}

// config is the partial S3 backend configuration for env. An emulator's
// address is not written here but given to terraform as AWS_ENDPOINT_URL (see
// Runner.environ): the emulator's port changes from run to run, and a backend
// configuration that changes would force terraform init every time.
func (b Backend) config(env string) string {
	var s strings.Builder
	fmt.Fprintf(&s, "bucket         = %q\n", b.Bucket)
	fmt.Fprintf(&s, "key            = %q\n", env+"/terraform.tfstate")
	fmt.Fprintf(&s, "region         = %q\n", b.Region)
	fmt.Fprintf(&s, "dynamodb_table = %q\n", b.Table)
	fmt.Fprintf(&s, "encrypt        = true\n")
	if b.Endpoint != "" {
		fmt.Fprintf(&s, "use_path_style = true\n")
		fmt.Fprintf(&s, "skip_credentials_validation = true\n")
		fmt.Fprintf(&s, "skip_requesting_account_id  = true\n")
	}
	return s.String()
}

// synced is what sync found: the hash of the terraform tree alone (what a
// plan is made from) and the hash of everything terraform init depends on.
type synced struct {
	tree, init string
}

// sync makes the working copy of terraform/ equal to the source tree (files
// removed from the source are removed here) and hashes it. Only regular
// files are copied: a symbolic link in the tree is an error, so a pull
// request cannot make gitops copy a file from outside the checkout.
func (w workdir) sync(src string, backend string, cliConfig string) (synced, error) {
	dst := filepath.Join(w.root, "terraform")
	h := sha256.New()
	seen := map[string]bool{}
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if strings.HasSuffix(rel, ".tfstate") || strings.HasSuffix(rel, ".tfplan") {
			return nil
		}
		data, err := safefile.ReadFile(path, maxSourceFileSize)
		if err != nil {
			return err
		}
		seen[rel] = true
		fmt.Fprintf(h, "%s\x00%d\x00", rel, len(data))
		h.Write(data)
		return writeFileIfChanged(filepath.Join(dst, rel), data)
	})
	if err != nil {
		return synced{}, fmt.Errorf("copy %s: %w", src, err)
	}
	tree := hex.EncodeToString(h.Sum(nil))
	var stale []string
	_ = filepath.WalkDir(dst, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dst, path)
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			return nil
		}
		if !seen[rel] && rel != filepath.Join("stack", ".terraform.lock.hcl") {
			stale = append(stale, path)
		}
		return nil
	})
	sort.Strings(stale)
	for _, p := range stale {
		if err := os.Remove(p); err != nil {
			return synced{}, fmt.Errorf("remove stale %s: %w", p, err)
		}
	}
	if err := writeFileIfChanged(w.backendFile(), []byte(backend)); err != nil {
		return synced{}, fmt.Errorf("write backend config: %w", err)
	}
	fmt.Fprintf(h, "backend\x00%s\x00cli\x00%s", backend, cliConfig)
	return synced{tree: tree, init: hex.EncodeToString(h.Sum(nil))}, nil
}

// maxSourceFileSize bounds one file of the terraform tree; the largest of
// the stack is ~10 KiB.
const maxSourceFileSize = 4 << 20

// prepared is a synced and initialised working directory.
type prepared struct {
	// tf writes terraform's output to the run's output; quiet writes it
	// nowhere, for commands whose output is data that holds sensitive values
	// in clear (show -json, state pull): terraform-exec copies a command's
	// stdout to the writer set, so those must never run on tf.
	tf, quiet *tfexec.Terraform
	// tree is the hash of the terraform tree in the working directory.
	tree string
}

// prepare syncs env's working directory and runs terraform init unless the
// last successful init saw exactly the same inputs.
func (r *Runner) prepare(ctx context.Context, w workdir, out, wait io.Writer) (*prepared, error) {
	cli, err := os.ReadFile(r.cliConfig)
	if err != nil {
		return nil, fmt.Errorf("read CLI config: %w", err)
	}
	hash, err := w.sync(r.opts.SourceDir, r.opts.Backend.config(w.env), string(cli))
	if err != nil {
		return nil, err
	}
	tf, err := r.terraform(w.stackDir(), out)
	if err != nil {
		return nil, err
	}
	quiet, err := r.terraform(w.stackDir(), nil)
	if err != nil {
		return nil, err
	}
	p := &prepared{tf: tf, quiet: quiet, tree: hash.tree}
	prev, _ := os.ReadFile(w.initHashFile())
	if _, statErr := os.Stat(filepath.Join(w.stackDir(), ".terraform", "terraform.tfstate")); statErr == nil && string(prev) == hash.init {
		return p, nil
	}
	cached, err := r.initFromCache(ctx, w, hash.init)
	if err != nil {
		return nil, err
	}
	if !cached {
		if err := r.init(ctx, tf, wait, tfexec.BackendConfig(w.backendFile()), tfexec.Reconfigure(true), tfexec.Upgrade(false)); err != nil {
			return nil, fmt.Errorf("terraform init %s: %w", w.env, err)
		}
		if err := r.saveToCache(ctx, w, hash.init); err != nil && wait != nil {
			fmt.Fprintf(wait, "note: %v (the next working directory of %s runs terraform init)\n", err, w.env)
		}
	}
	if err := os.WriteFile(w.initHashFile(), []byte(hash.init), 0o644); err != nil {
		return nil, fmt.Errorf("record init: %w", err)
	}
	return p, nil
}

// init runs terraform init. terraform's plugin cache is not safe for
// concurrent inits (two inits race creating the same provider directory), so
// inits of all working directories, in this process or another, take turns.
func (r *Runner) init(ctx context.Context, tf *tfexec.Terraform, wait io.Writer, opts ...tfexec.InitOption) error {
	release, err := flock(ctx, filepath.Join(filepath.Dir(r.opts.PluginCacheDir), ".init.lock"), "another terraform init", wait)
	if err != nil {
		return err
	}
	defer release()
	return tf.Init(ctx, opts...)
}
