package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/tradewind/tradewind/internal/voc/langid"
	"github.com/tradewind/tradewind/internal/voc/sentiment"
	"github.com/tradewind/tradewind/internal/voc/topics"
)

// vocCommand is `tradewind voc`: voice-of-the-customer tools.
func vocCommand() *ffcli.Command {
	return &ffcli.Command{
		Name:        "voc",
		ShortUsage:  "tradewind voc score [flags] < texts.ndjson",
		ShortHelp:   "voice of the customer: language, sentiment and topics of reviews and posts",
		Subcommands: []*ffcli.Command{vocScoreCommand(os.Stdin, os.Stdout, os.Stderr), vocReportCommand(), vocCheckCommand()},
		Exec:        func(context.Context, []string) error { return flag.ErrHelp },
	}
}

// maxVocLine is the longest input line accepted (1 MiB).
const maxVocLine = 1 << 20

func vocScoreCommand(stdin io.Reader, stdout, stderr io.Writer) *ffcli.Command {
	fs := flag.NewFlagSet("voc score", flag.ContinueOnError)
	topicsFile := fs.String("topics", "", "JSON file that extends or overrides the topic vocabulary (format: package internal/voc/topics, Config)")
	aspects := fs.Bool("aspects", false, `add "aspects": the sentiment of each topic, from the sentences that mention it`)
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "texts scored in parallel")
	return &ffcli.Command{
		Name:       "score",
		ShortUsage: "tradewind voc score [--topics FILE] [--aspects] < in.ndjson > out.ndjson",
		ShortHelp:  "score NDJSON texts on stdin: language, sentiment and topics, one NDJSON line out per line in",
		LongHelp: `Reads NDJSON lines {"id": …, "text": "…", "lang": "…"} on standard input
(id a string or a number, passed through as given; lang optional: when given
it is trusted, reduced to its primary subtag) and writes, in input order, one
line per input line:

  {"id": …, "lang": "de", "sentiment": "negative", "score": -0.82, "topics": ["shipping"]}

lang is a BCP-47 primary subtag (en, es, de, fr, it, pt, ja, zh, ko), "und"
when unknown; score is P(positive) − P(negative) in [-1, 1]; topics are topic
ids (see internal/voc/topics). Blank lines are skipped. A line that cannot be
scored (not JSON, no id, id not a string or number, text missing or not a
string, longer than 1 MiB) gives, in its place, the line

  {"line": 7, "id": …, "error": "…"}

(id only when it could be read), and a message naming the line on standard
error. The exit code is 0 when every line was scored, 1 otherwise.`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageErr(fmt.Errorf("unexpected arguments %q", args))
			}
			vocab := topics.Default()
			if *topicsFile != "" {
				f, err := os.Open(*topicsFile)
				if err != nil {
					return usageErr(err)
				}
				cfg, err := topics.ReadConfig(f)
				f.Close()
				if err == nil {
					vocab, err = vocab.Extend(cfg)
				}
				if err != nil {
					return usageErr(fmt.Errorf("%s: %w", *topicsFile, err))
				}
			}
			sc := &vocScorer{model: sentiment.Default(), vocab: vocab, aspects: *aspects}
			total, failed, err := sc.run(ctx, stdin, stdout, stderr, max(*workers, 1))
			if err != nil {
				return err
			}
			if failed > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d of %d lines could not be scored", failed, total)}
			}
			return nil
		},
	}
}

// vocScorer scores NDJSON lines.
type vocScorer struct {
	model   *sentiment.Model
	vocab   *topics.Vocabulary
	aspects bool
}

// vocLine is one input line and, once scored, its output.
type vocLine struct {
	n      int // 1-based line number
	in     []byte
	out    []byte
	errMsg string
}

type vocIn struct {
	ID   json.RawMessage `json:"id"`
	Text *string         `json:"text"`
	Lang *string         `json:"lang"`
}

type vocOut struct {
	ID        json.RawMessage `json:"id"`
	Lang      string          `json:"lang"`
	Sentiment string          `json:"sentiment"`
	Score     float64         `json:"score"`
	Topics    []string        `json:"topics"`
	Aspects   []vocAspect     `json:"aspects,omitempty"`
}

type vocAspect struct {
	Topic     string  `json:"topic"`
	Sentiment string  `json:"sentiment"`
	Score     float64 `json:"score"`
}

type vocError struct {
	Line  int             `json:"line"`
	ID    json.RawMessage `json:"id,omitempty"`
	Error string          `json:"error"`
}

// run reads batches of lines, scores each batch in parallel and writes it
// in order. It returns the number of lines read (blank ones excepted) and
// of lines that could not be scored.
func (s *vocScorer) run(ctx context.Context, r io.Reader, w, errw io.Writer, workers int) (total, failed int, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	defer bw.Flush()
	const batch = 2048
	lineNo := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, failed, err
		}
		var lines []*vocLine
		eof := false
		for len(lines) < batch {
			line, tooLong, rerr := readLine(br, maxVocLine)
			if rerr == io.EOF && line == nil {
				eof = true
				break
			}
			if rerr != nil && rerr != io.EOF {
				return total, failed, fmt.Errorf("reading standard input: %w", rerr)
			}
			lineNo++
			if !tooLong && len(bytes.TrimSpace(line)) == 0 {
				if rerr == io.EOF {
					eof = true
					break
				}
				continue
			}
			l := &vocLine{n: lineNo, in: line}
			if tooLong {
				l.errMsg = fmt.Sprintf("line longer than %d bytes", maxVocLine)
			}
			lines = append(lines, l)
			if rerr == io.EOF {
				eof = true
				break
			}
			if br.Buffered() == 0 {
				// Nothing more is waiting: score what we have rather
				// than block, so that a stream gets its answers promptly.
				break
			}
		}
		var wg sync.WaitGroup
		next := make(chan *vocLine)
		for range min(workers, max(len(lines), 1)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for l := range next {
					s.score(l)
				}
			}()
		}
		for _, l := range lines {
			next <- l
		}
		close(next)
		wg.Wait()
		for _, l := range lines {
			total++
			if l.errMsg != "" {
				failed++
				fmt.Fprintf(errw, "tradewind voc score: line %d: %s\n", l.n, l.errMsg)
			}
			bw.Write(l.out)
			bw.WriteByte('\n')
		}
		if err := bw.Flush(); err != nil {
			return total, failed, err
		}
		if eof {
			return total, failed, nil
		}
	}
}

