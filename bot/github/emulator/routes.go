package emulator

// routes maps each operationId of openapi.yaml to its handler; New refuses
// to start when an operation has none.
func (e *Emulator) routes() map[string]handlerFunc {
	return map[string]handlerFunc{
		// auth.go
		"apps/get-authenticated":                e.getApp,
		"apps/create-installation-access-token": e.createInstallationToken,
		"apps/get-repo-installation":            e.getRepoInstallation,
		// ratelimit.go
		"rate-limit/get": e.getRateLimit,
		// repos.go
		"repos/get": e.getRepo,
		"repos/get-collaborator-permission-level": e.getCollaboratorPermission,
		// pulls.go
		"pulls/get":          e.getPull,
		"pulls/list":         e.listPulls,
		"pulls/list-files":   e.listPullFiles,
		"pulls/create":       e.createPull,
		"pulls/update":       e.updatePull,
		"pulls/merge":        e.mergePull,
		"pulls/list-reviews": e.listReviews,
		// issues.go
		"issues/get":                         e.getIssue,
		"issues/list-comments":               e.listComments,
		"issues/create-comment":              e.createComment,
		"issues/get-comment":                 e.getComment,
		"issues/update-comment":              e.updateComment,
		"issues/add-labels":                  e.addLabelsREST,
		"reactions/create-for-issue-comment": e.createReaction,
		// checks.go
		"checks/create":       e.createCheckRun,
		"checks/update":       e.updateCheckRun,
		"checks/get":          e.getCheckRun,
		"checks/list-for-ref": e.listCheckRunsForRef,
		// commits.go
		"repos/get-combined-status-for-ref":   e.getCombinedStatus,
		"repos/create-commit-status":          e.createStatus,
		"repos/compare-commits-with-basehead": e.compare,
		// contents.go
		"repos/get-content":                    e.getContent,
		"repos/create-or-update-file-contents": e.putContent,
		"git/get-ref":                          e.getRef,
		"git/create-ref":                       e.createRef,
		"git/update-ref":                       e.updateRef,
		// deployments.go
		"repos/create-deployment":        e.createDeployment,
		"repos/list-deployments":         e.listDeployments,
		"repos/create-deployment-status": e.createDeploymentStatus,
		"repos/list-deployment-statuses": e.listDeploymentStatuses,
	}
}
