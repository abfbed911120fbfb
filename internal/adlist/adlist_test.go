package adlist

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

func TestHashKnownVectors(t *testing.T) {
	for in, want := range map[string]string{
		// FIPS 180-2 test vectors.
		"":    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"abc": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		// The normalised, hashed e-mail example a platform's customer-file
		// guide publishes.
		"janedoe@gmail.com": "d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69",
	} {
		if got := Hash(in); got != want {
			t.Errorf("Hash(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{
		"  JaneDoe@Gmail.COM ":       "janedoe@gmail.com",
		"jane.doe+shop@gmail.com":    "jane.doe+shop@gmail.com", // no dot or tag stripping
		"Wang.Fang@Example.CN\t":     "wang.fang@example.cn",
		"user@sub.domain.example.jp": "user@sub.domain.example.jp",
	} {
		got, ok := NormalizeEmail(in)
		if !ok || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "   ", "jane", "@example.com", "jane@", "jane@localhost", "a@b@c.com", "jane doe@example.com", "Jane <jane@example.com>", "jane@example..com", "jane@.example.com", "jane@example.com."} {
		if got, ok := NormalizeEmail(bad); ok {
			t.Errorf("NormalizeEmail(%q) accepted as %q", bad, got)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	for _, c := range []struct{ raw, region, want string }{
		{"138 0013 8000", "CN", "+8613800138000"},
		{"+86 138-0013-8000", "", "+8613800138000"},
		{"0086 13800138000", "CN", "+8613800138000"},
		{"(415) 555-2671", "us", "+14155552671"},
		{"+1 415 555 2671", "JP", "+14155552671"}, // "+" wins over the region
		{"090-1234-5678", "JP", "+819012345678"},
		{"07911 123456", "GB", "+447911123456"},
	} {
		got, ok := NormalizePhone(c.raw, c.region)
		if !ok || got != c.want {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q", c.raw, c.region, got, ok, c.want)
		}
	}
	for _, c := range []struct{ raw, region string }{
		{"", "CN"},
		{"13800138000", ""},   // no country code and no region
		{"13800138000", "US"}, // a Chinese mobile read as American is not a valid US number
		{"12345", "CN"},
		{"not a phone", "CN"},
		{"07700 900123", "GB"}, // Ofcom's range for drama: never a real person
	} {
		if got, ok := NormalizePhone(c.raw, c.region); ok {
			t.Errorf("NormalizePhone(%q, %q) accepted as %q", c.raw, c.region, got)
		}
	}
	if MetaPhone("+8613800138000") != "8613800138000" {
		t.Error("MetaPhone kept the +")
	}
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

var rows = []Row{
	{Email: " Wang.Fang@Example.CN ", Phone: "138 0013 8000", Country: "CN"},
	{Email: "JaneDoe@Gmail.com", Phone: "(415) 555-2671", Country: "us"},
	{Email: "", Phone: "+86 138 0013 8000"},          // country taken from the number
	{Email: "broken", Phone: "", Country: "DE"},      // nothing usable: skipped
	{Email: "", Phone: "13800138000", Country: "US"}, // invalid for US: skipped
	{Email: "only@mail.example", Phone: "garbage", Country: ""},
}

func TestWriteMeta(t *testing.T) {
	var b bytes.Buffer
	c, err := WriteMeta(&b, rows)
	if err != nil {
		t.Fatal(err)
	}
	if c.Written != 4 || c.Skipped != 2 {
		t.Fatalf("counts %+v, want 4 written, 2 skipped", c)
	}
	want := [][]string{
		{"email", "phone", "country"},
		{
			"3c97eb1247f40cf13cff591a2e9be050dc4003fa4c3f0a1ba47ed4cf7e0f9574", // wang.fang@example.cn
			"bf08aacce7f9b2452863cf99373043c3333f0e3127f1f787c4abb46ab6cf2b83", // 8613800138000
			"ff2082aa78aea80a27cb4fb91f0350153702c16dce790a77f0bb0bfbf6899977", // cn
		},
		{
			"d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69", // janedoe@gmail.com
			"758fbf68945f21c416814c539ab578876c8d98fb69e6da692def92cd52417fe0", // 14155552671
			"79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621", // us
		},
		{"", "bf08aacce7f9b2452863cf99373043c3333f0e3127f1f787c4abb46ab6cf2b83", "ff2082aa78aea80a27cb4fb91f0350153702c16dce790a77f0bb0bfbf6899977"},
		{Hash("only@mail.example"), "", ""},
	}
	got := readCSV(t, b.Bytes())
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d:\n%s", len(got), len(want), b.String())
	}
	for i := range want {
		if strings.Join(got[i], ",") != strings.Join(want[i], ",") {
			t.Errorf("record %d = %v, want %v", i, got[i], want[i])
		}
	}
	if strings.Contains(b.String(), "@") || strings.Contains(b.String(), "138") {
		t.Error("plain values in the file")
	}
}

func TestWriteGoogle(t *testing.T) {
	var b bytes.Buffer
	c, err := WriteGoogle(&b, rows)
	if err != nil {
		t.Fatal(err)
	}
	if c.Written != 4 || c.Skipped != 2 {
		t.Fatalf("counts %+v, want 4 written, 2 skipped", c)
	}
	want := [][]string{
		{"Email", "Phone"},
		{
			"3c97eb1247f40cf13cff591a2e9be050dc4003fa4c3f0a1ba47ed4cf7e0f9574", // wang.fang@example.cn
			"ec61f3c620a98bdead8c1f1f0ae747abd1b62a0c2dba4fd4bc22cf0d1d8653e5", // +8613800138000
		},
		{
			"d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69", // janedoe@gmail.com
			"cb6880e416769253645cb9c6b8989154bf66a56a77fc14c81fb1019663cbb928", // +14155552671
		},
		{"", "ec61f3c620a98bdead8c1f1f0ae747abd1b62a0c2dba4fd4bc22cf0d1d8653e5"},
		{Hash("only@mail.example"), ""},
	}
	got := readCSV(t, b.Bytes())
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d:\n%s", len(got), len(want), b.String())
	}
	for i := range want {
		if strings.Join(got[i], ",") != strings.Join(want[i], ",") {
			t.Errorf("record %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestWriteEmpty(t *testing.T) {
	var b bytes.Buffer
	c, err := WriteGoogle(&b, nil)
	if err != nil || c != (Counts{}) || b.String() != "Email,Phone\n" {
		t.Fatalf("empty: %+v %v %q", c, err, b.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errFail }

var errFail = &failErr{}

type failErr struct{}

func (*failErr) Error() string { return "disk full" }

func TestWriteErrorNamesNoValues(t *testing.T) {
	_, err := WriteMeta(failWriter{}, rows)
	if err == nil {
		t.Fatal("no error from a failing writer")
	}
	if strings.Contains(err.Error(), "wang") {
		t.Errorf("error leaks a value: %v", err)
	}
}
