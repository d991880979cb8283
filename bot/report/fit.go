package report

import (
	"cmp"
	"slices"
	"strings"
)

// GitHub's limits on what the App posts. GitHub counts characters; the
// renderers count bytes, which are never fewer than characters (runes) nor
// than UTF-16 code units, so whichever GitHub means, the limit holds.
const (
	// MaxCommentLength bounds an issue or pull request comment body
	// (GitHub: "Body is too long (maximum is 65536 characters)").
	MaxCommentLength = 65536
	// MaxCheckRunTitle, MaxCheckRunSummary and MaxCheckRunText bound a check
	// run's output fields.
	MaxCheckRunTitle   = 255
	MaxCheckRunSummary = 65535
	MaxCheckRunText    = 65535
)

// fitComment puts the comment together within MaxCommentLength. It takes
// away, one step at a time and largest first, what the check runs also show:
//
//  1. the full plan texts, each replaced by a pointer to its check run;
//  2. the cost breakdowns by resource;
//  3. the policy findings;
//  4. rows of the spec-change and resource tables, as many from every
//     section (a binary search for the most that fit), with "… and N more";
//  5. whole sections, down to their status and a pointer;
//  6. the last sections altogether ("… and N more environments").
//
// Every step swaps whole pieces that are markdown on their own (a table, a
// <details> block, a code fence), so the result is never cut inside one.
// The last step ends at the head and the tail alone, whose parts are all
// capped, so the loop always ends within the limit.
func fitComment(c PRComment, parts []*sectionParts) string {
	f := newFitter(parts, MaxCommentLength, "---\n\n", commentTail(c))
	f.head = func(shown int) string { return commentHead(c, parts, shown) }
	if f.fit() {
		return f.String()
	}
	// Unreachable while the head's and the tail's parts are capped; a
	// comment that says so is better than one GitHub rejects.
	return StickyMarker + "\n" + headSHAPrefix + safeSHA(c.HeadSHA) + " -->\n" +
		"**gitops** · the plans of this pull request are too large to show here: see the check runs " + code(CheckRunName("<env>")) + ".\n"
}

// fitter tries smaller renderings of sections until they fit in limit.
type fitter struct {
	parts  []*sectionParts
	views  []sectionView
	blocks []string
	sep    string // before each section
	tail   string
	head   func(shown int) string
	limit  int

	shown int    // sections shown; the rest are left out
	top   string // head(shown)
	total int
}

func newFitter(parts []*sectionParts, limit int, sep, tail string) *fitter {
	f := &fitter{parts: parts, views: make([]sectionView, len(parts)), blocks: make([]string, len(parts)),
		sep: sep, tail: tail, limit: limit, shown: len(parts), head: func(int) string { return "" }}
	for i, p := range parts {
		f.views[i] = fullView
		f.blocks[i] = sep + p.render(fullView)
	}
	return f
}

func (f *fitter) fits() bool { return f.total <= f.limit }

func (f *fitter) measure() {
	f.top = f.head(f.shown)
	f.total = len(f.top) + len(f.tail)
	for _, b := range f.blocks[:f.shown] {
		f.total += len(b)
	}
}

func (f *fitter) set(i int, v sectionView) {
	f.total -= len(f.blocks[i])
	f.views[i] = v
	f.blocks[i] = f.sep + f.parts[i].render(v)
	f.total += len(f.blocks[i])
}

func (f *fitter) String() string {
	var b strings.Builder
	b.Grow(f.total)
	b.WriteString(f.top)
	for _, s := range f.blocks[:f.shown] {
		b.WriteString(s)
	}
	b.WriteString(f.tail)
	return b.String()
}

// largestFirst returns the indexes of the shown sections by size, largest
// first, leaving out those of size 0.
func (f *fitter) largestFirst(size func(i int) int) []int {
	var idx []int
	sizes := make([]int, len(f.parts))
	for i := range f.parts[:f.shown] {
		if sizes[i] = size(i); sizes[i] > 0 {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(sizes[b], sizes[a]) })
	return idx
}

// shrink applies change to the view of one section after another, largest
// first by size, until the whole fits; it reports whether it does.
func (f *fitter) shrink(size func(i int) int, change func(*sectionView)) bool {
	for _, i := range f.largestFirst(size) {
		v := f.views[i]
		change(&v)
		f.set(i, v)
		if f.fits() {
			return true
		}
	}
	return false
}

// fit reports whether the sections fit, after taking away what it must.
func (f *fitter) fit() bool {
	f.measure()
	return f.fits() ||
		f.shrink(func(i int) int { return len(f.parts[i].planFull) }, func(v *sectionView) { v.planText = false }) ||
		f.shrink(func(i int) int { return len(f.parts[i].costFull) - len(f.parts[i].costShort) }, func(v *sectionView) { v.costDetail = false }) ||
		f.shrink(func(i int) int { return len(f.parts[i].policyFull) - len(f.parts[i].policyShort) }, func(v *sectionView) { v.policyDetail = false }) ||
		f.fitRows() ||
		f.shrink(func(i int) int { return len(f.blocks[i]) }, func(v *sectionView) { v.brief = true }) ||
		f.fitShown()
}

// fitRows finds the most table rows per section that fit.
func (f *fitter) fitRows() bool {
	most := 0
	for _, p := range f.parts {
		most = max(most, len(p.specRows), len(p.resRows))
	}
	setRows := func(k int) {
		for i := range f.parts {
			v := f.views[i]
			v.rows = k
			f.set(i, v)
		}
	}
	setRows(0)
	if !f.fits() {
		return false
	}
	// lo fits; hi (every row) does not.
	lo, hi := 0, most
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		setRows(mid)
		if f.fits() {
			lo = mid
		} else {
			hi = mid
		}
	}
	setRows(lo)
	return true
}

// fitShown finds the most sections that fit, leaving out the last ones.
func (f *fitter) fitShown() bool {
	lo, hi := -1, f.shown // hi (every section) does not fit
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		f.shown = mid
		f.measure()
		if f.fits() {
			lo = mid
		} else {
			hi = mid
		}
	}
	if lo < 0 {
		return false
	}
	f.shown = lo
	f.measure()
	return f.fits()
}
