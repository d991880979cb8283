package envspec

import (
	"encoding/json"
	"fmt"
)

// SchemaID is the $id of the published schema.
const SchemaID = "https://github.com/gitops-bot/gitops/environments/schema.json"

type obj = map[string]any

// Schema returns the JSON Schema (draft 2020-12) of an environment file,
// committed as environments/schema.json for editors. It is built from the
// same rule tables as the validation. What a schema cannot say — name equals
// the file name, canonical CIDRs, overlaps between environments, desired
// counts within the autoscaling bounds, exactly one default public route —
// only the bot checks.
func Schema() []byte {
	out, err := json.MarshalIndent(schema(), "", "  ")
	if err != nil {
		panic(fmt.Sprintf("envspec: marshal schema: %v", err)) // static data; cannot fail
	}
	return append(out, '\n')
}

func intProp(desc string, lo, hi int, def any) obj {
	o := obj{"type": "integer", "minimum": lo, "maximum": hi}
	if desc != "" {
		o["description"] = desc
	}
	if def != nil {
		o["default"] = def
	}
	return o
}

func section(desc string, required []string, props obj) obj {
	o := obj{"type": "object", "additionalProperties": false, "description": desc, "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func schema() obj {
	var pairs []any
	for _, f := range fargate {
		pairs = append(pairs, obj{
			"if":   obj{"properties": obj{"cpu": obj{"const": f.CPU}}, "required": []string{"cpu"}},
			"then": obj{"properties": obj{"memory": obj{"enum": f.values()}}},
		})
	}
	// A private service must not set path_pattern (an empty one is the default).
	pairs = append(pairs, obj{
		"if":   obj{"properties": obj{"public": obj{"const": true}}, "required": []string{"public"}},
		"else": obj{"properties": obj{"path_pattern": obj{"const": ""}}},
	})
	service := obj{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"cpu", "memory", "desired_count"},
		"properties": obj{
			"cpu":               obj{"enum": fargateCPUs(), "description": "Fargate CPU units"},
			"memory":            obj{"type": "integer", "description": "MiB; must be a valid Fargate pair with cpu"},
			"desired_count":     intProp("running tasks; within autoscaling min_tasks..max_tasks when autoscaling is enabled", 0, 20, nil),
			"port":              intProp("container port", 1, 65535, 8000),
			"public":            obj{"type": "boolean", "default": false, "description": "reachable through the ALB"},
			"path_pattern":      obj{"type": "string", "default": "", "maxLength": maxPathPattern, "pattern": "^(/.*)?$", "description": "ALB path rule of a public service; exactly one public service has none and is the default route"},
			"health_check_path": obj{"type": "string", "default": "/health", "pattern": "^/"},
			"architecture":      obj{"enum": architectures, "default": "x86_64"},
			"spot":              obj{"type": "boolean", "default": false, "description": "run on FARGATE_SPOT"},
		},
		"allOf": pairs,
	}
	octet := `(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])`
	cidr := fmt.Sprintf(`^(%s\.){3}%s/(1[6-9]|2[0-4])$`, octet, octet)
	return obj{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  SchemaID,
		"title":                "gitops environment",
		"description":          "environments/<env>.yaml; see docs/contracts.md",
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"name", "region", "network", "database", "cache", "services"},
		"properties": obj{
			"name":   obj{"type": "string", "pattern": nameRe.String(), "description": "equals the file name without .yaml"},
			"region": obj{"enum": regions, "description": "AWS commercial region"},
			"network": section("the VPC", []string{"vpc_cidr"}, obj{
				"vpc_cidr": obj{"type": "string", "pattern": cidr, "description": "IPv4 CIDR /16 to /24 with host bits zero; must not overlap another environment's"},
				"azs":      intProp("availability zones", 2, 3, 2),
				"nat":      obj{"enum": natModes, "default": "per_az"},
			}),
			"database": section("RDS PostgreSQL", []string{"instance_class"}, obj{
				"engine_version":        obj{"type": "string", "default": "15"},
				"instance_class":        obj{"type": "string", "pattern": instanceClassRe.String()},
				"storage_gb":            intProp("gp3 storage", 20, 1000, 20),
				"backup_retention_days": intProp("automated backup retention", 0, 35, 7),
				"multi_az":              obj{"type": "boolean", "default": false},
			}),
			"cache": section("ElastiCache Redis", []string{"node_type"}, obj{
				"engine_version": obj{"type": "string", "default": "7.1"},
				"node_type":      obj{"type": "string", "pattern": nodeTypeRe.String()},
				"nodes":          intProp("cache nodes", 1, 6, 1),
			}),
			"autoscaling": section("CPU target tracking for every service", nil, obj{
				"enabled":            obj{"type": "boolean", "default": false},
				"min_tasks":          intProp("at most max_tasks", 0, 20, 1),
				"max_tasks":          intProp("", 1, 20, 4),
				"cpu_target_percent": intProp("", 10, 95, 70),
			}),
			"logs": section("CloudWatch log groups", nil, obj{
				"retention_days": obj{"enum": logRetentionDays, "default": 7},
			}),
			"budget": section("monthly cost ceiling (cost and policy only)", nil, obj{
				"monthly_usd": obj{"type": "number", "minimum": 0, "default": 0, "description": "0 means no budget"},
				"enforce":     obj{"type": "boolean", "default": false},
			}),
			"services": obj{
				"type":                 "object",
				"minProperties":        1,
				"maxProperties":        maxServices,
				"propertyNames":        obj{"pattern": serviceNameRe.String()},
				"additionalProperties": obj{"$ref": "#/$defs/service"},
			},
		},
		"$defs": obj{"service": service},
	}
}
