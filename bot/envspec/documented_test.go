package envspec

import (
	"slices"
	"testing"
)

// The tables of rules.go (Fargate sizes, log retentions, regions) feed the
// validation, the schema, the error messages and the property tests, so a
// wrong entry is consistent everywhere and only AWS's documentation can show
// it. Each table is checked here against the documented values, written out.

// documentedFargate is the Fargate task size table for Linux tasks: CPU units
// → the memory sizes (MiB) accepted with them.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html
var documentedFargate = []struct {
	cpu    int
	memory []int
}{
	{256, []int{512, 1024, 2048}},
	{512, mib(1024, 4096, 1024)},      // 1 to 4 GB in 1 GB steps
	{1024, mib(2048, 8192, 1024)},     // 2 to 8 GB in 1 GB steps
	{2048, mib(4096, 16384, 1024)},    // 4 to 16 GB in 1 GB steps
	{4096, mib(8192, 30720, 1024)},    // 8 to 30 GB in 1 GB steps
	{8192, mib(16384, 61440, 4096)},   // 16 to 60 GB in 4 GB steps
	{16384, mib(32768, 122880, 8192)}, // 32 to 120 GB in 8 GB steps
}

func mib(from, to, step int) []int {
	var out []int
	for m := from; m <= to; m += step {
		out = append(out, m)
	}
	return out
}

// documentedLogRetentionDays are the values PutRetentionPolicy accepts.
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
var documentedLogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// documentedRegions are the region codes of the commercial partition (aws),
// as listed on the billing codes page (no GovCloud, China or European
// Sovereign Cloud).
// https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-region-billing-codes.html
var documentedRegions = []string{
	"af-south-1",
	"ap-east-1", "ap-east-2",
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ca-central-1", "ca-west-1",
	"eu-central-1", "eu-central-2",
	"eu-north-1",
	"eu-south-1", "eu-south-2",
	"eu-west-1", "eu-west-2", "eu-west-3",
	"il-central-1",
	"me-central-1", "me-south-1",
	"mx-central-1",
	"sa-east-1",
	"us-east-1", "us-east-2",
	"us-west-1", "us-west-2",
}

// regionsMissingFromTable are documented regions that rules.go does not
// accept yet, with why. Adding one to the table also changes
// environments/schema.json and the corpus messages that list the regions;
// when it is added, its entry here must go (the test says so).
var regionsMissingFromTable = map[string]string{}

func TestFargateTableIsAWSDocumented(t *testing.T) {
	var cpus []int
	for _, d := range documentedFargate {
		cpus = append(cpus, d.cpu)
		f, ok := fargateFor(d.cpu)
		if !ok {
			t.Errorf("cpu %d is documented but not in the table", d.cpu)
			continue
		}
		if got := f.values(); !slices.Equal(got, d.memory) {
			t.Errorf("cpu %d: table accepts memory %v, AWS documents %v", d.cpu, got, d.memory)
		}
	}
	if got := fargateCPUs(); !slices.Equal(got, cpus) {
		t.Errorf("table CPU sizes %v, AWS documents %v", got, cpus)
	}

	// What Validate does with every CPU size and every memory in 256 MiB steps.
	s := validSpec(t)
	user := s.Services["user"]
	for _, cpu := range append(cpus, 128, 768, 3072, 32768) {
		var documented []int
		for _, d := range documentedFargate {
			if d.cpu == cpu {
				documented = d.memory
			}
		}
		for memory := 256; memory <= 131072; memory += 256 {
			user.CPU, user.Memory = cpu, memory
			msg := errorAt(t, s, "services.user.memory", "services.user.cpu")
			if want := slices.Contains(documented, memory); want != (msg == "") {
				t.Errorf("cpu %d memory %d: accepted %v, AWS documents %v (%s)", cpu, memory, msg == "", want, msg)
			}
		}
	}
}

func TestLogRetentionTableIsAWSDocumented(t *testing.T) {
	if !slices.Equal(logRetentionDays, documentedLogRetentionDays) {
		t.Errorf("table %v, AWS documents %v", logRetentionDays, documentedLogRetentionDays)
	}
	// 0 means "never expire" to terraform; the rule leaves it out on purpose,
	// like every other value AWS does not document.
	s := validSpec(t)
	for days := -1; days <= 3660; days++ {
		s.Logs.RetentionDays = days
		msg := errorAt(t, s, "logs.retention_days")
		if want := slices.Contains(documentedLogRetentionDays, days); want != (msg == "") {
			t.Errorf("retention %d days: accepted %v, AWS documents %v (%s)", days, msg == "", want, msg)
		}
	}
}

func TestRegionTableIsAWSDocumented(t *testing.T) {
	for _, r := range documentedRegions {
		_, missing := regionsMissingFromTable[r]
		switch in := slices.Contains(regions, r); {
		case !in && !missing:
			t.Errorf("%s is documented but not in the table", r)
		case in && missing:
			t.Errorf("%s is in the table now: remove it from regionsMissingFromTable", r)
		}
	}
	for _, r := range regions {
		if !slices.Contains(documentedRegions, r) {
			t.Errorf("%s is in the table but is not a documented commercial region", r)
		}
	}
	for r := range regionsMissingFromTable {
		if !slices.Contains(documentedRegions, r) {
			t.Errorf("regionsMissingFromTable lists %s, which is not documented", r)
		}
	}

	s := validSpec(t)
	for _, r := range append(slices.Clone(documentedRegions), "us-gov-west-1", "cn-north-1", "eusc-de-east-1", "us-west-3", "US-EAST-1") {
		_, missing := regionsMissingFromTable[r]
		want := slices.Contains(documentedRegions, r) && !missing
		s.Region = r
		if msg := errorAt(t, s, "region"); want != (msg == "") {
			t.Errorf("region %s: accepted %v, want %v (%s)", r, msg == "", want, msg)
		}
	}
}
