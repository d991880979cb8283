package ecsfake

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Inventory describes the inventory-management application of one
// environment. Seed creates it with the names the terraform stack gives it
// (terraform/stack, terraform/modules/ecs-service, alb, migration-task), so
// that code configured from the stack's outputs finds the same names here:
//
//	cluster           <env>-inventory
//	services          api-gateway, inventory, location, user, reporting, ui
//	task families     <env>-inventory-<service>, container <service>
//	migration family  <env>-inventory-migrate, container "migrate",
//	                  command alembic upgrade head, api-gateway's image
//	log groups        /ecs/<env>-inventory-<service>, stream prefix <service>
//	                  (the migration logs to api-gateway's group, prefix migrate)
//	ECR repositories  inventory-management/<service>, image tagged Version
//	target groups     <env>-api-gateway-8000 (path /api/*), <env>-ui-80 (default route)
type Inventory struct {
	Env          string // default "staging"
	Cluster      string // default "<Env>-inventory"
	Version      string // image tag of every service; default "v1.1.0"
	DesiredCount int32  // per service; default 2
}

// SeededService is one service Seed created.
type SeededService struct {
	Name           string
	Arn            string
	Family         string
	TaskDefinition string // ARN of revision 1
	Container      string
	Repository     string // ECR repository name
	Image          string // as in the task definition: <registry>/<repository>:<version>
	Digest         string
	LogGroup       string
	Port           int32
	TargetGroupArn string // "" for a private service
}

// Seeded is what Seed created.
type Seeded struct {
	Cluster, ClusterArn string
	Version             string
	// Services by name, in the order of ServiceNames.
	Services map[string]SeededService
	// Migration is the migration task definition (family, ARN, container,
	// image and log group; no service, port or target group).
	Migration        SeededService
	MigrationCommand []string
}

// ServiceNames are inventory-management's services, in the order Seed creates them.
func ServiceNames() []string {
	return []string{"api-gateway", "inventory", "location", "user", "reporting", "ui"}
}

type inventoryService struct {
	cpu, memory string
	port        int32
	public      bool
	paths       []string
}

func inventoryServices() map[string]inventoryService {
	return map[string]inventoryService{
		"api-gateway": {cpu: "512", memory: "1024", port: 8000, public: true, paths: []string{"/api/*"}},
		"inventory":   {cpu: "512", memory: "1024", port: 8000},
		"location":    {cpu: "512", memory: "1024", port: 8000},
		"user":        {cpu: "256", memory: "512", port: 8000},
		"reporting":   {cpu: "256", memory: "512", port: 8000},
		"ui":          {cpu: "256", memory: "512", port: 80, public: true},
	}
}

