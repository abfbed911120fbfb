package records

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// result is everything a Reader produced, in order.
type result struct {
	recs []Record
	msgs []map[string]any
	errs []*RowError
	// order holds "r" or "e" per item, to check interleaving
	order string
}

func read(t *testing.T, in string, kind Kind, format Format, m *Mapping) result {
	t.Helper()
	r, err := NewReader(strings.NewReader(in), kind, format, m)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	return drain(t, r)
}

func drain(t *testing.T, r *Reader) result {
	t.Helper()
	var res result
	for i := 0; ; i++ {
		if i > 1_000_000 {
			t.Fatal("reader does not end")
		}
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		var re *RowError
		if errors.As(err, &re) {
			res.errs = append(res.errs, re)
			res.order += "e"
			if len(re.Raw) == 0 || re.Raw[len(re.Raw)-1] != '\n' {
				t.Errorf("RowError.Raw must end with a newline: %q", re.Raw)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		dec := json.NewDecoder(strings.NewReader(string(rec.Message)))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("line %d: message is not a JSON object: %v\n%s", rec.Line, err, rec.Message)
		}
		if _, ok := m["messageId"]; ok && r.Format() != FormatNDJSON {
			t.Errorf("line %d: converted message carries messageId", rec.Line)
		}
		if rec.EndLine < rec.Line || rec.Line < 1 {
			t.Errorf("bad line range %d-%d", rec.Line, rec.EndLine)
		}
		res.recs = append(res.recs, rec)
		res.msgs = append(res.msgs, m)
		res.order += "r"
	}
	// Next keeps returning io.EOF
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next after EOF = %v", err)
	}
	return res
}

// get walks a decoded message by keys and indexes; nil when absent.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// num returns the exact JSON text of a number ("" if v is not a number).
func num(v any) string {
	if n, ok := v.(json.Number); ok {
		return n.String()
	}
	return ""
}

func wantStr(t *testing.T, m map[string]any, want string, path ...any) {
	t.Helper()
	if got := get(m, path...); got != want {
		t.Errorf("%v = %#v, want %q", path, got, want)
	}
}

func wantNum(t *testing.T, m map[string]any, want string, path ...any) {
	t.Helper()
	if got := num(get(m, path...)); got != want {
		t.Errorf("%v = %#v, want number %s", path, get(m, path...), want)
	}
}

func wantAbsent(t *testing.T, m map[string]any, path ...any) {
	t.Helper()
	if got := get(m, path...); got != nil {
		t.Errorf("%v = %#v, want absent", path, got)
	}
}

// checkRowError checks line and field, and that the reason does not leak
// the secret value.
func checkRowError(t *testing.T, e *RowError, line int, field, secret string) {
	t.Helper()
	if e.Line != line || e.Field != field {
		t.Errorf("RowError at line %d field %q (%s), want line %d field %q", e.Line, e.Field, e.Reason, line, field)
	}
	if secret != "" && (strings.Contains(e.Reason, secret) || strings.Contains(e.Error(), secret)) {
		t.Errorf("RowError leaks the value %q: %v", secret, e)
	}
	if e.Reason == "" {
		t.Error("RowError without a reason")
	}
}
