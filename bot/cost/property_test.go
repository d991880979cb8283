package cost

import (
	"testing"

	"pgregory.net/rapid"
)

var fargateSizes = [][2]int{{256, 512}, {256, 1024}, {512, 1024}, {512, 2048}, {1024, 2048}, {1024, 4096}, {2048, 4096}, {4096, 8192}}

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
			name: string(rune('a' + i)), cpu: size[0], memory: size[1],
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

func TestPropertyMoreCapacityNeverCostsLess(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		svcs := genServices(t)
		base := mustEstimate(t, planOf(nil, stackOf(svcs)), Options{})
		i := rapid.IntRange(0, len(svcs)-1).Draw(t, "which")
		grown := append([]genService(nil), svcs...)
		switch rapid.IntRange(0, 2).Draw(t, "how") {
		case 0:
			grown[i].tasks++
		case 1:
			grown[i].cpu *= 2
		case 2:
			grown[i].memory += 1024
		}
		more := mustEstimate(t, planOf(nil, stackOf(grown)), Options{})
		if more.After < base.After {
			t.Fatalf("growing %+v → %+v lowered the estimate %.6f → %.6f", svcs[i], grown[i], base.After, more.After)
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
