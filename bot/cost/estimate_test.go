package cost

import (
	"math"
	"strings"
	"testing"

	"github.com/gitops-bot/gitops/bot/envspec"
)

// Public on-demand prices, us-east-1 and us-west-2 (identical for these
// services), as read from the AWS pricing pages; the catalogue must agree.
const (
	hours       = 730.0
	fargateVCPU = 0.04048
	fargateGB   = 0.004445
	armVCPU     = 0.03238
	armGB       = 0.00356
	spotVCPU    = 0.012144
	spotGB      = 0.0013335
	t3micro     = 0.018
	t3small     = 0.036
	gp3         = 0.115
	gp3MultiAZ  = 0.23
	backupGB    = 0.095
	cacheMicro  = 0.017
	albHour     = 0.0225
	lcuHour     = 0.008
	natHour     = 0.045
	natGB       = 0.045
	ipv4Hour    = 0.005
	logIngest   = 0.50
	logStore    = 0.03
	secretMonth = 0.40
	ecrGBMonth  = 0.10
	cloudMapRes = 0.10
	hostedZone  = 0.50
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestCatalogueAgreesWithPublishedPrices(t *testing.T) {
	cat, err := DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"fargate.x86_64.vcpu_hour": fargateVCPU, "fargate.x86_64.gb_hour": fargateGB,
		"fargate.arm64.vcpu_hour": armVCPU, "fargate.arm64.gb_hour": armGB,
		"fargate_spot.x86_64.vcpu_hour": spotVCPU, "fargate_spot.x86_64.gb_hour": spotGB,
		"rds.postgres.db.t3.micro.single_az_hour": t3micro, "rds.postgres.db.t3.small.single_az_hour": t3small,
		"rds.postgres.db.t3.micro.multi_az_hour": 2 * t3micro,
		"rds.gp3.single_az_gb_month":             gp3, "rds.gp3.multi_az_gb_month": gp3MultiAZ, "rds.backup_gb_month": backupGB,
		"elasticache.cache.t3.micro.hour": cacheMicro, "alb.hour": albHour, "alb.lcu_hour": lcuHour,
		"nat.hour": natHour, "nat.gb": natGB, "ipv4.hour": ipv4Hour, "logs.ingest_gb": logIngest,
		"logs.storage_gb_month": logStore, "secretsmanager.secret_month": secretMonth, "ecr.storage_gb_month": ecrGBMonth,
		"cloudmap.resource_month": cloudMapRes, "route53.hosted_zone_month": hostedZone,
	}
	for _, region := range []string{"us-east-1", "us-west-2"} {
		for key, usd := range want {
			p, ok := cat.Lookup(region, key)
			if !ok || !near(p.USD, usd) {
				t.Errorf("%s %s = %v (found %v), want %v", region, key, p.USD, ok, usd)
			}
		}
	}
	if cat.HoursPerMonth != hours {
		t.Errorf("hours per month %v", cat.HoursPerMonth)
	}
}

func TestEmbeddedCatalogueIsCanonical(t *testing.T) {
	cat, err := DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	b, err := cat.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(embeddedCatalogue) {
		t.Error("catalogue.json is not in the form WriteFile produces; a refresh would rewrite all of it")
	}
}

