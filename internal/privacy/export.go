package privacy

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tradewind/tradewind/internal/privacy/keystore"
	"github.com/tradewind/tradewind/internal/privacy/pii"
	"github.com/tradewind/tradewind/internal/store"
)

// Export errors.
var (
	ErrNotExport        = errors.New("the request is not an export")
	ErrAwaitingApproval = errors.New("the export waits for a second person's approval")
)

// Document is a data-subject export: everything held about a person.
type Document struct {
	RequestID   string                      `json:"request_id"`
	GeneratedAt time.Time                   `json:"generated_at"`
	Identifier  Shown                       `json:"identifier"`
	Masked      bool                        `json:"masked"`
	Identities  []store.Identity            `json:"identities"`
	Data        map[string][]map[string]any `json:"data"`
	Notes       []string                    `json:"notes"`
}

// Export builds the export document of a completed export request. Personal
// fields are decrypted, or masked for a masked export; values whose key is
// destroyed show as "[erased]". It returns the number of rows too, for the
// caller's access monitoring.
func (s *Service) Export(ctx context.Context, id string) (*Document, int, error) {
	r, err := s.reqs.get(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	if r.Kind != KindExport {
		return nil, 0, ErrNotExport
	}
	if r.AwaitingApproval {
		return nil, 0, ErrAwaitingApproval
	}
	if r.Query == nil {
		return nil, 0, fmt.Errorf("privacy: request %s has no query", id)
	}
	if err := s.catchUp(ctx); err != nil {
		return nil, 0, err
	}
	p, err := s.cfg.Store.FindPerson(ctx, *r.Query, s.cfg.MaxIdentities)
	if err != nil {
		return nil, 0, err
	}
	doc := &Document{RequestID: r.ID, GeneratedAt: time.Now().UTC(), Identifier: r.Identifier, Masked: r.Masked,
		Identities: p.Identities, Data: map[string][]map[string]any{},
		Notes: []string{
			"Every row tradewind's store holds about the person, per table; identities are the sender ids linked to the identifier.",
			"Consent decisions are in data.consent; the event log holds the same messages as data.events.",
		}}
	if len(p.Identities) == 0 {
		doc.Notes = append(doc.Notes, "No data is held about this identifier.")
		r.Downloads++
		_ = s.reqs.put(ctx, r)
		return doc, 0, nil
	}
	tables, err := s.cfg.Store.PersonData(ctx, p)
	if err != nil {
		return nil, 0, err
	}
	rows := 0
	for table, res := range tables {
		out := make([]map[string]any, 0, len(res.Rows))
		for _, row := range res.Rows {
			m := make(map[string]any, len(row))
			for i, c := range res.Columns {
				m[c] = s.Reveal(row[i], r.Masked)
			}
			out = append(out, m)
		}
		doc.Data[table] = out
		rows += len(out)
	}
	r.Downloads++
	_ = s.reqs.put(ctx, r)
	return doc, rows, nil
}

// Reveal decrypts (or, masked, masks) every envelope in a value: a string
// column, or a JSON column read as text or as decoded values.
func (s *Service) Reveal(v any, masked bool) any {
	switch x := v.(type) {
	case string:
		if pii.IsEnvelope(x) {
			return s.revealString(x, masked)
		}
		if len(x) > 1 && (x[0] == '{' || x[0] == '[') {
			var j any
			if json.Unmarshal([]byte(x), &j) == nil {
				return s.Reveal(j, masked)
			}
		}
		return x
	case []byte:
		return s.Reveal(string(x), masked)
	case map[string]any:
		for k, e := range x {
			x[k] = s.Reveal(e, masked)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = s.Reveal(e, masked)
		}
		return x
	}
	return v
}

func (s *Service) revealString(env string, masked bool) string {
	plain, kind, err := pii.Open(s.cfg.Keys, env)
	if errors.Is(err, keystore.ErrDestroyed) {
		return pii.Erased
	}
	if err != nil {
		// Not an erasure: a damaged value, or a key store problem. Say so
		// rather than pretend the person was erased.
		s.cfg.Logger.Error("could not decrypt a personal field", "err", err)
		return "[unreadable]"
	}
	if masked {
		return pii.Mask(kind, plain)
	}
	return plain
}

// Zip packs an export document as a zip archive holding export.json.
func Zip(doc *Document) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "export.json", Method: zip.Deflate, Modified: doc.GeneratedAt})
	if err != nil {
		return nil, err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
