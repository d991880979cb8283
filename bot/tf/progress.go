package tf

import (
	"bytes"
	"io"
)

// ApplyProgress follows terraform apply's output as it is written: each
// whole line is passed to OnLine with how many resources are complete so far
// ("Creation/Modifications/Destruction complete after"). Output may arrive
// in any chunks. Out of a plan's Add + Change + Destroy: a replacement
// completes twice (destroyed, then created), as it counts in both.
type ApplyProgress struct {
	OnLine func(done int, line string)
	done   int
	buf    []byte
}

var _ io.Writer = (*ApplyProgress)(nil)

var completeMarks = [][]byte{[]byte(": Creation complete after"), []byte(": Modifications complete after"), []byte(": Destruction complete after")}

func (p *ApplyProgress) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := string(p.buf[:i])
		p.buf = p.buf[i+1:]
		for _, m := range completeMarks {
			if bytes.Contains([]byte(line), m) {
				p.done++
				break
			}
		}
		if p.OnLine != nil {
			p.OnLine(p.done, line)
		}
	}
}

// Done is how many resources are complete so far.
func (p *ApplyProgress) Done() int { return p.done }
