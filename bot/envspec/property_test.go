package envspec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"pgregory.net/rapid"
)

// genSpec draws a Spec that satisfies every rule.
func genSpec() *rapid.Generator[*Spec] {
	return rapid.Custom(func(t *rapid.T) *Spec {
		bits := rapid.IntRange(minPrefix, maxPrefix).Draw(t, "bits")
		addr := rapid.Uint32().Draw(t, "addr")
		ip := netip.AddrFrom4([4]byte{byte(addr >> 24), byte(addr >> 16), byte(addr >> 8), byte(addr)})
		s := &Spec{
			Name:   rapid.StringMatching(nameRe.String()).Draw(t, "name"),
			Region: rapid.SampledFrom(regions).Draw(t, "region"),
			Network: Network{
				VPCCIDR: netip.PrefixFrom(ip, bits).Masked().String(),
				AZs:     rapid.IntRange(2, 3).Draw(t, "azs"),
				NAT:     rapid.SampledFrom(natModes).Draw(t, "nat"),
			},
			Database: Database{
				// Versions that look like other YAML types must survive
				// quoting. Not ".inf"/".nan": goccy/go-yaml v1.19.2 writes
				// those strings unquoted (token.IsNeedQuoted misses them), so
				// they come back as numbers and Decode rightly rejects them.
				EngineVersion:       rapid.SampledFrom([]string{"15", "16.4", "true", "null", "1e3", "0o17", "0x1F", "~", "yes", "2001-12-14", "14"}).Draw(t, "dbver"),
				InstanceClass:       rapid.StringMatching(`db\.[a-z0-9]{1,4}\.[a-z0-9]{1,8}`).Draw(t, "class"),
				StorageGB:           rapid.IntRange(20, 1000).Draw(t, "storage"),
				BackupRetentionDays: rapid.IntRange(0, 35).Draw(t, "backup"),
				MultiAZ:             rapid.Bool().Draw(t, "multiaz"),
			},
			Cache: Cache{
				EngineVersion: rapid.StringMatching(`[0-9]{1,2}(\.[0-9]{1,2})?`).Draw(t, "cachever"),
				NodeType:      rapid.StringMatching(`cache\.[a-z0-9]{1,4}\.[a-z0-9]{1,8}`).Draw(t, "node"),
				Nodes:         rapid.IntRange(1, 6).Draw(t, "nodes"),
			},
			Logs: Logs{RetentionDays: rapid.SampledFrom(logRetentionDays).Draw(t, "logs")},
			Budget: Budget{
				MonthlyUSD: float64(rapid.IntRange(0, 10_000_000).Draw(t, "cents")) / 100,
				Enforce:    rapid.Bool().Draw(t, "enforce"),
			},
			Services: map[string]*Service{},
		}
		a := &s.Autoscaling
		a.Enabled = rapid.Bool().Draw(t, "autoscaling")
		a.MaxTasks = rapid.IntRange(1, 20).Draw(t, "max")
		a.MinTasks = rapid.IntRange(0, a.MaxTasks).Draw(t, "min")
		a.CPUTargetPercent = rapid.IntRange(10, 95).Draw(t, "target")
		lo, hi := 0, 20
		if a.Enabled {
			lo, hi = a.MinTasks, a.MaxTasks
		}
		names := rapid.SliceOfNDistinct(rapid.StringMatching(serviceNameRe.String()), 1, maxServices, rapid.ID[string]).Draw(t, "services")
		defaultRoute := ""
		for _, name := range names {
			f := rapid.SampledFrom(fargate).Draw(t, "cpu")
			svc := &Service{
				CPU:             f.CPU,
				Memory:          rapid.SampledFrom(f.values()).Draw(t, "memory"),
				DesiredCount:    rapid.IntRange(lo, hi).Draw(t, "count"),
				Port:            rapid.IntRange(1, 65535).Draw(t, "port"),
				Public:          rapid.Bool().Draw(t, "public"),
				HealthCheckPath: "/" + rapid.StringMatching(`[a-z0-9/_-]{0,20}`).Draw(t, "health"),
				Architecture:    rapid.SampledFrom(architectures).Draw(t, "arch"),
				Spot:            rapid.Bool().Draw(t, "spot"),
			}
			if svc.Public {
				if defaultRoute == "" {
					defaultRoute = name
				} else {
					svc.PathPattern = fmt.Sprintf("/%s/*", name)
				}
			}
			s.Services[name] = svc
		}
		return s
	})
}

func TestGeneratedSpecsAreValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		if err := genSpec().Draw(t, "spec").Validate(); err != nil {
			t.Fatal(err)
		}
	})
}

// Render → JSON → the same values, with exactly the contract's keys.
func TestRenderRoundTrip(t *testing.T) {
	keys := []string{"autoscaling", "cache", "database", "logs", "name", "network", "region", "services"}
	serviceKeys := []string{"architecture", "cpu", "desired_count", "health_check_path", "memory", "path_pattern", "port", "public", "spot"}
	rapid.Check(t, func(t *rapid.T) {
		s := genSpec().Draw(t, "spec")
		out, err := s.Render()
		if err != nil {
			t.Fatal(err)
		}
		var back tfvars
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, s.tfvars()) {
			t.Fatalf("tfvars changed:\n%+v\n%+v", back, s.tfvars())
		}
		m := s.TFVars()
		if got := sortedKeys(m); !slices.Equal(got, keys) {
			t.Fatalf("top-level keys %v, want %v", got, keys)
		}
		for name, svc := range m["services"].(map[string]any) {
			if got := sortedKeys(svc.(map[string]any)); !slices.Equal(got, serviceKeys) {
				t.Fatalf("service %s keys %v, want %v", name, got, serviceKeys)
			}
		}
	})
}

// A valid Spec written as YAML decodes to the same Spec.
func TestYAMLRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSpec().Draw(t, "spec")
		out, err := yaml.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(s.Name+".yaml", out)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !reflect.DeepEqual(got, s) {
			t.Fatalf("decoded spec differs\n%s", out)
		}
	})
}

// Editors using the schema accept every spec the bot accepts.
func TestSchemaAcceptsGeneratedSpecs(t *testing.T) {
	sch := compileSchema(t)
	rapid.Check(t, func(t *rapid.T) {
		out, err := yaml.Marshal(genSpec().Draw(t, "spec"))
		if err != nil {
			t.Fatal(err)
		}
		js, err := yaml.YAMLToJSON(out)
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	})
}

func TestDecodeNeverPanics(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkDecode(t, rapid.SliceOf(rapid.Byte()).Draw(t, "data"))
	})
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
