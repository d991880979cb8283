package cost

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/gitops-bot/gitops/bot/envspec"
)

func TestBudget(t *testing.T) {
	staging := contractSpec("staging", "us-east-1", "db.t3.small", 2)
	tests := []struct {
		name    string
		budget  envspec.Budget
		verdict Verdict
	}{
		{"under the budget is ok", envspec.Budget{MonthlyUSD: 1000, Enforce: true}, VerdictOK},
		{"over an advisory budget warns", envspec.Budget{MonthlyUSD: 200}, VerdictWarn},
		{"over an enforced budget fails", envspec.Budget{MonthlyUSD: 200, Enforce: true}, VerdictFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := EstimateSpec(staging, Options{Budget: tt.budget})
			if err != nil {
				t.Fatal(err)
			}
			b := e.Budget
			if b == nil || b.Verdict != tt.verdict {
				t.Fatalf("budget = %+v, want verdict %s", b, tt.verdict)
			}
			if tt.verdict == VerdictOK {
				if b.Exceeded || len(b.Savings) != 0 {
					t.Errorf("under budget but %+v", b)
				}
				return
			}
			if !near(b.OverUSD, e.After-tt.budget.MonthlyUSD) {
				t.Errorf("over by %v, want %v", b.OverUSD, e.After-tt.budget.MonthlyUSD)
			}
			savings := map[string]Saving{}
			for _, s := range b.Savings {
				savings[s.Name] = s
				if s.MonthlyUSD <= 0 || s.TradeOff == "" || s.Change == "" {
					t.Errorf("saving %+v", s)
				}
			}
			// NAT data is shared, so one gateway fewer saves its hours and its EIP.
			if s := savings["Single NAT gateway"]; !near(s.MonthlyUSD, natHour*hours+ipv4Hour*hours) {
				t.Errorf("single NAT saves %v, want %v", s.MonthlyUSD, natHour*hours+ipv4Hour*hours)
			}
			big := (0.5*fargateVCPU + 1*fargateGB) * hours
			small := (0.25*fargateVCPU + 0.5*fargateGB) * hours
			if s := savings["One task per service"]; !near(s.MonthlyUSD, 3*big+3*small+6*cloudMapRes) {
				t.Errorf("one task per service saves %v", s.MonthlyUSD)
			}
			if s := savings["Smaller database class"]; !near(s.MonthlyUSD, (t3small-t3micro)*hours) || s.Change != "database.instance_class: db.t3.small → db.t3.micro" {
				t.Errorf("smaller database: %+v", s)
			}
			spotSaving := 12 * ((0.5*(fargateVCPU-spotVCPU) + 1*(fargateGB-spotGB)) * hours) / 2 // 6 big tasks
			spotSaving += 6 * (0.25*(fargateVCPU-spotVCPU) + 0.5*(fargateGB-spotGB)) * hours     // 6 small tasks
			if s := savings["Fargate Spot"]; !near(s.MonthlyUSD, spotSaving) {
				t.Errorf("spot saves %v, want %v", s.MonthlyUSD, spotSaving)
			}
			for i := 1; i < len(b.Savings); i++ {
				if b.Savings[i].MonthlyUSD > b.Savings[i-1].MonthlyUSD {
					t.Errorf("savings not largest first: %+v", b.Savings)
				}
			}
		})
	}
}

func TestTotalChecksTheRepositoryBudget(t *testing.T) {
	dev, err := EstimateSpec(contractSpec("dev", "us-west-2", "db.t3.micro", 1), Options{})
	if err != nil {
		t.Fatal(err)
	}
	staging, err := EstimateSpec(contractSpec("staging", "us-east-1", "db.t3.small", 2), Options{})
	if err != nil {
		t.Fatal(err)
	}
	total := Total([]*Estimate{staging, dev}, 0)
	if !near(total.After, dev.After+staging.After) || total.Environments[0].Environment != "dev" {
		t.Fatalf("total %+v", total)
	}
	if total.Budget.LimitUSD != DefaultRepoBudgetUSD || !total.Budget.Exceeded || total.Budget.Verdict != VerdictWarn {
		t.Errorf("budget %+v", total.Budget)
	}
	envs := map[string]bool{}
	for _, s := range total.Budget.Savings {
		envs[s.Environment] = true
	}
	if !envs["dev"] || !envs["staging"] {
		t.Errorf("savings do not cover both environments: %+v", total.Budget.Savings)
	}
	if b := Total([]*Estimate{dev}, 10000).Budget; b.Exceeded || b.Verdict != VerdictOK {
		t.Errorf("under budget: %+v", b)
	}
}

func TestEstimateIsJSONSerialisable(t *testing.T) {
	e, err := EstimatePlanJSON(realPlan(t, "dev-scale-down"), Options{Budget: envspec.Budget{MonthlyUSD: 100}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var back Estimate
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !near(back.Delta, e.Delta) || len(back.Resources) != len(e.Resources) || back.Budget.Verdict != VerdictWarn {
		t.Errorf("round trip lost data")
	}
	for _, key := range []string{`"not_priced":[]`, `"unit_price"`, `"assumption"`, `"before_components"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func TestUsageFile(t *testing.T) {
	tests := []struct {
		name, yaml, err string
	}{
		{name: "empty file keeps every default", yaml: ""},
		{name: "overrides decode", yaml: "alb: {lcu_per_hour: 2}\nnat: {gb_per_month: 100}\nlogs: {gb_per_group_per_month: 1.5}\necr: {gb_per_repository: 3}\nrds: {backup_gb: 40}\n"},
		{name: "unknown key is rejected", yaml: "nat: {gb_per_mnth: 100}\n", err: `1:7: unknown field "gb_per_mnth"`},
		{name: "negative value is rejected", yaml: "ecr: {gb_per_repository: -1}\n", err: "ecr.gb_per_repository: -1 is negative"},
		{name: "wrong type is rejected", yaml: "alb: {lcu_per_hour: lots}\n", err: "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := DecodeUsage(strings.NewReader(tt.yaml))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.yaml != "" && (u.NAT.GBPerMonth == nil || *u.NAT.GBPerMonth != 100 || *u.RDS.BackupGB != 40) {
				t.Errorf("usage %+v", u)
			}
		})
	}
	u, err := LoadUsage(t.TempDir() + "/" + UsageFileName("dev"))
	if err != nil || u.ALB.LCUPerHour != nil {
		t.Errorf("missing usage file: %+v %v", u, err)
	}
	bad := t.TempDir() + "/" + UsageFileName("dev")
	if err := os.WriteFile(bad, []byte("nat:\n  gb_per_mnth: 100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadUsage(bad); err == nil || err.Error() != bad+`:2:3: unknown field "gb_per_mnth"` {
		t.Errorf("bad usage file: err = %v, want it at file:line:col", err)
	}
}

// BenchmarkEstimateStaging decodes and prices the real first plan of staging.
func BenchmarkEstimateStaging(b *testing.B) {
	// The fixture is indented for review; gitops stores plan JSON compact, as
	// terraform show -json writes it, so that is what is measured.
	var compact bytes.Buffer
	if err := json.Compact(&compact, realPlan(b, "staging-create")); err != nil {
		b.Fatal(err)
	}
	data := compact.Bytes()
	opts := Options{Budget: envspec.Budget{MonthlyUSD: 200}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EstimatePlanJSON(data, opts); err != nil {
			b.Fatal(err)
		}
	}
}
