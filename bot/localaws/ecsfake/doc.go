// Package ecsfake is a behavioural fake of the AWS APIs a release engine
// drives when it deploys ECS Fargate services: ECS (task definitions,
// services, rollouts, one-off tasks, service deployments), ECR image look-ups,
// ELBv2 target health, CloudWatch Logs and CloudWatch alarms, plus an HTTP
// endpoint that stands in for the load balancer the smoke checks go through.
//
// The real aws-sdk-go-v2 clients talk to it over HTTP: point a client's
// BaseEndpoint at Fake.URL (or use Fake.Config). Responses are the SDK's own
// output types serialised through their Smithy schemas, so what a client
// decodes has the shape the real service returns.
//
// What makes it behavioural: a Clock (a ManualClock in tests) drives every
// transition, computed lazily when state is observed: a deployment rolls out
// RolloutDuration after UpdateService, a one-off task goes
// PROVISIONING → PENDING → RUNNING → STOPPED, tasks of a bad image fail to
// start and the deployment circuit breaker rolls the service back, targets
// report unhealthy, smoke checks answer 500. Tests set these per image
// (SetImageBehaviour) and per one-off command (SetTaskOutcome), inject
// throttling (Throttle), and read every call back (Calls).
//
// It is for tests and demos of code that deploys to ECS. It is not an AWS
// emulator: it serves only the operations listed in ops.go, keeps no IAM,
// networking or billing model, and never runs a container. API shapes that
// moto also serves are checked against moto by the ecsconformance suite.
package ecsfake
