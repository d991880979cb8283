package cost

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/token"
)

// Usage holds the assumptions for usage-based prices. Each field is optional;
// an unset field takes the default below. It is read from
// environments/<env>.usage.yaml, beside the environment spec:
//
//	alb:
//	  lcu_per_hour: 1              # average LCUs per load balancer
//	nat:
//	  gb_per_month: 10             # GB processed by NAT gateways, whole environment
//	logs:
//	  gb_per_group_per_month: 0.5  # GB ingested per log group
//	ecr:
//	  gb_per_repository: 1         # GB of images kept per repository
//	rds:
//	  backup_gb: 20                # total backup storage; default = allocated storage
type Usage struct {
	ALB  ALBUsage  `yaml:"alb" json:"alb"`
	NAT  NATUsage  `yaml:"nat" json:"nat"`
	Logs LogsUsage `yaml:"logs" json:"logs"`
	ECR  ECRUsage  `yaml:"ecr" json:"ecr"`
	RDS  RDSUsage  `yaml:"rds" json:"rds"`
}

// ALBUsage: LCUs are the max of new connections, active connections, bytes and
// rule evaluations per hour; a demo environment stays well under one.
type ALBUsage struct {
	LCUPerHour *float64 `yaml:"lcu_per_hour" json:"lcu_per_hour,omitempty"`
}

// NATUsage is the traffic through the NAT gateways (image pulls, AWS APIs),
// shared evenly between the gateways.
type NATUsage struct {
	GBPerMonth *float64 `yaml:"gb_per_month" json:"gb_per_month,omitempty"`
}

// LogsUsage is what each service writes to its log group.
type LogsUsage struct {
	GBPerGroupPerMonth *float64 `yaml:"gb_per_group_per_month" json:"gb_per_group_per_month,omitempty"`
}

// ECRUsage is the image storage kept per repository after lifecycle rules.
type ECRUsage struct {
	GBPerRepository *float64 `yaml:"gb_per_repository" json:"gb_per_repository,omitempty"`
}

// RDSUsage is the total automated-backup storage of the instance. AWS gives
// backup storage up to 100 % of the provisioned storage in the region for free.
type RDSUsage struct {
	BackupGB *float64 `yaml:"backup_gb" json:"backup_gb,omitempty"`
}

// Defaults for usage the plan cannot tell.
const (
	DefaultALBLCUPerHour      = 1.0
	DefaultNATGBPerMonth      = 10.0
	DefaultLogGBPerGroupMonth = 0.5
	DefaultECRGBPerRepository = 1.0
)

// UsageFileName is the usage file beside environments/<env>.yaml.
func UsageFileName(env string) string { return env + ".usage.yaml" }

// LoadUsage reads a usage file; a missing file means all defaults.
func LoadUsage(path string) (Usage, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Usage{}, nil
	}
	if err != nil {
		return Usage{}, fmt.Errorf("read usage: %w", err)
	}
	u, err := DecodeUsage(bytes.NewReader(b))
	if err != nil {
		return Usage{}, fmt.Errorf("%s:%w", path, err)
	}
	return u, nil
}

// DecodeUsage decodes a usage file strictly: unknown keys and negative values
// are errors.
func DecodeUsage(r io.Reader) (Usage, error) {
	var u Usage
	// The same YAML library as the environment specs: strict, with line:col
	// in its errors.
	dec := yaml.NewDecoder(r, yaml.Strict())
	if err := dec.Decode(&u); err != nil && !errors.Is(err, io.EOF) {
		var ye yamlError
		if errors.As(err, &ye) && ye.GetToken() != nil {
			p := ye.GetToken().Position
			return Usage{}, fmt.Errorf("%d:%d: %s", p.Line, p.Column, ye.GetMessage())
		}
		return Usage{}, fmt.Errorf("decode usage: %w", err)
	}
	for name, v := range map[string]*float64{
		"alb.lcu_per_hour":            u.ALB.LCUPerHour,
		"nat.gb_per_month":            u.NAT.GBPerMonth,
		"logs.gb_per_group_per_month": u.Logs.GBPerGroupPerMonth,
		"ecr.gb_per_repository":       u.ECR.GBPerRepository,
		"rds.backup_gb":               u.RDS.BackupGB,
	} {
		if v != nil && *v < 0 {
			return Usage{}, fmt.Errorf("usage %s: %v is negative", name, *v)
		}
	}
	return u, nil
}

// yamlError is what go-yaml's decoding errors provide: the token at fault
// and a message without position.
type yamlError interface {
	GetToken() *token.Token
	GetMessage() string
}

func orDefault(v *float64, def float64) (float64, bool) {
	if v == nil {
		return def, false
	}
	return *v, true
}