// Seed creates the inventory-management application: ECR images, log
// groups, target groups, task definitions (revision 1, awslogs) and six
// steady services with the circuit breaker and rollback on.
func (f *Fake) Seed(inv Inventory) (*Seeded, error) {
	if inv.Env == "" {
		inv.Env = "staging"
	}
	if inv.Cluster == "" {
		inv.Cluster = inv.Env + "-inventory"
	}
	if inv.Version == "" {
		inv.Version = "v1.1.0"
	}
	if inv.DesiredCount == 0 {
		inv.DesiredCount = 2
	}
	out := &Seeded{
		Cluster:          inv.Cluster,
		ClusterArn:       f.CreateCluster(inv.Cluster),
		Version:          inv.Version,
		Services:         map[string]SeededService{},
		MigrationCommand: []string{"alembic", "upgrade", "head"},
	}
	specs := inventoryServices()
	for _, name := range ServiceNames() {
		spec := specs[name]
		s := SeededService{
			Name:       name,
			Family:     inv.Env + "-inventory-" + name,
			Container:  name,
			Repository: "inventory-management/" + name,
			LogGroup:   "/ecs/" + inv.Env + "-inventory-" + name,
			Port:       spec.port,
		}
		s.Image = f.Registry() + "/" + s.Repository + ":" + inv.Version
		s.Digest = f.AddImage(s.Repository, inv.Version, "")
		f.AddLogGroup(s.LogGroup)
		td, err := f.RegisterTaskDefinition(f.inventoryTaskDefinition(inv.Env, s, spec, name, s.LogGroup, nil))
		if err != nil {
			return nil, fmt.Errorf("seed %s: %w", name, err)
		}
		s.TaskDefinition = aws.ToString(td.TaskDefinitionArn)
		svc := ServiceSpec{
			Cluster:        inv.Cluster,
			Name:           name,
			TaskDefinition: s.TaskDefinition,
			DesiredCount:   inv.DesiredCount,
			CircuitBreaker: CircuitBreaker{Enable: true, Rollback: true},
		}
		if spec.public {
			s.TargetGroupArn = f.AddTargetGroup(TargetGroupSpec{
				Name:         fmt.Sprintf("%s-%s-%d", inv.Env, name, spec.port),
				Port:         spec.port,
				PathPatterns: spec.paths,
			})
			svc.LoadBalancers = []ecstypes.LoadBalancer{{
				TargetGroupArn: aws.String(s.TargetGroupArn),
				ContainerName:  aws.String(name),
				ContainerPort:  aws.Int32(spec.port),
			}}
		}
		if s.Arn, err = f.AddService(svc); err != nil {
			return nil, fmt.Errorf("seed %s: %w", name, err)
		}
		out.Services[name] = s
	}

	api := out.Services["api-gateway"]
	m := SeededService{
		Name:       "migrate",
		Family:     inv.Env + "-inventory-migrate",
		Container:  "migrate",
		Repository: api.Repository,
		Image:      api.Image,
		Digest:     api.Digest,
		LogGroup:   api.LogGroup,
	}
	td, err := f.RegisterTaskDefinition(f.inventoryTaskDefinition(inv.Env, m, specs["api-gateway"], "migrate", api.LogGroup, out.MigrationCommand))
	if err != nil {
		return nil, fmt.Errorf("seed migration task definition: %w", err)
	}
	m.TaskDefinition = aws.ToString(td.TaskDefinitionArn)
	out.Migration = m
	return out, nil
}

func (f *Fake) inventoryTaskDefinition(env string, s SeededService, spec inventoryService, prefix, logGroup string, command []string) *ecs.RegisterTaskDefinitionInput {
	c := ecstypes.ContainerDefinition{
		Name:      aws.String(s.Container),
		Image:     aws.String(s.Image),
		Essential: aws.Bool(true),
		Command:   command,
		Environment: []ecstypes.KeyValuePair{
			{Name: aws.String("ENVIRONMENT"), Value: aws.String(env)},
			{Name: aws.String("SERVICE_NAME"), Value: aws.String(s.Name)},
		},
		LogConfiguration: &ecstypes.LogConfiguration{
			LogDriver: ecstypes.LogDriverAwslogs,
			Options: map[string]string{
				"awslogs-group":         logGroup,
				"awslogs-region":        f.opts.Region,
				"awslogs-stream-prefix": prefix,
			},
		},
	}
	if command == nil {
		c.PortMappings = []ecstypes.PortMapping{{ContainerPort: aws.Int32(spec.port), HostPort: aws.Int32(spec.port), Protocol: ecstypes.TransportProtocolTcp}}
	}
	role := "arn:aws:iam::" + f.opts.AccountID + ":role/" + env + "-inventory-"
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(s.Family),
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		Cpu:                     aws.String(spec.cpu),
		Memory:                  aws.String(spec.memory),
		ExecutionRoleArn:        aws.String(role + "execution"),
		TaskRoleArn:             aws.String(role + "task"),
		RuntimePlatform:         &ecstypes.RuntimePlatform{OperatingSystemFamily: ecstypes.OSFamilyLinux, CpuArchitecture: ecstypes.CPUArchitectureX8664},
		ContainerDefinitions:    []ecstypes.ContainerDefinition{c},
	}
}
