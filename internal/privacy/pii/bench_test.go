package pii

import (
	"testing"

	"github.com/valyala/fastjson"
)

// BenchmarkEncryptTrackNoPII is the common case: a ~400-byte track event
// with nothing to seal. The message is parsed once; Encrypt only walks it.
func BenchmarkEncryptTrackNoPII(b *testing.B) {
	benchWalk(b, trackMsg)
}

// BenchmarkEncryptTrackMedium adds the IP address and user agent a browser
// event carries (two Medium fields to report).
func BenchmarkEncryptTrackMedium(b *testing.B) {
	benchWalk(b, trackMediumMsg)
}

func benchWalk(b *testing.B, msg string) {
	e := newEncryptor(newMemKeys())
	v := fastjson.MustParse(msg)
	var a fastjson.Arena
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := e.Encrypt(v, "u:web:u_8f3a2c91", "GB", &a)
		if err != nil || res.Changed {
			b.Fatal(res, err)
		}
	}
}

// BenchmarkEncryptIdentify seals an identify's name, email, phone, birthday
// and address (11 fields) under a cached key. Each iteration parses the
// message afresh (Encrypt changes it); BenchmarkParseIdentify is that part
// alone.
func BenchmarkEncryptIdentify(b *testing.B) {
	e := newEncryptor(newMemKeys())
	var p fastjson.Parser
	var a fastjson.Arena
	b.SetBytes(int64(len(identifyMsg)))
	b.ReportAllocs()
	for b.Loop() {
		v, err := p.Parse(identifyMsg)
		if err != nil {
			b.Fatal(err)
		}
		a.Reset()
		res, err := e.Encrypt(v, "u:web:97980cfea0067", "GB", &a)
		if err != nil || res.HighFields != 11 {
			b.Fatal(res, err)
		}
	}
}

func BenchmarkParseIdentify(b *testing.B) {
	var p fastjson.Parser
	b.SetBytes(int64(len(identifyMsg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(identifyMsg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncryptIdentifySealed is a re-ingested identify: every High
// field is already an envelope.
func BenchmarkEncryptIdentifySealed(b *testing.B) {
	e := newEncryptor(newMemKeys())
	_, out := encrypt(b, e, identifyMsg, "u:web:97980cfea0067", "GB")
	v := fastjson.MustParseBytes(out)
	var a fastjson.Arena
	b.ReportAllocs()
	for b.Loop() {
		if res, err := e.Encrypt(v, "u:web:97980cfea0067", "GB", &a); err != nil || res.Changed {
			b.Fatal(res, err)
		}
	}
}

func BenchmarkDecryptJSONIdentify(b *testing.B) {
	keys := newMemKeys()
	_, out := encrypt(b, newEncryptor(keys), identifyMsg, "u:web:97980cfea0067", "GB")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecryptJSON(keys, out, isDestroyed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClassify(b *testing.B) {
	c := NewClassifier(nil)
	b.ReportAllocs()
	for b.Loop() {
		if c.Classify("properties.shipping_address.street", "6th St") != High {
			b.Fatal()
		}
	}
}

// BenchmarkParseTrack is fastjson's parse of the message of
// BenchmarkEncryptTrackNoPII: the yardstick for the walk's cost.
func BenchmarkParseTrack(b *testing.B) {
	var p fastjson.Parser
	b.SetBytes(int64(len(trackMsg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(trackMsg); err != nil {
			b.Fatal(err)
		}
	}
}
