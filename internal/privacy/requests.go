package privacy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tradewind/tradewind/internal/store"
)

// Request kinds and statuses. The status values are the API's contract.
const (
	KindErasure = "erasure"
	KindExport  = "export"

	StatusPending   = "pending"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
)

// Deadlines by regulation: GDPR Art. 12(3) one month (30 days), CCPA 45
// days, Japan's APPI and China's PIPL set none in days ("without delay");
// tradewind holds them to the GDPR's 30.
var deadlines = map[string]time.Duration{
	"gdpr": 30 * 24 * time.Hour,
	"ccpa": 45 * 24 * time.Hour,
	"appi": 30 * 24 * time.Hour,
	"pipl": 30 * 24 * time.Hour,
}

// Request is one data-subject request, as the API shows it. It never holds
// an identifier's value: emails and phones are kept as blind-index tokens
// and shown masked, and once an erasure completes even the tokens are
// dropped.
type Request struct {
	ID         string     `json:"request_id"`
	Kind       string     `json:"kind"`
	Status     string     `json:"status"`
	Regulation string     `json:"regulation"`
	Identifier Shown      `json:"identifier"`
	CreatedAt  time.Time  `json:"created_at"`
	Deadline   time.Time  `json:"deadline"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Completed  *time.Time `json:"completed_at,omitempty"`
	// RequestedBy and ApprovedBy are staff principals (user ids).
	RequestedBy string `json:"requested_by"`
	// AwaitingApproval is set on an export of decrypted personal data until a
	// second person with the approve permission approves it (four eyes).
	AwaitingApproval bool   `json:"awaiting_approval,omitempty"`
	ApprovedBy       string `json:"approved_by,omitempty"`
	// Masked exports show personal fields masked and need no approval.
	Masked bool    `json:"masked,omitempty"`
	Result *Result `json:"result,omitempty"`
	Error  string  `json:"error,omitempty"`
	// Query is what the request looks for; cleared when an erasure is done.
	Query *store.PersonQuery `json:"query,omitempty"`
	// Downloads counts the export's downloads.
	Downloads int `json:"downloads,omitempty"`
}

// Shown is an identifier as a request shows it: its kind and a masked value.
type Shown struct {
	Kind   string `json:"kind"`
	Masked string `json:"masked"`
	Source string `json:"source,omitempty"`
}

// Result is what a completed request did.
type Result struct {
	Identities      int              `json:"identities"`
	KeysDestroyed   int              `json:"keys_destroyed,omitempty"`
	RowsDeleted     map[string]int64 `json:"rows_deleted,omitempty"`
	MessagesDeleted int              `json:"messages_deleted,omitempty"`
	Suppressed      int              `json:"suppression_entries,omitempty"`
	Rows            int              `json:"rows,omitempty"` // export: rows found
	Seconds         float64          `json:"seconds"`
}

// ErrRequestNotFound is returned for an unknown request id.
var ErrRequestNotFound = errors.New("privacy request not found")

// requests keeps requests in a JetStream key-value bucket, beside the
// event log, so every node of a cluster sees them and they survive restarts.
type requests struct {
	kv jetstream.KeyValue
}

func openRequests(ctx context.Context, js jetstream.JetStream, bucket string) (*requests, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: bucket, Description: "tradewind data-subject requests", History: 1, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("privacy: open bucket %s: %w", bucket, err)
	}
	return &requests{kv: kv}, nil
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "dsr_" + hex.EncodeToString(b[:])
}

func (r *requests) put(ctx context.Context, req *Request) error {
	req.UpdatedAt = time.Now().UTC()
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := r.kv.Put(ctx, "req."+req.ID, b); err != nil {
		return fmt.Errorf("privacy: save request %s: %w", req.ID, err)
	}
	return nil
}

func (r *requests) get(ctx context.Context, id string) (*Request, error) {
	if !strings.HasPrefix(id, "dsr_") || len(id) != 28 || strings.ContainsAny(id, ".*> ") {
		return nil, ErrRequestNotFound
	}
	e, err := r.kv.Get(ctx, "req."+id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, ErrRequestNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("privacy: read request %s: %w", id, err)
	}
	var req Request
	if err := json.Unmarshal(e.Value(), &req); err != nil {
		return nil, fmt.Errorf("privacy: request %s: %w", id, err)
	}
	return &req, nil
}

// list returns every request, newest first.
func (r *requests) list(ctx context.Context) ([]*Request, error) {
	lister, err := r.kv.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Request
	for k := range lister.Keys() {
		req, err := r.get(ctx, strings.TrimPrefix(k, "req."))
		if err != nil {
			continue
		}
		out = append(out, req)
	}
	slices.SortFunc(out, func(a, b *Request) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}
