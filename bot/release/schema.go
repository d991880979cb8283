package release

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// SchemaID is the $id of the published schema.
const SchemaID = "https://github.com/gitops-bot/gitops/releases/schema.json"

type obj = map[string]any

// durationPattern is what time.ParseDuration reads, positive (the sign and
// zero are left to the bot).
const durationPattern = `^([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))*$`

// semverPattern is fullSemver; x/mod/semver's rule against leading zeros
// in numeric pre-release identifiers is left to the bot.
var semverPattern = fullSemver.String()

// Schema returns the JSON Schema (draft 2020-12) of a release file,
// committed as releases/schema.json for editors. It is built from the same
// limits as the validation. What a schema cannot say — environment equals
// the file name, durations in range, cron expressions, time zones, freeze
// windows that lift, services that name images, duplicate paths and step
// names, the services of the environment — only the bot checks.
func Schema() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "<env>" reads better than "\u003cenv\u003e"
	enc.SetIndent("", "  ")
	if err := enc.Encode(schema()); err != nil {
		panic(fmt.Sprintf("release: marshal schema: %v", err)) // static data; cannot fail
	}
	return b.Bytes()
}

func duration(desc string, def string) obj {
	o := obj{"type": "string", "pattern": durationPattern, "description": desc}
	if def != "" {
		o["default"] = def
	}
	return o
}

func command(desc string) obj {
	return obj{
		"type": "array", "minItems": 1, "maxItems": maxArgs, "description": desc,
		"items": obj{"type": "string", "minLength": 1, "maxLength": maxArgLen},
	}
}

func object(desc string, required []string, props obj) obj {
	o := obj{"type": "object", "additionalProperties": false, "description": desc, "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func schema() obj {
	serviceName := obj{"type": "string", "pattern": serviceNameRe.String()}
	commitPattern := commitRe.String()
	var defaultSmoke []any
	for _, s := range DefaultSmoke() {
		defaultSmoke = append(defaultSmoke, obj{"path": s.Path, "status": s.Status, "timeout": formatDuration(s.Timeout)})
	}
	t := DefaultTimeouts()
	return obj{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  SchemaID,
		"title":                "gitops release",
		"description":          "releases/<env>.yaml; see docs/contracts.md",
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"environment", "version", "images"},
		"properties": obj{
			"environment": obj{"type": "string", "pattern": envNameRe.String(), "description": "equals the file name without .yaml"},
			"follows":     obj{"enum": followsValues, "default": string(FollowsTags), "description": "tags: versions are semver tags; main: versions are commits of the main branch"},
			"version":     obj{"type": "string", "maxLength": maxVersionLen, "description": "the release deployed: vX.Y.Z[-pre] (follows: tags) or a commit SHA (follows: main)"},
			"previous":    obj{"type": "string", "maxLength": maxVersionLen, "description": "the release this one replaced; absent for the first"},
			"images": obj{
				"type":                 "object",
				"minProperties":        1,
				"maxProperties":        maxImages,
				"propertyNames":        obj{"pattern": serviceNameRe.String()},
				"additionalProperties": obj{"$ref": "#/$defs/image"},
				"description":          "service → image; every service of the environment, and only those",
			},
			"migrations": object("the migration task, run before the services roll", []string{"service", "command"}, obj{
				"service":   serviceName,
				"command":   command("the upgrade, run by every release but a rollback, in this release's image"),
				"downgrade": command("optional: run by a rollback release, in the image of the release being left"),
			}),
			"smoke": obj{
				"type": "array", "maxItems": maxSmoke, "default": defaultSmoke,
				"description": "HTTP GETs through the load balancer after target health; [] for none",
				"items": object("one check", []string{"path"}, obj{
					"path":    obj{"type": "string", "pattern": pathRe.String(), "maxLength": maxPath},
					"status":  obj{"type": "integer", "minimum": 100, "maximum": 599, "default": DefaultSmokeStatus},
					"timeout": duration("at most "+formatDuration(maxSmokeTimeout), formatDuration(DefaultSmokeTime)),
				}),
			},
			"bake": duration("optional: alarms watched after the roll, at most "+formatDuration(maxBake), ""),
			"freeze": obj{
				"type": "array", "maxItems": maxFreeze,
				"description": "windows during which a merged release waits",
				"items": object("one recurring window", []string{"start", "duration", "time_zone"}, obj{
					"start":     obj{"type": "string", "pattern": `^\s*\S+(\s+\S+){4}\s*$`, "description": "5-field cron expression: " + cronExample},
					"duration":  duration("wall-clock length, at most "+formatDuration(maxFreezeLength)+"; shorter than the time between two starts", ""),
					"time_zone": obj{"type": "string", "minLength": 1, "not": obj{"const": "Local"}, "description": "IANA time zone, such as Europe/Berlin"},
				}),
			},
			"seed": obj{
				"type": "array", "maxItems": maxSeed,
				"description": "steps of /seed, in order",
				"items": object("one step", []string{"name", "command"}, obj{
					"name":    obj{"type": "string", "pattern": stepNameRe.String()},
					"command": command("run in a one-off task"),
					"service": obj{"type": "string", "pattern": serviceNameRe.String(), "description": "whose task definition runs the step; default: migrations.service"},
					"timeout": duration("at most "+formatDuration(maxStepTimeout), formatDuration(DefaultSeedTimeout)),
				}),
			},
			"timeouts": object("bounds of the deploy's steps; each at most total", nil, obj{
				"migration": duration("the migration task", formatDuration(t.Migration)),
				"rollout":   duration("every service's deployment completed", formatDuration(t.Rollout)),
				"health":    duration("load balancer targets healthy", formatDuration(t.Health)),
				"smoke":     duration("smoke checks passing", formatDuration(t.Smoke)),
				"total":     duration("the whole deploy, at most "+formatDuration(maxStepTimeout), formatDuration(t.Total)),
			}),
		},
		"if":   obj{"properties": obj{"follows": obj{"const": string(FollowsMain)}}, "required": []string{"follows"}},
		"then": obj{"properties": obj{"version": obj{"pattern": commitPattern}, "previous": obj{"pattern": commitPattern}}},
		"else": obj{"properties": obj{"version": obj{"pattern": semverPattern}, "previous": obj{"pattern": semverPattern}}},
		"$defs": obj{
			"image": object("a service's image", []string{"repository", "tag"}, obj{
				"repository": obj{"type": "string", "pattern": ecrRepoRe.String(), "minLength": 2, "maxLength": maxRepository, "description": "ECR repository name, without the registry"},
				"tag":        obj{"type": "string", "pattern": tagRe.String(), "not": obj{"const": "latest"}},
				"digest":     obj{"type": "string", "pattern": digestRe.String(), "description": "sha256:<64 hex>; optional until the image is verified"},
			}),
		},
	}
}
