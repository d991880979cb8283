package tf

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"
)

// PlanRequest is what to plan for one environment.
type PlanRequest struct {
	Env string
	// TFVars is the rendered spec (envspec.Spec.Render).
	TFVars []byte
	// HeadSHA is the commit being planned, when known; recorded with the plan.
	HeadSHA string
	// Inputs are hashes of other inputs the plan will be reviewed with, by
	// name (e.g. "policy": the rules that give its verdict). They are
	// recorded, and Apply refuses the plan when one differs then.
	Inputs map[string]string
	// Output receives terraform's own output; nil discards it. Terraform
	// masks the values it knows are sensitive there; data commands (show
	// -json, state pull) never write to it.
	Output io.Writer
	// Progress receives gitops' own notices, such as a wait for another run
	// on the same environment; nil discards them.
	Progress io.Writer
}

// Plan runs terraform plan for req.Env and saves the plan file, its JSON and
// its record under the environment's plans/ directory.
func (r *Runner) Plan(ctx context.Context, req PlanRequest) (*Plan, error) {
	w, unlock, err := r.acquire(ctx, req.Env, req.Progress)
	if err != nil {
		return nil, err
	}
	defer unlock()
	prep, err := r.prepare(ctx, w, req.Output, req.Progress)
	if err != nil {
		return nil, err
	}
	tf := prep.tf
	// terraform plan prints the same human-readable plan as `terraform show`;
	// keeping it saves a second run of terraform (and of the provider) per plan.
	var text bytes.Buffer
	if req.Output != nil {
		tf.SetStdout(io.MultiWriter(req.Output, &text))
	} else {
		tf.SetStdout(&text)
	}
	// Plan files hold every value of the plan, sensitive ones included.
	if err := os.MkdirAll(w.plansDir(), 0o700); err != nil {
		return nil, fmt.Errorf("plan %s: %w", req.Env, err)
	}
	specHash := sha256Hex(req.TFVars)
	now := time.Now().UTC()
	base := filepath.Join(w.plansDir(), now.Format("20060102T150405.000000000Z")+"-"+specHash[:8])
	varFile := base + ".tfvars.json"
	if err := os.WriteFile(varFile, req.TFVars, 0o600); err != nil {
		return nil, fmt.Errorf("plan %s: write variables: %w", req.Env, err)
	}
	planFile := base + ".tfplan"
	// No state lock for a plan: a plan writes no state (S3 serves whole
	// objects, so it never reads a half-written one), apply refuses a plan
	// whose state moved, and a lock taken by a plan whose process was
	// killed (the App restarted mid-plan) would stay in DynamoDB and make
	// every later plan and apply of the environment wait, then fail.
	opts := []tfexec.PlanOption{tfexec.VarFile(varFile), tfexec.Out(planFile), tfexec.Lock(false)}
	for _, kv := range sortedVars(r.opts.Vars) {
		opts = append(opts, tfexec.Var(kv))
	}
	changed, err := tf.Plan(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", req.Env, err)
	}
	if err := os.Chmod(planFile, 0o600); err != nil {
		return nil, fmt.Errorf("plan %s: %w", req.Env, err)
	}
	if err := os.WriteFile(planFile+".txt", humanPlan(text.Bytes()), 0o600); err != nil {
		return nil, fmt.Errorf("plan %s: write plan text: %w", req.Env, err)
	}
	var shown *tfjson.Plan
	if changed {
		// Rendering the JSON costs a terraform run that loads the provider's
		// schema (about half a no-change plan); with no changes it is left to
		// PlanJSON, for callers that want it.
		if shown, err = prep.quiet.ShowPlanFile(ctx, planFile); err != nil {
			return nil, fmt.Errorf("plan %s: show: %w", req.Env, err)
		}
	}
	p, err := r.record(req, planFile, shown, specHash, prep.tree, now)
	if err != nil {
		return nil, err
	}
	if err := prunePlans(w.plansDir(), keepPlans); err != nil {
		return nil, fmt.Errorf("plan %s: %w", req.Env, err)
	}
	return p, nil
}

// keepPlans is how many saved plans each environment keeps; older ones are
// removed when a new plan is saved, so plans/ does not grow without bound.
const keepPlans = 20

