package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/testlog"
)

// twStdin is tw with standard input: it runs the command in a child
// process (this test binary, see TestMain) and returns its standard
// output, standard error and exit code.
func twStdin(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TRADEWIND_TEST_RUN_MAIN="+strings.Join(args, "\x1f"))
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	testlog.Writer(t).Write(errb.Bytes())
	return out.String(), errb.String(), code
}

func decodeLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	s := bufio.NewScanner(strings.NewReader(out))
	for s.Scan() {
		var m map[string]any
		d := json.NewDecoder(strings.NewReader(s.Text()))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatalf("output line %q: %v", s.Text(), err)
		}
		rows = append(rows, m)
	}
	return rows
}

func TestVocScore(t *testing.T) {
	in := strings.Join([]string{
		`{"id": "r1", "text": "Great quality, fast shipping. Love it!"}`,
		`{"id": 2, "text": "Die Lieferung kam zu spät und die Verpackung war kaputt."}`,
		`{"id": 3.5, "text": "质量很差，客服也不回复", "lang": "zh-CN"}`,
		``,
		`{"id": "r4", "text": "最悪です。すぐに壊れました。"}`,
		`{"id": "r5", "text": "ok", "lang": "EN"}`,
		`{"id": "r6", "text": "👍"}`,
		`{"id": "r7", "text": "El envío fue rápido pero la talla es muy pequeña."}`,
	}, "\n") + "\n"
	out, stderr, code := twStdin(t, in, "voc", "score")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows := decodeLines(t, out)
	if len(rows) != 7 {
		t.Fatalf("want 7 lines (the blank one skipped), got %d:\n%s", len(rows), out)
	}
	want := []struct {
		id, lang, sentiment string
		topics              []string
	}{
		{"r1", "en", "positive", []string{"shipping", "quality"}},
		{"2", "de", "negative", []string{"shipping", "packaging", "durability"}},
		{"3.5", "zh", "negative", []string{"quality", "customer_service"}},
		{"r4", "ja", "negative", []string{"durability"}},
		{"r5", "en", "", []string{}},
		{"r6", "und", "positive", []string{}},
		{"r7", "es", "", []string{"shipping", "size_fit"}},
	}
	for i, w := range want {
		r := rows[i]
		if id, _ := json.Marshal(r["id"]); strings.Trim(string(id), `"`) != w.id {
			t.Errorf("line %d: id %s, want %s", i, id, w.id)
		}
		if r["lang"] != w.lang {
			t.Errorf("line %d: lang %v, want %s", i, r["lang"], w.lang)
		}
		if w.sentiment != "" && r["sentiment"] != w.sentiment {
			t.Errorf("line %d: sentiment %v, want %s", i, r["sentiment"], w.sentiment)
		}
		score, err := r["score"].(json.Number).Float64()
		if err != nil || score < -1 || score > 1 {
			t.Errorf("line %d: score %v", i, r["score"])
		}
		got, _ := json.Marshal(r["topics"])
		exp, _ := json.Marshal(w.topics)
		if string(got) != string(exp) {
			t.Errorf("line %d: topics %s, want %s", i, got, exp)
		}
	}
	// Ids keep their JSON type: a number stays a number.
	if !strings.Contains(out, `"id":2,`) || !strings.Contains(out, `"id":3.5,`) || !strings.Contains(out, `"id":"r1"`) {
		t.Errorf("ids not passed through as given:\n%s", out)
	}
}

