package pii

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/valyala/fastjson"
)

func FuzzParseEnvelope(f *testing.F) {
	keys := newMemKeys()
	id, a, _ := keys.KeyFor("s")
	tok := BlindIndex(testIndexKey, KindEmail, "x@example.com")
	env := string(seal(nil, a, id, KindEmail, tok, []byte("traits.email"), []byte("x@example.com"), false))
	f.Add(env)
	f.Add(string(seal(nil, a, id, KindPII, "", []byte("p"), []byte(`{"a":1}`), true)))
	f.Add("tw1.pii.0..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("tw1.pii.3w5e11264sgsf.." + env[len(env)-43:])
	f.Add("tw1.")
	f.Add("jane@example.com")
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEnvelope(s)
		if (err == nil) != IsEnvelope(s) {
			t.Fatalf("ParseEnvelope and IsEnvelope disagree on %q: %v", s, err)
		}
		if err != nil {
			return
		}
		if e.String() != s {
			t.Fatalf("not canonical: %q became %q", s, e.String())
		}
		if isEnvelopeText([]byte(s)) != true {
			t.Fatal("isEnvelopeText disagrees")
		}
		// Opening never panics, and only the real envelope opens.
		got, err := Decrypt(keys, "traits.email", s)
		if err == nil && (s != env || got != "x@example.com") {
			t.Fatalf("forged envelope %q opened: %q", s, got)
		}
	})
}

func FuzzEncryptDecrypt(f *testing.F) {
	for _, s := range []string{
		identifyMsg, orderMsg, trackMsg, trackMediumMsg,
		`{"type":"group","traits":{"name":"Initech","email":"a@b.co"}}`,
		`{"traits":{"email":"a@b.co","email":"c@d.co"},"properties":{"x":{"y":"+44 7700 900123","y":1}}}`,
		`{"properties":{"q":"say \"hi\"\u0001","email":"x\"\u007f@b.co","k\u0000\"":"v"},"event":"a\"\u0007"}`,
		`{"properties":{"card":"4111 1111 1111 1111","iban":"GB82WEST12345698765432","n":[["jane@example.com"]]}}`,
		`{"context":{"traits":{"address":{"zip":94103,"geo":{"lat":1.5}}}},"traits":{"phone":447700900123}}`,
		`{"properties":{"s":"\ud800","t":"\ud83d\ude00 \"x\""}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) || bytes.Contains(in, []byte("tw1.")) {
			return // forged envelopes have no key to open them with
		}
		var p fastjson.Parser
		v, err := p.ParseBytes(in)
		if err != nil || v.Type() != fastjson.TypeObject {
			return
		}
		// What fastjson read, written correctly: the reference.
		want := appendJSON(nil, fastjson.MustParseBytes(append([]byte(nil), in...)))

		keys := newMemKeys()
		e := &Encryptor{Keys: keys, IndexKey: testIndexKey}
		res, err := e.Encrypt(v, "u:web:1", "GB", &fastjson.Arena{})
		if err != nil {
			return // a duplicated root
		}
		out := v.MarshalTo(nil)
		if !json.Valid(out) {
			t.Fatalf("Encrypt wrote invalid JSON:\n in %s\nout %s", in, out)
		}
		plain, err := DecryptJSON(keys, out, isDestroyed)
		if err != nil {
			t.Fatalf("DecryptJSON: %v\n%s", err, out)
		}
		if !sameJSON(plain, want) {
			t.Fatalf("round trip differs:\n  in %s\nwant %s\n got %s", in, want, plain)
		}
		for _, tk := range res.Tokens {
			if tk.Path == "" || len(tk.Token) != TokenLen {
				t.Fatalf("token %+v", tk)
			}
		}
		// Idempotent: encrypting again changes nothing.
		var p2 fastjson.Parser
		v2, err := p2.ParseBytes(out)
		if err != nil {
			t.Fatal(err)
		}
		res2, err := e.Encrypt(v2, "u:web:1", "GB", &fastjson.Arena{})
		// (Fewer High fields when copying collapsed a duplicated key.)
		if err != nil || res2.Changed || res2.HighFields > res.HighFields {
			t.Fatalf("second pass: %+v, %v (first %+v)", res2, err, res)
		}
		if out2 := v2.MarshalTo(nil); !bytes.Equal(out, out2) && !sameJSON(out, out2) {
			t.Fatalf("second pass changed the message:\n%s\n%s", out, out2)
		}
	})
}

// sameJSON compares two documents as encoding/json reads them, numbers by
// their text.
func sameJSON(a, b []byte) bool {
	decode := func(x []byte) (any, bool) {
		d := json.NewDecoder(bytes.NewReader(x))
		d.UseNumber()
		var v any
		return v, d.Decode(&v) == nil
	}
	va, ok1 := decode(a)
	vb, ok2 := decode(b)
	return ok1 && ok2 && reflect.DeepEqual(va, vb)
}
