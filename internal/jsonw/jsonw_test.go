package jsonw

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// str returns what String writes for s as a lone value.
func str(s string) string {
	var w Writer
	w.String(s)
	return string(w.Bytes())
}

func TestStringEscaping(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", `""`},
		{"plain", "Kiteline 29.90 €", `"Kiteline 29.90 €"`},
		{"quote", `say "hi"`, `"say \"hi\""`},
		{"backslash", `C:\dir\`, `"C:\\dir\\"`},
		{"slash kept", "a/b", `"a/b"`},
		{"short forms", "a\nb\rc\td", `"a\nb\rc\td"`},
		{"backspace and form feed", "\b\f", `"\u0008\u000c"`},
		{"NUL", "\x00", `"\u0000"`},
		{"unit separator", "\x1f", `"\u001f"`},
		{"DEL kept", "\x7f", "\"\x7f\""},
		{"mixed", "\"\\\x01x\u00e9", `"\"\\\u0001xé"`},
		{"two-byte", "Müller", `"Müller"`},
		{"three-byte", "北京", `"北京"`},
		{"four-byte", "🧳", `"🧳"`},
		{"U+FFFD kept", "\ufffd", "\"\ufffd\""},
		{"U+2028 and U+2029 kept", "a\u2028b\u2029c", "\"a\u2028b\u2029c\""},
		{"max rune", "\U0010ffff", "\"\U0010ffff\""},
		// Invalid UTF-8: every byte utf8.DecodeRune reports as (RuneError, 1)
		// becomes one U+FFFD.
		{"lone continuation", "a\x80b", "\"a\ufffdb\""},
		{"lone 0xff", "\xff", "\"\ufffd\""},
		{"overlong slash", "\xc0\xaf", "\"\ufffd\ufffd\""},
		{"overlong 3-byte", "\xe0\x80\xaf", "\"\ufffd\ufffd\ufffd\""},
		{"surrogate", "\xed\xa0\x80", "\"\ufffd\ufffd\ufffd\""},
		{"above U+10FFFF", "\xf4\x90\x80\x80", "\"\ufffd\ufffd\ufffd\ufffd\""},
		{"truncated 3-byte", "\xe2\x82", "\"\ufffd\ufffd\""},
		{"truncated then ASCII", "\xe2\x82x\"", "\"\ufffd\ufffdx\\\"\""},
		{"truncated 4-byte at end", "ok\xf0\x9f\xa7", "\"ok\ufffd\ufffd\ufffd\""},
		{"bad byte then valid", "\xff€", "\"\ufffd€\""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := str(c.in); got != c.want {
				t.Errorf("String(%q) = %s, want %s", c.in, got, c.want)
			}
			var w Writer
			w.StringBytes([]byte(c.in))
			if got := string(w.Bytes()); got != c.want {
				t.Errorf("StringBytes(%q) = %s, want %s", c.in, got, c.want)
			}
			// The free functions append to what dst holds, with no comma.
			if got := string(AppendString([]byte("x="), c.in)); got != "x="+c.want {
				t.Errorf("AppendString(%q) = %s, want x=%s", c.in, got, c.want)
			}
			if got := string(AppendStringBytes([]byte("x="), []byte(c.in))); got != "x="+c.want {
				t.Errorf("AppendStringBytes(%q) = %s, want x=%s", c.in, got, c.want)
			}
		})
	}
}

// TestEveryControlCharacter checks each of U+0000 to U+001F alone and
// between other text, against the escape RFC 8259 allows and against
// encoding/json's decoding.
func TestEveryControlCharacter(t *testing.T) {
	short := map[byte]string{'\n': `\n`, '\r': `\r`, '\t': `\t`}
	for c := byte(0); c < 0x20; c++ {
		want, ok := short[c]
		if !ok {
			want = fmt.Sprintf(`\u%04x`, c)
		}
		in := "a" + string(c) + "b"
		got := str(in)
		if got != `"a`+want+`b"` {
			t.Errorf("%#x: got %s, want \"a%sb\"", c, got, want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil || back != in {
			t.Errorf("%#x: %s decodes to %q, %v", c, got, back, err)
		}
	}
}

// reference is what String must write for s, spelt out rune by rune
// with unicode/utf8.
func reference(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			sb.WriteRune(utf8.RuneError)
		case r == '"' || r == '\\':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(&sb, `\u%04x`, r)
		default:
			sb.WriteString(s[i : i+n])
		}
		i += n
	}
	sb.WriteByte('"')
	return sb.String()
}

// checkString compares String and StringBytes with reference.
func checkString(t *testing.T, s string) {
	t.Helper()
	want := reference(s)
	if got := str(s); got != want {
		t.Fatalf("String(%q) = %s, want %s", s, got, want)
	}
	var w Writer
	w.StringBytes([]byte(s))
	if got := string(w.Bytes()); got != want {
		t.Fatalf("StringBytes(%q) = %s, want %s", s, got, want)
	}
}

// TestEveryByteAtEveryPosition puts each byte value at each position of
// ASCII strings of up to 24 bytes: the word-at-a-time checks must notice it
// wherever it falls, at the start, middle or end of a word or of the
// overlapping words of short strings.
func TestEveryByteAtEveryPosition(t *testing.T) {
	const filler = "abcdefghijklmnopqrstuvwx"
	for n := 1; n <= len(filler); n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				s := []byte(filler[:n])
				s[pos] = byte(c)
				checkString(t, string(s))
			}
		}
	}
}

// TestUTF8Sequences checks String against reference on every lead
// byte from 0x80 followed by a spread of continuation and other bytes, at
// every length from 1 to 4, alone and between text: the valid sequences,
// overlong forms, surrogates, code points above U+10FFFF and truncations.
func TestUTF8Sequences(t *testing.T) {
	next := []byte{0x00, 0x22, 0x3f, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff}
	var buf [4]byte
	check := func(s []byte) {
		checkString(t, string(s))
		checkString(t, "ab"+string(s)+"é\n")
		checkString(t, "12345678"+string(s)+"9")
	}
	for lead := 0x80; lead < 0x100; lead++ {
		buf[0] = byte(lead)
		check(buf[:1])
		for _, second := range next {
			buf[1] = second
			check(buf[:2])
			for _, third := range next {
				buf[2] = third
				check(buf[:3])
				for _, fourth := range next {
					buf[3] = fourth
					check(buf[:4])
				}
			}
		}
	}
}

func TestKeyEscaped(t *testing.T) {
	var w Writer
	w.BeginObject()
	w.Key(`a"b`).Int(1)
	w.Key("").Int(2)
	w.Key("\x01\xff").Int(3)
	w.EndObject()
	want := "{\"a\\\"b\":1,\"\":2,\"\\u0001\ufffd\":3}"
	if got := string(w.Bytes()); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestValues(t *testing.T) {
	var w Writer
	w.BeginArray()
	w.Int(0)
	w.Int(-9223372036854775808)
	w.Int(9223372036854775807)
	w.Bool(true)
	w.Bool(false)
	w.Null()
	w.Number([]byte("29.90"))
	w.Number([]byte("-0.000000000000000000001"))
	w.Number([]byte("12345678901234567890123456789.5"))
	w.Number([]byte("1E+2"))
	w.Raw([]byte(`{"pre":[1,"x"]}`))
	w.String("s")
	w.EndArray()
	want := `[0,-9223372036854775808,9223372036854775807,true,false,null,29.90,-0.000000000000000000001,12345678901234567890123456789.5,1E+2,{"pre":[1,"x"]},"s"]`
	if got := string(w.Bytes()); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestNumberGrammar(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"0", true}, {"-0", true}, {"7", true}, {"10", true}, {"-12.50", true},
		{"0.0", true}, {"1e5", true}, {"1E-5", true}, {"2.5e+10", true}, {"-0.1e0", true},
		{"", false}, {"-", false}, {"+1", false}, {"01", false}, {"-01", false},
		{".5", false}, {"5.", false}, {"1.e5", false}, {"1e", false}, {"1e+", false},
		{"1.5.2", false}, {" 1", false}, {"1 ", false}, {"0x10", false}, {"NaN", false},
		{"Infinity", false}, {"1,5", false}, {"١", false}, {"true", false}, {"null", false},
	} {
		if got := validNumber([]byte(c.in)); got != c.ok {
			t.Errorf("validNumber(%q) = %v, want %v", c.in, got, c.ok)
		}
		if got := numberLiteral([]byte(c.in)); got != c.ok {
			t.Errorf("reference numberLiteral(%q) = %v, want %v", c.in, got, c.ok)
		}
	}
}

// numberLiteral is the reference for validNumber: what encoding/json
// accepts as a whole document, less the other literals and the white
// space it allows around them.
func numberLiteral(s []byte) bool {
	if len(s) == 0 || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return false
	}
	if c := s[len(s)-1]; c < '0' || c > '9' {
		return false
	}
	return json.Valid(s)
}

