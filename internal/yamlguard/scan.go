package yamlguard

import (
	"bytes"
	"unicode/utf8"
)

// scanner follows goccy's lexer (scanner/scanner.go of go-yaml v1.19) far
// enough to know which brackets, dashes and keys become tokens, and feeds
// them to nesting. What decides that in goccy is whether a plain scalar is
// being read (its "buffer"), the open flow collections, and the column of the
// last key or dash (lastDelimColumn), which ends plain and block scalars. The
// comments name the goccy function each rule mirrors. Where goccy's columns
// are off by one (a tab at the start of a line, a tag) they are off here too,
// because columns decide where scalars end; CheckTokenDepth covers whatever
// this copy gets wrong.
type scanner struct {
	src       []byte
	i         int
	line, col int // of src[i], counted as goccy counts them
	n         nesting

	seqN, mapN int  // startedFlowSequenceNum, startedFlowMapNum (they can go negative)
	lastDelim  int  // lastDelimColumn
	indentNum  int  // indentNum
	firstChar  bool // isFirstCharAtLine
	up         bool // the indent state is "up": first character of a line, right of lastDelim
	anchor     bool // isAnchor || isAlias
	directive  bool // isDirective

	// the last token emitted
	lastDelimTok bool // it was ':'
	lastQuoted   bool // it was a quoted scalar
	lastKeyish   bool // it can be a key (see isKeyToken)
	lastProp     bool // it was a tag or an anchor
	propName     bool // the next token is an anchor's name
	lastLine     int
	lastCol      int

	// the buffer: a plain scalar being read
	buf                 bool // it holds a character other than blanks
	bufLine, bufCol     int
	lastNonBlankCol     int
	savedLine, savedCol int // savedPos: where a scalar that spans lines starts; 0 when unset

	// a block scalar (| or >), or goccy's "raw folded" plain scalar
	multi      bool
	multiFirst int // firstLineIndentColumn

	// lineAfter's cache
	lineFrom, lineEnd, lineLast int
}

func newScanner(src []byte, limit int) *scanner {
	return &scanner{src: src, line: 1, col: 1, firstChar: true, n: nesting{limit: limit}, lineFrom: -1, lineEnd: -2}
}

func (s *scanner) run() {
	for s.i < len(s.src) && s.n.err == nil {
		c := s.src[s.i]
		switch {
		case c == '\n' || c == '\r':
			s.newline()
		case s.multi:
			s.multiChar(c)
		case s.firstChar && c == ' ':
			// updateIndent, scanWhiteSpace
			s.indentNum++
			s.advance(1)
		case c == '\t':
			s.tab()
		default:
			if s.firstChar {
				s.lineStart()
			} else {
				s.up = false
			}
			s.char(c)
		}
	}
}

// lineStart is updateIndent for the first character of a line other than a
// blank: left of or at lastDelim ("down"), a plain scalar ends.
func (s *scanner) lineStart() {
	s.firstChar = false
	s.up = false
	if s.lastDelim == 0 {
		return
	}
	if s.lastDelim < s.col {
		s.up = true
		return
	}
	s.cut()
}