// prunePlans removes all but the newest keep plans in dir, with their
// variables, JSON, text, log and record. Plan names start with their UTC
// time, so name order is age order.
func prunePlans(dir string, keep int) error {
	plans, err := filepath.Glob(filepath.Join(dir, "*.tfplan"))
	if err != nil {
		return err
	}
	sort.Strings(plans)
	for _, old := range plans[:max(len(plans)-keep, 0)] {
		if err := RemovePlan(old); err != nil {
			return fmt.Errorf("prune old plan: %w", err)
		}
	}
	return nil
}

func (r *Runner) record(req PlanRequest, planFile string, shown *tfjson.Plan, specHash, treeHash string, now time.Time) (*Plan, error) {
	fileHash, err := fileSHA256(planFile)
	if err != nil {
		return nil, fmt.Errorf("plan %s: hash plan file: %w", req.Env, err)
	}
	state, err := planState(planFile)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", req.Env, err)
	}
	p := &Plan{
		Env:             req.Env,
		File:            planFile,
		TextFile:        planFile + ".txt",
		FileSHA256:      fileHash,
		SpecSHA256:      specHash,
		TerraformSHA256: treeHash,
		Inputs:          req.Inputs,
		State:           state,
		HeadSHA:         req.HeadSHA,
		CreatedAt:       now,
		Changes:         shown != nil,
	}
	if shown != nil {
		if err := p.setJSON(shown); err != nil {
			return nil, fmt.Errorf("plan %s: %w", req.Env, err)
		}
	}
	if err := p.save(); err != nil {
		return nil, fmt.Errorf("plan %s: %w", req.Env, err)
	}
	return p, nil
}

// setJSON stores the plan's JSON beside the plan file and summarises it.
func (p *Plan) setJSON(shown *tfjson.Plan) error {
	redactPlan(shown)
	data, err := json.Marshal(shown)
	if err != nil {
		return fmt.Errorf("encode plan JSON: %w", err)
	}
	p.JSONFile = p.File + ".json"
	if err := os.WriteFile(p.JSONFile, data, 0o600); err != nil {
		return fmt.Errorf("write plan JSON: %w", err)
	}
	p.JSONSHA256 = sha256Hex(data)
	p.Summary = Summarize(shown)
	return nil
}

// PlanJSON returns the `terraform show -json` document of a saved plan,
// rendering it first when the plan was saved without one (no changes).
func (r *Runner) PlanJSON(ctx context.Context, p *Plan) ([]byte, error) {
	if p.JSONFile != "" {
		return p.JSON()
	}
	w, unlock, err := r.acquire(ctx, p.Env, nil)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if got, err := fileSHA256(p.File); err != nil || got != p.FileSHA256 {
		return nil, &StaleError{Env: p.Env, Reason: fmt.Sprintf("plan file %s is not the one recorded", p.File)}
	}
	prep, err := r.prepare(ctx, w, nil, nil)
	if err != nil {
		return nil, err
	}
	shown, err := prep.quiet.ShowPlanFile(ctx, p.File)
	if err != nil {
		return nil, fmt.Errorf("show plan %s: %w", p.Env, err)
	}
	if err := p.setJSON(shown); err != nil {
		return nil, fmt.Errorf("plan %s: %w", p.Env, err)
	}
	if err := p.save(); err != nil {
		return nil, fmt.Errorf("plan %s: %w", p.Env, err)
	}
	return p.JSON()
}

// sortedVars renders extra variables as name=value in a stable order, so the
// same inputs always give the same command line.
func sortedVars(vars map[string]string) []string {
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// humanPlan keeps what a reviewer reads from terraform plan's output: the
// refresh progress lines, and the opening and closing of ephemeral
// resources, are dropped.
func humanPlan(out []byte) []byte {
	var b bytes.Buffer
	for _, line := range bytes.SplitAfter(out, []byte("\n")) {
		if bytes.Contains(line, []byte(": Refreshing state...")) ||
			bytes.Contains(line, []byte(": Opening...")) ||
			bytes.Contains(line, []byte(": Opening complete after")) ||
			bytes.Contains(line, []byte(": Closing...")) ||
			bytes.Contains(line, []byte(": Closing complete after")) ||
			bytes.Contains(line, []byte(": Reading...")) ||
			bytes.Contains(line, []byte(": Read complete after")) {
			continue
		}
		b.Write(line)
	}
	return b.Bytes()
}
