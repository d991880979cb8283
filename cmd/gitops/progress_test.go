package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestApplyProgressReportsEveryTenth(t *testing.T) {
	var out bytes.Buffer
	p := newApplyProgress("dev", 20, &out)
	for i := range 20 {
		fmt.Fprintf(p, "module.x.aws_thing.r[%d]: Creating...\n", i)
		// Output arrives in arbitrary chunks; lines are counted whole.
		line := fmt.Sprintf("module.x.aws_thing.r[%d]: Creation complete after 1s [id=%d]\n", i, i)
		p.Write([]byte(line[:7]))
		p.Write([]byte(line[7:]))
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 10 || lines[0] != "dev: 2/20 resources applied" || lines[9] != "dev: 20/20 resources applied" {
		t.Fatalf("progress:\n%s", out.String())
	}
}
