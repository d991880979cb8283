# releases/<env>.yaml: versions are vMAJOR.MINOR.PATCH, and going back to an
# older version is a deliberate rollback, labelled as such.
package gitops.rules.release

import data.gitops.lib

semver_tag := `^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`

deny contains lib.verdict("release_semver", "version", msg) if {
	is_object(input.release)
	not regex.match(semver_tag, input.release.version)
	msg := sprintf("version %q is not a release tag vMAJOR.MINOR.PATCH", [input.release.version])
}

deny contains lib.verdict("release_semver", "previous", msg) if {
	is_object(input.release)
	prev := object.get(input.release, "previous", "")
	prev != ""
	not regex.match(semver_tag, prev)
	msg := sprintf("previous %q is not a release tag vMAJOR.MINOR.PATCH", [prev])
}

rollback if {
	regex.match(semver_tag, input.release.version)
	regex.match(semver_tag, input.release.previous)
	semver.compare(substring(input.release.version, 1, -1), substring(input.release.previous, 1, -1)) < 0
}

labelled(name) if name in input.pr.labels

deny contains lib.verdict("release_rollback", "version", msg) if {
	rollback
	not labelled("rollback")
	msg := sprintf("version %s is older than %s; add the PR label rollback to roll back", [input.release.version, input.release.previous])
}

warn contains lib.verdict("release_rollback", "version", msg) if {
	rollback
	labelled("rollback")
	msg := sprintf("rolling back from %s to %s", [input.release.previous, input.release.version])
}
