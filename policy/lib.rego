# Helpers shared by the rules: resource changes of the plan, their
# configuration, and where an attribute's value comes from.
#
# Values of resources that do not exist yet are unknown in a plan (an SG id,
# a subnet id), so "which security group does this rule point at" is answered
# twice: from known ids (resources already applied) and from the expression
# references of the plan's configuration, followed through module variables
# and outputs to the resource that produces the value.
package gitops.lib

# changes: address -> resource change, for managed resources that exist after
# the apply (created, updated, replaced or unchanged). A forgotten resource
# (a removed block with destroy = false) stays in AWS but leaves terraform's
# management; its after is null.
changes[rc.address] := rc if {
	some rc in input.plan.resource_changes
	rc.mode == "managed"
	rc.change.actions != ["delete"]
	rc.change.actions != ["forget"]
}

# by_type groups the changes by resource type once per evaluation; of_type is
# called by most rules.
by_type := {t: [rc | some rc in changes; rc.type == t] | some t in {rc.type | some rc in changes}}

# of_type returns the changes of one resource type.
of_type(t) := object.get(by_type, t, [])

after(rc) := object.get(rc.change, "after", {})

# base strips instance keys: module.ecs_service["api"].aws_ecs_service.this[0]
# becomes module.ecs_service.aws_ecs_service.this, the name the configuration uses.
base(addr) := regex.replace(addr, `\[[^\]]*\]`, "")

module_prefix(rc) := concat("", [base(rc.module_address), "."]) if rc.module_address
module_prefix(rc) := "" if not rc.module_address

# id_to_base maps ids already known to the base address of their resource,
# for the types whose ids other resources point at. Ids are unique only within
# a type: in an applied stack an ECR repository and its lifecycle policy both
# have the repository name as id, and the DB and cache subnet groups, the
# replication group and the cluster's capacity providers all have the
# environment's name, so mapping every type would conflict.
referenced_types := {"aws_security_group", "aws_default_security_group", "aws_subnet"}

id_to_base[id] := base(rc.address) if {
	some rc in input.plan.resource_changes
	rc.type in referenced_types
	some state in [rc.change.before, rc.change.after]
	id := state.id
	is_string(id)
}

# config_modules: module prefix ("" for the root, "module.x." for a child) ->
# module configuration; two levels of nesting, which is what the stack uses.
config_modules[""] := input.plan.configuration.root_module

config_modules[p] := call.module if {
	some name, call in input.plan.configuration.root_module.module_calls
	p := sprintf("module.%s.", [name])
}

config_modules[p] := inner.module if {
	some outer_name, outer in input.plan.configuration.root_module.module_calls
	some inner_name, inner in outer.module.module_calls
	p := sprintf("module.%s.module.%s.", [outer_name, inner_name])
}

# configs: "<module prefix><type>.<name>" -> configuration of the resource block.
configs := {concat("", [p, c.address]): c |
	some p, m in config_modules
	some c in m.resources
	c.mode == "managed"
}

resource_config(rc) := configs[concat("", [module_prefix(rc), rc.type, ".", rc.name])]

not_resource_roots := {"var", "module", "local", "data", "each", "count", "path", "self", "terraform"}

# qualify turns a reference seen in module p into a graph node. The reference
# is split once (it is called for every reference of the configuration).
qualify(p, ref) := node(p, split(ref, "."))

node(p, parts) := sprintf("%svar.%s", [p, parts[1]]) if {
	parts[0] == "var"
} else := sprintf("%smodule.%s.output.%s", [p, base(parts[1]), parts[2]]) if {
	parts[0] == "module"
	count(parts) >= 3
} else := sprintf("%s%s.%s", [p, parts[0], base(parts[1])]) if {
	count(parts) >= 2
	not parts[0] in not_resource_roots
}

# edges of the reference graph: a module input points at what the caller
# passes in; a module output points at what it is computed from.
edges contains [from, to] if {
	some p, m in config_modules
	some call_name, call in m.module_calls
	some var_name, expr in call.expressions
	some ref in expr.references
	from := sprintf("%smodule.%s.var.%s", [p, call_name, var_name])
	to := qualify(p, ref)
}

edges contains [from, to] if {
	some p, m in config_modules
	p != ""
	some out_name, out in m.outputs
	some ref in out.expression.references
	from := sprintf("%soutput.%s", [p, out_name])
	to := qualify(p, ref)
}

# ref_graph is built in one pass over the edges (grouping the edges per node
# in a comprehension scanned every edge for every node: 2/3 of the evaluation
# time on a real plan). Every target also points at itself so that it is a
# key: graph.reachable only reports nodes that are keys of the graph.
ref_graph[from] contains to if some [from, to] in edges

ref_graph[to] contains to if some [_, to] in edges

is_resource_node(n) if regex.match(`(^|\.)aws_[a-z0-9_]+\.[A-Za-z0-9_-]+$`, n)

# resolve returns the base addresses of the resources that references (seen in
# module p) finally come from.
resolve(p, refs) := {n |
	some ref in refs
	start := qualify(p, ref)
	some n in (graph.reachable(ref_graph, {start}) | {start})
	is_resource_node(n)
}

# refs_of returns the references of expression path (an array of keys and
# block indexes) in the configuration of rc; empty when there is none.
refs_of(rc, path) := object.get(resource_config(rc).expressions, array.concat(path, ["references"]), [])

refs_of(rc, _) := [] if not resource_config(rc)

# points_to: base addresses (or raw ids when not managed here) of what the
# single-valued attribute attr of rc refers to.
points_to(rc, attr) := {object.get(id_to_base, v, v)} if {
	v := after(rc)[attr]
	is_string(v)
} else := resolve(module_prefix(rc), refs_of(rc, [attr]))

# list_points_to: the same for a list attribute at path (keys and block
# indexes), e.g. ["network_configuration", 0, "security_groups"].
list_points_to(rc, path) := {a |
	some v in object.get(after(rc), path, [])
	is_string(v)
	a := object.get(id_to_base, v, v)
} | resolve(module_prefix(rc), refs_of(rc, path))

verdict(rule, address, msg) := {"rule": rule, "address": address, "msg": msg}
