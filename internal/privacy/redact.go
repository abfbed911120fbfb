package privacy

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"

	"github.com/tradewind/tradewind/internal/privacy/pii"
)

// redacted replaces a high-tier value in a quarantined row.
const redacted = "[redacted]"

// RedactRow returns a bad row of an imported file, as kept in quarantine,
// with every high-tier value replaced by "[redacted]": a quarantine holds
// no personal data in clear either. A CSV row's cells are judged by their
// column's name (header) and their content; an NDJSON row's fields by their
// path and content. A row that cannot be parsed is replaced whole.
func (s *Service) RedactRow(raw, header []byte, delim byte, ndjson bool) []byte {
	if ndjson {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return []byte(redacted + " (the row is not valid JSON)\n")
		}
		v = s.redactJSON("", v)
		b, _ := json.Marshal(v)
		return append(b, '\n')
	}
	names := []string{}
	if len(header) > 0 {
		hr := csv.NewReader(bytes.NewReader(header))
		hr.Comma = rune(delim)
		hr.LazyQuotes = true
		if h, err := hr.Read(); err == nil {
			names = h
		}
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.Comma = rune(delim)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	w.Comma = rune(delim)
	n := 0
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		n++
		for i, cell := range rec {
			name := ""
			if i < len(names) {
				name = names[i]
			}
			if s.cellIsHigh(name, cell) {
				rec[i] = redacted
			}
		}
		_ = w.Write(rec)
	}
	w.Flush()
	if n == 0 {
		return []byte(redacted + " (the row could not be parsed)\n")
	}
	return out.Bytes()
}

// cellIsHigh judges one CSV cell: a column is a field of the buyer (traits)
// as much as of the order (properties), so either reading counts.
func (s *Service) cellIsHigh(column, value string) bool {
	col := strings.TrimSpace(column)
	if col == "" {
		col = "value"
	}
	return s.cfg.Classifier.Classify("traits."+col, value) == pii.High ||
		s.cfg.Classifier.Classify("properties."+col, value) == pii.High
}

func (s *Service) redactJSON(path string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			x[k] = s.redactJSON(p, e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = s.redactJSON(path, e)
		}
		return x
	case string:
		if s.cfg.Classifier.Classify(path, x) == pii.High || s.cellIsHigh(path[strings.LastIndexByte(path, '.')+1:], x) {
			return redacted
		}
		return x
	case float64, bool, nil:
		if s.cfg.Classifier.Classify(path, "") == pii.High {
			return redacted
		}
		return x
	}
	return v
}
