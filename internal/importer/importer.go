// Package importer runs bulk imports: it reads a file with the records
// package, sends every record through the same validation and event log as
// the HTTP API, quarantines bad rows with their line numbers, and reports
// what the store decided — accepted, duplicate, quarantined — only after the
// store writer has applied the last message.
//
// Imported messages get deterministic ids (from the source, the kind, the
// row's natural key and its content), so importing the same file again adds
// nothing, while a corrected row (same order id, new status) comes through as
// a new version that updates its order.
package importer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/valyala/fastjson"

	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/ingest/records"
	"github.com/tradewind/tradewind/internal/source"
	"github.com/tradewind/tradewind/internal/store"
)

// Importer runs imports.
type Importer struct {
	Ingest *ingest.Service
	Store  store.Store
	// Redact, if set, replaces the personal values of a bad row before the
	// row goes into the report's quarantine (the privacy service does it).
	Redact func(raw, header []byte, delim byte, ndjson bool) []byte
}

// Request is one import.
type Request struct {
	Source  source.Source
	Kind    records.Kind
	Format  records.Format
	Mapping *records.Mapping
	Input   io.Reader
	// Progress, if set, is called about every chunk with the rows read.
	Progress func(rows int)
	// KeepRaw keeps the raw text of bad rows in the report (for the
	// quarantine file beside the input), at most MaxRawRejects of them.
	KeepRaw bool
}

// MaxRawRejects bounds the raw rejected rows a report carries.
const MaxRawRejects = 100000