// char is the switch of scan for one character outside block scalars.
func (s *scanner) char(c byte) {
	switch c {
	case '{', '[':
		// scanFlowMapStart, scanFlowArrayStart
		if !s.buf || s.flowMode() {
			s.cut()
			s.emit(tokIndicator, s.line, s.col)
			if c == '{' {
				s.mapN++
			} else {
				s.seqN++
			}
			s.n.open(c, s.line, s.col)
			s.advance(1)
			return
		}
	case '}':
		// scanFlowMapEnd
		if s.mapN > 0 {
			s.cut()
			s.emit(tokClose, s.line, s.col)
			s.mapN--
			s.n.close('{')
			s.advance(1)
			return
		}
	case ']':
		// scanFlowArrayEnd
		if !s.buf || s.seqN > 0 {
			s.cut()
			s.emit(tokClose, s.line, s.col)
			s.seqN--
			s.n.close('[')
			s.advance(1)
			return
		}
	case ',':
		// scanFlowEntry
		if s.flowMode() {
			s.cut()
			s.emit(tokOther, s.line, s.col)
			s.advance(1)
			return
		}
	case '.':
		// scanDocumentEnd
		if s.indentNum == 0 && s.col == 1 && s.repeat('.') == 3 {
			s.cut()
			s.emit(tokOther, s.line, s.col)
			s.advance(3)
			return
		}
	case '<':
		// scanMergeKey: the buffer is dropped, not emitted
		if s.mergeKey() {
			s.buf = false
			s.lastDelim = s.col
			s.emit(tokValue, s.line, s.col)
			s.advance(2)
			return
		}
	case '-':
		// scanDocumentStart
		if s.indentNum == 0 && s.col == 1 && s.repeat('-') == 3 && s.blankAt(s.i+3, true) {
			s.cut()
			s.emit(tokOther, s.line, s.col)
			s.advance(3)
			s.lastDelim, s.indentNum = 0, 0 // clearState
			s.n.document()
			return
		}
		// scanRawFoldedChar: a plain scalar continued on a line that starts
		// with "-" turns into a folded block scalar
		if s.buf && s.up {
			s.multi, s.multiFirst = true, s.col
			s.advance(1)
			return
		}
		// scanSequence
		if !s.buf && (s.i+1 >= len(s.src) || s.src[s.i+1] == 0 || s.blankAt(s.i+1, false)) {
			s.cut()
			s.emit(tokIndicator, s.line, s.col)
			s.lastDelim = s.col
			s.blockEntry(s.col, true, s.line, s.col)
			s.advance(1)
			return
		}
	case ':':
		if s.mapDelim() {
			return
		}
	case '|', '>':
		// scanMultiLineHeader
		if !s.buf {
			s.blockHeader()
			return
		}
	case '!':
		// scanTag
		if !s.buf && !s.directive {
			s.tag()
			return
		}
	case '%':
		// scanDirective
		if !s.buf && s.indentNum == 0 {
			s.cut()
			s.emit(tokValue, s.line, s.col)
			s.directive = true
			s.advance(1)
			return
		}
	case '?':
		// scanMapKey
		if !s.buf && s.i+1 < len(s.src) && (s.src[s.i+1] == ' ' || s.src[s.i+1] == '\t') {
			s.emit(tokIndicator, s.line, s.col)
			s.lastDelim = s.col
			s.blockEntry(s.col, false, s.line, s.col)
			s.advance(1)
			return
		}
	case '&', '*':
		// scanAnchor, scanAlias
		if !s.buf {
			s.cut()
			if c == '&' {
				s.emit(tokProp, s.line, s.col)
				s.propName = true
			} else {
				s.emit(tokValue, s.line, s.col)
			}
			s.anchor = true
			s.advance(1)
			return
		}
	case '#':
		// scanComment
		if !s.buf || s.i == 0 || isBlank(s.src[s.i-1]) {
			s.cut()
			s.comment()
			return
		}
	case '\'', '"':
		// scanQuote
		if !s.buf {
			s.quoted(c)
			return
		}
	case ' ':
		// scanWhiteSpace
		switch {
		case s.anchor:
			// ends the anchor's name; the blank is then read again
			s.cut()
			s.anchor = false
		case s.directive:
			s.cut()
			s.advance(1)
		default:
			// addBuf keeps the buffer empty if it was
			s.advance(1)
		}
		return
	}
	// addBuf: a character of a plain scalar
	if !s.buf {
		s.buf, s.bufLine, s.bufCol = true, s.line, s.col
	}
	s.lastNonBlankCol = s.col
	s.advanceRune()
}

