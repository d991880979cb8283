// Package envspec is the single place where environments/<env>.yaml is read:
// strict decoding with line:col errors, validation (also across environments),
// the published JSON Schema, and rendering of terraform variables.
//
// It is not for planning or pricing: callers receive a typed Spec and never
// re-read the YAML.
package envspec

// Spec is one environment, as written in environments/<env>.yaml, with defaults
// filled in after Decode. Field names and YAML/JSON keys are the contract shared
// with the terraform stack (see Render), the cost engine and the policy input.
type Spec struct {
	Name        string              `yaml:"name" json:"name"`
	Region      string              `yaml:"region" json:"region"`
	Network     Network             `yaml:"network" json:"network"`
	Database    Database            `yaml:"database" json:"database"`
	Cache       Cache               `yaml:"cache" json:"cache"`
	Autoscaling Autoscaling         `yaml:"autoscaling" json:"autoscaling"`
	Logs        Logs                `yaml:"logs" json:"logs"`
	Budget      Budget              `yaml:"budget" json:"budget"`
	Services    map[string]*Service `yaml:"services" json:"services"`
}

// Network describes the VPC. NAT is "per_az" (one NAT gateway per AZ) or "single".
type Network struct {
	VPCCIDR string `yaml:"vpc_cidr" json:"vpc_cidr"`
	AZs     int    `yaml:"azs" json:"azs"`
	NAT     string `yaml:"nat" json:"nat"`
}

// Database is the RDS PostgreSQL instance (gp3 storage).
type Database struct {
	EngineVersion       string `yaml:"engine_version" json:"engine_version"`
	InstanceClass       string `yaml:"instance_class" json:"instance_class"`
	StorageGB           int    `yaml:"storage_gb" json:"storage_gb"`
	BackupRetentionDays int    `yaml:"backup_retention_days" json:"backup_retention_days"`
	MultiAZ             bool   `yaml:"multi_az" json:"multi_az"`
}

// Cache is the ElastiCache Redis replication group (encrypted at rest and in transit).
type Cache struct {
	EngineVersion string `yaml:"engine_version" json:"engine_version"`
	NodeType      string `yaml:"node_type" json:"node_type"`
	Nodes         int    `yaml:"nodes" json:"nodes"`
}

// Autoscaling applies target tracking on CPU to every service when Enabled.
type Autoscaling struct {
	Enabled          bool `yaml:"enabled" json:"enabled"`
	MinTasks         int  `yaml:"min_tasks" json:"min_tasks"`
	MaxTasks         int  `yaml:"max_tasks" json:"max_tasks"`
	CPUTargetPercent int  `yaml:"cpu_target_percent" json:"cpu_target_percent"`
}

// Logs configures the CloudWatch log groups /ecs/<env>-inventory-<service>.
type Logs struct {
	RetentionDays int `yaml:"retention_days" json:"retention_days"`
}

// Budget is the monthly cost ceiling of this environment; Enforce turns a
// breach from a warning into a failing verdict.
type Budget struct {
	MonthlyUSD float64 `yaml:"monthly_usd" json:"monthly_usd"`
	Enforce    bool    `yaml:"enforce" json:"enforce"`
}

// Service is one ECS Fargate service. Port, HealthCheckPath, Architecture
// ("x86_64" or "arm64") and Spot have defaults. PathPattern is the ALB path
// rule of a public service; the one public service without it is the
// listener's default route.
type Service struct {
	CPU             int    `yaml:"cpu" json:"cpu"`
	Memory          int    `yaml:"memory" json:"memory"`
	DesiredCount    int    `yaml:"desired_count" json:"desired_count"`
	Port            int    `yaml:"port" json:"port"`
	Public          bool   `yaml:"public" json:"public"`
	PathPattern     string `yaml:"path_pattern" json:"path_pattern"`
	HealthCheckPath string `yaml:"health_check_path" json:"health_check_path"`
	Architecture    string `yaml:"architecture" json:"architecture"`
	Spot            bool   `yaml:"spot" json:"spot"`
}
