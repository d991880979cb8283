# Every taggable resource carries Environment=<env> (the provider's
# default_tags, seen as tags_all in plans). A resource type is taggable when
# the provider gives it tags_all, so the list of types never goes stale.
package gitops.rules.tags

import data.gitops.lib

deny contains lib.verdict("environment_tag", rc.address, msg) if {
	some rc in lib.changes
	after := lib.after(rc)
	"tags_all" in object.keys(after)
	not object.get(rc.change, ["after_unknown", "tags_all"], false) == true
	got := object.get(after, ["tags_all", "Environment"], null)
	got != input.environment
	msg := sprintf("%s: tags_all must have Environment=%s (has %v)", [rc.address, input.environment, got])
}
