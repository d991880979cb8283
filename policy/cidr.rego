# VPCs of different environments must not overlap, so that they can be
# peered or routed to later without renumbering.
package gitops.rules.cidr

import data.gitops.lib

deny contains lib.verdict("vpc_cidr_overlap", "network.vpc_cidr", msg) if {
	some mine in input.environments
	mine.name == input.environment
	some other in input.environments
	other.name != mine.name
	net.cidr_intersects(mine.vpc_cidr, other.vpc_cidr)
	msg := sprintf(
		"network.vpc_cidr %s of %s overlaps %s of %s",
		[mine.vpc_cidr, mine.name, other.vpc_cidr, other.name],
	)
}
