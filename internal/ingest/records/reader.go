package records

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Kind is what the rows of a file describe.
type Kind string

// The kinds of bulk file.
const (
	KindEvents    Kind = "events"    // any Segment message (CSV: one message per row)
	KindOrders    Kind = "orders"    // orders, possibly several rows per order
	KindCustomers Kind = "customers" // customer profiles → identify
	KindReviews   Kind = "reviews"   // product reviews → "Product Reviewed"
	KindAdSpend   Kind = "ad_spend"  // daily ad spend → the internal ad_spend type
)

// Format is the file's syntax.
type Format string

// The formats.
const (
	FormatAuto   Format = "auto"   // NDJSON if the first non-blank byte is '{', else delimited text with the delimiter detected
	FormatNDJSON Format = "ndjson" // one Segment message (JSON object) per line
	FormatCSV    Format = "csv"    // delimited text with a header; comma, semicolon or tab detected from the header
	FormatTSV    Format = "tsv"    // tab-separated text with a header, no quoting (quotes are ordinary characters)
)

// Record is one converted message.
type Record struct {
	// Line is the first line of the record, 1-based; in a CSV/TSV file the
	// header is line 1. For an order built from several rows it is the first
	// line of its first row.
	Line int
	// EndLine is the last line of the record (a quoted field may span lines;
	// an order may span rows).
	EndLine int
	// Message is one Segment message as JSON. Messages converted from
	// delimited text carry no messageId; NDJSON lines pass through as they
	// are, messageId included. The slice belongs to the caller.
	Message []byte
	// Key is the record's natural key within its kind, for deterministic
	// message ids, or "" if it has none (see the package documentation).
	Key string
}

// RowError is a row that cannot be converted. The caller quarantines Raw and
// goes on reading: Next continues with the following row.
type RowError struct {
	// Line is the line of the offending row (for an order, of the row where
	// the problem was found).
	Line int
	// Field is the column (as named in the header) or field at fault, or ""
	// when the problem is the row as a whole.
	Field string
	// Reason says what is wrong. It never contains the field's value, which
	// may be personal data.
	Reason string
	// Raw is the offending row(s) exactly as read, each ending with a line
	// terminator (a "\n" is added to a last line that had none). For an
	// order spread over several rows, all its rows are included so that
	// the quarantined rows can be fixed and imported again as a whole.
	Raw []byte
}

// Error implements error; it never contains the field's value.
func (e *RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Reason)
}

// Reader converts a bulk file into messages, one record at a time, holding
// only the current record (and, for orders, the current order) in memory —
// except with the "amazon" ready mapping, which buffers the whole file's
// orders (see the package documentation). A Reader is not safe for
// concurrent use.
type Reader struct {
	kind   Kind
	format Format
	src    *lineSrc
	sc     *csvScanner
	b      *binding
	header []byte
	conv   converter
	delim  byte

	queue []item
	qhead int
	done  bool
	fatal error

	rv     rowView
	ndjBuf []byte
	line   int // NDJSON lines consumed
}

type item struct {
	rec Record
	err *RowError
}

// converter turns validated rows into records. finish is called once at
// the end of the input; drain is then called whenever the queue is empty,
// until it reports that nothing is left.
type converter interface {
	row(v *rowView)
	finish()
	drain() bool
}