func TestNumberPanicsOnNonNumber(t *testing.T) {
	var w Writer
	w.BeginArray()
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("Number(\"1,5\") did not panic")
		}
		if msg, _ := r.(string); !strings.Contains(msg, `"1,5"`) {
			t.Errorf("panic %v does not quote the text", r)
		}
		if got := string(w.Bytes()); got != "[" {
			t.Errorf("Number wrote %q before panicking", got)
		}
	}()
	w.Number([]byte("1,5"))
}

// TestNesting builds nested objects and arrays, empty ones included, and
// checks the commas.
func TestNesting(t *testing.T) {
	for _, c := range []struct {
		name  string
		write func(w *Writer)
		want  string
	}{
		{"empty object", func(w *Writer) { w.BeginObject(); w.EndObject() }, `{}`},
		{"empty array", func(w *Writer) { w.BeginArray(); w.EndArray() }, `[]`},
		{"top-level string", func(w *Writer) { w.String("x") }, `"x"`},
		{"object in object", func(w *Writer) {
			w.BeginObject()
			w.Key("a").Int(1)
			w.Key("o").BeginObject()
			w.Key("b").Bool(true)
			w.Key("e").BeginObject()
			w.EndObject()
			w.EndObject()
			w.Key("c").Null()
			w.EndObject()
		}, `{"a":1,"o":{"b":true,"e":{}},"c":null}`},
		{"arrays of objects and arrays", func(w *Writer) {
			w.BeginArray()
			for i := 0; i < 3; i++ {
				w.BeginObject()
				w.Key("i").Int(int64(i))
				w.Key("l").BeginArray()
				for j := 0; j < i; j++ {
					w.BeginArray()
					w.Int(int64(j))
					w.EndArray()
				}
				w.EndArray()
				w.EndObject()
			}
			w.BeginArray()
			w.EndArray()
			w.String("end")
			w.EndArray()
		}, `[{"i":0,"l":[]},{"i":1,"l":[[0]]},{"i":2,"l":[[0],[1]]},[],"end"]`},
		{"optional members", func(w *Writer) {
			w.BeginObject()
			w.OptString("a", "")
			w.OptString("b", "x")
			w.OptStringBytes("c", nil)
			w.OptStringBytes("d", []byte("y"))
			w.OptNumber("e", nil)
			w.OptNumber("f", []byte("1.50"))
			w.OptString("g", "")
			w.EndObject()
		}, `{"b":"x","d":"y","f":1.50}`},
		{"raw object member", func(w *Writer) {
			w.BeginObject()
			w.Key("r").Raw([]byte(`[true]`))
			w.Key("s").String("")
			w.EndObject()
		}, `{"r":[true],"s":""}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var w Writer
			c.write(&w)
			got := w.Bytes()
			if string(got) != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			if !json.Valid(got) {
				t.Errorf("not valid JSON: %s", got)
			}
		})
	}
}

func TestResetAppendsAndReuses(t *testing.T) {
	var w Writer
	w.Reset([]byte("line1\n"))
	w.BeginObject()
	w.Key("k").String("v")
	w.EndObject()
	if got, want := string(w.Bytes()), "line1\n{\"k\":\"v\"}"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	first := &w.Bytes()[0]
	w.Reset(w.Bytes()[:0])
	w.BeginArray() // no comma carried over from the last document
	w.EndArray()
	if got := string(w.Bytes()); got != "[]" {
		t.Fatalf("after Reset got %q", got)
	}
	if &w.Bytes()[0] != first {
		t.Error("Reset(w.Bytes()[:0]) did not reuse the buffer")
	}
}

func TestAllocationFree(t *testing.T) {
	var w Writer
	w.Reset(make([]byte, 0, 4096))
	num := []byte("29.90")
	val := []byte("Müller \"x\" \xff")
	allocs := testing.AllocsPerRun(100, func() {
		w.Reset(w.Bytes()[:0])
		w.BeginObject()
		w.Key("type").String("track")
		w.Key("n").Int(42)
		w.Key("p").Number(num)
		w.Key("b").Bool(true)
		w.Key("z").Null()
		w.Key("a").BeginArray()
		w.StringBytes(val)
		w.Raw(num)
		w.EndArray()
		w.OptStringBytes("o", val)
		w.OptNumber("q", num)
		w.OptString("s", "北京\u2028")
		w.EndObject()
	})
	if allocs != 0 {
		t.Errorf("%v allocations per message, want 0", allocs)
	}
}
