package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/gitops-bot/gitops/bot/tf"
)

var actionSymbol = map[tf.Action]string{
	tf.ActionCreate:  "+",
	tf.ActionUpdate:  "~",
	tf.ActionDelete:  "-",
	tf.ActionReplace: "-/+",
}

// PlanHeadline is the one-line summary of a plan, e.g. "dev: 0 to add, 3 to change, 0 to destroy".
func PlanHeadline(env string, s tf.Summary) string {
	if s.NoChanges() {
		return fmt.Sprintf("%s: no changes", env)
	}
	h := fmt.Sprintf("%s: %d to add, %d to change, %d to destroy", env, s.Add, s.Change, s.Destroy)
	if s.Replace > 0 {
		h += fmt.Sprintf(" (%d replaced)", s.Replace)
	}
	return h
}

// WritePlanText writes a plan summary for the terminal: the headline, then
// every resource with its action, changed attributes and the spec changes
// behind it.
func WritePlanText(w io.Writer, p *tf.Plan) error {
	var b strings.Builder
	s := p.Summary
	fmt.Fprintln(&b, PlanHeadline(p.Env, s))
	if len(s.SpecChanges) > 0 && len(s.SpecChanges) <= 20 {
		fmt.Fprintln(&b, "  spec changes:")
		for _, c := range s.SpecChanges {
			fmt.Fprintf(&b, "    %s\n", c)
		}
	}
	for _, r := range s.Resources {
		fmt.Fprintf(&b, "  %-3s %s\n", actionSymbol[r.Action], r.Address)
		for _, a := range r.Attributes {
			fmt.Fprintf(&b, "        %s\n", a)
		}
		if len(r.ReplaceReasons) > 0 {
			fmt.Fprintf(&b, "        replaced because %s changed\n", strings.Join(r.ReplaceReasons, ", "))
		}
		if r.Action != tf.ActionCreate {
			for _, c := range r.CausedBy {
				fmt.Fprintf(&b, "        caused by %s\n", c)
			}
		}
	}
	fmt.Fprintf(&b, "  plan file: %s\n", p.File)
	_, err := io.WriteString(w, b.String())
	return err
}
