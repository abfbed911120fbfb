package jsonw

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"unicode/utf8"
)

// container is an open object or array of the value FuzzWriter expects.
type container struct {
	obj map[string]any // nil for an array
	arr []any
	key string // the key this container is under in its parent object
}

// FuzzWriter runs a program of writes, drawn from prog, with the fuzzed
// strings as keys and values and num as number text. Whatever it writes
// must be valid JSON that decodes to what was written: every string
// exactly (valid UTF-8 input is unchanged; each invalid byte is one
// U+FFFD), every number to its exact text.
func FuzzWriter(f *testing.F) {
	f.Add([]byte{6, 0, 1, 2, 3, 4, 5, 7, 0, 9, 8, 10, 8}, "key", "Müller \"x\"\n", "29.90")
	f.Add([]byte{7, 6, 6, 8, 8, 0, 11, 5}, "\x00\x1f\u2028\u2029", "\xff\xe2\x82", "-0.5e-7")
	f.Add([]byte{0}, "", "\\", "01")
	f.Add([]byte{6, 10, 11, 12, 13, 8}, "", "北京\ufffd🧳", "1e")
	f.Fuzz(func(t *testing.T, prog []byte, s1, s2, num string) {
		var w Writer
		w.Reset([]byte("prefix"))
		var stack []*container
		var top any
		done := false
		pick := func(op byte) string {
			if op&0x80 != 0 {
				return s2
			}
			return s1
		}
		// put records value v in the expected tree; in an object it first
		// writes the key.
		put := func(op byte, v any) {
			if len(stack) == 0 {
				top, done = v, true
				return
			}
			c := stack[len(stack)-1]
			if c.obj != nil {
				c.obj[decoded(pick(op^0x80))] = v
				return
			}
			c.arr = append(c.arr, v)
		}
		key := func(op byte) {
			if len(stack) > 0 && stack[len(stack)-1].obj != nil {
				w.Key(pick(op ^ 0x80))
			}
		}
		inObject := func() bool { return len(stack) > 0 && stack[len(stack)-1].obj != nil }
		end := func() {
			c := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			var v any = c.arr
			if c.obj != nil {
				w.EndObject()
				v = c.obj
			} else {
				w.EndArray()
				if c.arr == nil {
					v = []any{}
				}
			}
			if len(stack) == 0 {
				top, done = v, true
				return
			}
			p := stack[len(stack)-1]
			if p.obj != nil {
				p.obj[c.key] = v
			} else {
				p.arr = append(p.arr, v)
			}
		}
		for _, op := range prog {
			if done {
				break
			}
			switch op & 0x7f % 14 {
			case 0:
				key(op)
				w.String(pick(op))
				put(op, decoded(pick(op)))
			case 1:
				key(op)
				w.StringBytes([]byte(pick(op)))
				put(op, decoded(pick(op)))
			case 2:
				n := int64(op)*-72057594037927936 + int64(len(s1))
				key(op)
				w.Int(n)
				put(op, json.Number(strconv.FormatInt(n, 10)))
			case 3:
				key(op)
				w.Bool(op&0x80 != 0)
				put(op, op&0x80 != 0)
			case 4:
				key(op)
				w.Null()
				put(op, nil)
			case 5:
				if !numberLiteral([]byte(num)) {
					if validNumber([]byte(num)) {
						t.Fatalf("validNumber accepts %q", num)
					}
					continue
				}
				key(op)
				w.Number([]byte(num))
				put(op, json.Number(num))
			case 6, 7:
				c := &container{}
				if op&0x7f%14 == 6 {
					c.obj = map[string]any{}
				}
				if inObject() {
					c.key = decoded(pick(op ^ 0x80))
				}
				key(op)
				if c.obj != nil {
					w.BeginObject()
				} else {
					w.BeginArray()
				}
				stack = append(stack, c)
			case 8:
				if len(stack) > 0 {
					end()
				}
			case 9:
				key(op)
				w.Raw([]byte(`{"r":[1,"\u00e9"]}`))
				put(op, map[string]any{"r": []any{json.Number("1"), "é"}})
			case 10, 11, 12:
				if !inObject() {
					continue
				}
				k, v := pick(op^0x80), pick(op)
				switch op & 0x7f % 14 {
				case 10:
					w.OptString(k, v)
				case 11:
					w.OptStringBytes(k, []byte(v))
				case 12:
					if !numberLiteral([]byte(v)) && v != "" {
						continue
					}
					w.OptNumber(k, []byte(v))
				}
				if v != "" {
					if op&0x7f%14 == 12 {
						stack[len(stack)-1].obj[decoded(k)] = json.Number(v)
					} else {
						stack[len(stack)-1].obj[decoded(k)] = decoded(v)
					}
				}
			case 13:
				if len(stack) == 0 {
					continue
				}
				// A key's escaping, checked on its own.
				key(op)
				w.String(pick(op ^ 0x80))
				put(op, decoded(pick(op^0x80)))
			}
		}
		for len(stack) > 0 {
			end()
		}
		if !done {
			w.Null()
			top = nil
		}
		out, ok := bytes.CutPrefix(w.Bytes(), []byte("prefix"))
		if !ok {
			t.Fatalf("Reset's contents lost: %q", w.Bytes())
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %q", out)
		}
		if !utf8.Valid(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		var got any
		if err := dec.Decode(&got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, top) {
			t.Fatalf("%s decodes to\n%#v\nwant\n%#v", out, got, top)
		}
		for _, s := range []string{s1, s2} {
			if utf8.ValidString(s) && decoded(s) != s {
				t.Fatalf("valid %q would not round-trip", s)
			}
		}
	})
}

// decoded is what a string written by String decodes to: s itself when it
// is valid UTF-8, else s with each byte that utf8 cannot decode replaced by
// U+FFFD, as converting to runes does.
func decoded(s string) string { return string([]rune(s)) }
