package cost

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/pricing/types"
)

// PriceLister is the part of the AWS Price List API that Refresh uses;
// *pricing.Client implements it, tests use recorded responses.
type PriceLister interface {
	GetProducts(ctx context.Context, in *pricing.GetProductsInput, optFns ...func(*pricing.Options)) (*pricing.GetProductsOutput, error)
}

// NewPriceLister returns a Price List API client with the default AWS
// credential chain. The API is served from us-east-1 whatever region is priced.
// Only `gitops cost refresh` calls it; estimates never do.
func NewPriceLister(ctx context.Context) (PriceLister, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
	if err != nil {
		return nil, fmt.Errorf("load AWS config for the Price List API: %w", err)
	}
	return pricing.NewFromConfig(cfg), nil
}

// RefreshReport says what a refresh changed.
type RefreshReport struct {
	// Updated lists "region key: old → new" for prices that moved.
	Updated []string `json:"updated"`
	// Confirmed lists "region key" for prices the API returned unchanged.
	Confirmed []string `json:"confirmed"`
	// Kept lists prices left as they were, with the reason (not in the Price
	// List, e.g. Fargate Spot; or ambiguous).
	Kept []string `json:"kept"`
}

// Refresh rebuilds base from the Price List API: each price is looked up by
// its service code, usage type, region and extra filters, and its first-tier
// on-demand rate taken. Prices the API does not return (or returns ambiguously)
// keep their old value and are reported. base is not modified.
func Refresh(ctx context.Context, lister PriceLister, base *Catalogue, asOf time.Time) (*Catalogue, *RefreshReport, error) {
	out := *base
	out.Regions = make(map[string]map[string]Price, len(base.Regions))
	report := &RefreshReport{}
	date := asOf.UTC().Format(time.DateOnly)
	updated := false
	for _, region := range base.RegionNames() {
		prices := make(map[string]Price, len(base.Regions[region]))
		keys := make([]string, 0, len(base.Regions[region]))
		for k := range base.Regions[region] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, key := range keys {
			old := base.Regions[region][key]
			prices[key] = old
			found, err := lookupPrice(ctx, lister, region, old)
			if err != nil {
				return nil, nil, fmt.Errorf("refresh %s %s: %w", region, key, err)
			}
			if found.reason != "" {
				report.Kept = append(report.Kept, fmt.Sprintf("%s %s: %s", region, key, found.reason))
				continue
			}
			p := old
			p.AsOf = date
			p.Note = "refreshed from the AWS Price List API, SKU " + found.sku
			if found.usd != old.USD {
				report.Updated = append(report.Updated, fmt.Sprintf("%s %s: %g → %g", region, key, old.USD, found.usd))
				p.USD = found.usd
			} else {
				report.Confirmed = append(report.Confirmed, region+" "+key)
			}
			prices[key] = p
			updated = true
		}
		out.Regions[region] = prices
	}
	if updated {
		out.AsOf = date
	}
	return &out, report, nil
}

type foundPrice struct {
	usd    float64
	sku    string
	reason string // set when the price is kept
}

// lookupPrice queries every page of GetProducts for one price.
func lookupPrice(ctx context.Context, lister PriceLister, region string, p Price) (foundPrice, error) {
	filters := []types.Filter{{Field: aws.String("usagetype"), Type: types.FilterTypeTermMatch, Value: aws.String(p.UsageType)}}
	if p.RegionFilter {
		filters = append(filters, types.Filter{Field: aws.String("regionCode"), Type: types.FilterTypeTermMatch, Value: aws.String(region)})
	}
	extra := make([]string, 0, len(p.Filters))
	for f := range p.Filters {
		extra = append(extra, f)
	}
	sort.Strings(extra)
	for _, f := range extra {
		filters = append(filters, types.Filter{Field: aws.String(f), Type: types.FilterTypeTermMatch, Value: aws.String(p.Filters[f])})
	}
	in := &pricing.GetProductsInput{ServiceCode: aws.String(p.ServiceCode), Filters: filters, FormatVersion: aws.String("aws_v1")}
	rates := map[float64]string{}
	for {
		res, err := lister.GetProducts(ctx, in)
		if err != nil {
			return foundPrice{}, fmt.Errorf("GetProducts %s %s: %w", p.ServiceCode, p.UsageType, err)
		}
		for _, doc := range res.PriceList {
			usd, sku, ok, err := onDemandRate(doc)
			if err != nil {
				return foundPrice{}, err
			}
			if ok {
				rates[usd] = sku
			}
		}
		if res.NextToken == nil || *res.NextToken == "" {
			break
		}
		in.NextToken = res.NextToken
	}
	switch len(rates) {
	case 0:
		return foundPrice{reason: "not in the Price List (" + p.UsageType + "); kept"}, nil
	case 1:
		for usd, sku := range rates {
			return foundPrice{usd: usd, sku: sku}, nil
		}
	}
	return foundPrice{reason: fmt.Sprintf("%d different rates for %s; kept (add a filter)", len(rates), p.UsageType)}, nil
}

// priceListDoc is the part of a Price List product document refresh reads.
type priceListDoc struct {
	Product struct {
		SKU string `json:"sku"`
	} `json:"product"`
	Terms struct {
		OnDemand map[string]struct {
			PriceDimensions map[string]struct {
				BeginRange   string            `json:"beginRange"`
				PricePerUnit map[string]string `json:"pricePerUnit"`
			} `json:"priceDimensions"`
		} `json:"OnDemand"`
	} `json:"terms"`
}

// onDemandRate returns the USD rate of the first tier (beginRange 0) of a
// product's on-demand terms.
func onDemandRate(doc string) (usd float64, sku string, ok bool, err error) {
	var d priceListDoc
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return 0, "", false, fmt.Errorf("decode price list document: %w", err)
	}
	for _, term := range d.Terms.OnDemand {
		for _, dim := range term.PriceDimensions {
			if dim.BeginRange != "" && dim.BeginRange != "0" {
				continue
			}
			s, has := dim.PricePerUnit["USD"]
			if !has {
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, "", false, fmt.Errorf("SKU %s: price %q: %w", d.Product.SKU, s, err)
			}
			return v, d.Product.SKU, true, nil
		}
	}
	return 0, "", false, nil
}
