"""Run moto in-process for gitops' local AWS emulator.

Started by the Go package bot/localaws (which embeds this file). It binds moto
to 127.0.0.1 on a free port, prints one JSON line {"endpoint": ..., "port": ...}
on stdout once the server accepts connections, and runs until its stdin closes
(so it never outlives the Go process that started it) or it gets SIGTERM/SIGINT.

Patches below close gaps in moto 5.2.1 that the terraform stack hits; each
names the gap. They patch backend classes, so they survive /moto-api/reset.
"""

import json
import os
import signal
import sys
import threading

# Must be set before moto is imported: IAM then knows the AWS managed policies
# (the stack attaches AmazonECSTaskExecutionRolePolicy).
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from moto.applicationautoscaling.responses import (  # noqa: E402
    ApplicationAutoScalingResponse,
)
from moto.core.utils import camelcase_to_underscores  # noqa: E402
from moto.ec2.models.security_groups import SecurityGroupRule  # noqa: E402
from moto.ecs.responses import EC2ContainerServiceResponse  # noqa: E402
from moto.elasticache.models import ElastiCacheBackend  # noqa: E402
from moto.moto_server.threaded_moto_server import ThreadedMotoServer  # noqa: E402
from moto.rds.models import DBParameterGroup  # noqa: E402


def patch_elasticache_member_clusters():
    """Gap: CreateReplicationGroup creates no member cache clusters.

    moto lists <id>-001.. as MemberClusters but DescribeCacheClusters does not
    know them, so the AWS provider fails reading the group. CacheCluster also
    has no encryption-at-rest flag, so the provider reads
    at_rest_encryption_enabled=false from the member and plans a replacement on
    every plan. Create the members with the group's settings and flags.
    """
    original_create = ElastiCacheBackend.create_replication_group
    original_delete = ElastiCacheBackend.delete_replication_group

    def create_replication_group(self, *args, **kwargs):
        # Second gap: with cluster mode disabled moto ignores NumCacheClusters
        # and sizes the group from ReplicasPerNodeGroup (default 0), so
        # cache.nodes > 1 would get a single member and re-plan forever.
        nodes = kwargs.get("num_cache_clusters") or 1
        if (
            kwargs.get("cluster_mode") in (None, "disabled")
            and not kwargs.get("num_node_groups")
            and not kwargs.get("replicas_per_node_group")
            and nodes > 1
        ):
            kwargs["replicas_per_node_group"] = nodes - 1
        group = original_create(self, *args, **kwargs)
        at_rest = bool(kwargs.get("at_rest_encryption_enabled"))
        transit = bool(kwargs.get("transit_encryption_enabled"))
        for cluster_id in group.member_clusters:
            if cluster_id in self.cache_clusters:
                continue
            cluster = self.create_cache_cluster(
                cache_cluster_id=cluster_id,
                replication_group_id=group.replication_group_id,
                az_mode=None,
                preferred_availability_zone=None,
                num_cache_nodes=1,
                cache_node_type=group.cache_node_type,
                engine=group.engine,
                engine_version=kwargs.get("engine_version"),
                cache_parameter_group_name=kwargs.get("cache_parameter_group_name"),
                cache_subnet_group_name=kwargs.get("cache_subnet_group_name"),
                transit_encryption_enabled=transit,
                network_type=kwargs.get("network_type"),
                ip_discovery=kwargs.get("ip_discovery"),
                snapshot_name=None,
                preferred_maintenance_window=kwargs.get("preferred_maintenance_window"),
                port=group.port,
                notification_topic_arn=kwargs.get("notification_topic_arn"),
                auto_minor_version_upgrade=kwargs.get("auto_minor_version_upgrade"),
                snapshot_retention_limit=kwargs.get("snapshot_retention_limit"),
                snapshot_window=kwargs.get("snapshot_window"),
                auth_token=kwargs.get("auth_token"),
                outpost_mode=None,
                preferred_outpost_arn=None,
                preferred_availability_zones=None,
                cache_security_group_names=kwargs.get("cache_security_group_names"),
                security_group_ids=kwargs.get("security_group_ids"),
                tags=None,
                snapshot_arns=None,
                preferred_outpost_arns=None,
                log_delivery_configurations=[],
                cache_node_ids_to_remove=[],
                cache_node_ids_to_reboot=[],
            )
            cluster.at_rest_encryption_enabled = at_rest
            cluster.transit_encryption_enabled = transit
            # CacheCluster keeps security_group_ids but DescribeCacheClusters
            # serialises SecurityGroups, which the provider reads for the group.
            cluster.security_groups = [
                {"SecurityGroupId": sg, "Status": "active"}
                for sg in kwargs.get("security_group_ids") or []
            ]
        group.at_rest_encryption_enabled = at_rest
        group.transit_encryption_enabled = transit
        return group

    def delete_replication_group(self, *args, **kwargs):
        group = original_delete(self, *args, **kwargs)
        for cluster_id in group.member_clusters:
            self.cache_clusters.pop(cluster_id, None)
        return group

    ElastiCacheBackend.create_replication_group = create_replication_group
    ElastiCacheBackend.delete_replication_group = delete_replication_group


