package fx

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/govalues/decimal"
)

// maxSize bounds the bytes Parse reads, compressed and uncompressed. The
// full history is about 2 MB; the bound stops a corrupt or hostile file
// (a zip bomb) from exhausting memory.
const maxSize = 64 << 20

// ParseError reports a malformed line of a rates file.
type ParseError struct {
	Line   int    // 1-based line in the CSV
	Column string // header of the offending column; empty if the whole line is wrong
	Err    error
}

// Error formats the error as `line 12, column "JPY": invalid rate "abc"`.
func (e *ParseError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("line %d, column %q: %v", e.Line, e.Column, e.Err)
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads an ECB reference rates file and returns its rates. It
// recognises, from the content, the three forms the ECB publishes:
//
//   - the history archive eurofxref-hist.zip, holding one CSV;
//   - that CSV, eurofxref-hist.csv: a header "Date,USD,JPY,…," and one row
//     per business day, newest first, such as "2026-04-13,1.1684,186.75,…,",
//     with "N/A" for a currency not quoted that day;
//   - the daily file eurofxref.csv: "Date, USD, JPY, …, " and one row such
//     as "13 April 2026, 1.1684, 186.75, …, ".
//
// Either date form is accepted in either file. Errors are [*ParseError]s
// that name the line and column at fault, wrapped with the archive member's
// name for a zip; the caller adds the file's name.
func Parse(r io.Reader) (*Table, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(4); string(magic) == "PK\x03\x04" {
		return parseZip(br)
	}
	lr := &io.LimitedReader{R: br, N: maxSize + 1}
	t, err := parseCSV(lr)
	if lr.N == 0 {
		return nil, fmt.Errorf("fx: file larger than %d bytes", maxSize)
	}
	return t, err
}

func parseZip(r io.Reader) (*Table, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("fx: zip file larger than %d bytes", maxSize)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("fx: %w", err)
	}
	var csvFile *zip.File
	for _, f := range zr.File {
		if strings.HasSuffix(strings.ToLower(f.Name), ".csv") {
			if csvFile != nil {
				return nil, fmt.Errorf("fx: zip holds more than one CSV file: %s and %s", csvFile.Name, f.Name)
			}
			csvFile = f
		}
	}
	if csvFile == nil {
		return nil, errors.New("fx: zip holds no CSV file")
	}
	rc, err := csvFile.Open()
	if err != nil {
		return nil, fmt.Errorf("fx: %s: %w", csvFile.Name, err)
	}
	defer rc.Close()
	lr := &io.LimitedReader{R: rc, N: maxSize + 1}
	t, err := parseCSV(lr)
	if lr.N == 0 {
		return nil, fmt.Errorf("fx: %s: larger than %d bytes", csvFile.Name, maxSize)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", csvFile.Name, err)
	}
	return t, nil
}

// parseCSV parses the CSV form of the history or daily file.
func parseCSV(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked here, to report ragged rows our way
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err == io.EOF {
		return nil, &ParseError{Line: 1, Err: errors.New(`empty file, want a header "Date,USD,…"`)}
	}
	if err != nil {
		return nil, csvError(err)
	}
	header = trimAll(slices.Clone(header))              // Read reuses its slice
	header[0] = strings.TrimPrefix(header[0], "\uFEFF") // a byte-order mark left by an editor
	if header[0] != "Date" {
		return nil, &ParseError{Line: 1, Column: header[0], Err: errors.New(`first column is not "Date"`)}
	}
	// The ECB ends every line with a comma: the last column is unnamed and
	// empty. Rows must still have as many fields as the header.
	ncols := len(header)
	if header[ncols-1] == "" {
		ncols--
	}
	if ncols < 2 {
		return nil, &ParseError{Line: 1, Err: errors.New("no currency columns")}
	}
	keys := make([][3]byte, ncols)
	for i := 1; i < ncols; i++ {
		k, err := Currency(header[i]).key()
		if err != nil || k == eur {
			return nil, &ParseError{Line: 1, Column: header[i], Err: errors.New("not a currency code other than EUR")}
		}
		for j := 1; j < i; j++ {
			if keys[j] == k {
				return nil, &ParseError{Line: 1, Column: header[i], Err: errors.New("duplicate column")}
			}
		}
		keys[i] = k
	}

	var b builder
	cols := make([][]point, ncols) // per column, cheaper than a map lookup per value
	seen := make(map[int32]int)    // date → line, to report duplicates
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, &ParseError{Line: line, Err: fmt.Errorf("%d fields, the header has %d", len(rec), len(header))}
		}
		rec = trimAll(rec)
		if ncols < len(rec) && rec[ncols] != "" {
			return nil, &ParseError{Line: line, Err: fmt.Errorf("value %q after the last column", rec[ncols])}
		}
		d, ok := parseDay(rec[0])
		if !ok {
			return nil, &ParseError{Line: line, Column: "Date", Err: fmt.Errorf("invalid date %q, want 2026-04-13 or 13 April 2026", rec[0])}
		}
		if prev, dup := seen[d]; dup {
			return nil, &ParseError{Line: line, Column: "Date", Err: fmt.Errorf("date %s repeats line %d", rec[0], prev)}
		}
		seen[d] = line
		b.day(d)
		for i := 1; i < ncols; i++ {
			if rec[i] == "N/A" {
				continue // not quoted that day
			}
			v, err := decimal.Parse(rec[i])
			if err != nil || !v.IsPos() {
				return nil, &ParseError{Line: line, Column: header[i], Err: fmt.Errorf("invalid rate %q", rec[i])}
			}
			cols[i] = append(cols[i], point{d, v})
		}
	}
	if len(seen) == 0 {
		return nil, &ParseError{Line: 2, Err: errors.New("no rows after the header")}
	}
	b.points = make(map[[3]byte][]point, ncols)
	for i := 1; i < ncols; i++ {
		if len(cols[i]) > 0 {
			b.points[keys[i]] = cols[i]
		}
	}
	return b.table(), nil
}

// parseDay parses a date in the history's form (2026-04-13) or the daily
// file's (13 April 2026) into days since 1970-01-01.
func parseDay(s string) (int32, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		if t, err = time.Parse("2 January 2006", s); err != nil {
			return 0, false
		}
	}
	return int32(dayNumber(t)), true
}

// csvError converts an error of encoding/csv, which counts lines the same
// way, into a ParseError.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{Line: pe.Line, Err: pe.Err}
	}
	return err
}

func trimAll(fields []string) []string {
	for i, f := range fields {
		fields[i] = strings.TrimSpace(f)
	}
	return fields
}
