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

// readPlanJSON reads a plan given on the command line: a plan file saved by
// gitops plan (its reviewed JSON is used, checked against its hash) or a
// `terraform show -json` document.
func readPlanJSON(path string) ([]byte, error) {
	if _, err := os.Stat(tf.MetaPath(path)); err == nil || strings.HasSuffix(path, ".meta.json") {
		p, err := tf.LoadPlan(path)
		if err != nil {
			return nil, err
		}
		return p.JSON()
	}
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
	if planFile != "" {
		if len(specs) != 1 {
			return nil, usageError("--plan FILE goes with exactly one environment")
		}
		data, err := readPlanJSON(planFile)
		if err != nil {
			return nil, err
		}
		return [][]byte{data}, nil
	}
	s, err := f.open(ctx, g, progress)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	reqs := make([]tf.PlanRequest, len(specs))
	for i, spec := range specs {
		vars, err := spec.Render()
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", spec.Name, err)
		}
		reqs[i] = tf.PlanRequest{Env: spec.Name, TFVars: vars, HeadSHA: gitHead(g.repoDir)}
		fmt.Fprintf(progress, "%s: planning…\n", spec.Name)
	}
	out := make([][]byte, len(specs))
	for i, r := range s.runner.PlanMany(ctx, reqs, 0) {
		if r.Err != nil {
			return nil, r.Err
		}
		fmt.Fprintf(progress, "%s: planned\n", r.Env)
		data, err := r.Plan.JSON()
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}
