package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gitops-bot/gitops/bot/checkout"
	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/github"
	"github.com/gitops-bot/gitops/bot/release"
	"github.com/gitops-bot/gitops/bot/tf"
)

// Engine is the release engine of one region (bot/deploy's Engine): release
// pull requests look images up with it, deploys and seeds run on it.
type Engine interface {
	Resolve(ctx context.Context, req deploy.ResolveRequest) (*deploy.ResolveResult, error)
	Deploy(ctx context.Context, req deploy.DeployRequest) (*deploy.DeployResult, error)
	Rollback(ctx context.Context, req deploy.DeployRequest) (*deploy.DeployResult, error)
	Seed(ctx context.Context, req deploy.SeedRequest) (*deploy.SeedResult, error)
}

// target is where env lives, from its stack's outputs, and the engine of its
// region. The release must name only services the target has.
func (d *Deps) target(ctx context.Context, c Client, repo, env string, jobID int64, r *release.Release) (*deploy.Target, Engine, error) {
	if d.Engine == nil {
		return nil, nil, errors.New("no release engine configured")
	}
	outputs, err := d.stackOutputs(ctx, c, repo, env, jobID)
	if err != nil {
		return nil, nil, err
	}
	t, err := deploy.TargetFromOutputs(env, outputs)
	if err != nil {
		return nil, nil, err
	}
	if err := r.Validate(slices.Sorted(maps.Keys(t.Services))); err != nil {
		return nil, nil, err
	}
	eng, err := d.Engine(ctx, t.Region)
	if err != nil {
		return nil, nil, fmt.Errorf("release engine of %s: %w", t.Region, err)
	}
	return t, eng, nil
}

// stackOutputs are env's stack outputs: Deps.Outputs, or terraform output
// on a checkout of the default branch (what terraform applied is what the
// default branch says).
func (d *Deps) stackOutputs(ctx context.Context, c Client, repo, env string, jobID int64) (map[string]json.RawMessage, error) {
	if d.Outputs != nil {
		return d.Outputs(ctx, env)
	}
	token, err := c.Token(ctx)
	if err != nil {
		return nil, err
	}
	branch, cloneURL, err := c.DefaultBranch(ctx, repo)
	if err != nil {
		return nil, err
	}
	base := filepath.Join(d.Config.DataDir, "repos", filepath.FromSlash(repo), "outputs")
	dir := filepath.Join(base, "jobs", fmt.Sprint(jobID))
	defer os.RemoveAll(dir)
	if err := checkout.Fetch(ctx, checkout.Request{CloneURL: cloneURL, Token: token, Ref: branch, Dir: dir}); err != nil {
		return nil, fmt.Errorf("outputs of %s: default branch %s: %w", env, branch, err)
	}
	opts := d.TF
	opts.SourceDir = filepath.Join(dir, "terraform")
	opts.WorkDir = filepath.Join(base, "work")
	if opts.PluginCacheDir == "" {
		opts.PluginCacheDir = filepath.Join(d.Config.DataDir, "plugin-cache")
	}
	runner, err := tf.New(opts)
	if err != nil {
		return nil, err
	}
	return runner.Outputs(ctx, env)
}

// releaseAt reads and decodes releases/<env>.yaml at ref; nil, nil when the
// file does not exist there.
func releaseAt(ctx context.Context, c Client, repo, ref, env string) (*release.Release, error) {
	path := releasePath(env)
	data, err := c.FileContent(ctx, repo, ref, path)
	if errors.Is(err, github.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return release.Decode(path, data)
}

func releasePath(env string) string { return "releases/" + env + ".yaml" }

// releaseEnvs are the environments whose release file is among files.
func releaseEnvs(files []string) []string {
	var envs []string
	for _, f := range files {
		name, ok := strings.CutPrefix(f, "releases/")
		if !ok || strings.Contains(name, "/") {
			continue
		}
		if env, ok := strings.CutSuffix(name, ".yaml"); ok && env != "" && !slices.Contains(envs, env) {
			envs = append(envs, env)
		}
	}
	slices.Sort(envs)
	return envs
}
