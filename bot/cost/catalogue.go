package cost

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"sync"

	"github.com/gitops-bot/gitops/internal/safefile"
)

// HoursPerMonth is the billing month the estimates use (AWS's own convention:
// 365 × 24 / 12).
const HoursPerMonth = 730

//go:embed catalogue.json
var embeddedCatalogue []byte

// Catalogue is the dated, cited price table, per region. It is embedded in the
// binary so that estimating never touches the network; Refresh rebuilds it from
// the AWS Price List API.
type Catalogue struct {
	Schema        int                         `json:"schema"`
	Currency      string                      `json:"currency"`
	HoursPerMonth float64                     `json:"hours_per_month"`
	AsOf          string                      `json:"as_of"`
	Note          string                      `json:"note,omitempty"`
	Regions       map[string]map[string]Price `json:"regions"`
}

// Price is one on-demand unit price and where it comes from.
type Price struct {
	USD         float64 `json:"price"`
	Unit        string  `json:"unit"`
	ServiceCode string  `json:"service_code"`
	// UsageType is the AWS billing usage type (as in the Price List and the
	// Cost and Usage Report) the price is quoted for.
	UsageType string `json:"usage_type"`
	// RegionFilter says whether the Price List query for this price is
	// restricted to the region (false for global prices such as Route 53 zones).
	RegionFilter bool `json:"region_filter,omitempty"`
	// Filters are further Price List attribute filters that single the product out.
	Filters     map[string]string `json:"filters,omitempty"`
	Description string            `json:"description"`
	Source      string            `json:"source"`
	AsOf        string            `json:"as_of"`
	Note        string            `json:"note,omitempty"`
}

// DefaultCatalogue returns the catalogue embedded in the binary. It is parsed
// once and shared: treat it as read-only.
func DefaultCatalogue() (*Catalogue, error) {
	return parsedEmbedded()
}

// parsedEmbedded parses the embedded bytes once; the result never changes.
var parsedEmbedded = sync.OnceValues(func() (*Catalogue, error) {
	c, err := ParseCatalogue(embeddedCatalogue)
	if err != nil {
		return nil, fmt.Errorf("embedded catalogue: %w", err)
	}
	return c, nil
})

// maxCatalogueSize bounds a catalogue file; the embedded one is ~40 KB.
const maxCatalogueSize = 16 << 20

// LoadCatalogue reads a catalogue file (as written by WriteFile). A file that
// is a symbolic link or not a regular file, or is over 16 MiB, is refused
// without reading it (see safefile).
func LoadCatalogue(path string) (*Catalogue, error) {
	b, err := safefile.ReadFile(path, maxCatalogueSize)
	if err != nil {
		return nil, fmt.Errorf("read catalogue: %w", err)
	}
	c, err := ParseCatalogue(b)
	if err != nil {
		return nil, fmt.Errorf("catalogue %s: %w", path, err)
	}
	return c, nil
}

// ParseCatalogue decodes and checks a catalogue: every price positive or zero,
// with a unit, a usage type, a source and a date.
func ParseCatalogue(b []byte) (*Catalogue, error) {
	var c Catalogue
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if c.HoursPerMonth <= 0 {
		return nil, fmt.Errorf("hours_per_month must be positive")
	}
	if len(c.Regions) == 0 {
		return nil, fmt.Errorf("no regions")
	}
	for region, prices := range c.Regions {
		for key, p := range prices {
			switch {
			case p.USD < 0:
				return nil, fmt.Errorf("%s %s: negative price", region, key)
			case p.Unit == "" || p.UsageType == "" || p.Source == "" || p.AsOf == "":
				return nil, fmt.Errorf("%s %s: unit, usage_type, source and as_of are required", region, key)
			}
		}
	}
	return &c, nil
}

// RegionNames lists the regions the catalogue prices, sorted.
func (c *Catalogue) RegionNames() []string {
	out := make([]string, 0, len(c.Regions))
	for r := range c.Regions {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the price with key in region.
func (c *Catalogue) Lookup(region, key string) (Price, bool) {
	p, ok := c.Regions[region][key]
	return p, ok
}

// MarshalIndent renders the catalogue the way it is embedded (sorted keys,
// two-space indent), so a refresh produces a reviewable diff.
func (c *Catalogue) MarshalIndent() ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode catalogue: %w", err)
	}
	return append(b, '\n'), nil
}

// WriteFile writes the catalogue to path.
func (c *Catalogue) WriteFile(path string) error {
	b, err := c.MarshalIndent()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write catalogue: %w", err)
	}
	return nil
}
