package cost

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gitops-bot/gitops/internal/safefile/safefiletest"
)

func TestLoadUsageRefusesWhatIsNotAPlainFile(t *testing.T) {
	for _, kind := range safefiletest.Kinds(t) {
		t.Run(kind.Name+" is refused, naming the file", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), UsageFileName("dev"))
			kind.Make(t, path)
			u, err := LoadUsage(path)
			if !errors.Is(err, kind.Want) {
				t.Fatalf("LoadUsage = %+v, %v; want an error wrapping %v", u, err, kind.Want)
			}
			if msg := err.Error(); !strings.Contains(msg, path) || strings.Contains(msg, safefiletest.Secret) {
				t.Errorf("error does not name the file, or shows the target's content: %s", msg)
			}
		})
	}
}

func TestLoadCatalogueRefusesWhatIsNotAPlainFile(t *testing.T) {
	for _, kind := range safefiletest.Kinds(t) {
		t.Run(kind.Name+" is refused, naming the file", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "catalogue.json")
			kind.Make(t, path)
			c, err := LoadCatalogue(path)
			if !errors.Is(err, kind.Want) || c != nil {
				t.Fatalf("LoadCatalogue = %v, %v; want an error wrapping %v", c, err, kind.Want)
			}
			if msg := err.Error(); !strings.Contains(msg, path) || strings.Contains(msg, safefiletest.Secret) {
				t.Errorf("error does not name the file, or shows the target's content: %s", msg)
			}
		})
	}
}

// deepUsage are usage files nested far past maxUsageNesting, within the
// size limit.
var deepUsage = []struct{ name, data, at string }{
	{"30,000 nested flow sequences", "nat:\n  gb_per_month: " + strings.Repeat("[", 30_000) + strings.Repeat("]", 30_000) + "\n", "2:47"},
	{"30,000 nested block sequences", "nat: " + strings.Repeat("- ", 30_000) + "1\n", "1:68"},
	{"8,000 tags that each end their line", strings.Repeat("nat: !t\n", 8_000), "32:6"},
}

func TestDecodeUsageRefusesDeepNestingBeforeParsing(t *testing.T) {
	for _, tt := range deepUsage {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := DecodeUsage(strings.NewReader(tt.data))
			runtime.ReadMemStats(&after)
			want := tt.at + ": lists and mappings nest more than 32 levels deep here; a usage file needs 2"
			if err == nil || err.Error() != want {
				t.Errorf("got  %v\nwant %s", err, want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("decoding %d bytes allocated %d MiB", len(tt.data), alloc>>20)
			}
		})
	}
}

func TestDecodeUsageRefusesAFileOverTheLimit(t *testing.T) {
	data := "nat: {gb_per_month: 1}\n" + strings.Repeat("# padding\n", maxUsageSize/10)
	_, err := DecodeUsage(strings.NewReader(data))
	if want := fmt.Sprintf("usage file is more than %d bytes; it holds a few numbers", maxUsageSize); err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// FuzzDecodeUsage: DecodeUsage never panics, and what it accepts has no
// negative value.
func FuzzDecodeUsage(f *testing.F) {
	for _, s := range []string{
		"", "alb: {lcu_per_hour: 2}\nnat: {gb_per_month: 100}\nlogs: {gb_per_group_per_month: 1.5}\necr: {gb_per_repository: 3}\nrds: {backup_gb: 40}\n",
		"nat:\n  gb_per_mnth: 100\n", "ecr: {gb_per_repository: -1}\n", "alb: {lcu_per_hour: lots}\n", "nat: &n {gb_per_month: 1}\nlogs: *n\n",
	} {
		f.Add([]byte(s))
	}
	for _, d := range deepUsage {
		f.Add([]byte(d.data))
	}
	for _, n := range []int{31, 32, 33, 1000} {
		f.Add([]byte("nat: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n"))
		f.Add([]byte("nat: " + strings.Repeat("- ", n) + "1\n"))
		f.Add([]byte(strings.Repeat("nat: !t\n", n)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := DecodeUsage(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		for _, v := range []*float64{u.ALB.LCUPerHour, u.NAT.GBPerMonth, u.Logs.GBPerGroupPerMonth, u.ECR.GBPerRepository, u.RDS.BackupGB} {
			if v != nil && *v < 0 {
				t.Fatalf("accepted a negative value: %+v", u)
			}
		}
	})
}
