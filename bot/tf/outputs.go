package tf

import (
	"context"
	"encoding/json"
	"fmt"
)

// Outputs returns the values of env's stack outputs (terraform output -json,
// each output's "value"), for the engines that act on what terraform built
// (bot/deploy's Target). Sensitive outputs are left out: nothing that reads
// outputs needs one, and they must not travel further.
func (r *Runner) Outputs(ctx context.Context, env string) (map[string]json.RawMessage, error) {
	w, unlock, err := r.acquire(ctx, env, nil)
	if err != nil {
		return nil, err
	}
	defer unlock()
	prep, err := r.prepare(ctx, w, nil, nil)
	if err != nil {
		return nil, err
	}
	// quiet: terraform-exec copies the command's stdout to the run's
	// writer, and output -json holds sensitive values in clear.
	metas, err := prep.quiet.Output(ctx)
	if err != nil {
		return nil, fmt.Errorf("terraform output %s: %w", env, err)
	}
	out := make(map[string]json.RawMessage, len(metas))
	for name, m := range metas {
		if !m.Sensitive {
			out[name] = m.Value
		}
	}
	return out, nil
}