func TestVocScoreMalformedLines(t *testing.T) {
	in := strings.Join([]string{
		`{"id": "a", "text": "Works fine."}`,
		`this is not json`,
		`{"text": "no id"}`,
		`{"id": "b"}`,
		`{"id": {"x": 1}, "text": "object id"}`,
		`{"id": "c", "text": 42}`,
		`{"id": "d", "text": "Terrible, broke on day one."}`,
		`{"id": "e", "text": "` + strings.Repeat("long ", 1<<18) + `"}`,
		`{"id": "f", "text": "Fine."}`,
	}, "\n") // no final newline
	out, stderr, code := twStdin(t, in, "voc", "score")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	rows := decodeLines(t, out)
	if len(rows) != 9 {
		t.Fatalf("want one output line per input line, got %d:\n%.2000s", len(rows), out)
	}
	if rows[0]["id"] != "a" || rows[0]["sentiment"] == nil || rows[6]["id"] != "d" || rows[6]["sentiment"] != "negative" || rows[8]["id"] != "f" {
		t.Errorf("good lines: %v %v %v", rows[0], rows[6], rows[8])
	}
	if rows[7]["line"] != json.Number("8") || !strings.Contains(stderr, "line 8: line longer than") {
		t.Errorf("too long line: %v %s", rows[7], stderr)
	}
	for i := 1; i <= 5; i++ {
		if rows[i]["error"] == nil || rows[i]["line"] != json.Number(string(rune('0'+i+1))) {
			t.Errorf("line %d: want an error line naming line %d, got %v", i+1, i+1, rows[i])
		}
		if !strings.Contains(stderr, "line "+string(rune('0'+i+1))+":") {
			t.Errorf("stderr does not name line %d: %s", i+1, stderr)
		}
	}
	if rows[3]["id"] != "b" {
		t.Errorf("error line keeps a readable id: %v", rows[3])
	}
	if !strings.Contains(stderr, "6 of 9 lines could not be scored") {
		t.Errorf("stderr: %s", stderr)
	}
}

func TestVocScoreTopicsFileAndAspects(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "topics.json")
	os.WriteFile(file, []byte(`{"topics": [{"id": "battery", "terms": {"en": ["battery"], "de": ["akku"]}}]}`), 0o600)
	out, stderr, code := twStdin(t, `{"id": 1, "text": "The battery is awful. Shipping was fast."}`+"\n", "voc", "score", "--topics", file, "--aspects")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows := decodeLines(t, out)
	if len(rows) != 1 {
		t.Fatalf("%s", out)
	}
	got, _ := json.Marshal(rows[0]["topics"])
	if string(got) != `["shipping","battery"]` {
		t.Errorf("topics %s", got)
	}
	aspects, _ := json.Marshal(rows[0]["aspects"])
	if !strings.Contains(string(aspects), `{"score":`) && !strings.Contains(string(aspects), `"topic":"battery"`) {
		t.Errorf("aspects %s", aspects)
	}
	for _, a := range rows[0]["aspects"].([]any) {
		m := a.(map[string]any)
		if m["topic"] == "battery" && m["sentiment"] != "negative" || m["topic"] == "shipping" && m["sentiment"] == "negative" {
			t.Errorf("aspect %v", m)
		}
	}
	os.WriteFile(file, []byte(`{"topics": [{"terms": {}}]}`), 0o600)
	if _, _, code := twStdin(t, "", "voc", "score", "--topics", file); code == 0 {
		t.Errorf("bad topics file: exit %d, want non-zero", code)
	}
}

