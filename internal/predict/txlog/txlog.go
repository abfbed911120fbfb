// Package txlog reads a transaction log from a CSV file — customer, date
// and optionally amount columns named by the user — for the offline
// prediction commands, detecting the delimiter and the date layout.
package txlog

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tradewind/tradewind/internal/ingest/records"
	"github.com/tradewind/tradewind/internal/predict/btyd"
)

// Columns name the columns to read; Amount may be empty.
type Columns struct {
	Customer, Date, Amount string
}

// Log is what was read.
type Log struct {
	Transactions []btyd.Transaction
	// DateLayout is the layout used ("ISO" for the ISO 8601 family).
	DateLayout string
	// Ambiguous is set when every date could be read day-first or
	// month-first and month-first was chosen.
	Ambiguous bool
	Delimiter byte
}

// dateLayouts are tried in order on a sample of the column; the first that
// reads every sampled value wins. Month-first comes before day-first: with
// a day above 12 anywhere in the sample, month-first fails and day-first
// wins; otherwise the choice is ambiguous and reported.
var dateLayouts = []string{
	"ISO", "20060102",
	"2006/1/2", "2006/1/2 15:04", "2006/1/2 15:04:05",
	"1/2/2006", "1/2/2006 15:04", "1/2/2006 15:04:05",
	"2/1/2006", "2/1/2006 15:04", "2/1/2006 15:04:05",
	"2.1.2006", "2.1.2006 15:04", "2.1.2006 15:04:05",
}

// sampleRows is how many dates the layout detection reads.
const sampleRows = 5000

func parseDate(layout, s string) (time.Time, bool) {
	if layout == "ISO" {
		return records.ParseTime([]byte(s))
	}
	t, err := time.Parse(layout, s)
	return t, err == nil
}

// Read reads the whole log. dateLayout is a Go layout, or "" to detect.
// A row that cannot be read is an error naming its line and column: a
// prediction silently missing transactions would be wrong without saying
// so.
func Read(r io.Reader, cols Columns, dateLayout string) (*Log, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return nil, errors.New("the file is empty: want a header line and transactions")
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	delim := records.DetectDelimiter(line)
	if len(head) >= 3 && string(head[:3]) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comma = rune(delim)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	index := map[string]int{}
	for i, h := range header {
		index[strings.TrimSpace(h)] = i
	}
	col := func(flag, name string) (int, error) {
		if name == "" {
			return -1, nil
		}
		i, ok := index[name]
		if !ok {
			return 0, fmt.Errorf("%s %q is not a column of the header (columns: %s)", flag, name, strings.Join(header, ", "))
		}
		return i, nil
	}
	ci, err := col("--customer-col", cols.Customer)
	if err != nil {
		return nil, err
	}
	di, err := col("--date-col", cols.Date)
	if err != nil {
		return nil, err
	}
	ai, err := col("--amount-col", cols.Amount)
	if err != nil {
		return nil, err
	}
	type row struct {
		line             int
		cust, date, amnt string
	}
	out := &Log{Delimiter: delim, DateLayout: dateLayout}
	// The first rows wait in pending until the date layout is known; the
	// rest are converted as they are read, so a log of tens of millions of
	// rows is never held as text.
	var pending []row
	convert := func(rw row) error {
		t, ok := parseDate(out.DateLayout, rw.date)
		if !ok {
			return fmt.Errorf("line %d: %s %q does not match the date layout %s", rw.line, cols.Date, rw.date, out.DateLayout)
		}
		a := math.NaN()
		if ai >= 0 {
			var err error
			a, err = strconv.ParseFloat(rw.amnt, 64)
			if err != nil || math.IsInf(a, 0) || math.IsNaN(a) {
				return fmt.Errorf("line %d: %s %q is not a number", rw.line, cols.Amount, rw.amnt)
			}
		}
		out.Transactions = append(out.Transactions, btyd.Transaction{Customer: rw.cust, Time: t, Amount: a})
		return nil
	}
	flush := func() error {
		if out.DateLayout == "" {
			sample := make([]string, len(pending))
			for i, rw := range pending {
				sample[i] = rw.date
			}
			var err error
			out.DateLayout, out.Ambiguous, err = detectLayout(sample)
			if err != nil {
				return fmt.Errorf("%s: %w", cols.Date, err)
			}
		}
		for _, rw := range pending {
			if err := convert(rw); err != nil {
				return err
			}
		}
		pending = nil
		return nil
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err // csv.ParseError names the line
		}
		ln, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		get := func(i int, name string) (string, error) {
			if i < 0 {
				return "", nil
			}
			if i >= len(rec) {
				return "", fmt.Errorf("line %d: column %s missing (the row has %d fields)", ln, name, len(rec))
			}
			return strings.TrimSpace(rec[i]), nil
		}
		var rw row
		rw.line = ln
		if rw.cust, err = get(ci, cols.Customer); err != nil {
			return nil, err
		}
		if rw.date, err = get(di, cols.Date); err != nil {
			return nil, err
		}
		if rw.amnt, err = get(ai, cols.Amount); err != nil {
			return nil, err
		}
		if rw.cust == "" {
			return nil, fmt.Errorf("line %d: %s is empty", ln, cols.Customer)
		}
		if pending != nil || out.Transactions == nil {
			pending = append(pending, rw)
			if len(pending) >= sampleRows {
				if err := flush(); err != nil {
					return nil, err
				}
			}
			continue
		}
		if err := convert(rw); err != nil {
			return nil, err
		}
	}
	if len(pending) > 0 {
		if err := flush(); err != nil {
			return nil, err
		}
	}
	if len(out.Transactions) == 0 {
		return nil, errors.New("no transactions after the header")
	}
	return out, nil
}

// detectLayout finds the first layout that reads every sampled value.
func detectLayout(sample []string) (layout string, ambiguous bool, err error) {
	for _, l := range dateLayouts {
		ok := true
		for _, s := range sample {
			if _, good := parseDate(l, s); !good {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		if strings.HasPrefix(l, "1/2/") {
			dayFirst := strings.Replace(l, "1/2/", "2/1/", 1)
			for _, s := range sample {
				if _, good := parseDate(dayFirst, s); !good {
					return l, false, nil
				}
			}
			return l, true, nil
		}
		return l, false, nil
	}
	ex := ""
	if len(sample) > 0 {
		ex = fmt.Sprintf(" (first value %q)", sample[0])
	}
	return "", false, fmt.Errorf("no known date layout reads every value%s: pass --date-format with a Go layout such as 2006-01-02 or 02/01/2006", ex)
}
