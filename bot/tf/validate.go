package tf

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"
)

// ValidateStack runs terraform validate on the stack, initialised without a
// backend in a working directory of its own, so it needs no AWS access.
func (r *Runner) ValidateStack(ctx context.Context) (*tfjson.ValidateOutput, error) {
	w := workdir{root: filepath.Join(r.opts.WorkDir, "validate"), env: "validate"}
	unlock, err := w.lock(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := w.sync(r.opts.SourceDir, "", ""); err != nil {
		return nil, err
	}
	tf, err := r.terraform(w.stackDir(), nil)
	if err != nil {
		return nil, err
	}
	if err := r.init(ctx, tf, nil, tfexec.Backend(false)); err != nil {
		return nil, fmt.Errorf("terraform init (no backend): %w", err)
	}
	out, err := tf.Validate(ctx)
	if err != nil {
		return nil, fmt.Errorf("terraform validate: %w", err)
	}
	return out, nil
}
