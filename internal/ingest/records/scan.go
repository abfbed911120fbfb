package records

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// Size limits of the readers.
const (
	// MaxLineBytes is the longest NDJSON line accepted; a longer line is a
	// *RowError.
	MaxLineBytes = 32 << 10
	// MaxRecordBytes is the longest CSV/TSV record (all its physical lines
	// together) accepted; a longer one is a *RowError. It also bounds how
	// far an unterminated quote can reach before the reader gives up on it.
	MaxRecordBytes = 1 << 20
	// MaxRecordLines is the most physical lines one CSV/TSV record may
	// span. A quote left open is given up on after this many lines (or
	// MaxRecordBytes) and the lines after the first are read again as rows,
	// so a stray quote costs at most this much re-reading.
	MaxRecordLines = 256
	// maxRawBytes bounds the Raw kept for a too-long NDJSON line.
	maxRawBytes = 1 << 20
)

// lineSrc yields physical lines ("\n"-terminated) from a bufio.Reader, with a
// push-back queue used to re-read the lines swallowed by an unterminated
// quote.
type lineSrc struct {
	br   *bufio.Reader
	back [][]byte
	eof  bool
}

// readLine appends the next physical line, including its "\n" if any, to dst.
// A line longer than limit is cut at limit and the rest of it is discarded;
// cut reports that. At the end of the input it returns io.EOF and dst
// unchanged.
func (l *lineSrc) readLine(dst []byte, limit int) (out []byte, cut bool, err error) {
	if len(l.back) > 0 {
		ln := l.back[0]
		l.back[0] = nil
		l.back = l.back[1:]
		if len(ln) > limit {
			return append(dst, ln[:limit]...), true, nil
		}
		return append(dst, ln...), false, nil
	}
	if l.eof {
		return dst, false, io.EOF
	}
	start := len(dst)
	for {
		chunk, err := l.br.ReadSlice('\n')
		room := limit - (len(dst) - start)
		if len(chunk) > room {
			if room > 0 {
				dst = append(dst, chunk[:room]...)
			}
			cut = true
		} else {
			dst = append(dst, chunk...)
		}
		switch {
		case err == nil:
			return dst, cut, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			l.eof = true
			if len(dst) == start && !cut {
				return dst, false, io.EOF
			}
			return dst, cut, nil
		default:
			return dst, cut, err
		}
	}
}

// pushBack queues lines to be read again before anything else.
func (l *lineSrc) pushBack(lines [][]byte) {
	if len(lines) == 0 {
		return
	}
	nb := make([][]byte, 0, len(lines)+len(l.back))
	nb = append(nb, lines...)
	nb = append(nb, l.back...)
	l.back = nb
}

// scanErr is a record-level syntax problem found by the scanner.
type scanErr struct {
	field  int // index of the offending field, -1 if none
	reason string
}

// csvScanner splits delimited text into records of fields, keeping each
// record's raw bytes and line numbers.
type csvScanner struct {
	src    *lineSrc
	delim  byte
	quotes bool // honour RFC 4180 quoting
	line   int  // physical lines consumed so far

	// current record
	startLine, endLine int
	raw                []byte
	lineStarts         []int
	fbuf               []byte
	fend               []int
	fields             [][]byte
	bad                *scanErr
}

const (
	stFieldStart = iota
	stUnquoted
	stQuoted
	stQuoteSeen
)

// next reads the next non-blank record. It returns io.EOF at the end of the
// input; a syntax problem is reported through s.bad with the record still
// filled (raw, lines) so the caller can quarantine it.
func (s *csvScanner) next() error {
	for {
		s.raw = s.raw[:0]
		s.lineStarts = s.lineStarts[:0]
		s.fbuf = s.fbuf[:0]
		s.fend = s.fend[:0]
		s.bad = nil
		state := stFieldStart
		quoteOpen := -1
		s.startLine = s.line + 1
		for {
			ls := len(s.raw)
			var cut bool
			var err error
			s.raw, cut, err = s.src.readLine(s.raw, MaxRecordBytes+1-ls)
			if err != nil {
				if err == io.EOF {
					if ls == 0 {
						return io.EOF
					}
					// EOF inside a quoted field: handled below as unterminated.
					return s.unterminated(quoteOpen, "quoted field is not closed before the end of the file")
				}
				return err
			}
			s.line++
			s.lineStarts = append(s.lineStarts, ls)
			if cut || len(s.raw) > MaxRecordBytes || len(s.lineStarts) > MaxRecordLines {
				if len(s.lineStarts) > 1 {
					return s.unterminated(quoteOpen, "quoted field is not closed within the record size limit (256 lines, 1 MiB)")
				}
				s.endLine = s.line
				s.bad = &scanErr{field: -1, reason: "row is longer than the record size limit (1 MiB)"}
				return nil
			}
			body := s.raw[ls:]
			if n := len(body); n > 0 && body[n-1] == '\n' {
				body = body[:n-1]
			}
			if n := len(body); n > 0 && body[n-1] == '\r' {
				body = body[:n-1]
			}
			if state == stFieldStart && len(s.fend) == 0 && isBlank(body) {
				// blank line between records
				s.raw = s.raw[:0]
				s.lineStarts = s.lineStarts[:0]
				s.startLine = s.line + 1
				continue
			}
			state = s.scanLine(body, state, &quoteOpen)
			if state == stQuoted {
				s.fbuf = append(s.fbuf, '\n')
				continue
			}
			// end of record
			s.fend = append(s.fend, len(s.fbuf))
			s.endLine = s.line
			break
		}
		s.buildFields()
		return nil
	}
}

