package command

import "strings"

// The grammar of each command, as shown in help and in errors.
const (
	usagePlan          = "/plan [env…]"
	usageApply         = "/apply [env…]"
	usageUnlock        = "/unlock [env…]"
	usageApprovePolicy = "/approve-policy <rule> [env]"
	usageSeed          = "/seed [env] [step…]"
	usageDeploy        = "/deploy --now"
	usageHelp          = "/help"
)

// commands is the grammar: every command, in the order help lists them.
var commands = []struct {
	name, usage, about string
	parse              func(*parser, []word) (Command, error)
}{
	{"plan", usagePlan, "re-plan the named environments; none: every environment the pull request changes", parsePlan},
	{"apply", usageApply, "apply the reviewed plans of the named environments; none: every planned one", parseApply},
	{"unlock", usageUnlock, "release the pull request's locks on the named environments; none: every lock it holds", parseUnlock},
	{"approve-policy", usageApprovePolicy, "override a denied policy rule such as `protected_destroy`, in one environment or in all", parseApprovePolicy},
	{"seed", usageSeed, "run demo-data seed steps such as `roles inventory movements`, in that order", parseSeed},
	{"deploy", usageDeploy, "deploy now, overriding a freeze window (maintainers)", parseDeploy},
	{"help", usageHelp, "show this help", parseHelp},
}

func commandNames() []string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return names
}

// commandList renders "/plan, /apply, …" for errors.
func commandList() string {
	return "/" + strings.Join(commandNames(), ", /")
}

// HelpText returns the help text: every command with its grammar and what it
// does, as markdown that also reads as plain text. The App answers /help
// with it and appends it to its replies to commands that do not parse (see
// Error.Help). It is not named Help because the command type is.
func HelpText() string {
	var b strings.Builder
	b.WriteString("Write one command on the first line of a comment; the rest of the comment is free text.\n\n")
	for _, c := range commands {
		b.WriteString("- `" + c.usage + "` — " + c.about + "\n")
	}
	b.WriteString("\n`env` is an environment, named like its file: `dev` for `environments/dev.yaml`.\n")
	return b.String()
}
