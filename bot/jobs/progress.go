package jobs

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gitops-bot/gitops/bot/github"
	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/tf"
)

// progressEvery is the least time between two progress updates of a check
// run: GitHub's rate limits are per installation, and a person reads no
// faster. The last resource's completion is always shown.
const progressEvery = 5 * time.Second

// progressLines is how much of terraform's output the check run shows.
const progressLines = 30

// checkRunProgress streams an apply into its check run: "applying… n/N
// resources" with the end of terraform's output (redacted), at most every
// progressEvery. A failed update is logged and skipped: progress is a
// courtesy, the final result is what counts.
func (d *Deps) checkRunProgress(ctx context.Context, c Client, repo string, cr github.CheckRun, total int) io.Writer {
	var (
		lines []string
		last  time.Time
		shown int
	)
	return &tf.ApplyProgress{OnLine: func(done int, line string) {
		lines = append(lines, line)
		if len(lines) > progressLines {
			lines = lines[len(lines)-progressLines:]
		}
		if done == shown || (done < total && time.Since(last) < progressEvery) {
			return
		}
		shown, last = done, time.Now()
		up := cr
		up.Status = "in_progress"
		up.Title = fmt.Sprintf("applying… %d/%d resources", done, total)
		up.Text = "```\n" + report.Redact(strings.Join(lines, "\n")) + "\n```"
		if _, err := c.UpsertCheckRun(ctx, repo, up); err != nil {
			d.log(ctx).Warn("apply progress in the check run", "err", err)
		}
	}}
}
