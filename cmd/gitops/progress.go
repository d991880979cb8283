package main

import (
	"fmt"
	"io"

	"github.com/gitops-bot/gitops/bot/tf"
)

// newApplyProgress turns terraform apply's output into a short progress
// line every tenth of the planned resources, so a long apply is never silent.
func newApplyProgress(env string, total int, w io.Writer) *tf.ApplyProgress {
	shown := 0
	return &tf.ApplyProgress{OnLine: func(done int, _ string) {
		if total > 0 && done > shown && (done == total || done*10/total > shown*10/total) {
			shown = done
			fmt.Fprintf(w, "%s: %d/%d resources applied\n", env, done, total)
		}
	}}
}
