// Command gen rebuilds profiles.bin, the character n-gram profiles that
// package langid embeds, from the language models of github.com/pemistahl/lingua-go
// (Apache-2.0). It reads the models' files directly, so it needs no
// dependency: fetch the module once (outside this module, so go.mod stays
// as it is) and point -models at it, from the project root:
//
//	(cd "$(mktemp -d)" && go mod init tmp && go mod download github.com/pemistahl/lingua-go@v1.4.0)
//	go run ./internal/voc/langid/gen -models "$(go env GOMODCACHE)/github.com/pemistahl/lingua-go@v1.4.0/language-models"
//
// For each of en, es, de, fr, it, pt it keeps the unigram, bigram and trigram
// conditional probabilities that lingua estimated, quantised to one byte of
// −log p each, for every n-gram seen in at least one language (trigrams: the
// most probable ones, see -max3).
package main

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"
	"sort"
)

var langs = []string{"en", "es", "de", "fr", "it", "pt"}

func main() {
	models := flag.String("models", "", "lingua-go language-models directory")
	out := flag.String("out", "internal/voc/langid/profiles.bin", "output file")
	max3 := flag.Int("max3", 4000, "trigrams kept per language (most frequent by conditional probability × prefix probability)")
	flag.Parse()
	if *models == "" {
		log.Fatal("-models is required")
	}
	var buf bytes.Buffer
	buf.WriteString("TWLID1")
	buf.WriteByte(byte(len(langs)))
	for n := 1; n <= 3; n++ {
		name := []string{"", "unigrams", "bigrams", "trigrams"}[n]
		table := map[string][]float64{}
		uni := make([]map[string]float64, len(langs))
		for li, l := range langs {
			m := readModel(filepath.Join(*models, l, name+".pb.bin.zip"))
			if n == 3 {
				// Rank by an estimate of the joint probability: conditional
				// probability times the bigram prefix's frequency proxy.
				bi := readModel(filepath.Join(*models, l, "bigrams.pb.bin.zip"))
				un := readModel(filepath.Join(*models, l, "unigrams.pb.bin.zip"))
				type kv struct {
					k string
					p float64
				}
				var all []kv
				for k, p := range m {
					r := []rune(k)
					joint := p * bi[string(r[:2])] * un[string(r[:1])]
					all = append(all, kv{k, joint})
				}
				sort.Slice(all, func(i, j int) bool {
					if all[i].p != all[j].p {
						return all[i].p > all[j].p
					}
					return all[i].k < all[j].k
				})
				kept := map[string]float64{}
				for i := 0; i < len(all) && i < *max3; i++ {
					kept[all[i].k] = m[all[i].k]
				}
				m = kept
			}
			uni[li] = m
			for k := range m {
				if table[k] == nil {
					table[k] = make([]float64, len(langs))
				}
				table[k][li] = m[k]
			}
		}
		keys := make([]string, 0, len(table))
		for k := range table {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		buf.WriteByte(byte(n))
		buf.Write(binary.AppendUvarint(nil, uint64(len(keys))))
		for _, k := range keys {
			buf.WriteByte(byte(len(k)))
			buf.WriteString(k)
			for _, p := range table[k] {
				buf.WriteByte(quant(p))
			}
		}
		fmt.Fprintf(os.Stderr, "%s: %d n-grams\n", name, len(keys))
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s (%d bytes)\n", *out, buf.Len())
}

// quant maps p to round(−8·ln p) capped at 254; 255 means "unseen".
func quant(p float64) byte {
	if p <= 0 {
		return 255
	}
	q := math.Round(-8 * math.Log(p))
	if q > 254 {
		q = 254
	}
	return byte(q)
}

// readModel decodes one lingua-go SerializableLanguageModel (protobuf) by
// hand: field 4 holds ngram sets, each a double probability (field 1) and
// the n-grams sharing it (field 2).
func readModel(path string) map[string]float64 {
	zr, err := zip.OpenReader(path)
	if err != nil {
		log.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 {
		log.Fatalf("%s: want one file in the zip", path)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		log.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		log.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fields(data) {
		if f.num != 4 {
			continue
		}
		var p float64
		var grams []string
		for _, g := range fields(f.bytes) {
			switch g.num {
			case 1:
				p = math.Float64frombits(g.u)
			case 2:
				grams = append(grams, string(g.bytes))
			}
		}
		for _, s := range grams {
			out[s] = p
		}
	}
	return out
}

type field struct {
	num   int
	u     uint64
	bytes []byte
}

func fields(b []byte) []field {
	var out []field
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			log.Fatal("bad protobuf key")
		}
		b = b[n:]
		f := field{num: int(key >> 3)}
		switch key & 7 {
		case 0:
			v, n := binary.Uvarint(b)
			b, f.u = b[n:], v
		case 1:
			f.u = binary.LittleEndian.Uint64(b)
			b = b[8:]
		case 2:
			l, n := binary.Uvarint(b)
			b = b[n:]
			f.bytes, b = b[:l], b[l:]
		case 5:
			f.u = uint64(binary.LittleEndian.Uint32(b))
			b = b[4:]
		default:
			log.Fatalf("unsupported wire type %d", key&7)
		}
		out = append(out, f)
	}
	return out
}
