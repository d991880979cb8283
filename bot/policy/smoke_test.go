package policy

import (
	"context"
	"testing"
)

func TestSmoke(t *testing.T) {
	e, err := LoadDir(context.Background(), "../../policy")
	if err != nil {
		t.Fatal(err)
	}
	plan := newStagingPlan()
	t.Logf("resources: %d", len(plan["resource_changes"].([]obj)))
	res, err := e.Evaluate(context.Background(), Input{Environment: "staging", Spec: stagingSpec(), Plan: marshalPlan(t, plan),
		Environments: []Environment{{"dev", "10.0.0.0/16"}, {"staging", "10.1.0.0/16"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range res.Verdicts {
		t.Logf("%+v", v)
	}
}
