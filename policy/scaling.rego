# Task counts per environment: staging must survive losing a task, and runs
# a fixed count so that load tests are comparable; dev stays small.
package gitops.rules.scaling

import data.gitops.lib

deny contains lib.verdict("staging_min_tasks", path, msg) if {
	input.environment == "staging"
	some name, svc in input.spec.services
	svc.desired_count < 2
	path := sprintf("services.%s.desired_count", [name])
	msg := sprintf("%s is %d; staging runs at least 2 tasks per service", [path, svc.desired_count])
}

deny contains lib.verdict("staging_no_autoscaling", "autoscaling.enabled", msg) if {
	input.environment == "staging"
	input.spec.autoscaling.enabled == true
	msg := "autoscaling.enabled is true; staging runs a fixed task count"
}

warn contains lib.verdict("dev_max_tasks", path, msg) if {
	input.environment == "dev"
	some name, svc in input.spec.services
	svc.desired_count > 1
	path := sprintf("services.%s.desired_count", [name])
	msg := sprintf("%s is %d; dev runs at most 1 task per service", [path, svc.desired_count])
}
