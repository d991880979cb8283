package deploy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/gitops-bot/gitops/bot/release"
)

// DeployRequest is one deploy of a release to an environment.
type DeployRequest struct {
	Target *Target
	// Current is the release deployed now (nil before the first one) and
	// Next the one to deploy; their Plan says what changes.
	Current *release.Release
	Next    release.Release
	// DeploymentID identifies this deploy (e.g. the GitHub deployment id)
	// and is the same for every attempt of it: the migration's RunTask
	// client token is derived from it, so that a retried attempt never runs
	// the migration twice (it finds the first attempt's task and its
	// outcome). A new attempt after a failed one needs a new id.
	DeploymentID string
	// RollbackTo are the rollback points an earlier attempt of this
	// deploy recorded (its StepRecord events, or DeployResult.
	// RollbackPoints), by service. A retried attempt passes them so that it
	// does not record the revisions the first attempt rolled out as the
	// points to roll back to. Services not in it use the live task
	// definition.
	RollbackTo map[string]string
	// Progress receives the events, one at a time, in order; nil drops them.
	Progress func(Event)
}

// Deploy takes req.Next to the environment, in steps (see Step): it checks
// the images in ECR, records the task definition of every service that
// changes, registers new revisions from the latest revision of each family
// with only the image replaced (pinned by digest), runs the migration and
// checks how it stopped, rolls the services concurrently and verifies each
// deployment, then checks target health, the smoke checks and, during the
// bake, the alarms. On a failure after services were touched, every one of
// them is set back to its rollback point and verified.
//
// The result is nil only when the request is invalid (no AWS call is made
// then); otherwise it says what happened, and err is a *StepError exactly
// when the deploy failed. Step timeouts are the release's Timeouts, Total
// bounding every step but the bake and the rollback.
func (e *Engine) Deploy(ctx context.Context, req DeployRequest) (*DeployResult, error) {
	d, err := e.newDeployment(req)
	if err != nil {
		return nil, err
	}
	return d.run(ctx)
}

// Rollback deploys an older release than the current one: a Deploy whose
// plan is a rollback. The migration step runs the current release's
// downgrade when it declares one, with the current release's image (the
// only one that knows the migrations to undo); without one no migration
// runs and the result says the schema stays (DeployResult.SchemaStays).
func (e *Engine) Rollback(ctx context.Context, req DeployRequest) (*DeployResult, error) {
	d, err := e.newDeployment(req)
	if err != nil {
		return nil, err
	}
	if d.plan.Direction != release.Rollback {
		return nil, fmt.Errorf("%s: not a rollback: %s after %s is %s", d.op, req.Next.Version, orDash(string(d.plan.From)), d.plan.Direction)
	}
	return d.run(ctx)
}

// deployment is one Deploy under way.
type deployment struct {
	e        *Engine
	req      DeployRequest
	t        *Target
	plan     *release.Plan
	op       string
	timeouts release.Timeouts
	em       *emitter
	res      *DeployResult

	total       time.Time                // the deadline of the whole deploy
	images      map[string]release.Image // pinned, by service; "" key: the migration's
	live        map[string]ecstypes.Service
	groups      []targetGroup
	moves       []move
	touched     []bool
	migrationTD *ecstypes.TaskDefinition
}

// migrationKey is the migration's image in deployment.images.
const migrationKey = ""