func TestComponents(t *testing.T) {
	spot := map[string]any{"capacity_provider": "FARGATE_SPOT", "weight": 1.0, "base": 0.0}
	tests := []struct {
		name      string
		after     []res
		usage     Usage
		address   string
		want      float64
		component string // when set, only this component is compared
	}{
		{
			name:    "two x86 tasks of 0.5 vCPU and 1 GB cost 2 × (0.5 × vCPU + 1 × GB) × 730",
			after:   service("api", 512, 1024, 2, "X86_64"),
			address: `module.ecs_service["api"].aws_ecs_service.this`,
			want:    2 * (0.5*fargateVCPU + 1*fargateGB) * hours,
		},
		{
			name:    "arm64 tasks use the ARM rates",
			after:   service("api", 1024, 2048, 3, "ARM64"),
			address: `module.ecs_service["api"].aws_ecs_service.this`,
			want:    3 * (1*armVCPU + 2*armGB) * hours,
		},
		{
			name:    "FARGATE_SPOT tasks use the Spot rates",
			after:   service("api", 256, 512, 2, "X86_64", spot),
			address: `module.ecs_service["api"].aws_ecs_service.this`,
			want:    2 * (0.25*spotVCPU + 0.5*spotGB) * hours,
		},
		{
			name: "mixed strategy puts the base on FARGATE and splits the rest by weight",
			after: service("api", 512, 1024, 3, "X86_64",
				map[string]any{"capacity_provider": "FARGATE", "weight": 1.0, "base": 1.0}, spot),
			address: `module.ecs_service["api"].aws_ecs_service.this`,
			want:    2*(0.5*fargateVCPU+1*fargateGB)*hours + 1*(0.5*spotVCPU+1*spotGB)*hours,
		},
		{
			name: "single-AZ db.t3.small with 20 GB gp3 and backups within the free allowance",
			after: []res{{module: "module.rds", typ: "aws_db_instance", name: "this", values: map[string]any{
				"engine": "postgres", "instance_class": "db.t3.small", "allocated_storage": 20.0, "storage_type": "gp3",
				"multi_az": false, "backup_retention_period": 7.0}}},
			address: "module.rds.aws_db_instance.this",
			want:    t3small*hours + 20*gp3,
		},
		{
			name: "multi-AZ doubles instance hours and uses Multi-AZ storage; backups beyond storage are charged",
			after: []res{{module: "module.rds", typ: "aws_db_instance", name: "this", values: map[string]any{
				"engine": "postgres", "instance_class": "db.t3.micro", "allocated_storage": 50.0, "storage_type": "gp3",
				"multi_az": true, "backup_retention_period": 7.0}}},
			usage:   Usage{RDS: RDSUsage{BackupGB: f64(80)}},
			address: "module.rds.aws_db_instance.this",
			want:    2*t3micro*hours + 50*gp3MultiAZ + (80-50)*backupGB,
		},
		{
			name: "replication group pays every cache cluster",
			after: []res{{module: "module.elasticache", typ: "aws_elasticache_replication_group", name: "this", values: map[string]any{
				"engine": "redis", "node_type": "cache.t3.micro", "num_cache_clusters": 2.0}}},
			address: "module.elasticache.aws_elasticache_replication_group.this",
			want:    2 * cacheMicro * hours,
		},
		{
			name: "cluster-mode replication group pays every shard's primary and replicas: 3 shards × (1 + 2) = 9 nodes",
			after: []res{{module: "module.elasticache", typ: "aws_elasticache_replication_group", name: "this",
				values: map[string]any{"engine": "redis", "node_type": "cache.t3.micro", "num_node_groups": 3.0, "replicas_per_node_group": 2.0, "num_cache_clusters": nil},
				// As planned on create: the cluster count is computed by AWS.
				unknown: map[string]any{"num_cache_clusters": true}}},
			address: "module.elasticache.aws_elasticache_replication_group.this",
			want:    9 * cacheMicro * hours,
		},
		{
			name: "internet-facing ALB pays hours, default 1 LCU and one IPv4 address per subnet",
			after: []res{{module: "module.alb", typ: "aws_lb", name: "this", values: map[string]any{
				"load_balancer_type": "application", "internal": false, "subnets": []any{"subnet-a", "subnet-b", "subnet-c"}}}},
			address: "module.alb.aws_lb.this",
			want:    albHour*hours + 1*lcuHour*hours + 3*ipv4Hour*hours,
		},
		{
			name: "internal ALB has no public IPv4 address: hours and LCUs only",
			after: []res{{module: "module.alb", typ: "aws_lb", name: "this", values: map[string]any{
				"load_balancer_type": "application", "internal": true, "subnets": []any{"subnet-a", "subnet-b"}}}},
			address: "module.alb.aws_lb.this",
			want:    albHour*hours + 1*lcuHour*hours,
		},
		{
			name: "ALB with subnets unknown until apply counts the public subnets in the plan; LCUs from the usage file",
			after: []res{
				{module: "module.alb", typ: "aws_lb", name: "this", values: map[string]any{"internal": false}, unknown: map[string]any{"subnets": true}},
				{module: "module.networking", typ: "aws_subnet", name: "public[0]", values: map[string]any{}},
				{module: "module.networking", typ: "aws_subnet", name: "public[1]", values: map[string]any{}},
				{module: "module.networking", typ: "aws_subnet", name: "private[0]", values: map[string]any{}},
			},
			usage:   Usage{ALB: ALBUsage{LCUPerHour: f64(2.5)}},
			address: "module.alb.aws_lb.this",
			want:    albHour*hours + 2.5*lcuHour*hours + 2*ipv4Hour*hours,
		},
		{
			name: "NAT gateways share the environment's traffic",
			after: []res{
				{module: "module.networking", typ: "aws_nat_gateway", name: "this[0]", values: map[string]any{}},
				{module: "module.networking", typ: "aws_nat_gateway", name: "this[1]", values: map[string]any{}},
			},
			usage:   Usage{NAT: NATUsage{GBPerMonth: f64(40)}},
			address: "module.networking.aws_nat_gateway.this[1]",
			want:    natHour*hours + 20*natGB,
		},
		{
			name:    "an Elastic IP is a public IPv4 address",
			after:   []res{{module: "module.networking", typ: "aws_eip", name: "nat[0]", values: map[string]any{"domain": "vpc"}}},
			address: "module.networking.aws_eip.nat[0]",
			want:    ipv4Hour * hours,
		},
		{
			name:    "log group pays ingestion and the storage its retention keeps",
			after:   []res{{module: `module.ecs_service["api"]`, typ: "aws_cloudwatch_log_group", name: "this", values: map[string]any{"retention_in_days": 7.0}}},
			usage:   Usage{Logs: LogsUsage{GBPerGroupPerMonth: f64(3)}},
			address: `module.ecs_service["api"].aws_cloudwatch_log_group.this`,
			want:    3*logIngest + 3*(7/(hours/24))*logStore,
		},
		{
			name:    "log group that never expires (retention 0) is priced as 12 months of storage",
			after:   []res{{module: `module.ecs_service["api"]`, typ: "aws_cloudwatch_log_group", name: "this", values: map[string]any{"retention_in_days": 0.0}}},
			usage:   Usage{Logs: LogsUsage{GBPerGroupPerMonth: f64(3)}},
			address: `module.ecs_service["api"].aws_cloudwatch_log_group.this`,
			want:    3*logIngest + 3*12*logStore,
		},
		{
			name:    "log group without a retention never expires either",
			after:   []res{{module: `module.ecs_service["api"]`, typ: "aws_cloudwatch_log_group", name: "this", values: map[string]any{}}},
			address: `module.ecs_service["api"].aws_cloudwatch_log_group.this`,
			want:    DefaultLogGBPerGroupMonth*logIngest + DefaultLogGBPerGroupMonth*12*logStore,
		},
		{
			name:    "secret is a flat monthly price",
			after:   []res{{typ: "aws_secretsmanager_secret", name: "db_password", values: map[string]any{}}},
			address: "aws_secretsmanager_secret.db_password",
			want:    secretMonth,
		},
		{
			name:    "ECR repository pays the assumed image storage",
			after:   []res{{typ: "aws_ecr_repository", name: `this["api"]`, values: map[string]any{}}},
			address: `aws_ecr_repository.this["api"]`,
			want:    1 * ecrGBMonth,
		},
		{
			name:    "private DNS namespace is a hosted zone",
			after:   []res{{module: "module.ecs_cluster", typ: "aws_service_discovery_private_dns_namespace", name: "this", values: map[string]any{}}},
			address: "module.ecs_cluster.aws_service_discovery_private_dns_namespace.this",
			want:    hostedZone,
		},
		{
			name: "discovery service pays one registered instance per task of its service",
			after: append(service("api", 256, 512, 3, "X86_64"),
				res{module: `module.ecs_service["api"]`, typ: "aws_service_discovery_service", name: "this", values: map[string]any{}}),
			address: `module.ecs_service["api"].aws_service_discovery_service.this`,
			want:    3 * cloudMapRes,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustEstimate(t, planOf(nil, tt.after), Options{Usage: tt.usage})
			got := resourceCost(t, e, tt.address)
			if !near(got.After, tt.want) {
				t.Errorf("after = %.6f, want %.6f; components %+v", got.After, tt.want, got.Components)
			}
			if got.Before != 0 || !near(got.Delta, tt.want) {
				t.Errorf("before %v delta %v for a created resource", got.Before, got.Delta)
			}
		})
	}
}

