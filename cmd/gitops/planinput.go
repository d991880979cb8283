package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gitops-bot/gitops/bot/envspec"
	"github.com/gitops-bot/gitops/bot/tf"
)

// isSavedPlan reports whether path is a plan saved by gitops plan (it has a record).
func isSavedPlan(path string) bool {
	if strings.HasSuffix(path, ".meta.json") {
		return true
	}
	_, err := os.Stat(tf.MetaPath(path))
	return err == nil
}

// readPlanJSON reads a `terraform show -json` document given on the command line.
func readPlanJSON(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan %s: %w", path, err)
	}
	if !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return nil, fmt.Errorf("read plan %s: not plan JSON; pass a plan file saved by gitops plan or the output of terraform show -json", path)
	}
	return data, nil
}

// planJSONs returns the plan JSON of each spec: from --plan FILE when given
// (one environment only), otherwise by planning them now.
func planJSONs(ctx context.Context, g *globalOptions, f *tfFlags, specs []*envspec.Spec, planFile string, progress io.Writer) ([][]byte, error) {
	var saved *tf.Plan
	if planFile != "" {
		if len(specs) != 1 {
			return nil, usageError("--plan FILE goes with exactly one environment")
		}
		if !isSavedPlan(planFile) {
			data, err := readPlanJSON(planFile)
			if err != nil {
				return nil, err
			}
			return [][]byte{data}, nil
		}
		p, err := tf.LoadPlan(planFile)
		if err != nil {
			return nil, err
		}
		if p.Env != specs[0].Name {
			return nil, usageError(fmt.Sprintf("%s is a plan for %s, not %s", planFile, p.Env, specs[0].Name))
		}
		if p.JSONFile != "" {
			data, err := p.JSON()
			if err != nil {
				return nil, err
			}
			return [][]byte{data}, nil
		}
		saved = p // no changes: its JSON is rendered below, with a runner
	}
	s, err := f.open(ctx, g, progress)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if saved != nil {
		data, err := s.runner.PlanJSON(ctx, saved)
		if err != nil {
			return nil, err
		}
		return [][]byte{data}, nil
	}
	reqs, err := planRequests(g, f, specs, progress, func(int) io.Writer { return nil })
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(specs))
	for i, r := range s.runner.PlanMany(ctx, reqs, 0) {
		if r.Err != nil {
			return nil, r.Err
		}
		fmt.Fprintf(progress, "%s: planned\n", r.Env)
		data, err := s.runner.PlanJSON(ctx, r.Plan)
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

// planRequests renders each spec into a plan request and says on progress
// that it is being planned. output gives the writer for the i-th
// environment's terraform output (nil discards it); with --verbose the output
// is also streamed to progress, prefixed with the environment.
func planRequests(g *globalOptions, f *tfFlags, specs []*envspec.Spec, progress io.Writer, output func(i int) io.Writer) ([]tf.PlanRequest, error) {
	head := gitHead(g.repoDir)
	reqs := make([]tf.PlanRequest, len(specs))
	for i, spec := range specs {
		vars, err := spec.Render()
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", spec.Name, err)
		}
		out := output(i)
		if f.verbose {
			stream := &prefixWriter{prefix: spec.Name + " | ", w: progress}
			if out == nil {
				out = stream
			} else {
				out = io.MultiWriter(out, stream)
			}
		}
		reqs[i] = tf.PlanRequest{Env: spec.Name, TFVars: vars, HeadSHA: head, Output: out}
		fmt.Fprintf(progress, "%s: planning…\n", spec.Name)
	}
	return reqs, nil
}
