package cost

import (
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// fargateLinux is AWS's table of task sizes for Linux tasks on Fargate, as
// documented: CPU units → the memory sizes (MiB) accepted with them.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html
var fargateLinux = []struct {
	cpu    int
	memory []int
}{
	{256, []int{512, 1024, 2048}},
	{512, mibRange(1024, 4096, 1024)},
	{1024, mibRange(2048, 8192, 1024)},
	{2048, mibRange(4096, 16384, 1024)},
	{4096, mibRange(8192, 30720, 1024)},
	{8192, mibRange(16384, 61440, 4096)},
	{16384, mibRange(32768, 122880, 8192)},
}

func mibRange(from, to, step int) []int {
	var out []int
	for m := from; m <= to; m += step {
		out = append(out, m)
	}
	return out
}

// fargateSize is one cpu/memory pair Fargate accepts.
type fargateSize struct{ cpu, memory int }

// fargateSizes are every documented pair.
var fargateSizes = func() []fargateSize {
	var out []fargateSize
	for _, f := range fargateLinux {
		for _, m := range f.memory {
			out = append(out, fargateSize{f.cpu, m})
		}
	}
	return out
}()

// growthSteps are the documented pairs that can grow into another documented
// pair by more CPU alone (same memory) or more memory alone (same CPU).
func growthSteps() (cpu, memory [][2]fargateSize) {
	for _, a := range fargateSizes {
		for _, b := range fargateSizes {
			switch {
			case b.cpu > a.cpu && b.memory == a.memory:
				cpu = append(cpu, [2]fargateSize{a, b})
			case b.cpu == a.cpu && b.memory > a.memory:
				memory = append(memory, [2]fargateSize{a, b})
			}
		}
	}
	return cpu, memory
}

type genService struct {
	name        string
	cpu, memory int
	tasks       int
	arm, spot   bool
}

func genServices(t *rapid.T) []genService {
	n := rapid.IntRange(1, 6).Draw(t, "services")
	out := make([]genService, n)
	for i := range out {
		size := rapid.SampledFrom(fargateSizes).Draw(t, "size")
		out[i] = genService{
			name: string(rune('a' + i)), cpu: size.cpu, memory: size.memory,
			tasks: rapid.IntRange(0, 10).Draw(t, "tasks"),
			arm:   rapid.Bool().Draw(t, "arm"), spot: rapid.Bool().Draw(t, "spot"),
		}
	}
	return out
}

func (g genService) resources() []res {
	arch := "X86_64"
	if g.arm {
		arch = "ARM64"
	}
	provider := "FARGATE"
	if g.spot {
		provider = "FARGATE_SPOT"
	}
	return service(g.name, g.cpu, g.memory, float64(g.tasks), arch, map[string]any{"capacity_provider": provider, "weight": 1.0, "base": 0.0})
}

func stackOf(svcs []genService) []res {
	rs := []res{
		{module: "module.networking", typ: "aws_nat_gateway", name: "this[0]", values: map[string]any{}},
		{module: "module.networking", typ: "aws_eip", name: "nat[0]", values: map[string]any{"domain": "vpc"}},
		{module: "module.alb", typ: "aws_lb", name: "this", values: map[string]any{"subnets": []any{"a", "b"}}},
		{module: "module.rds", typ: "aws_db_instance", name: "this", values: map[string]any{
			"engine": "postgres", "instance_class": "db.t3.small", "allocated_storage": 20.0, "storage_type": "gp3", "backup_retention_period": 7.0}},
	}
	for _, s := range svcs {
		rs = append(rs, s.resources()...)
		rs = append(rs, res{module: `module.ecs_service["` + s.name + `"]`, typ: "aws_service_discovery_service", name: "this", values: map[string]any{}})
	}
	return rs
}

// More tasks, more CPU or more memory for one service always costs strictly
// more: each is billed (tasks × vCPU-hours and GB-hours), so an estimate that
// stays the same ignores one of them. Sizes only grow into documented pairs.
func TestPropertyMoreCapacityCostsMore(t *testing.T) {
	cpuSteps, memorySteps := growthSteps()
	if len(cpuSteps) == 0 || len(memorySteps) == 0 {
		t.Fatal("no growth steps in the Fargate table")
	}
	rapid.Check(t, func(t *rapid.T) {
		svcs := genServices(t)
		i := rapid.IntRange(0, len(svcs)-1).Draw(t, "which")
		how := rapid.SampledFrom([]string{"tasks", "cpu", "memory"}).Draw(t, "how")
		var to fargateSize
		if how != "tasks" {
			steps := cpuSteps
			if how == "memory" {
				steps = memorySteps
			}
			step := rapid.SampledFrom(steps).Draw(t, how+" step")
			// A service with no task costs nothing whatever its size.
			svcs[i].cpu, svcs[i].memory, svcs[i].tasks = step[0].cpu, step[0].memory, max(1, svcs[i].tasks)
			to = step[1]
		}
		grown := slices.Clone(svcs)
		switch how {
		case "tasks":
			grown[i].tasks += rapid.IntRange(1, 3).Draw(t, "more tasks")
		default:
			grown[i].cpu, grown[i].memory = to.cpu, to.memory
		}
		base := mustEstimate(t, planOf(nil, stackOf(svcs)), Options{})
		more := mustEstimate(t, planOf(nil, stackOf(grown)), Options{})
		if more.After <= base.After {
			t.Fatalf("more %s for %+v → %+v did not raise the estimate: %.6f → %.6f", how, svcs[i], grown[i], base.After, more.After)
		}
	})
}

func TestPropertyDeltaIsAfterMinusBefore(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		before, after := genServices(t), genServices(t)
		e := mustEstimate(t, planOf(stackOf(before), stackOf(after)), Options{})
		if e.Delta != e.After-e.Before {
			t.Fatalf("delta %v != %v - %v", e.Delta, e.After, e.Before)
		}
		for _, r := range e.Resources {
			if r.Delta != r.After-r.Before {
				t.Fatalf("%s: delta %v != %v - %v", r.Address, r.Delta, r.After, r.Before)
			}
		}
	})
}

func TestPropertyResourceOrderDoesNotMatter(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		before, after := stackOf(genServices(t)), stackOf(genServices(t))
		e1 := mustEstimate(t, planOf(before, after), Options{})
		p := planOf(before, after)
		perm := rapid.Permutation(p.ResourceChanges).Draw(t, "order")
		p.ResourceChanges = perm
		e2 := mustEstimate(t, p, Options{})
		if e1.Before != e2.Before || e1.After != e2.After || e1.Delta != e2.Delta {
			t.Fatalf("order changed the estimate: %v/%v → %v/%v", e1.Before, e1.After, e2.Before, e2.After)
		}
		for i := range e1.Resources {
			if e1.Resources[i].Address != e2.Resources[i].Address {
				t.Fatalf("order changed the resource list at %d", i)
			}
		}
	})
}