func TestUnpricedResourcesAreListedNotZero(t *testing.T) {
	after := []res{
		{typ: "aws_kms_key", name: "this", values: map[string]any{}},
		{module: "module.rds", typ: "aws_db_instance", name: "this", values: map[string]any{
			"engine": "postgres", "instance_class": "db.r5.24xlarge", "allocated_storage": 20.0, "storage_type": "gp3"}},
		{module: "module.networking", typ: "aws_subnet", name: "public[0]", values: map[string]any{}},
		{module: "module.security", typ: "aws_security_group", name: "alb", values: map[string]any{}},
		{typ: "aws_iam_role", name: "task", values: map[string]any{}},
	}
	e := mustEstimate(t, planOf(nil, after), Options{})
	if len(e.NotPriced) != 2 {
		t.Fatalf("not priced = %v, want the KMS key and the unknown DB class", e.NotPriced)
	}
	if !strings.Contains(e.NotPriced[0], "aws_kms_key.this") || !strings.Contains(e.NotPriced[1], "db.r5.24xlarge") {
		t.Errorf("not priced = %v", e.NotPriced)
	}
	if len(e.Resources) != 0 || e.After != 0 {
		t.Errorf("free or unpriced resources were counted: %+v", e.Resources)
	}
}

// contractMonthly is the monthly cost of contractSpec worked out from the
// prices above, for the database's hourly price and the tasks per service.
func contractMonthly(dbHour, tasks float64) float64 {
	big := (0.5*fargateVCPU + 1*fargateGB) * hours      // a 512/1024 task
	small := (0.25*fargateVCPU + 0.5*fargateGB) * hours // a 256/512 task
	return 2*(natHour*hours+5*natGB) +                  // two NAT gateways sharing 10 GB
		2*ipv4Hour*hours + // their EIPs
		albHour*hours + lcuHour*hours + 2*ipv4Hour*hours + // ALB in 2 subnets
		dbHour*hours + 20*gp3 + cacheMicro*hours +
		3*secretMonth + hostedZone +
		6*(0.5*logIngest+0.5*(7/(hours/24))*logStore) + 6*ecrGBMonth +
		tasks*(3*big+3*small) + 6*tasks*cloudMapRes
}

