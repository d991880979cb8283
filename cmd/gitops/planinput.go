package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gitops-bot/gitops/bot/envspec"
	"github.com/gitops-bot/gitops/bot/pipeline"
)

// planJSONs returns the plan JSON of each spec: from --plan FILE when given
// (one environment only), otherwise by planning them now.
func planJSONs(ctx context.Context, g *globalOptions, f *tfFlags, specs []*envspec.Spec, planFile string, progress io.Writer) ([][]byte, error) {
	if planFile != "" {
		if len(specs) != 1 {
			return nil, usageError("--plan FILE goes with exactly one environment")
		}
		// Without terraform first: only a saved plan with no changes needs
		// a runner, to render its JSON.
		data, err := (*session)(nil).pipeline(g).GivenPlanJSON(ctx, planFile, specs[0].Name)
		if !errors.Is(err, pipeline.ErrNoRunner) {
			return [][]byte{data}, planError(err)
		}
	}
	s, err := f.open(ctx, g, progress)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	p := s.pipeline(g)
	if planFile != "" {
		data, err := p.GivenPlanJSON(ctx, planFile, specs[0].Name)
		return [][]byte{data}, planError(err)
	}
	results, err := p.Plan(ctx, pipeline.PlanRequest{Specs: specs, Output: f.output(progress, nil), Progress: progress})
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(specs))
	for i, r := range results {
		if r.Err != nil {
			return nil, r.Err
		}
		fmt.Fprintf(progress, "%s: planned\n", r.Env)
		if out[i], err = p.PlanJSON(ctx, r.Plan); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// planError makes a plan given for another environment a usage error.
func planError(err error) error {
	var wrongEnv *pipeline.PlanEnvError
	if errors.As(err, &wrongEnv) {
		return usageError(err.Error())
	}
	return err
}

// output gives the writer of each environment's terraform output: keep's
// writer for it (nil: none), and with --verbose a stream to progress,
// prefixed with the environment.
func (f *tfFlags) output(progress io.Writer, keep func(env string) io.Writer) func(env string) io.Writer {
	return func(env string) io.Writer {
		var out io.Writer
		if keep != nil {
			out = keep(env)
		}
		if !f.verbose {
			return out
		}
		stream := &prefixWriter{prefix: env + " | ", w: progress}
		if out == nil {
			return stream
		}
		return io.MultiWriter(out, stream)
	}
}
