package deploy

import (
	"fmt"
	"strings"
	"time"

	"github.com/gitops-bot/gitops/bot/release"
)

// DeployResult is what a Deploy did. It is returned whenever Deploy got as
// far as looking at the environment, failed or not.
type DeployResult struct {
	Env          string
	From, To     release.Version
	Direction    release.Direction
	DeploymentID string
	// Plan is what the release changes.
	Plan *release.Plan
	// Succeeded is true when every step passed; Failure says otherwise.
	Succeeded bool
	Failure   *Failure
	// Images are the images deployed by service, pinned by digest.
	Images map[string]string
	// RollbackPoints are the task definitions the changed services ran
	// before the deploy (or those DeployRequest.RollbackTo gave).
	RollbackPoints map[string]string
	// Revisions are the task definitions the changed services roll to.
	Revisions map[string]string
	// Migration is the one-off migration task; nil when none ran.
	Migration *TaskResult
	// SchemaStays is set for a rollback whose release has no downgrade: no
	// migration ran and the database keeps the newer schema.
	SchemaStays bool
	// Services are the changed services, sorted by name.
	Services []ServiceResult
	// Health is the last target health seen of each public service.
	Health []TargetGroupHealth
	// Smoke is the last answer to each smoke check.
	Smoke []SmokeResult
	// Alarms are the alarms in ALARM during the bake.
	Alarms []AlarmState
	// Rollback is what was set back after a failure; nil when nothing was.
	Rollback *RollbackResult

	Started, Finished time.Time
}

// Failure is why a deploy or seed failed: the step, the service or seed
// step, the reason, and what shows it.
type Failure struct {
	Step    Step
	Service string
	Seed    string
	Reason  string
	// LogTail is the end of a failed one-off task's log.
	LogTail []string
	// Check is the failing smoke check.
	Check *SmokeResult
	// Events are the newest ECS service events of a failed rollout.
	Events []string

	cause error // what StepError unwraps to, e.g. a context error
}

func (f *Failure) String() string {
	s := string(f.Step)
	if f.Seed != "" {
		s += " " + f.Seed
	}
	if f.Service != "" {
		s += " " + f.Service
	}
	return s + ": " + f.Reason
}

// ServiceResult is one service's part of a roll or a rollback.
type ServiceResult struct {
	Service string
	// From is the task definition the service ran before, To the one it
	// was set to.
	From, To string
	Image    string
	Status   Status // succeeded, failed, or skipped when the roll stopped first
	// Detail says how the deployment was verified, or why it failed.
	Detail string
}

// RollbackResult is what a failed deploy set back.
type RollbackResult struct {
	// Services are the services set back to their rollback points.
	Services []ServiceResult
	// Verified is true when every one of them verified on its rollback point.
	Verified bool
}

// TaskResult is one one-off task: how it was started and how it stopped.
type TaskResult struct {
	TaskARN        string
	TaskDefinition string
	Container      string
	Command        []string
	// StopCode and StoppedReason are ECS's; empty while it has not stopped.
	StopCode      string
	StoppedReason string
	Containers    []ContainerExit
	// LogGroup and LogStream are where the container logs (awslogs), and
	// LogTail the last lines of that stream.
	LogGroup, LogStream string
	LogTail             []string
}

// ContainerExit is how one container of a task ended; ExitCode is nil when
// it never ran.
type ContainerExit struct {
	Name     string
	ExitCode *int32
	Reason   string
}

// TargetGroupHealth is the health of one public service's target group.
type TargetGroupHealth struct {
	Service        string
	TargetGroupARN string
	Healthy        int
	// NotHealthy lists the other targets (draining ones aside) as
	// "id:port state (reason)".
	NotHealthy []string
}

// SmokeResult is one smoke check's last answer.
type SmokeResult struct {
	Path   string
	Want   int
	Got    int    // 0 when no answer came
	Error  string // why no answer came
	Passed bool
}

func (s SmokeResult) String() string {
	if s.Got == 0 {
		return fmt.Sprintf("GET %s: %s, want %d", s.Path, s.Error, s.Want)
	}
	return fmt.Sprintf("GET %s answered %d, want %d", s.Path, s.Got, s.Want)
}

// AlarmState is one alarm seen in ALARM.
type AlarmState struct {
	Name   string
	State  string
	Reason string
	Since  time.Time
}

// SeedResult is what a Seed did.
type SeedResult struct {
	Env string
	// Steps are the steps run, in order, the failed one last.
	Steps     []SeedStepResult
	Succeeded bool
	Failure   *Failure
}

// SeedStepResult is one seed step.
type SeedStepResult struct {
	Name    string
	Service string
	Task    *TaskResult
	Status  Status
}

// ResolveResult is a release's images pinned by digest.
type ResolveResult struct {
	// Images are the images by service, each with the digest its tag has
	// in ECR now.
	Images map[string]release.Image
	// Repinned are the services whose image had another digest before: the
	// tag was pushed again.
	Repinned []string
}

// StepError is the error of a failed Deploy or Seed: the step that failed
// and why. The result returned with it says the rest.
type StepError struct {
	Op      string // e.g. "deploy staging v1.2.0"
	Failure *Failure
}

func (e *StepError) Error() string { return e.Op + ": " + e.Failure.String() }

// Unwrap is the error behind the failure, if any: an API error, or the
// context's when the deploy was cancelled.
func (e *StepError) Unwrap() error { return e.Failure.cause }

// MissingImagesError lists every image of a release that ECR does not have.
type MissingImagesError struct {
	Missing []MissingImage
}

// MissingImage is one image ECR does not have.
type MissingImage struct {
	Service string
	Image   release.Image
	Reason  string // ECR's error code, e.g. ImageNotFoundException
}

func (e *MissingImagesError) Error() string {
	parts := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		parts[i] = fmt.Sprintf("%s (%s: %s)", m.Service, m.Image, m.Reason)
	}
	return fmt.Sprintf("%d image(s) not in ECR: %s", len(e.Missing), strings.Join(parts, ", "))
}
