package tf

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The init cache lets a new working directory of an environment skip
// `terraform init` (a few seconds: provider checks, backend) when another
// directory was initialised from exactly the same inputs: the same terraform
// tree, backend configuration and CLI config (the init hash). It holds, per
// environment, a copy of .terraform (providers are links into the shared
// plugin cache, so the copy is small) and the dependency lock file, written
// after a successful init and copied into a directory that has none. The App
// gives each pull request its own working directories, all with the same
// inputs unless the pull request changes terraform/.
//
//	<InitCache>/<env>/init.sha256       the init hash of the copy
//	<InitCache>/<env>/stack/            .terraform and .terraform.lock.hcl
//	<InitCache>/<env>/.lock             serialises readers and writers

func (r *Runner) cacheDir(env string) string { return filepath.Join(r.opts.InitCache, env) }

// initFromCache copies the cached init of w's environment into w when it was
// made from the same inputs (hash); ok says it did.
func (r *Runner) initFromCache(ctx context.Context, w workdir, hash string) (ok bool, err error) {
	if r.opts.InitCache == "" {
		return false, nil
	}
	dir := r.cacheDir(w.env)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("init cache: %w", err)
	}
	release, err := flock(ctx, filepath.Join(dir, ".lock"), "the init cache of "+w.env, nil)
	if err != nil {
		return false, err
	}
	defer release()
	cached, err := os.ReadFile(filepath.Join(dir, "init.sha256"))
	if err != nil || string(cached) != hash {
		return false, nil
	}
	if err := os.RemoveAll(filepath.Join(w.stackDir(), ".terraform")); err != nil {
		return false, fmt.Errorf("init cache: %w", err)
	}
	if err := copyTree(filepath.Join(dir, "stack"), w.stackDir()); err != nil {
		return false, fmt.Errorf("init cache: %w", err)
	}
	return true, nil
}

// saveToCache records w's init (made from inputs hash) for the next
// directories of its environment. A failure only costs them an init.
func (r *Runner) saveToCache(ctx context.Context, w workdir, hash string) error {
	if r.opts.InitCache == "" {
		return nil
	}
	dir := r.cacheDir(w.env)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("init cache: %w", err)
	}
	release, err := flock(ctx, filepath.Join(dir, ".lock"), "the init cache of "+w.env, nil)
	if err != nil {
		return err
	}
	defer release()
	// The hash goes first and last: a copy half made is never taken for
	// one of these inputs.
	if err := os.Remove(filepath.Join(dir, "init.sha256")); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("init cache: %w", err)
	}
	stack := filepath.Join(dir, "stack")
	if err := os.RemoveAll(stack); err != nil {
		return fmt.Errorf("init cache: %w", err)
	}
	for _, name := range []string{".terraform", ".terraform.lock.hcl"} {
		src := filepath.Join(w.stackDir(), name)
		if _, err := os.Lstat(src); os.IsNotExist(err) {
			continue
		}
		if err := copyTree(src, filepath.Join(stack, name)); err != nil {
			return fmt.Errorf("init cache: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "init.sha256"), []byte(hash), 0o600); err != nil {
		return fmt.Errorf("init cache: %w", err)
	}
	return nil
}

// copyTree copies src (a file or a directory) to dst: regular files with
// their mode, symbolic links as links (providers point into the plugin
// cache), nothing else.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(to, info.Mode().Perm()|0o700)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.Type().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
				return err
			}
			return os.WriteFile(to, data, info.Mode().Perm())
		}
		return nil
	})
}
