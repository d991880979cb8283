package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/gitops-bot/gitops/bot/release"
)

// Target is where an environment lives: what the engine needs to find its
// services, register their revisions, start one-off tasks and check it.
type Target struct {
	Env     string
	Region  string
	Cluster string // ECS cluster name or ARN
	// Registry is the ECR registry host images are pulled from,
	// <account>.dkr.ecr.<region>.amazonaws.com; a release's repository
	// names are relative to it.
	Registry string
	// Services by the release's service name.
	Services map[string]ServiceTarget
	// Migration is the task family one-off migrations run in.
	Migration TaskTarget
	// Subnets, SecurityGroups and AssignPublicIP are the awsvpc network of
	// one-off tasks (FARGATE).
	Subnets        []string
	SecurityGroups []string
	AssignPublicIP bool
	// BaseURL is the load balancer the smoke checks go through, e.g.
	// http://staging-alb-123.us-east-1.elb.amazonaws.com.
	BaseURL string
	// Alarms are the CloudWatch alarms watched during a bake, by name;
	// AlarmPrefix adds every alarm whose name starts with it.
	Alarms      []string
	AlarmPrefix string
}

// ServiceTarget is one ECS service of an environment.
type ServiceTarget struct {
	Service   string // ECS service name
	Family    string // task-definition family
	Container string // the container whose image a release sets
	// Public services sit behind the load balancer: their target groups
	// must be healthy after a roll.
	Public bool
	// TargetGroupARNs are the service's target groups. The engine also
	// reads them from the live service (its loadBalancers), so they may be
	// left empty.
	TargetGroupARNs []string
}

// TaskTarget is a task family run as one-off tasks.
type TaskTarget struct {
	Family    string
	Container string // the container whose image and command are set
}

// Validate reports everything a deploy needs that t lacks, together.
func (t *Target) Validate() error {
	if t == nil {
		return errors.New("target: none given")
	}
	var errs []error
	if t.Cluster == "" {
		errs = append(errs, errors.New("no cluster"))
	}
	if t.Registry == "" {
		errs = append(errs, errors.New("no ECR registry"))
	}
	if len(t.Services) == 0 {
		errs = append(errs, errors.New("no services"))
	}
	for _, name := range slices.Sorted(maps.Keys(t.Services)) {
		s := t.Services[name]
		if s.Service == "" || s.Family == "" || s.Container == "" {
			errs = append(errs, fmt.Errorf("service %s: ECS service, task family and container are all needed (have %q, %q, %q)", name, s.Service, s.Family, s.Container))
		}
	}
	if len(t.Subnets) == 0 {
		errs = append(errs, errors.New("no subnets for one-off tasks"))
	}
	if t.BaseURL != "" {
		if u, err := url.Parse(t.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("load balancer URL %q is not an http(s) URL", t.BaseURL))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("target %s: %w", t.Env, err)
	}
	return nil
}

// imageRef is how a task definition names img: the registry, the
// repository and the digest (a tag can move). A repository that already
// names a registry host is used as it is.
func (t *Target) imageRef(img release.Image) string {
	repo := img.Repository
	if host, _, ok := strings.Cut(repo, "/"); !ok || !(strings.ContainsAny(host, ".:") || host == "localhost") {
		repo = t.Registry + "/" + repo
	}
	if img.Digest != "" {
		return repo + "@" + img.Digest
	}
	return repo + ":" + img.Tag
}

// Conventions of terraform/modules that the stack has no output for: the
// container of a service's task definition is named after the service, and
// the migration task's container is "migrate".
const migrationContainer = "migrate"

// TargetFromOutputs builds the Target of env from the values of the
// terraform stack's outputs (terraform/stack/outputs.tf), as
// `terraform output -json` gives them under "value". It uses cluster_name
// (or ecs_cluster_name), task_definition_families, migration_task_family,
// private_subnet_ids, ecs_security_group_id, ecr_repository_urls (for the
// registry host), alb_dns_name (smoke checks over http) and spec (region,
// which services are public); and target_group_arns and alarm_names when
// the stack has them. Every missing or malformed output is reported at once.
func TargetFromOutputs(env string, outputs map[string]json.RawMessage) (*Target, error) {
	t := &Target{Env: env, Services: map[string]ServiceTarget{}}
	var errs []error
	read := func(name string, into any, required bool) bool {
		raw, ok := outputs[name]
		if !ok || string(raw) == "null" {
			if required {
				errs = append(errs, fmt.Errorf("output %s is missing", name))
			}
			return false
		}
		if err := json.Unmarshal(raw, into); err != nil {
			errs = append(errs, fmt.Errorf("output %s: %w", name, err))
			return false
		}
		return true
	}

	if !read("cluster_name", &t.Cluster, false) {
		read("ecs_cluster_name", &t.Cluster, true)
	}
	var families map[string]string
	read("task_definition_families", &families, true)
	read("migration_task_family", &t.Migration.Family, true)
	t.Migration.Container = migrationContainer
	read("private_subnet_ids", &t.Subnets, true)
	var sg string
	if read("ecs_security_group_id", &sg, true) && sg != "" {
		t.SecurityGroups = []string{sg}
	}
	var repos map[string]string
	if read("ecr_repository_urls", &repos, true) {
		for _, name := range slices.Sorted(maps.Keys(repos)) {
			host, _, _ := strings.Cut(repos[name], "/")
			if t.Registry == "" {
				t.Registry = host
			} else if host != t.Registry {
				errs = append(errs, fmt.Errorf("output ecr_repository_urls: repositories in two registries, %s and %s", t.Registry, host))
				break
			}
		}
	}
	var dns string
	if read("alb_dns_name", &dns, false) && dns != "" {
		t.BaseURL = "http://" + dns
	}
	var spec struct {
		Region   string `json:"region"`
		Services map[string]struct {
			Public bool `json:"public"`
		} `json:"services"`
	}
	read("spec", &spec, true)
	t.Region = spec.Region
	var groups map[string]string
	read("target_group_arns", &groups, false)
	read("alarm_names", &t.Alarms, false)

	for name, family := range families {
		s := ServiceTarget{Service: name, Family: family, Container: name, Public: spec.Services[name].Public}
		if arn := groups[name]; arn != "" {
			s.TargetGroupARNs = []string{arn}
		}
		t.Services[name] = s
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("target %s from stack outputs: %w", env, err)
	}
	return t, nil
}

// ParseOutputs reads a stack's outputs from what `terraform output -json`
// prints (each output an object with its "value", "type" and "sensitive")
// or from a plain object of output values, and returns the values for
// TargetFromOutputs. Sensitive outputs are left out.
func ParseOutputs(data []byte) (map[string]json.RawMessage, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("stack outputs: %w", err)
	}
	if doc == nil {
		return nil, errors.New("stack outputs: not a JSON object")
	}
	out := make(map[string]json.RawMessage, len(doc))
	wrapped := len(doc) > 0
	for _, raw := range doc {
		var meta struct {
			Value json.RawMessage `json:"value"`
			Type  json.RawMessage `json:"type"`
		}
		if json.Unmarshal(raw, &meta) != nil || meta.Value == nil || meta.Type == nil {
			wrapped = false
			break
		}
	}
	for name, raw := range doc {
		if !wrapped {
			out[name] = raw
			continue
		}
		var meta struct {
			Value     json.RawMessage `json:"value"`
			Sensitive bool            `json:"sensitive"`
		}
		_ = json.Unmarshal(raw, &meta) // checked above
		if !meta.Sensitive {
			out[name] = meta.Value
		}
	}
	return out, nil
}