// mapDelim is scanMapDelim: whether ':' is a mapping value indicator here,
// and if it is, the block level of its key.
func (s *scanner) mapDelim() bool {
	if s.directive || s.anchor {
		return false
	}
	hasNext := s.i+1 < len(s.src)
	var next byte
	if hasNext {
		next = s.src[s.i+1]
	}
	if s.mapN <= 0 && hasNext && !isBlank(next) {
		return false
	}
	if s.mapN > 0 && next == '/' { // like http://
		return false
	}
	if s.mapN > 0 && s.lastDelimTok {
		return false
	}
	switch {
	case s.buf:
		_, s.lastDelim = s.bufPos()
	case s.lastQuoted:
		s.lastDelim = s.lastCol
	}
	s.cut()
	line, col := s.line, s.col
	if s.lastKeyish && s.lastLine == s.line {
		line, col = s.lastLine, s.lastCol
	}
	s.blockEntry(col, false, line, col)
	s.emit(tokIndicator, s.line, s.col)
	s.lastDelimTok = true
	s.advance(1)
	return true
}

// mergeKey is isMergeKey: exactly "<<", blanks, ':' and a blank.
func (s *scanner) mergeKey() bool {
	if s.repeat('<') != 2 {
		return false
	}
	for j := s.i + 2; j < len(s.src); j++ {
		c := s.src[j]
		if c == ' ' {
			continue
		}
		if c != ':' {
			return false
		}
		if j+1 < len(s.src) {
			if nc := s.src[j+1]; nc == ' ' || nc == '\n' || nc == '\r' {
				return true
			}
		}
	}
	return false
}

// blockHeader is scanMultiLineHeaderOption: the rest of the line is the
// header; the lines after it are the scalar's until one starts left of or at
// lastDelim.
func (s *scanner) blockHeader() {
	if s.col == 1 {
		s.lastDelim = 1
	}
	s.emit(tokValue, s.line, s.col)
	s.endOfLine() // as an anchor's name, what follows it is on later lines
	j := s.i + 1
	for j < len(s.src) && s.src[j] != '\n' && s.src[j] != '\r' {
		j++
	}
	opt := trimBlanks(s.src[s.i+1 : j])
	if k := indexByte(opt, '#'); k > 0 {
		opt = trimBlanks(opt[:k])
	}
	s.multi, s.multiFirst = true, 0
	if d := indentIndicator(opt); d > 0 {
		s.multiFirst = s.lastDelim + d
	}
	for s.i < j {
		s.advanceRune()
	}
}

// multiChar is scanMultiLine for one character of a block scalar's line.
func (s *scanner) multiChar(c byte) {
	if s.firstChar {
		if c == ' ' || c == '\t' {
			s.advance(1)
			return
		}
		s.firstChar = false
		if s.lastDelim != 0 && s.col <= s.lastDelim {
			// "down": the scalar has ended; this character starts a token
			s.endMulti()
			s.up = false
			s.char(c)
			return
		}
	}
	if s.multiFirst == 0 {
		s.multiFirst = s.col
	}
	if s.multiFirst > 1 {
		s.lastDelim = s.multiFirst - 1
	}
	s.advanceRune()
}

func (s *scanner) endMulti() {
	s.multi, s.buf, s.savedCol = false, false, 0
	s.emit(tokValue, 0, 0) // on an earlier line: never the key of a ':'
}

// newline is scanNewLine (or the line break of scanMultiLine).
func (s *scanner) newline() {
	if s.multi {
		s.lineBreak(true)
		if s.docMarker() {
			s.endMulti()
		}
		return
	}
	if s.buf && s.savedCol == 0 {
		s.savedLine, s.savedCol = s.line, s.col-(s.lastNonBlankCol-s.bufCol+1)
	}
	if s.anchor || s.directive {
		s.cut()
	}
	s.endOfLine()
	s.lineBreak(true)
}

// endOfLine notes a tag or anchor that ends its line (see nesting).
func (s *scanner) endOfLine() {
	if s.lastProp {
		s.n.dangle(s.lastLine, s.lastCol)
		s.lastProp = false
	}
}

// blockEntry is a "-", "?" or key: a block level outside flow collections.
func (s *scanner) blockEntry(col int, seq bool, line, at int) {
	if len(s.n.flow) == 0 {
		s.n.entry(col, seq, line, at)
	} else {
		s.n.other()
	}
}

