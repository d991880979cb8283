package envspec

import (
	"fmt"
	"regexp"
	"strings"
)

// The rule tables below are the single source for validation, error messages
// and the JSON Schema, so the bot and editors cannot disagree.

var (
	nameRe          = regexp.MustCompile(`^[a-z][a-z0-9-]{1,20}$`)
	serviceNameRe   = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)
	instanceClassRe = regexp.MustCompile(`^db\.[a-z0-9]+\.[a-z0-9]+$`)
	nodeTypeRe      = regexp.MustCompile(`^cache\.[a-z0-9]+\.[a-z0-9]+$`)
)

const (
	minPrefix   = 16
	maxPrefix   = 24
	maxServices = 10
	// maxPathPattern is the ALB limit on a path-pattern condition value.
	maxPathPattern = 128
)

// regions are the AWS commercial regions (no GovCloud, no China).
var regions = []string{
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

// logRetentionDays are the values CloudWatch Logs accepts for a log group's
// retention (PutRetentionPolicy). 0 (never expire) is deliberately excluded.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

var natModes = []string{"per_az", "single"}

var architectures = []string{"x86_64", "arm64"}

// fargateMemory describes the memory (MiB) Fargate accepts for one CPU size:
// From..To inclusive in steps of Step, or exactly List when List is set.
type fargateMemory struct {
	CPU            int
	List           []int
	From, To, Step int
}

var fargate = []fargateMemory{
	{CPU: 256, List: []int{512, 1024, 2048}},
	{CPU: 512, From: 1024, To: 4096, Step: 1024},
	{CPU: 1024, From: 2048, To: 8192, Step: 1024},
	{CPU: 2048, From: 4096, To: 16384, Step: 1024},
	{CPU: 4096, From: 8192, To: 30720, Step: 1024},
	{CPU: 8192, From: 16384, To: 61440, Step: 4096},
	{CPU: 16384, From: 32768, To: 122880, Step: 8192},
}

func fargateCPUs() []int {
	out := make([]int, len(fargate))
	for i, f := range fargate {
		out[i] = f.CPU
	}
	return out
}

func fargateFor(cpu int) (fargateMemory, bool) {
	for _, f := range fargate {
		if f.CPU == cpu {
			return f, true
		}
	}
	return fargateMemory{}, false
}

// values lists every accepted memory size.
func (f fargateMemory) values() []int {
	if f.List != nil {
		return f.List
	}
	var out []int
	for m := f.From; m <= f.To; m += f.Step {
		out = append(out, m)
	}
	return out
}

func (f fargateMemory) accepts(mem int) bool {
	for _, m := range f.values() {
		if m == mem {
			return true
		}
	}
	return false
}

// describe says what memory is accepted, short enough for one error line.
func (f fargateMemory) describe() string {
	if f.List != nil {
		return joinInts(f.List)
	}
	return fmt.Sprintf("%d to %d in steps of %d", f.From, f.To, f.Step)
}

func joinInts(vs []int) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ", ")
}

func containsInt(vs []int, v int) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}
