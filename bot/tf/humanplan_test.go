package tf

import "testing"

func TestHumanPlanDropsProgressLines(t *testing.T) {
	out := "module.x.aws_ecs_service.this: Refreshing state... [id=arn]\n" +
		"ephemeral.aws_secretsmanager_random_password.redis_auth_token: Opening...\n" +
		"ephemeral.aws_secretsmanager_random_password.redis_auth_token: Opening complete after 0s\n" +
		"ephemeral.aws_secretsmanager_random_password.redis_auth_token: Closing...\n" +
		"ephemeral.aws_secretsmanager_random_password.redis_auth_token: Closing complete after 0s\n" +
		"data.aws_availability_zones.this: Reading...\n" +
		"data.aws_availability_zones.this: Read complete after 0s [id=us-west-2]\n" +
		"\nTerraform will perform the following actions:\n" +
		"  ~ desired_count = 3 -> 1\n"
	want := "\nTerraform will perform the following actions:\n  ~ desired_count = 3 -> 1\n"
	if got := string(humanPlan([]byte(out))); got != want {
		t.Fatalf("humanPlan =\n%q\nwant\n%q", got, want)
	}
}
