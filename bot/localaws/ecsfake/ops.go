package ecsfake

// operations is the table of every operation the fake serves, keyed
// "<service>:<operation>". Anything else is answered like an unknown
// operation on AWS (UnknownOperationException, or InvalidAction for
// awsQuery), so the SDK returns an API error with that code.
func operations() map[string]handler {
	return map[string]handler{
		// ECS
		svcECS + ":CreateCluster":              opCreateCluster,
		svcECS + ":CreateService":              opCreateService,
		svcECS + ":DescribeServices":           opDescribeServices,
		svcECS + ":UpdateService":              opUpdateService,
		svcECS + ":RegisterTaskDefinition":     opRegisterTaskDefinition,
		svcECS + ":DescribeTaskDefinition":     opDescribeTaskDefinition,
		svcECS + ":ListTaskDefinitions":        opListTaskDefinitions,
		svcECS + ":DeregisterTaskDefinition":   opDeregisterTaskDefinition,
		svcECS + ":RunTask":                    opRunTask,
		svcECS + ":DescribeTasks":              opDescribeTasks,
		svcECS + ":ListTasks":                  opListTasks,
		svcECS + ":StopTask":                   opStopTask,
		svcECS + ":ListServiceDeployments":     opListServiceDeployments,
		svcECS + ":DescribeServiceDeployments": opDescribeServiceDeployments,
		svcECS + ":DescribeServiceRevisions":   opDescribeServiceRevisions,
		// ECR
		svcECR + ":DescribeImages":   opDescribeImages,
		svcECR + ":CreateRepository": opCreateRepository,
		svcECR + ":PutImage":         opPutImage,
		// ELBv2
		svcELB + ":DescribeTargetHealth": opDescribeTargetHealth,
		// CloudWatch Logs
		svcLogs + ":GetLogEvents":       opGetLogEvents,
		svcLogs + ":FilterLogEvents":    opFilterLogEvents,
		svcLogs + ":DescribeLogStreams": opDescribeLogStreams,
		// CloudWatch
		svcCloudWatch + ":DescribeAlarms": opDescribeAlarms,
	}
}