// NewReader returns a Reader of r. kind says what the rows are; format may be
// FormatAuto (or ""); m may be nil (default columns) or a mapping from
// ParseMapping or ReadyMapping. For delimited text it reads the header, and
// fails if the header lacks a required column, repeats a column, or does not
// fit the mapping; the error names the column. An empty input yields a
// Reader whose Next returns io.EOF.
func NewReader(r io.Reader, kind Kind, format Format, m *Mapping) (*Reader, error) {
	spec := specFor(kind)
	if spec == nil {
		return nil, fmt.Errorf("records: unknown kind %q (want events, orders, customers, reviews or ad_spend)", kind)
	}
	switch format {
	case "":
		format = FormatAuto
	case FormatAuto, FormatNDJSON, FormatCSV, FormatTSV:
	default:
		return nil, fmt.Errorf("records: unknown format %q (want auto, ndjson, csv or tsv)", format)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	rd := &Reader{kind: kind, src: &lineSrc{br: br}}
	if p, _ := br.Peek(3); bytes.HasPrefix(p, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	} else if bytes.HasPrefix(p, []byte{0xFF, 0xFE}) || bytes.HasPrefix(p, []byte{0xFE, 0xFF}) {
		return nil, errors.New("records: the file is UTF-16 encoded; save it as UTF-8")
	}
	first, err := firstByte(br)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("records: reading: %w", err)
	}
	if err == io.EOF {
		rd.format = format
		rd.done = true
		return rd, nil
	}
	if format == FormatAuto {
		switch first {
		case '{':
			format = FormatNDJSON
		case '[':
			return nil, errors.New("records: the file is a JSON array; NDJSON needs one JSON object per line")
		default:
			format = FormatCSV
		}
	}
	rd.format = format
	if format == FormatNDJSON {
		if m != nil {
			return nil, errors.New("records: a column mapping applies to CSV/TSV files, not NDJSON")
		}
		return rd, nil
	}

	// Delimited text: detect the delimiter from the first line.
	peek, _ := br.Peek(br.Size())
	if i := bytes.IndexByte(peek, '\n'); i >= 0 {
		peek = peek[:i]
	}
	delim := byte('\t')
	quotes := true
	if format == FormatTSV {
		quotes = false
	} else {
		delim = DetectDelimiter(peek)
		if delim == '\t' && m != nil && m.literalTabQuotes && format == FormatAuto {
			quotes = false
		}
	}
	rd.delim = delim
	rd.sc = &csvScanner{src: rd.src, delim: delim, quotes: quotes}
	if err := rd.sc.next(); err != nil {
		if err == io.EOF {
			rd.done = true
			return rd, nil
		}
		return nil, fmt.Errorf("records: reading header: %w", err)
	}
	if rd.sc.bad != nil {
		return nil, fmt.Errorf("records: header (line 1): %s", rd.sc.bad.reason)
	}
	if !utf8.Valid(rd.sc.raw) {
		return nil, errors.New("records: header (line 1) is not valid UTF-8; save the file as UTF-8")
	}
	header := make([]string, len(rd.sc.fields))
	for i, f := range rd.sc.fields {
		header[i] = strings.TrimSpace(string(f))
	}
	rd.header = bytes.Clone(rd.sc.raw)
	b, err := bind(header, spec, m, delim == ';')
	if err != nil {
		return nil, err
	}
	rd.b = b
	rd.rv.b = b
	switch kind {
	case KindOrders:
		rd.conv = newOrderConv(rd, b)
	case KindCustomers:
		rd.conv = &customerConv{rowConv{r: rd}}
	case KindReviews:
		rd.conv = &reviewConv{rowConv{r: rd}}
	case KindAdSpend:
		rd.conv = &adSpendConv{rowConv{r: rd}}
	case KindEvents:
		rd.conv = &eventConv{rowConv{r: rd}}
	}
	return rd, nil
}

// firstByte returns the first byte that is not white space, without
// consuming anything.
func firstByte(br *bufio.Reader) (byte, error) {
	for n := 1; n <= 4096; n++ {
		p, err := br.Peek(n)
		if len(p) < n {
			if err == nil {
				err = io.EOF
			}
			return 0, err
		}
		switch c := p[n-1]; c {
		case ' ', '\t', '\r', '\n':
			continue
		default:
			return c, nil
		}
	}
	return 0, nil
}

// Format returns the format in use (the detected one for FormatAuto).
func (r *Reader) Format() Format { return r.format }

// Delimiter returns the field delimiter of delimited text (0 for NDJSON).
func (r *Reader) Delimiter() byte { return r.delim }

// Header returns the header row exactly as read (without a byte-order mark),
// for writing quarantine files that can be imported again; nil for NDJSON.
func (r *Reader) Header() []byte { return r.header }

// Next returns the next record. A row that cannot be converted yields a
// *RowError, after which Next continues with the following row. At the end
// it returns io.EOF; any other error is a read error, after which the Reader
// is unusable.
func (r *Reader) Next() (Record, error) {
	for {
		if r.qhead < len(r.queue) {
			it := r.queue[r.qhead]
			r.queue[r.qhead] = item{}
			r.qhead++
			if it.err != nil {
				return Record{}, it.err
			}
			return it.rec, nil
		}
		r.queue = r.queue[:0]
		r.qhead = 0
		if r.fatal != nil {
			return Record{}, r.fatal
		}
		if r.done {
			if r.conv != nil && r.conv.drain() {
				continue
			}
			return Record{}, io.EOF
		}
		var err error
		if r.format == FormatNDJSON {
			err = r.stepNDJSON()
		} else {
			err = r.stepCSV()
		}
		if err == io.EOF {
			r.done = true
			if r.conv != nil {
				r.conv.finish()
			}
			continue
		}
		if err != nil {
			r.fatal = fmt.Errorf("records: reading line %d: %w", r.lineNo()+1, err)
		}
	}
}

func (r *Reader) lineNo() int {
	if r.sc != nil {
		return r.sc.line
	}
	return r.line
}

func (r *Reader) emit(rec Record) { r.queue = append(r.queue, item{rec: rec}) }

func (r *Reader) fail(e *RowError) { r.queue = append(r.queue, item{err: e}) }

