// Package deploy is the ECS release engine: it takes a release of
// releases/<env>.yaml (bot/release) to the environment's ECS services and
// tells, step by step, what it did.
//
// Resolve checks that a release's images exist in ECR and pins them by
// digest. Deploy records the task definition every service runs (the
// rollback points), registers new revisions copied from the latest revision
// of each family with only the image replaced, runs the migration as a
// one-off task and checks how it stopped, rolls the services concurrently
// and verifies each deployment itself (the circuit breaker may have undone
// it while the service looks stable), then checks load balancer target
// health, the release's smoke checks and, during the bake, the
// environment's alarms. Any failure sets every service it changed back to
// its rollback point and verifies that too. Rollback is a Deploy of an older
// release; Seed runs a release's seed steps as one-off tasks.
//
// Progress is reported as typed Events, in order, and the outcome as a typed
// result; rendering them (pull request comments, check runs, CLI lines) is
// bot/report's. The engine never deregisters a task definition, never
// retries a failed API call itself (the SDK's retryer absorbs throttling),
// and never puts a task definition's environment values into an error,
// an event or a result.
//
// It is not a job: it knows nothing of GitHub, locks, the store or
// terraform. Where the environment lives comes in as a Target (see
// TargetFromOutputs for the stack's outputs), the AWS clients as small
// interfaces the SDK clients satisfy, and time through Config.Now and
// Config.Sleep, so that tests drive a fake clock instead of sleeping.
package deploy
