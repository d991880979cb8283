package main

import (
	"bytes"
	"fmt"
	"io"
)

// applyProgress turns terraform apply's output into a short progress line
// every tenth of the planned resources, so a long apply is never silent.
type applyProgress struct {
	env   string
	total int
	w     io.Writer
	done  int
	shown int
	buf   []byte
}

var completeMarks = [][]byte{[]byte(": Creation complete after"), []byte(": Modifications complete after"), []byte(": Destruction complete after")}

func (p *applyProgress) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := p.buf[:i]
		p.buf = p.buf[i+1:]
		for _, m := range completeMarks {
			if bytes.Contains(line, m) {
				p.done++
				break
			}
		}
		if p.total > 0 && (p.done == p.total || p.done*10/p.total > p.shown*10/p.total) && p.done > p.shown {
			p.shown = p.done
			fmt.Fprintf(p.w, "%s: %d/%d resources applied\n", p.env, p.done, p.total)
		}
	}
}