// rowFail reports a row that could not even be parsed. For orders the
// row joins its order when its order id is readable, and otherwise waits
// until the open order is emitted, so that records and errors come out in
// the order of their first lines.
func (r *Reader) rowFail(e *RowError, fields [][]byte) {
	if oc, ok := r.conv.(*orderConv); ok && oc.badRow(e, fields, r.sc.startLine, r.sc.endLine, r.sc.raw) {
		return
	}
	r.fail(e)
}

// withNL returns a copy of raw that ends with "\n".
func withNL(raw []byte) []byte {
	out := make([]byte, len(raw), len(raw)+1)
	copy(out, raw)
	if len(out) == 0 || out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return out
}

func (r *Reader) rowErr(line int, field, reason string, raw []byte) *RowError {
	return &RowError{Line: line, Field: field, Reason: reason, Raw: withNL(raw)}
}

func (r *Reader) stepNDJSON() error {
	r.ndjBuf = r.ndjBuf[:0]
	buf, cut, err := r.src.readLine(r.ndjBuf, maxRawBytes)
	r.ndjBuf = buf
	if err != nil {
		return err
	}
	r.line++
	body := buf
	if n := len(body); n > 0 && body[n-1] == '\n' {
		body = body[:n-1]
	}
	if n := len(body); n > 0 && body[n-1] == '\r' {
		body = body[:n-1]
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if cut || len(body) > MaxLineBytes {
		reason := fmt.Sprintf("line is longer than %d bytes", MaxLineBytes)
		if cut {
			reason += fmt.Sprintf(" (raw kept up to %d bytes)", maxRawBytes)
		}
		r.fail(r.rowErr(r.line, "", reason, buf))
		return nil
	}
	if !utf8.Valid(body) {
		r.fail(r.rowErr(r.line, "", "line is not valid UTF-8", buf))
		return nil
	}
	msg := bytes.TrimSpace(body)
	if !json.Valid(msg) {
		r.fail(r.rowErr(r.line, "", "line is not valid JSON", buf))
		return nil
	}
	if msg[0] != '{' {
		r.fail(r.rowErr(r.line, "", "line is not a JSON object", buf))
		return nil
	}
	r.emit(Record{Line: r.line, EndLine: r.line, Message: bytes.Clone(msg)})
	return nil
}

// rowView is the current CSV row as seen by a converter.
type rowView struct {
	b             *binding
	line, endLine int
	raw           []byte
	fields        [][]byte
}

// get returns the trimmed value of field f (the first non-blank of its
// columns, else its mapping default) and the column it came from (-1 for a
// default or none).
func (v *rowView) get(f int) ([]byte, int) {
	for _, c := range v.b.fieldCols[f] {
		if x := trimSpace(v.fields[c]); len(x) > 0 {
			return x, c
		}
	}
	if d := v.b.defaults[f]; d != nil {
		return d, -1
	}
	return nil, -1
}

// cell returns the trimmed value of column c.
func (v *rowView) cell(c int) []byte { return trimSpace(v.fields[c]) }

func (r *Reader) stepCSV() error {
	sc := r.sc
	if err := sc.next(); err != nil {
		return err
	}
	if sc.bad != nil {
		field := ""
		if sc.bad.field >= 0 && sc.bad.field < len(r.b.header) {
			field = r.b.header[sc.bad.field]
		}
		r.rowFail(r.rowErr(sc.startLine, field, sc.bad.reason, sc.raw), sc.fields)
		return nil
	}
	fields := sc.fields
	nh := len(r.b.header)
	if len(fields) != nh {
		if allBlank(fields) {
			return nil
		}
		switch {
		case len(fields) < nh:
			r.rowFail(r.rowErr(sc.startLine, r.b.header[len(fields)],
				fmt.Sprintf("row has %d fields, the header has %d", len(fields), nh), sc.raw), fields)
			return nil
		case !allBlank(fields[nh:]):
			r.rowFail(r.rowErr(sc.startLine, "",
				fmt.Sprintf("row has %d fields, the header has %d", len(fields), nh), sc.raw), fields)
			return nil
		}
		fields = fields[:nh]
	}
	if allBlank(fields) {
		return nil
	}
	if !utf8.Valid(sc.raw) {
		field := ""
		for i, f := range fields {
			if !utf8.Valid(f) {
				field = r.b.header[i]
				break
			}
		}
		r.rowFail(r.rowErr(sc.startLine, field, "is not valid UTF-8 text (save the file as UTF-8)", sc.raw), fields)
		return nil
	}
	v := &r.rv
	v.line, v.endLine, v.raw, v.fields = sc.startLine, sc.endLine, sc.raw, fields
	r.conv.row(v)
	return nil
}