func TestContractEnvironmentTotals(t *testing.T) {
	for _, tt := range []struct {
		spec *envspec.Spec
		want float64
	}{
		{contractSpec("dev", "us-west-2", "db.t3.micro", 1), contractMonthly(t3micro, 1)},
		{contractSpec("staging", "us-east-1", "db.t3.small", 2), contractMonthly(t3small, 2)},
	} {
		e, err := EstimateSpec(tt.spec, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !near(e.After, tt.want) {
			t.Errorf("%s after = %.4f, want %.4f", tt.spec.Name, e.After, tt.want)
		}
		t.Logf("%s: $%.2f per month", tt.spec.Name, e.After)
	}
}

func TestRegionMustBeKnown(t *testing.T) {
	_, err := EstimatePlan(planOf(nil, nil), Options{Region: "eu-north-1"})
	if err == nil || !strings.Contains(err.Error(), "no prices for region eu-north-1") {
		t.Fatalf("err = %v", err)
	}
	_, err = EstimatePlan(planOf(nil, nil), Options{})
	if err == nil || !strings.Contains(err.Error(), "region unknown") {
		t.Fatalf("err = %v", err)
	}
}

// doubledInUSWest2 is the embedded catalogue with every us-west-2 price
// doubled. The embedded prices of us-east-1 and us-west-2 are the same for
// everything the stack uses, so without it a lookup that ignored the region
// would go unnoticed.
func doubledInUSWest2(t *testing.T) *Catalogue {
	t.Helper()
	base, err := DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	c := *base
	c.Regions = make(map[string]map[string]Price, len(base.Regions))
	for region, prices := range base.Regions {
		c.Regions[region] = make(map[string]Price, len(prices))
		for key, p := range prices {
			if region == "us-west-2" {
				p.USD *= 2
			}
			c.Regions[region][key] = p
		}
	}
	return &c
}

func TestPricesAreThoseOfTheEstimatesRegion(t *testing.T) {
	cat := doubledInUSWest2(t)
	twoTasks := 2 * (0.5*fargateVCPU + 1*fargateGB) * hours
	tests := []struct {
		name     string
		estimate func() (*Estimate, error)
		region   string
		want     float64 // e.After, or e.Delta for a plan that changes an applied stack
		saving   float64 // the "Single NAT gateway" saving, when the budget is exceeded
	}{
		{
			name: "a plan in us-east-1 (from the options) is priced at us-east-1's rates",
			estimate: func() (*Estimate, error) {
				return EstimatePlan(planOf(nil, service("api", 512, 1024, 2, "X86_64")), Options{Region: "us-east-1", Catalogue: cat})
			},
			region: "us-east-1",
			want:   twoTasks,
		},
		{
			name: "a plan in us-west-2 (from the options) is priced at us-west-2's rates",
			estimate: func() (*Estimate, error) {
				return EstimatePlan(planOf(nil, service("api", 512, 1024, 2, "X86_64")), Options{Region: "us-west-2", Catalogue: cat})
			},
			region: "us-west-2",
			want:   2 * twoTasks,
		},
		{
			name: "a plan's region comes from its spec output: dev's scale-down in us-west-2",
			estimate: func() (*Estimate, error) {
				return EstimatePlanJSON(realPlan(t, "dev-scale-down"), Options{Catalogue: cat})
			},
			region: "us-west-2",
			want:   2 * -72.4802, // 4 tasks of 512/1024 and 4 Cloud Map instances fewer
		},
		{
			name: "a spec's region: dev in us-west-2, and its savings, at us-west-2's rates",
			estimate: func() (*Estimate, error) {
				return EstimateSpec(contractSpec("dev", "us-west-2", "db.t3.micro", 1), Options{Catalogue: cat, Budget: envspec.Budget{MonthlyUSD: 1}})
			},
			region: "us-west-2",
			want:   2 * contractMonthly(t3micro, 1),
			saving: 2 * (natHour + ipv4Hour) * hours,
		},
		{
			name: "a spec's region: staging in us-east-1, and its savings, at us-east-1's rates",
			estimate: func() (*Estimate, error) {
				return EstimateSpec(contractSpec("staging", "us-east-1", "db.t3.small", 2), Options{Catalogue: cat, Budget: envspec.Budget{MonthlyUSD: 1}})
			},
			region: "us-east-1",
			want:   contractMonthly(t3small, 2),
			saving: (natHour + ipv4Hour) * hours,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := tt.estimate()
			if err != nil {
				t.Fatal(err)
			}
			if e.Region != tt.region {
				t.Errorf("region %q, want %q", e.Region, tt.region)
			}
			got := e.After
			if e.Before != 0 {
				got = e.Delta
			}
			if !near(got, tt.want) {
				t.Errorf("estimate %.6f, want %.6f", got, tt.want)
			}
			if tt.saving == 0 {
				return
			}
			for _, s := range e.Budget.Savings {
				if s.Name == "Single NAT gateway" {
					if !near(s.MonthlyUSD, tt.saving) {
						t.Errorf("single NAT saves %.6f, want %.6f", s.MonthlyUSD, tt.saving)
					}
					return
				}
			}
			t.Errorf("no single NAT saving in %+v", e.Budget.Savings)
		})
	}
}