// TestVocScoreStreams checks that a line is answered before standard input
// closes, so that the command can sit in a pipeline fed as reviews come.
func TestVocScoreStreams(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TRADEWIND_TEST_RUN_MAIN="+strings.Join([]string{"voc", "score"}, "\x1f"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		got <- line
	}()
	if _, err := stdin.Write([]byte(`{"id": 1, "text": "Love it"}` + "\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case line := <-got:
		if !strings.Contains(line, `"id":1`) {
			t.Errorf("got %q", line)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no answer while standard input stays open")
	}
}

// TestVocTrainCLI: `voc train` on a data directory with no server (the
// directory opened in the process), `voc model`, `voc score --data` using
// the accepted model for its language only, and `voc model --revert`.
// The reviews are a seller's slang the built-in model reads wrongly
// ("brick": it died; "fire": great), imported as a reviews CSV.
func TestVocTrainCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command in child processes")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if out, code := tw(t, "sources", "create", "--data", data, "--name", "Shop", "--id", "shop", "--currency", "EUR"); code != 0 {
		t.Fatalf("sources create: %d %s", code, out)
	}
	var csv strings.Builder
	csv.WriteString("review_id,product_id,rating,timestamp,language,body\n")
	items := []string{"charger", "cable", "case", "lamp", "speaker", "mouse", "stand", "hub", "fan", "clock"}
	neg := []string{"total brick after %d days", "became a brick on day %d", "bricked within %d hours", "is a brick after %d uses"}
	pos := []string{"is fire, %d out of 10", "is pure fire, used it %d times", "is absolute fire after %d weeks", "is a fire product, %d stars"}
	for i := range 600 {
		rating, phrase := 5, pos[i/2%len(pos)]
		if i%2 == 0 {
			rating, phrase = 1, neg[i/2%len(neg)]
		}
		fmt.Fprintf(&csv, "r%d,p%d,%d,2026-05-%02dT10:00:00Z,en,\"The %s %s\"\n", i, i%7, rating, i%28+1, items[i%len(items)], fmt.Sprintf(phrase, i%30+1))
	}
	fmt.Fprintf(&csv, "r-mid,p1,3,2026-05-02T10:00:00Z,en,It is fine.\n")
	file := filepath.Join(dir, "reviews.csv")
	os.WriteFile(file, []byte(csv.String()), 0o600)
	if out, code := tw(t, "import", "--data", data, "--kind", "reviews", "--file", file, "--source", "shop", "--json"); code != 0 {
		t.Fatalf("import: %d %s", code, out)
	}

	if _, stderr, code := twFull(t, "voc", "train", "--data", data, "--holdout", "0.8"); code == 0 || !strings.Contains(stderr, "holdout") {
		t.Errorf("holdout 0.8: exit %d, %s", code, stderr)
	}
	out, stderr, code := twFull(t, "voc", "train", "--data", data, "--min-per-class", "100")
	if code != 0 {
		t.Fatalf("voc train: %d %s %s", code, out, stderr)
	}
	var res struct {
		Report struct {
			Version   string
			Accepted  []string
			Activated bool
			Left3     int `json:"left_out_3_star"`
			Languages []struct {
				Lang, Decision string
				Heldout        int
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("voc train output: %v\n%s", err, out)
	}
	t.Logf("voc train:\n%s", stderr)
	if !res.Report.Activated || len(res.Report.Accepted) != 1 || res.Report.Accepted[0] != "en" || res.Report.Left3 != 1 ||
		res.Report.Languages[0].Heldout != 120 {
		t.Fatalf("voc train report: %s", out)
	}
	if !strings.Contains(stderr, "en ") || !strings.Contains(stderr, "accepted") {
		t.Errorf("no table on standard error: %s", stderr)
	}
	out, code = tw(t, "voc", "model", "--data", data)
	if code != 0 || !strings.Contains(out, `"seller": "`+res.Report.Version+`"`) {
		t.Fatalf("voc model: %d %s", code, out)
	}

	in := `{"id":1,"text":"My new lamp became a brick on day 3","lang":"en"}` + "\n" +
		`{"id":2,"text":"Die Lampe ist nach drei Tagen kaputt gegangen."}` + "\n"
	withModel, stderr, code := twStdin(t, in, "voc", "score", "--data", data)
	if code != 0 || !strings.Contains(stderr, res.Report.Version) {
		t.Fatalf("voc score --data: %d %s", code, stderr)
	}
	builtin, _, code := twStdin(t, in, "voc", "score")
	if code != 0 {
		t.Fatalf("voc score: %d", code)
	}
	wm, bi := decodeLines(t, withModel), decodeLines(t, builtin)
	if wm[0]["sentiment"] != "negative" || wm[0]["score"] == bi[0]["score"] {
		t.Errorf("English with the seller model %v, built-in %v", wm[0], bi[0])
	}
	if wm[1]["score"] != bi[1]["score"] || wm[1]["lang"] != "de" {
		t.Errorf("German changed with the seller model: %v vs %v", wm[1], bi[1])
	}

	out, code = tw(t, "voc", "model", "--data", data, "--revert")
	if code != 0 || !strings.Contains(out, `"reverted": "`+res.Report.Version+`"`) {
		t.Fatalf("voc model --revert: %d %s", code, out)
	}
	after, _, _ := twStdin(t, in, "voc", "score", "--data", data)
	if after != builtin {
		t.Errorf("after the revert voc score --data differs from the built-in model:\n%s\n%s", after, builtin)
	}
}
