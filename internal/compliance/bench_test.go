package compliance

import (
	"strings"
	"testing"
)

// BenchmarkCheckLargeHTML checks a 1 MB HTML body (the API's limit)
// against the Chinese rules: the check must stay well under a second.
func BenchmarkCheckLargeHTML(b *testing.B) {
	para := `<tr><td style="padding:8px">春节礼盒，全网最佳，第一次购买立减，仅需¥144元。Eco-friendly packaging, 4 pcs.</td></tr>`
	html := "<table>" + strings.Repeat(para, (1<<20)/len(para)) + "</table>"
	c := Content{Country: "CN", Channel: "email", Subject: "【广告】春节", HTML: html}
	b.SetBytes(int64(len(html)))
	for b.Loop() {
		Default().Check(c)
	}
}
