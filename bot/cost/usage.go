package cost

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/gitops-bot/gitops/internal/safefile"
	"github.com/gitops-bot/gitops/internal/yamlguard"
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

// maxUsageSize bounds a usage file, which holds a handful of numbers (~200
// bytes); it comes from the pull request.
const maxUsageSize = 64 << 10

// maxUsageNesting bounds how deeply a usage file nests lists and mappings,
// checked before goccy's parser sees it (see yamlguard); a valid file nests 2.
const maxUsageNesting = 32

// LoadUsage reads a usage file; a missing file means all defaults. A file that
// is a symbolic link or not a regular file, or is over 64 KiB, is refused
// without reading it (see safefile).
func LoadUsage(path string) (Usage, error) {
	b, err := safefile.ReadFile(path, maxUsageSize)
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
// are errors, and so are more than 64 KiB or lists and mappings nested more
// than 32 deep.
func DecodeUsage(r io.Reader) (Usage, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxUsageSize+1))
	if err != nil {
		return Usage{}, fmt.Errorf("read usage: %w", err)
	}
	if len(b) > maxUsageSize {
		return Usage{}, fmt.Errorf("usage file is more than %d bytes; it holds a few numbers", maxUsageSize)
	}
	body, err := parseUsage(b)
	if err != nil {
		var de *yamlguard.DepthError
		if errors.As(err, &de) {
			return Usage{}, fmt.Errorf("%d:%d: lists and mappings nest more than %d levels deep here; a usage file needs 2", de.Line, de.Col, de.Limit)
		}
		return Usage{}, usageError(err)
	}
	var u Usage
	if body != nil {
		// The same YAML library as the environment specs: strict, with
		// line:col in its errors.
		if err := yaml.NodeToValue(body, &u, yaml.Strict()); err != nil {
			return Usage{}, usageError(err)
		}
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

// parseUsage returns the body of the first document (nil for an empty
// file), refusing deep nesting before goccy's parser recurses into it: once
// on the bytes, once more on the lexer's tokens. The recover turns a panic
// inside the third-party parser into an error: the file comes from a pull
// request.
func parseUsage(b []byte) (body ast.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			body, err = nil, fmt.Errorf("the YAML parser failed on this file (%v)", r)
		}
	}()
	if err := yamlguard.CheckDepth(b, maxUsageNesting); err != nil {
		return nil, err
	}
	tokens := lexer.Tokenize(string(b))
	if tokens.InvalidToken() == nil { // else Parse reports the syntax error
		if err := yamlguard.CheckTokenDepth(tokens, maxUsageNesting); err != nil {
			return nil, err
		}
	}
	f, err := parser.Parse(tokens, 0)
	if err != nil {
		return nil, err
	}
	if len(f.Docs) == 0 || f.Docs[0] == nil {
		return nil, nil
	}
	return f.Docs[0].Body, nil
}

// usageError puts go-yaml's position in front of its message.
func usageError(err error) error {
	var ye yamlError
	if errors.As(err, &ye) && ye.GetToken() != nil {
		p := ye.GetToken().Position
		return fmt.Errorf("%d:%d: %s", p.Line, p.Column, ye.GetMessage())
	}
	return fmt.Errorf("decode usage: %w", err)
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