// lineBreak is progressLine, after a '\n', a '\r' or (crlf) a "\r\n".
func (s *scanner) lineBreak(crlf bool) {
	if crlf && s.src[s.i] == '\r' && s.i+1 < len(s.src) && s.src[s.i+1] == '\n' {
		s.i++
	}
	s.i++
	s.line++
	s.col = 1
	s.indentNum = 0
	s.firstChar = true
	s.anchor = false
	s.directive = false
}

// docMarker is foundDocumentSeparatorMarker at s.i.
func (s *scanner) docMarker() bool {
	rest := s.src[s.i:]
	if len(rest) < 3 || (string(rest[:3]) != "---" && string(rest[:3]) != "...") {
		return false
	}
	return len(rest) == 3 || isBlank(rest[3])
}

// tab is the '\t' case of scan: a tab right of lastDelim moves neither the
// column nor the buffer.
func (s *scanner) tab() {
	if (s.buf && s.lastDelim == 0) || s.lastDelim < s.col {
		s.indentNum++
		s.i++
		return
	}
	s.advance(1) // scanTab
}

// comment is scanComment: up to the line break, which it consumes alone.
func (s *scanner) comment() {
	s.lastDelimTok, s.lastQuoted = false, false // a comment is a token too
	for s.i < len(s.src) && s.src[s.i] != '\n' && s.src[s.i] != '\r' {
		s.advanceRune()
	}
	if s.i < len(s.src) {
		s.endOfLine()
		s.lineBreak(false)
	}
}

// tag is scanTag: up to a space or line break (or ',' in flow), brackets
// included. goccy leaves the column one short after it.
func (s *scanner) tag() {
	s.emit(tokProp, s.line, s.col)
	s.advance(1)
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case ' ':
			s.i++
			return
		case ',':
			if s.flowMode() {
				s.col--
				return
			}
		case '\n', '\r':
			s.col--
			return
		}
		s.advanceRune()
	}
}

// quoted is scanSingleQuote and scanDoubleQuote, with their line and
// column accounting.
func (s *scanner) quoted(q byte) {
	line, col := s.line, s.col
	s.advance(1)
	drift := 0 // scanDoubleQuote moves past a tab twice; the extra runes are skipped after the quote
	lines := false
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch {
		case c == '\n' || c == '\r':
			s.lineBreak(false)
			lines = true
			continue
		case c == q && q == '\'' && s.i+1 < len(s.src) && s.src[s.i+1] == '\'':
			s.advance(2)
			continue
		case c == q:
			s.advance(1)
			s.endQuote(line, col, lines, drift)
			return
		case q == '"' && c == '\\':
			lines = s.escape() || lines
			continue
		case q == '"' && c == '\t':
			s.advance(1)
			end, last := s.lineAfter()
			if last < s.i {
				// only blanks up to the line break: goccy skips them
				s.col += end - s.i
				s.i = end
			} else if s.src[s.i] != '"' {
				drift++
			}
			continue
		}
		s.advanceRune()
	}
	// unterminated: goccy fails, and the parser never runs
	s.endQuote(line, col, lines, drift)
}

// lineAfter returns the index of the line break (or end) after s.i and of the
// last character before it that is not a blank (< s.i if none), scanning each
// line once however many tabs it has.
func (s *scanner) lineAfter() (end, last int) {
	if s.i < s.lineFrom || s.i > s.lineEnd {
		s.lineFrom, s.lineLast = s.i, s.i-1
		j := s.i
		for ; j < len(s.src) && s.src[j] != '\n' && s.src[j] != '\r'; j++ {
			if !isBlank(s.src[j]) {
				s.lineLast = j
			}
		}
		s.lineEnd = j
	}
	return s.lineEnd, s.lineLast
}

func (s *scanner) endQuote(line, col int, lines bool, drift int) {
	s.emit(tokValue, line, col)
	s.lastQuoted = true
	if lines {
		s.firstChar = true // goccy does not reset isFirstCharAtLine inside quotes
	}
	for ; drift > 0 && s.i < len(s.src); drift-- {
		s.advanceRune()
	}
}

