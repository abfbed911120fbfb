package shopify

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzMap checks that no body makes Map panic or emit invalid JSON.
func FuzzMap(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(len(name)))
	}
	f.Add([]byte(`{"id":1,"currency":"EUR","total_price":1.5,"line_items":[{"quantity":2,"price":"0.10"}]}`), uint8(0))
	f.Fuzz(func(t *testing.T, body []byte, sel uint8) {
		msgs, err := Map(Topics[int(sel)%len(Topics)], body)
		if err != nil {
			return
		}
		for _, m := range msgs {
			if !json.Valid(m.JSON) || m.Key == "" {
				t.Fatalf("bad message %q key %q", m.JSON, m.Key)
			}
		}
	})
}