# CreateService request fields moto's ECS backend drops (it only keeps a fixed
# set of arguments), but DescribeServices must return.
ECS_SERVICE_EXTRA_FIELDS = (
    "capacityProviderStrategy",
    "healthCheckGracePeriodSeconds",
    "deploymentConfiguration",
    "availabilityZoneRebalancing",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "placementConstraints",
    "placementStrategy",
)


def patch_ecs_create_service():
    """Gap: CreateService ignores capacityProviderStrategy, deploymentConfiguration
    (circuit breaker), healthCheckGracePeriodSeconds and more, and forces
    launchType=EC2. The provider then sees a service without its capacity
    provider strategy and plans a replacement on every plan. Keep the fields
    as given (UpdateService already stores any field it receives) and leave
    launchType empty when a capacity provider strategy decides it, as AWS does.
    """
    original = EC2ContainerServiceResponse.create_service

    def create_service(self):
        result = original(self)
        service = self.ecs_backend._get_service(
            self._get_param("cluster", "default"), self._get_param("serviceName")
        )
        for field in ECS_SERVICE_EXTRA_FIELDS:
            value = self._get_param(field)
            if value is not None:
                setattr(service, camelcase_to_underscores(field), value)
        if self._get_param("capacityProviderStrategy") and not self._get_param("launchType"):
            service.launch_type = None
            for deployment in service.deployments:
                deployment["launchType"] = None
                deployment["platformFamily"] = "FARGATE"
                deployment["capacityProviderStrategy"] = service.capacity_provider_strategy
        return result

    EC2ContainerServiceResponse.create_service = create_service


def patch_ec2_rule_description():
    """Gap: a security group rule that references another group keeps its
    description in the group pair, but SecurityGroupRule.description reads only
    the CIDR range, so DescribeSecurityGroupRules returns no description and the
    provider plans an update of aws_vpc_security_group_*_rule forever."""

    def description(self):
        return (
            self.ip_range.get("Description")
            or self.source_group.get("Description")
        )

    SecurityGroupRule.description = property(description)


def patch_appautoscaling_tags():
    """Gap: Application Auto Scaling has no TagResource, UntagResource or
    ListTagsForResource and drops RegisterScalableTarget's Tags; the provider
    lists tags after creating aws_appautoscaling_target and fails on the 500.
    Keep tags per ARN on the region's backend (so /moto-api/reset clears them).
    """

    def tags_of(response, arn):
        store = response.applicationautoscaling_backend.__dict__.setdefault(
            "gitops_tags", {}
        )
        return store.setdefault(arn, {})

    original_register = ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target(self):
        body = original_register(self)
        tags = self._get_param("Tags") or {}
        if tags:
            tags_of(self, json.loads(body)["ScalableTargetARN"]).update(tags)
        return body

    def tag_resource(self):
        tags_of(self, self._get_param("ResourceARN")).update(self._get_param("Tags") or {})
        return json.dumps({})

    def untag_resource(self):
        tags = tags_of(self, self._get_param("ResourceARN"))
        for key in self._get_param("TagKeys") or []:
            tags.pop(key, None)
        return json.dumps({})

    def list_tags_for_resource(self):
        return json.dumps({"Tags": dict(tags_of(self, self._get_param("ResourceARN")))})

    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target
    ApplicationAutoScalingResponse.tag_resource = tag_resource
    ApplicationAutoScalingResponse.untag_resource = untag_resource
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource


def patch_rds_parameter_source():
    """Gap: ModifyDBParameterGroup stores the parameters as sent, without the
    Source that AWS sets to "user" for a modified parameter. The provider keeps
    only parameters with a Source when it reads aws_db_parameter_group, so it
    sees none and plans to set them again on every plan."""
    original = DBParameterGroup.update_parameters

    def update_parameters(self, new_parameters):
        new_parameters = list(new_parameters)
        original(self, new_parameters)
        for parameter in new_parameters:
            self.parameters[parameter["ParameterName"]]["Source"] = "user"

    DBParameterGroup.update_parameters = update_parameters


def main():
    patch_elasticache_member_clusters()
    patch_ecs_create_service()
    patch_ec2_rule_description()
    patch_appautoscaling_tags()
    patch_rds_parameter_source()

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()

    stop = threading.Event()

    def watch_stdin():
        # EOF means the parent is gone or wants us gone.
        while sys.stdin.buffer.read(4096):
            pass
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    print(json.dumps({"endpoint": f"http://{host}:{port}", "port": port}), flush=True)
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