func (e *Engine) newDeployment(req DeployRequest) (*deployment, error) {
	op := fmt.Sprintf("deploy %s %s", req.Next.Environment, req.Next.Version)
	var errs []error
	if err := req.Target.Validate(); err != nil {
		errs = append(errs, err)
	} else if req.Target.Env != "" && req.Target.Env != req.Next.Environment {
		errs = append(errs, fmt.Errorf("the release is of environment %q, the target %q", req.Next.Environment, req.Target.Env))
	}
	if req.DeploymentID == "" {
		errs = append(errs, errors.New("no deployment id"))
	}
	if e.cfg.ECR == nil {
		errs = append(errs, errors.New("no ECR client configured"))
	}
	plan, err := release.NewPlan(req.Current, &req.Next)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	t := req.Target
	for _, c := range plan.Changed {
		if _, ok := t.Services[c.Service]; !ok {
			errs = append(errs, fmt.Errorf("service %s of the release is not in the target (it has %s)", c.Service, strings.Join(slices.Sorted(maps.Keys(t.Services)), ", ")))
		}
	}
	if m := plan.Migration; m != nil && len(m.Command) > 0 {
		if t.Migration.Family == "" || t.Migration.Container == "" {
			errs = append(errs, errors.New("the release has a migration but the target no migration task family and container"))
		}
		if m.Image.Repository == "" {
			errs = append(errs, fmt.Errorf("the migration runs in %s's image, which the release does not name", m.Service))
		}
	}
	if len(req.Next.Smoke) > 0 && t.BaseURL == "" {
		errs = append(errs, errors.New("the release has smoke checks but the target no load balancer URL"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return &deployment{
		e: e, req: req, t: t, plan: plan, op: op,
		timeouts: timeoutsOf(req.Next.Timeouts),
		em:       &emitter{fn: req.Progress, now: e.now},
		images:   map[string]release.Image{},
		res: &DeployResult{
			Env: req.Next.Environment, From: plan.From, To: plan.To, Direction: plan.Direction,
			DeploymentID: req.DeploymentID, Plan: plan,
			Images: map[string]string{}, RollbackPoints: map[string]string{}, Revisions: map[string]string{},
		},
	}, nil
}

// timeoutsOf fills the zero timeouts of a release built in code with the
// defaults (a decoded release has them all).
func timeoutsOf(t release.Timeouts) release.Timeouts {
	def := release.DefaultTimeouts()
	for _, p := range []struct{ v, d *time.Duration }{
		{&t.Migration, &def.Migration}, {&t.Rollout, &def.Rollout}, {&t.Health, &def.Health}, {&t.Smoke, &def.Smoke}, {&t.Total, &def.Total},
	} {
		if *p.v <= 0 {
			*p.v = *p.d
		}
	}
	return t
}

func (d *deployment) run(ctx context.Context) (*DeployResult, error) {
	d.res.Started = d.e.now()
	d.total = d.res.Started.Add(d.timeouts.Total)
	steps := []struct {
		step Step
		do   func(context.Context) *Failure
	}{
		{StepImages, d.checkImages},
		{StepRecord, d.record},
		{StepRegister, d.register},
		{StepMigrate, d.migrate},
		{StepRoll, d.roll},
		{StepHealth, d.health},
		{StepSmoke, d.smoke},
		{StepBake, d.bake},
	}
	for _, s := range steps {
		if f := s.do(ctx); f != nil {
			return d.fail(ctx, f)
		}
	}
	d.res.Succeeded = true
	d.res.Finished = d.e.now()
	return d.res, nil
}

// deadline is when a step of the given timeout must end: the timeout from
// now, or the end of the whole deploy when that comes first; limit is the
// time that leaves, for messages.
func (d *deployment) deadline(timeout time.Duration) (deadline time.Time, limit time.Duration) {
	now := d.e.now()
	deadline = now.Add(timeout)
	if d.total.Before(deadline) {
		deadline = d.total
	}
	return deadline, deadline.Sub(now)
}

// fail records f, rolls back what was touched, and ends the deploy.
func (d *deployment) fail(ctx context.Context, f *Failure) (*DeployResult, error) {
	d.res.Failure = f
	msg := f.Reason
	if f.Service != "" {
		msg = f.Service + ": " + msg
	}
	d.em.emit(Event{Step: f.Step, Status: StatusFailed, Message: msg})
	// A cancelled deploy still sets back what it touched: a half-rolled
	// environment is the worst outcome. The rollback is bounded by the
	// rollout timeout instead.
	d.rollback(context.WithoutCancel(ctx))
	d.res.Finished = d.e.now()
	return d.res, &StepError{Op: d.op, Failure: f}
}

// failure is the Failure of a step from err.
func failure(step Step, service string, err error) *Failure {
	return &Failure{Step: step, Service: service, Reason: err.Error(), cause: err}
}

// checkImages makes sure ECR has every image the deploy uses, pinned by
// digest: each missing one is named.
func (d *deployment) checkImages(ctx context.Context) *Failure {
	d.em.step(StepImages, StatusStarted, "looking up %d image(s) in ECR", len(d.plan.Changed))
	want := map[string]release.Image{}
	for _, c := range d.plan.Changed {
		want[c.Service] = c.To
	}
	if m := d.plan.Migration; m != nil && len(m.Command) > 0 {
		want[migrationKey] = m.Image
	}
	var missing MissingImagesError
	for _, name := range slices.Sorted(maps.Keys(want)) {
		img := want[name]
		digest, reason, err := d.e.lookupImage(ctx, img)
		if err != nil {
			return failure(StepImages, name, err)
		}
		if reason != "" {
			who := name
			if name == migrationKey {
				who = "migration (" + d.plan.Migration.Service + ")"
			}
			missing.Missing = append(missing.Missing, MissingImage{Service: who, Image: img, Reason: reason})
			continue
		}
		img.Digest = digest
		d.images[name] = img
		if name != migrationKey {
			d.res.Images[name] = d.t.imageRef(img)
		}
	}
	if len(missing.Missing) > 0 {
		return &Failure{Step: StepImages, Reason: missing.Error(), cause: &missing}
	}
	d.em.step(StepImages, StatusSucceeded, "every image is in ECR")
	return nil
}

// record describes every service of the target: the task definitions the
// changed ones run are their rollback points, and the load balancers of
// the public ones are the target groups to check.
//
// ECS: DescribeServices (10 at a time)
func (d *deployment) record(ctx context.Context) *Failure {
	d.em.step(StepRecord, StatusStarted, "recording the task definitions the services run")
	names := slices.Sorted(maps.Keys(d.t.Services))
	byECS := map[string]ecstypes.Service{}
	for chunk := range slices.Chunk(names, 10) {
		in := &ecs.DescribeServicesInput{Cluster: aws.String(d.t.Cluster)}
		for _, n := range chunk {
			in.Services = append(in.Services, d.t.Services[n].Service)
		}
		out, err := d.e.cfg.ECS.DescribeServices(ctx, in)
		if err != nil {
			return failure(StepRecord, "", fmt.Errorf("describe services of %s: %w", d.t.Cluster, err))
		}
		for _, s := range out.Services {
			byECS[aws.ToString(s.ServiceName)] = s
		}
	}
	d.live = map[string]ecstypes.Service{}
	for _, n := range names {
		if s, ok := byECS[d.t.Services[n].Service]; ok {
			d.live[n] = s
		}
	}
	var missing []string
	for _, c := range d.plan.Changed {
		st := d.t.Services[c.Service]
		live, ok := d.live[c.Service]
		if !ok {
			missing = append(missing, st.Service)
			continue
		}
		from := aws.ToString(live.TaskDefinition)
		if p := d.req.RollbackTo[c.Service]; p != "" {
			from = p
		}
		d.res.RollbackPoints[c.Service] = from
		d.moves = append(d.moves, move{name: c.Service, service: st.Service, from: from, image: d.res.Images[c.Service]})
		d.em.service(StepRecord, c.Service, StatusSucceeded, from, "rollback point %s", shortTD(from))
	}
	if len(missing) > 0 {
		return &Failure{Step: StepRecord, Reason: fmt.Sprintf("service(s) not found in cluster %s: %s", d.t.Cluster, strings.Join(missing, ", "))}
	}
	for _, n := range names {
		st, live := d.t.Services[n], d.live[n]
		arns := slices.Clone(st.TargetGroupARNs)
		for _, lb := range live.LoadBalancers {
			if a := aws.ToString(lb.TargetGroupArn); a != "" && !slices.Contains(arns, a) {
				arns = append(arns, a)
			}
		}
		if st.Public && len(arns) == 0 {
			d.em.service(StepRecord, n, StatusProgress, "", "public, but no target group is known: its health cannot be checked")
		}
		for _, a := range arns {
			d.groups = append(d.groups, targetGroup{service: n, arn: a})
		}
	}
	d.em.step(StepRecord, StatusSucceeded, "%d service(s) change", len(d.moves))
	return nil
}

// register makes the revisions the changed services roll to, and the
// migration's.
func (d *deployment) register(ctx context.Context) *Failure {
	d.em.step(StepRegister, StatusStarted, "registering %d revision(s)", len(d.moves))
	for i := range d.moves {
		m := &d.moves[i]
		st := d.t.Services[m.name]
		rev, err := d.e.register(ctx, st.Family, st.Container, m.image)
		if err != nil {
			return failure(StepRegister, m.name, err)
		}
		m.to = rev.arn()
		d.res.Revisions[m.name] = m.to
		d.em.service(StepRegister, m.name, StatusSucceeded, m.to, "%s", revisionMessage(rev, m.image))
	}
	if mig := d.plan.Migration; mig != nil && len(mig.Command) > 0 {
		image := d.t.imageRef(d.images[migrationKey])
		rev, err := d.e.register(ctx, d.t.Migration.Family, d.t.Migration.Container, image)
		if err != nil {
			return failure(StepRegister, "", err)
		}
		d.migrationTD = rev.def
		d.em.emit(Event{Step: StepRegister, Status: StatusProgress, TaskDefinition: rev.arn(), Message: "migration: " + revisionMessage(rev, image)})
	}
	d.em.step(StepRegister, StatusSucceeded, "revisions ready")
	return nil
}

func revisionMessage(rev revision, image string) string {
	if rev.reused {
		return fmt.Sprintf("%s already runs %s", shortTD(rev.arn()), image)
	}
	return fmt.Sprintf("registered %s from %s with %s", shortTD(rev.arn()), shortTD(rev.base), image)
}

// migrate runs the plan's migration, if any, as a one-off task.
func (d *deployment) migrate(ctx context.Context) *Failure {
	m := d.plan.Migration
	switch {
	case m == nil:
		d.em.step(StepMigrate, StatusSkipped, "the release has no migration")
		return nil
	case m.SchemaStays:
		d.res.SchemaStays = true
		d.em.step(StepMigrate, StatusSkipped, "a rollback without a downgrade: no migration runs and the database keeps the schema of %s", d.plan.From)
		return nil
	case len(m.Command) == 0:
		d.em.step(StepMigrate, StatusSkipped, "no migration command")
		return nil
	}
	kind := "migrate"
	if m.Downgrade {
		kind = "downgrade"
	}
	timeout := d.timeouts.Migration
	deadline, limit := d.deadline(timeout)
	d.em.emit(Event{Step: StepMigrate, Status: StatusStarted, TaskDefinition: aws.ToString(d.migrationTD.TaskDefinitionArn),
		Message: fmt.Sprintf("%s in %s's image: %s", kind, m.Service, strings.Join(m.Command, " "))})
	res, err := d.e.runTask(ctx, d.t, oneOff{
		step: StepMigrate, td: d.migrationTD,
		container: d.t.Migration.Container, command: m.Command,
		token:   clientToken(kind, d.req.Next.Environment, d.req.DeploymentID, "migration"),
		timeout: limit, deadline: deadline,
	}, d.em)
	d.res.Migration = res
	if err != nil {
		f := failure(StepMigrate, "", err)
		f.LogTail = res.LogTail
		return f
	}
	d.em.emit(Event{Step: StepMigrate, Status: StatusSucceeded, TaskDefinition: res.TaskDefinition, Task: res.TaskARN, Message: "exited 0"})
	return nil
}

// roll updates the changed services concurrently and verifies each.
func (d *deployment) roll(ctx context.Context) *Failure {
	if len(d.moves) == 0 {
		d.em.step(StepRoll, StatusSkipped, "no service changes its image")
		return nil
	}
	d.em.step(StepRoll, StatusStarted, "rolling %d service(s), %d at a time", len(d.moves), min(d.e.cfg.Concurrency, len(d.moves)))
	results, touched, f, i := d.e.roll(ctx, d.t, StepRoll, d.moves, true, d.timeouts.Rollout, d.total, d.em)
	d.res.Services, d.touched = results, touched
	if f != nil {
		return &Failure{Step: StepRoll, Service: d.moves[i].name, Reason: f.reason, Events: f.events, cause: f.cause}
	}
	if err := ctx.Err(); err != nil {
		return failure(StepRoll, "", fmt.Errorf("roll cancelled: %w", err))
	}
	d.em.step(StepRoll, StatusSucceeded, "%d service(s) on their new revisions", len(d.moves))
	return nil
}

// health waits for the public services' targets to be healthy.
func (d *deployment) health(ctx context.Context) *Failure {
	if len(d.groups) == 0 {
		d.em.step(StepHealth, StatusSkipped, "no public service with a target group")
		return nil
	}
	deadline, limit := d.deadline(d.timeouts.Health)
	d.em.step(StepHealth, StatusStarted, "waiting for the targets of %d target group(s)", len(d.groups))
	h, err := d.e.health(ctx, d.groups, limit, deadline, d.em)
	d.res.Health = h
	if err != nil {
		return failure(StepHealth, "", err)
	}
	d.em.step(StepHealth, StatusSucceeded, "every target healthy")
	return nil
}

// smoke makes the release's smoke checks through the load balancer.
func (d *deployment) smoke(ctx context.Context) *Failure {
	checks := d.req.Next.Smoke
	if len(checks) == 0 {
		d.em.step(StepSmoke, StatusSkipped, "the release has no smoke checks")
		return nil
	}
	deadline, limit := d.deadline(d.timeouts.Smoke)
	d.em.step(StepSmoke, StatusStarted, "%d check(s) through %s", len(checks), d.t.BaseURL)
	res, err := d.e.smoke(ctx, d.t.BaseURL, checks, limit, deadline, d.em)
	d.res.Smoke = res
	if err != nil {
		f := failure(StepSmoke, "", err)
		var sf *smokeFailure
		if errors.As(err, &sf) {
			f.Check = &sf.check
		}
		return f
	}
	d.em.step(StepSmoke, StatusSucceeded, "every check passed")
	return nil
}

// bake watches the alarms for the release's bake time.
func (d *deployment) bake(ctx context.Context) *Failure {
	switch {
	case d.req.Next.Bake <= 0:
		d.em.step(StepBake, StatusSkipped, "the release has no bake")
		return nil
	case len(d.t.Alarms) == 0 && d.t.AlarmPrefix == "":
		d.em.step(StepBake, StatusSkipped, "the target names no alarms to watch")
		return nil
	}
	d.em.step(StepBake, StatusStarted, "watching alarms for %s", d.req.Next.Bake)
	firing, err := d.e.bake(ctx, d.t, d.req.Next.Bake, d.em)
	d.res.Alarms = firing
	if err != nil {
		return failure(StepBake, "", err)
	}
	d.em.step(StepBake, StatusSucceeded, "no alarm in ALARM for %s", d.req.Next.Bake)
	return nil
}

// rollback sets every touched service back to its rollback point, all of
// them whatever fails, and verifies each.
func (d *deployment) rollback(ctx context.Context) {
	var back []move
	for i, m := range d.moves {
		if i < len(d.touched) && d.touched[i] {
			back = append(back, move{name: m.name, service: m.service, from: m.to, to: m.from})
		}
	}
	if len(back) == 0 {
		return
	}
	d.em.step(StepRollback, StatusStarted, "setting %d service(s) back to their rollback points", len(back))
	// Not bounded by the deploy's total timeout: it may be what ran out.
	timeout := d.timeouts.Rollout
	results, _, _, _ := d.e.roll(ctx, d.t, StepRollback, back, false, timeout, d.e.now().Add(2*timeout), d.em)
	rb := &RollbackResult{Services: results, Verified: true}
	for _, r := range results {
		if r.Status != StatusSucceeded {
			rb.Verified = false
		}
	}
	d.res.Rollback = rb
	if rb.Verified {
		d.em.step(StepRollback, StatusSucceeded, "%d service(s) back on their rollback points", len(back))
	} else {
		d.em.step(StepRollback, StatusFailed, "not every service verified on its rollback point")
	}
}
