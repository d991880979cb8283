package envspec

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// validSpec is environments/dev.yaml, decoded; each call is a fresh copy.
func validSpec(t *testing.T) *Spec {
	t.Helper()
	s, err := Load(devFile)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// errorAt is the validation error of s at path, or "" when there is none.
// An error anywhere else fails the test: only path was changed.
func errorAt(t *testing.T, s *Spec, path string, alsoAt ...string) string {
	t.Helper()
	err := s.Validate()
	if err == nil {
		return ""
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Validate: %T %v, want Errors", err, err)
	}
	var at []string
	for _, e := range errs {
		switch {
		case e.Path == path:
			at = append(at, e.Msg)
		case slices.Contains(alsoAt, e.Path):
			at = append(at, e.Path+": "+e.Msg)
		default:
			t.Errorf("unexpected error: %v", e)
		}
	}
	return strings.Join(at, "; ")
}

func TestFargatePairs(t *testing.T) {
	tests := []struct {
		name        string
		cpu, memory int
		err         string // at services.user.memory
	}{
		{name: "cpu 512 with memory 1536 is rejected: 0.5 vCPU takes whole GB", cpu: 512, memory: 1536,
			err: "1536 is not valid with cpu 512; Fargate accepts 1024 to 4096 in steps of 1024"},
		{name: "cpu 512 with memory 3072 is accepted", cpu: 512, memory: 3072},
		{name: "cpu 256 with memory 1536 is rejected: 0.25 vCPU takes 0.5, 1 or 2 GB", cpu: 256, memory: 1536,
			err: "1536 is not valid with cpu 256; Fargate accepts 512, 1024, 2048"},
		{name: "cpu 4096 with memory 31744 is rejected: 4 vCPU takes at most 30 GB", cpu: 4096, memory: 31744,
			err: "31744 is not valid with cpu 4096; Fargate accepts 8192 to 30720 in steps of 1024"},
		{name: "cpu 8192 with memory 18432 is rejected: 8 vCPU steps by 4 GB", cpu: 8192, memory: 18432,
			err: "18432 is not valid with cpu 8192; Fargate accepts 16384 to 61440 in steps of 4096"},
		{name: "cpu 8192 with memory 20480 is accepted", cpu: 8192, memory: 20480},
		{name: "cpu 16384 with memory 36864 is rejected: 16 vCPU steps by 8 GB", cpu: 16384, memory: 36864,
			err: "36864 is not valid with cpu 16384; Fargate accepts 32768 to 122880 in steps of 8192"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec(t)
			s.Services["user"].CPU, s.Services["user"].Memory = tt.cpu, tt.memory
			if got := errorAt(t, s, "services.user.memory"); got != tt.err {
				t.Errorf("error %q, want %q", got, tt.err)
			}
		})
	}
}