// readLine reads one line without its newline; a line longer than limit is
// consumed and reported as tooLong.
func readLine(br *bufio.Reader, limit int) (line []byte, tooLong bool, err error) {
	for {
		frag, isPrefix, err := br.ReadLine()
		if err != nil {
			if line != nil || tooLong {
				return line, tooLong, io.EOF
			}
			return nil, false, err
		}
		if !tooLong {
			if len(line)+len(frag) > limit {
				tooLong, line = true, []byte{}
			} else {
				line = append(line, frag...)
			}
		}
		if !isPrefix {
			if line == nil {
				line = []byte{}
			}
			return line, tooLong, nil
		}
	}
}

// score fills l.out (and l.errMsg when the line cannot be scored).
func (s *vocScorer) score(l *vocLine) {
	fail := func(id json.RawMessage, msg string) {
		l.errMsg = msg
		l.out, _ = json.Marshal(vocError{Line: l.n, ID: id, Error: msg})
	}
	if l.errMsg != "" {
		fail(nil, l.errMsg)
		return
	}
	var in vocIn
	if err := json.Unmarshal(l.in, &in); err != nil {
		var probe any
		if json.Unmarshal(l.in, &probe) == nil {
			fail(nil, "not a JSON object with a string text: "+err.Error())
		} else {
			fail(nil, "not JSON: "+err.Error())
		}
		return
	}
	id := bytes.TrimSpace(in.ID)
	switch {
	case len(id) == 0 || string(id) == "null":
		fail(nil, `missing "id"`)
		return
	case id[0] != '"' && id[0] != '-' && (id[0] < '0' || id[0] > '9'):
		fail(nil, `"id" must be a string or a number`)
		return
	case in.Text == nil:
		fail(id, `missing "text"`)
		return
	}
	text := *in.Text
	lang := ""
	if in.Lang != nil {
		lang = primarySubtag(*in.Lang)
	}
	if lang == "" {
		lang = langid.Detect(text)
	}
	r := s.model.ScoreLang(text, lang)
	out := vocOut{ID: id, Lang: lang, Sentiment: string(r.Label), Score: round3(r.Score), Topics: s.vocab.Find(text)}
	if out.Topics == nil {
		out.Topics = []string{}
	}
	if s.aspects && len(out.Topics) > 0 {
		out.Aspects = aspectsOf(s.model, s.vocab, text, lang)
	}
	b, err := json.Marshal(out)
	if err != nil {
		fail(id, err.Error())
		return
	}
	l.out = b
}

// aspectsOf scores each mentioned topic on the sentences that mention it.
func aspectsOf(m *sentiment.Model, v *topics.Vocabulary, text, lang string) []vocAspect {
	var order []string
	sents := map[string][]string{}
	for _, mn := range v.Mentions(text) {
		if _, ok := sents[mn.Topic]; !ok {
			order = append(order, mn.Topic)
		}
		sents[mn.Topic] = append(sents[mn.Topic], mn.Sentence)
	}
	var out []vocAspect
	for _, t := range order {
		r := m.ScoreLang(strings.Join(sents[t], " "), lang)
		out = append(out, vocAspect{Topic: t, Sentiment: string(r.Label), Score: round3(r.Score)})
	}
	return out
}

// primarySubtag reduces a language tag ("en-US", "zh_Hant", "DE") to its
// lower-case primary subtag; "" when the tag is empty.
func primarySubtag(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	return strings.ToLower(tag)
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// vocReportCommand prints the node's voice-of-the-customer summary: the
// sentiment mix by marketplace and language, the topics with their rating
// impact, and the open alerts.
func vocReportCommand() *ffcli.Command {
	var days int
	return command("report", "tradewind voc report [--days 90]",
		"sentiment by marketplace and language, topics with rating impact, open alerts — from the node's reviews",
		func(fs *flag.FlagSet) { fs.IntVar(&days, "days", 90, "days of reviews") },
		func(ctx context.Context, r *remote, _ []string) error {
			out := map[string]any{}
			for key, path := range map[string]string{
				"by_marketplace": fmt.Sprintf("/v1/voc/summary?by=marketplace&days=%d", days),
				"by_language":    fmt.Sprintf("/v1/voc/summary?by=language&days=%d", days),
				"topics":         fmt.Sprintf("/v1/voc/topics?days=%d", days),
				"open_alerts":    "/v1/alerts?status=open",
			} {
				var v any
				if err := r.get(ctx, path, &v); err != nil {
					return err
				}
				out[key] = v
			}
			return printJSON(out)
		})
}

// vocCheckCommand runs the brand-health check now.
func vocCheckCommand() *ffcli.Command {
	return command("check", "tradewind voc check", "run the brand-health check now and print its alerts",
		nil, func(ctx context.Context, r *remote, _ []string) error {
			var out any
			if err := r.postJSON(ctx, "/v1/voc/check", map[string]any{}, &out); err != nil {
				return err
			}
			return printJSON(out)
		})
}