// Reject is one quarantined row.
type Reject struct {
	Line   int    `json:"line"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
	Raw    string `json:"raw,omitempty"`
}

// Report is the outcome of an import.
type Report struct {
	ImportID    string `json:"import_id"`
	Source      string `json:"source"`
	Kind        string `json:"kind"`
	Records     int    `json:"records"`
	Accepted    int64  `json:"accepted"`
	Duplicates  int64  `json:"duplicates"`
	Quarantined int64  `json:"quarantined"`
	// Suppressed counts rows of erased people, dropped.
	Suppressed int64    `json:"suppressed,omitempty"`
	Seconds    float64  `json:"seconds"`
	Rejects    []Reject `json:"rejects,omitempty"`
}

const (
	chunk         = 2000
	pipelineDepth = 3
)

// Run imports req and returns its report. An error means the import could not
// run (unreadable header, event log down); rows already accepted stay
// accepted and a re-run adds only what is missing.
func (im *Importer) Run(ctx context.Context, req Request) (*Report, error) {
	start := time.Now()
	rd, err := records.NewReader(req.Input, req.Kind, req.Format, req.Mapping)
	if err != nil {
		return nil, err
	}
	rep := &Report{ImportID: newImportID(), Source: req.Source.ID, Kind: string(req.Kind)}
	opts := ingest.Options{ImportID: rep.ImportID, Permanent: true, Internal: true}
	var (
		items   []ingest.Item
		lines   []int
		maxSeq  uint64
		jsDups  int64
		supp    int64
		rejects []store.QuarantineEntry
	)
	reject := func(line int, field, reason string, raw []byte) {
		rep.Quarantined++
		rejects = append(rejects, store.QuarantineEntry{At: time.Now().UTC(), SourceID: req.Source.ID,
			Origin: "import", ImportID: rep.ImportID, Line: int64(line), Index: -1, Field: field, Reason: reason})
		r := Reject{Line: line, Field: field, Reason: reason}
		if req.KeepRaw && len(rep.Rejects) < MaxRawRejects {
			if im.Redact != nil {
				raw = im.Redact(raw, rd.Header(), rd.Delimiter(), rd.Format() == records.FormatNDJSON)
			}
			r.Raw = string(raw)
		}
		rep.Rejects = append(rep.Rejects, r)
	}
	// Chunks are submitted to the log back to back, up to pipelineDepth of
	// them unacknowledged, so reading and validating overlap with the log's
	// acknowledgements; the log keeps them in file order.
	type inflight struct {
		sub   *ingest.Submission
		lines []int
		raws  [][]byte // the rows' messages, by index in the chunk (KeepRaw)
	}
	var (
		queue []inflight
		raws  [][]byte
		idBuf []byte // messageID's scratch
	)
	collect := func() error {
		c := queue[0]
		queue = queue[1:]
		out, err := c.sub.Wait(ctx)
		if err != nil {
			return err
		}
		for i, o := range out {
			switch {
			case o.Err != nil:
				field, reason := ingest.FieldErr(o.Err)
				var raw []byte
				if c.raws != nil {
					raw = c.raws[i]
				}
				reject(c.lines[i], field, reason, raw)
			case o.Suppressed:
				supp++
			case o.Duplicate:
				jsDups++
			default:
				maxSeq = max(maxSeq, o.Seq)
			}
		}
		return nil
	}
	flush := func() error {
		if len(items) > 0 {
			sub, err := im.Ingest.Submit(req.Source, items, opts)
			if err != nil {
				return err
			}
			queue = append(queue, inflight{sub: sub, lines: lines, raws: raws})
			items, lines, raws = nil, nil, nil
		}
		for len(queue) > pipelineDepth {
			if err := collect(); err != nil {
				return err
			}
		}
		if req.Progress != nil {
			req.Progress(rep.Records)
		}
		return nil
	}
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *records.RowError
		if errors.As(err, &re) {
			rep.Records++
			reject(re.Line, re.Field, re.Reason, re.Raw)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		rep.Records++
		if items == nil {
			items, lines = make([]ingest.Item, 0, chunk), make([]int, 0, chunk)
			if req.KeepRaw {
				raws = make([][]byte, 0, chunk)
			}
		}
		var id string
		id, idBuf = messageID(idBuf, req.Source.ID, req.Kind, rec)
		items = append(items, ingest.Item{Raw: rec.Message, MessageID: id})
		lines = append(lines, rec.Line)
		if req.KeepRaw {
			raws = append(raws, rec.Message)
		}
		if len(items) == chunk {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	for len(queue) > 0 {
		if err := collect(); err != nil {
			return nil, err
		}
	}
	// Bad rows are found while reading, bad messages when their chunk is
	// acknowledged: report them in file order.
	slices.SortStableFunc(rep.Rejects, func(a, b Reject) int { return a.Line - b.Line })
	if len(rejects) > 0 {
		if err := im.Store.Quarantine(ctx, rejects); err != nil {
			return nil, err
		}
	}
	// The store has the last word on duplicates beyond JetStream's window.
	if maxSeq > 0 {
		if err := store.WaitApplied(ctx, im.Store, maxSeq); err != nil {
			return nil, fmt.Errorf("import: waiting for the store: %w", err)
		}
	}
	t, err := im.Store.ImportTally(ctx, rep.ImportID)
	if err != nil {
		return nil, err
	}
	rep.Accepted = t.Stored
	rep.Duplicates = jsDups + t.Duplicates
	rep.Suppressed = supp
	rep.Quarantined += t.Rejected
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// messageID is deterministic: the same row of the same source and kind gets
// the same id; a changed row a new one. NDJSON messages that carry their own
// messageId keep it (Key and id both empty then means: use the message's).
// The id is the SHA-256 of "source NUL kind NUL key NUL message", laid out
// in buf (returned for reuse): ids must never change, or re-importing a
// file would add its rows again.
func messageID(buf []byte, src string, kind records.Kind, rec records.Record) (string, []byte) {
	if rec.Key == "" && fastjson.GetString(rec.Message, "messageId") != "" {
		return "", buf
	}
	buf = append(buf[:0], src...)
	buf = append(append(buf, 0), kind...)
	buf = append(append(buf, 0), rec.Key...)
	buf = append(append(buf, 0), rec.Message...)
	sum := sha256.Sum256(buf)
	var id [4 + 32]byte
	copy(id[:], "imp-")
	hex.Encode(id[4:], sum[:16])
	return string(id[:]), buf
}

func newImportID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}