// escape skips a backslash escape of a double-quoted scalar the way goccy
// does, counting runes; it says whether it crossed a line break.
func (s *scanner) escape() bool {
	rest := s.runesAfter(9)
	if rest == 0 {
		s.advance(1)
		return false
	}
	skip := 1
	switch s.src[s.i+1] {
	case '\n', '\r':
		s.advance(1)
		s.lineBreak(true)
		return true
	case 'x':
		if rest >= 3 {
			skip = 3
		}
	case 'u':
		skip = min(5, rest)
	case 'U':
		skip = min(9, rest)
	}
	s.advance(1)
	for range skip {
		if s.i >= len(s.src) {
			break
		}
		if c := s.src[s.i]; c == '\n' || c == '\r' {
			// goccy moves past it as a column, not a line
			s.i++
			s.col++
			continue
		}
		s.advanceRune()
	}
	return false
}

// cut is addBufferedTokenIfExists: a plain scalar being read becomes a token.
func (s *scanner) cut() {
	if s.buf {
		line, col := s.bufPos()
		s.emit(tokValue, line, col)
		s.buf = false
	}
	s.savedCol = 0
}

// bufPos is where goccy puts the token of the buffer.
func (s *scanner) bufPos() (line, col int) {
	if s.savedCol != 0 {
		return s.savedLine, s.savedCol
	}
	return s.bufLine, s.bufCol
}

// tok is what kind of token the lexer emits, as far as nesting cares.
type tok uint8

const (
	tokValue     tok = iota // a scalar, alias, block scalar or directive: it may be a key
	tokClose                // "]" or "}": it may end a key too
	tokProp                 // a tag, an anchor or an anchor's name (the token after "&")
	tokOther                // ",", "---", "...": not a key
	tokIndicator            // "-", "?", ":", "[", "{": nesting has been told
)

// emit records a token of kind k at line:col (see isKeyToken, tokenDepth).
func (s *scanner) emit(k tok, line, col int) {
	if k == tokValue && s.propName {
		k = tokProp
	}
	s.lastDelimTok, s.lastQuoted = false, false
	s.lastKeyish, s.lastLine, s.lastCol = k == tokValue || k == tokClose || k == tokProp, line, col
	s.lastProp, s.propName = k == tokProp, false
	switch k {
	case tokValue, tokClose:
		s.n.value()
	case tokOther:
		s.n.other()
	case tokProp:
		if line < s.line {
			// an anchor's name that spans lines, emitted only now: what
			// follows it is on a later line
			s.endOfLine()
		}
	}
}

func (s *scanner) flowMode() bool { return s.seqN > 0 || s.mapN > 0 }

func (s *scanner) advance(n int) {
	s.i += n
	s.col += n
}

func (s *scanner) advanceRune() {
	_, size := utf8.DecodeRune(s.src[s.i:])
	s.i += size
	s.col++
}

func (s *scanner) repeat(c byte) int {
	n := 0
	for j := s.i; j < len(s.src) && s.src[j] == c; j++ {
		n++
	}
	return n
}

// blankAt says whether src[j] is a blank or a line break, or (if end) past the end.
func (s *scanner) blankAt(j int, end bool) bool {
	if j >= len(s.src) {
		return end
	}
	return isBlank(s.src[j])
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func trimBlanks(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// indentIndicator is firstLineIndentColumnByOpt: the number of "|2-", "|+3".
func indentIndicator(opt []byte) int {
	opt, _ = bytes.CutPrefix(opt, []byte("-"))
	opt, _ = bytes.CutPrefix(opt, []byte("+"))
	opt, _ = bytes.CutSuffix(opt, []byte("-"))
	opt, _ = bytes.CutSuffix(opt, []byte("+"))
	if len(opt) == 0 || len(opt) > 2 {
		return 0
	}
	n := 0
	for _, c := range opt {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// runesAfter counts the runes after src[i], up to limit.
func (s *scanner) runesAfter(limit int) int {
	n := 0
	for j := s.i + 1; j < len(s.src) && n < limit; n++ {
		_, size := utf8.DecodeRune(s.src[j:])
		j += size
	}
	return n
}