// unterminated reports the first physical line of the current record as bad
// and pushes the following lines back so they are read again as records.
func (s *csvScanner) unterminated(field int, reason string) error {
	if len(s.lineStarts) > 1 {
		var lines [][]byte
		for i := 1; i < len(s.lineStarts); i++ {
			end := len(s.raw)
			if i+1 < len(s.lineStarts) {
				end = s.lineStarts[i+1]
			}
			lines = append(lines, bytes.Clone(s.raw[s.lineStarts[i]:end]))
		}
		s.src.pushBack(lines)
		s.line -= len(s.lineStarts) - 1
		s.raw = s.raw[:s.lineStarts[1]]
		s.lineStarts = s.lineStarts[:1]
	}
	s.endLine = s.startLine
	s.bad = &scanErr{field: field, reason: reason}
	s.fields = s.fields[:0]
	return nil
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// scanLine runs the field state machine over one physical line (without its
// terminator) and returns the state at its end.
func (s *csvScanner) scanLine(b []byte, state int, quoteOpen *int) int {
	d := s.delim
	i := 0
	for i <= len(b) {
		switch state {
		case stFieldStart:
			if i == len(b) {
				return stFieldStart
			}
			if s.quotes && b[i] == '"' {
				state = stQuoted
				*quoteOpen = len(s.fend)
				i++
				continue
			}
			state = stUnquoted
		case stUnquoted:
			j := bytes.IndexByte(b[i:], d)
			if j < 0 {
				s.fbuf = append(s.fbuf, b[i:]...)
				return stUnquoted
			}
			s.fbuf = append(s.fbuf, b[i:i+j]...)
			s.fend = append(s.fend, len(s.fbuf))
			i += j + 1
			state = stFieldStart
		case stQuoted:
			if i == len(b) {
				return stQuoted
			}
			j := bytes.IndexByte(b[i:], '"')
			if j < 0 {
				s.fbuf = append(s.fbuf, b[i:]...)
				return stQuoted
			}
			s.fbuf = append(s.fbuf, b[i:i+j]...)
			i += j + 1
			state = stQuoteSeen
		case stQuoteSeen:
			if i == len(b) {
				return stQuoteSeen
			}
			switch b[i] {
			case '"':
				s.fbuf = append(s.fbuf, '"')
				i++
				state = stQuoted
			case d:
				s.fend = append(s.fend, len(s.fbuf))
				i++
				state = stFieldStart
			default:
				// text after a closing quote: keep it literally, flag the field
				if s.bad == nil {
					s.bad = &scanErr{field: len(s.fend), reason: "malformed quoting: text follows the closing quote"}
				}
				s.fbuf = append(s.fbuf, '"')
				state = stUnquoted
			}
		}
	}
	return state
}

func (s *csvScanner) buildFields() {
	s.fields = s.fields[:0]
	start := 0
	for _, e := range s.fend {
		s.fields = append(s.fields, s.fbuf[start:e])
		start = e
	}
}

// DetectDelimiter picks the delimiter of a header line: the most frequent of
// comma, semicolon and tab outside quotes (comma on a tie or when none).
func DetectDelimiter(line []byte) byte {
	var comma, semi, tab int
	inQ := false
	for _, c := range line {
		switch c {
		case '"':
			inQ = !inQ
		case ',':
			if !inQ {
				comma++
			}
		case ';':
			if !inQ {
				semi++
			}
		case '\t':
			if !inQ {
				tab++
			}
		}
	}
	best, n := byte(','), comma
	if semi > n {
		best, n = ';', semi
	}
	if tab > n {
		best = '\t'
	}
	return best
}