// northAmericaBillingCodes are the documented region codes of North America
// and the prefix their usage types carry in the Price List and the bill.
// https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-region-billing-codes.html
var northAmericaBillingCodes = map[string]string{
	"us-east-1": "USE1", "us-east-2": "USE2", "us-west-1": "USW1", "us-west-2": "USW2",
	"ca-central-1": "CAN1", "ca-west-1": "CAN2", "mx-central-1": "MXC1",
}

// Every region the catalogue prices is a documented region code, and each of
// its regional prices is quoted for that region's usage type, so a price
// copied from another region is caught (us-east-1's usage types may also
// have no prefix, as AWS writes them).
func TestCatalogueRegionsAreAWSRegions(t *testing.T) {
	cat, err := DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	if got := cat.RegionNames(); len(got) != 2 || got[0] != "us-east-1" || got[1] != "us-west-2" {
		t.Errorf("catalogue regions %v, want us-east-1 and us-west-2 (where dev and staging run)", got)
	}
	for _, region := range cat.RegionNames() {
		code, ok := northAmericaBillingCodes[region]
		if !ok {
			t.Errorf("%s is not a documented region code (of those listed here)", region)
			continue
		}
		for key, p := range cat.Regions[region] {
			if !p.RegionFilter {
				continue // a global price, such as a hosted zone
			}
			prefix, _, _ := strings.Cut(p.UsageType, "-")
			isRegionCode := false
			for _, c := range northAmericaBillingCodes {
				isRegionCode = isRegionCode || prefix == c
			}
			switch {
			case isRegionCode && prefix != code:
				t.Errorf("%s %s: usage type %s is another region's (%s's is %s)", region, key, p.UsageType, region, code)
			case !isRegionCode && region != "us-east-1":
				t.Errorf("%s %s: usage type %s has no region prefix; %s's is %s", region, key, p.UsageType, region, code)
			}
		}
	}
}
