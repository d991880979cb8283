package cost

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
)

// recordedLister answers GetProducts from recorded responses
// (testdata/getproducts_recorded.json), keyed by service code, usage type and
// region, and checks every request carries those filters.
type recordedLister struct {
	t         *testing.T
	responses map[string][]*pricing.GetProductsOutput
	calls     int
	err       error
}

func newRecordedLister(t *testing.T) *recordedLister {
	t.Helper()
	var recs []struct {
		ServiceCode string `json:"service_code"`
		UsageType   string `json:"usagetype"`
		Region      string `json:"region"`
		Pages       []struct {
			NextToken *string  `json:"NextToken"`
			PriceList []string `json:"PriceList"`
		} `json:"pages"`
	}
	if err := json.Unmarshal(readFixture(t, "getproducts_recorded.json"), &recs); err != nil {
		t.Fatal(err)
	}
	l := &recordedLister{t: t, responses: map[string][]*pricing.GetProductsOutput{}}
	for _, r := range recs {
		for _, p := range r.Pages {
			key := r.ServiceCode + " " + r.UsageType + " " + r.Region
			l.responses[key] = append(l.responses[key], &pricing.GetProductsOutput{FormatVersion: aws.String("aws_v1"), NextToken: p.NextToken, PriceList: p.PriceList})
		}
	}
	return l
}

func (l *recordedLister) GetProducts(_ context.Context, in *pricing.GetProductsInput, _ ...func(*pricing.Options)) (*pricing.GetProductsOutput, error) {
	l.calls++
	if l.err != nil {
		return nil, l.err
	}
	f := map[string]string{}
	for _, flt := range in.Filters {
		if flt.Type != "TERM_MATCH" {
			l.t.Errorf("filter %s of type %s", *flt.Field, flt.Type)
		}
		f[*flt.Field] = *flt.Value
	}
	if f["usagetype"] == "" {
		l.t.Errorf("request without a usagetype filter: %+v", f)
	}
	pages := l.responses[*in.ServiceCode+" "+f["usagetype"]+" "+f["regionCode"]]
	page := 0
	if in.NextToken != nil {
		page = 1
	}
	if page >= len(pages) {
		return &pricing.GetProductsOutput{}, nil
	}
	return pages[page], nil
}

func TestRefreshFromRecordedPriceList(t *testing.T) {
	full, err := DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"rds.postgres.db.t3.micro.single_az_hour", "nat.hour", "fargate_spot.x86_64.vcpu_hour", "logs.ingest_gb"}
	base := &Catalogue{Schema: 1, Currency: "USD", HoursPerMonth: 730, AsOf: full.AsOf, Regions: map[string]map[string]Price{"us-east-1": {}}}
	for _, k := range keys {
		base.Regions["us-east-1"][k], _ = full.Lookup("us-east-1", k)
	}
	lister := newRecordedLister(t)
	asOf := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	got, report, err := Refresh(context.Background(), lister, base, asOf)
	if err != nil {
		t.Fatal(err)
	}
	if nat, _ := got.Lookup("us-east-1", "nat.hour"); nat.USD != 0.048 || nat.AsOf != "2026-12-01" || !strings.Contains(nat.Note, "SKU NATHOURS") {
		t.Errorf("nat.hour not updated from both pages: %+v", nat)
	}
	if old, _ := base.Lookup("us-east-1", "nat.hour"); old.USD != natHour {
		t.Errorf("refresh modified its base: %+v", old)
	}
	if rds, _ := got.Lookup("us-east-1", "rds.postgres.db.t3.micro.single_az_hour"); rds.USD != t3micro || rds.AsOf != "2026-12-01" {
		t.Errorf("rds price %+v", rds)
	}
	if spot, _ := got.Lookup("us-east-1", "fargate_spot.x86_64.vcpu_hour"); spot.USD != spotVCPU || spot.AsOf != full.AsOf {
		t.Errorf("spot price should be kept: %+v", spot)
	}
	wantReport := RefreshReport{
		Updated:   []string{"us-east-1 nat.hour: 0.045 → 0.048"},
		Confirmed: []string{"us-east-1 rds.postgres.db.t3.micro.single_az_hour"},
		Kept: []string{
			"us-east-1 fargate_spot.x86_64.vcpu_hour: not in the Price List (USE1-SpotUsage-Fargate-vCPU-Hours:perCPU); kept",
			"us-east-1 logs.ingest_gb: 2 different rates for USE1-DataProcessing-Bytes; kept (add a filter)",
		},
	}
	if strings.Join(report.Updated, "|") != strings.Join(wantReport.Updated, "|") ||
		strings.Join(report.Confirmed, "|") != strings.Join(wantReport.Confirmed, "|") ||
		strings.Join(report.Kept, "|") != strings.Join(wantReport.Kept, "|") {
		t.Errorf("report = %+v\nwant %+v", *report, wantReport)
	}
	if got.AsOf != "2026-12-01" || lister.calls != 5 {
		t.Errorf("as_of %s, %d calls (4 prices, one with two pages)", got.AsOf, lister.calls)
	}
	if _, err := ParseCatalogue(mustMarshal(t, got)); err != nil {
		t.Errorf("refreshed catalogue does not parse: %v", err)
	}
}

func TestRefreshFailsOnAPIError(t *testing.T) {
	full, _ := DefaultCatalogue()
	lister := newRecordedLister(t)
	lister.err = errors.New("AccessDeniedException")
	_, _, err := Refresh(context.Background(), lister, full, time.Now())
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") || !strings.Contains(err.Error(), "GetProducts") {
		t.Fatalf("err = %v", err)
	}
}

func mustMarshal(t *testing.T, c *Catalogue) []byte {
	t.Helper()
	b, err := c.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
