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
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/tradewind/tradewind/internal/voc"
	"github.com/tradewind/tradewind/internal/voc/langid"
	"github.com/tradewind/tradewind/internal/voc/sentiment"
	"github.com/tradewind/tradewind/internal/voc/topics"
)

// vocCommand is `tradewind voc`: voice-of-the-customer tools.
func vocCommand() *ffcli.Command {
	return &ffcli.Command{
		Name:       "voc",
		ShortUsage: "tradewind voc score [flags] < texts.ndjson",
		ShortHelp:  "voice of the customer: language, sentiment and topics of reviews and posts",
		Subcommands: []*ffcli.Command{vocScoreCommand(os.Stdin, os.Stdout, os.Stderr), vocReportCommand(), vocCheckCommand(),
			vocTrainCommand(), vocModelCommand(), vocRescoreCommand()},
		Exec: func(context.Context, []string) error { return flag.ErrHelp },
	}
}

// maxVocLine is the longest input line accepted (1 MiB).
const maxVocLine = 1 << 20

func vocScoreCommand(stdin io.Reader, stdout, stderr io.Writer) *ffcli.Command {
	fs := flag.NewFlagSet("voc score", flag.ContinueOnError)
	topicsFile := fs.String("topics", "", "JSON file that extends or overrides the topic vocabulary (format: package internal/voc/topics, Config)")
	aspects := fs.Bool("aspects", false, `add "aspects": the sentiment of each topic, from the sentences that mention it`)
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "texts scored in parallel")
	data := fs.String("data", "", "score with the seller model of this data directory (DIR/models, from tradewind voc train) for its languages; default: the built-in model only")
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
			if *data != "" {
				// Reading the model files needs no lock on the data
				// directory: this works while a server runs there.
				sm := &voc.SellerModels{Dir: filepath.Join(*data, "models")}
				if err := sm.Load(); err != nil {
					return usageErr(err)
				}
				if cur := sm.Current(); cur != nil {
					sc.seller = cur.Models
					fmt.Fprintf(stderr, "tradewind voc score: seller model %s for %s\n", cur.Report.Version, strings.Join(cur.Report.Accepted, ", "))
				}
			}
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
	model *sentiment.Model
	// seller are the seller's own models by language (voc train), used
	// instead of model for their languages.
	seller  map[string]*sentiment.Model
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
	m := s.model
	if sm, ok := s.seller[lang]; ok {
		m = sm
	}
	r := m.ScoreLang(text, lang)
	out := vocOut{ID: id, Lang: lang, Sentiment: string(r.Label), Score: round3(r.Score), Topics: s.vocab.Find(text)}
	if out.Topics == nil {
		out.Topics = []string{}
	}
	if s.aspects && len(out.Topics) > 0 {
		out.Aspects = aspectsOf(m, s.vocab, text, lang)
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

// vocTrainCommand is `tradewind voc train`: the seller's own sentiment
// model, through POST /v1/voc/train.
func vocTrainCommand() *ffcli.Command {
	var minPer int
	var holdout float64
	var seed uint64
	var dry, rescore, scratch bool
	return command("train", "tradewind voc train [--min-per-class 200] [--holdout 0.2] [--seed 1] [--dry-run] [--rescore] [--scratch]",
		"learn a sentiment model from the seller's rated reviews; serve it for the languages where it beats the built-in one",
		func(fs *flag.FlagSet) {
			fs.IntVar(&minPer, "min-per-class", 200, "fewest negative (1–2 star) and positive (4–5 star) reviews a language needs")
			fs.Float64Var(&holdout, "holdout", 0.2, "share of each language's reviews held out for the evaluation (≤ 0.5)")
			fs.Uint64Var(&seed, "seed", 1, "seed of the held-out split")
			fs.BoolVar(&dry, "dry-run", false, "train and evaluate only: serve nothing")
			fs.BoolVar(&rescore, "rescore", false, "when a model is accepted, re-score the stored reviews with it too")
			fs.BoolVar(&scratch, "scratch", false, "train each language's model from zero instead of fine-tuning the built-in model")
		},
		func(ctx context.Context, r *remote, args []string) error {
			if len(args) > 0 {
				return usageErr(fmt.Errorf("unexpected arguments %q", args))
			}
			opt := voc.TrainOptions{MinPerClass: minPer, Holdout: holdout, Seed: seed}
			if err := opt.Validate(); err != nil {
				return usageErr(err)
			}
			var out struct {
				Report  voc.TrainReport    `json:"report"`
				Rescore *voc.RescoreResult `json:"rescore,omitempty"`
			}
			body := map[string]any{"min_per_class": minPer, "holdout": holdout, "seed": seed, "dry_run": dry, "rescore": rescore, "scratch": scratch}
			if err := r.postJSON(ctx, "/v1/voc/train", body, &out); err != nil {
				return err
			}
			printTrainReport(os.Stderr, &out.Report)
			return printJSON(out)
		})
}

// printTrainReport writes the per-language decisions as a table.
func printTrainReport(w io.Writer, rep *voc.TrainReport) {
	fmt.Fprintf(w, "%d rated reviews with text: %d negative (1–2 stars), %d positive (4–5), %d with 3 stars left out\n",
		rep.Reviews, rep.Negative, rep.Positive, rep.Neutral3Star)
	fmt.Fprintf(w, "%-5s %6s %6s %7s %15s %15s %8s  %s\n", "lang", "neg", "pos", "heldout", "built-in acc/F1", "trained acc/F1", "p", "decision")
	for _, l := range rep.Languages {
		if l.Builtin == nil {
			fmt.Fprintf(w, "%-5s %6d %6d %7s %15s %15s %8s  %s: %s\n", l.Lang, l.Negative, l.Positive, "-", "-", "-", "-", l.Decision, l.Reason)
			continue
		}
		fmt.Fprintf(w, "%-5s %6d %6d %7d %7.3f/%.3f %7.3f/%.3f %8.2g  %s: %s\n", l.Lang, l.Negative, l.Positive, l.Heldout,
			l.Builtin.Accuracy, l.Builtin.MacroF1, l.Trained.Accuracy, l.Trained.MacroF1, l.PValue, l.Decision, l.Reason)
	}
	if rep.Note != "" {
		fmt.Fprintln(w, rep.Note)
	}
}

// vocModelCommand is `tradewind voc model`: which model scores each
// language; --revert goes back to the built-in model.
func vocModelCommand() *ffcli.Command {
	var revert bool
	return command("model", "tradewind voc model [--revert]",
		"show which sentiment model scores each language; --revert serves the built-in model again",
		func(fs *flag.FlagSet) {
			fs.BoolVar(&revert, "revert", false, "stop serving the seller model (DELETE /v1/voc/model)")
		},
		func(ctx context.Context, r *remote, _ []string) error {
			var out any
			var err error
			if revert {
				err = r.do(ctx, "DELETE", "/v1/voc/model", nil, "", &out)
			} else {
				err = r.get(ctx, "/v1/voc/model", &out)
			}
			if err != nil {
				return err
			}
			return printJSON(out)
		})
}

// vocRescoreCommand is `tradewind voc rescore`: re-score stored reviews
// with the models that serve now.
func vocRescoreCommand() *ffcli.Command {
	var langs string
	return command("rescore", "tradewind voc rescore [--lang de,fr]",
		"re-score the stored reviews with the sentiment models that serve now (after voc train or voc model --revert)",
		func(fs *flag.FlagSet) {
			fs.StringVar(&langs, "lang", "", "only reviews in these languages (comma-separated; default all)")
		},
		func(ctx context.Context, r *remote, _ []string) error {
			var out any
			path := "/v1/voc/rescore"
			if langs != "" {
				path += "?lang=" + url.QueryEscape(langs)
			}
			if err := r.postJSON(ctx, path, map[string]any{}, &out); err != nil {
				return err
			}
			return printJSON(out)
		})
}
