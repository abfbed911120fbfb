package app

import (
	"context"
	"path/filepath"
	"time"

	"github.com/tradewind/tradewind/internal/identity"
	"github.com/tradewind/tradewind/internal/privacy"
	"github.com/tradewind/tradewind/internal/privacy/pii"
	"github.com/tradewind/tradewind/internal/realtime"
	"github.com/tradewind/tradewind/internal/store"
)

// openProfiles opens the real-time profile engine and starts it. It reads
// the log with its own projector (the same rules as the store writer,
// erased and expired messages included), and is told of every erasure.
func (a *App) openProfiles(ctx context.Context) error {
	var err error
	a.Profiles, err = realtime.Open(realtime.Config{
		Dir: filepath.Join(a.Cfg.DataDir, "profiles"), Log: a.Log, Store: a.Store, RebuildStore: a.Store,
		Projector: &store.Projector{Source: a.sourceInfo, ToBase: a.toBase, TokenOf: privacy.TokenOf,
			Suppressed: a.Privacy.StoreSuppressed, Expired: a.Retention.Expired},
		SourceInfo: func(id string) (string, string) {
			s, ok := a.Sources.ByID(id)
			if !ok {
				return "", ""
			}
			return s.Kind, s.Store
		},
		SourcePrecedence: a.Cfg.SourcePrecedence, SharedUserSpaces: a.Cfg.SharedUserSpaces,
		Sync: a.Cfg.Fsync, Logger: a.Logger, Registry: a.Registry, Now: a.Cfg.Now,
		JetStream: a.Log.JetStream(), SegmentsBucket: a.bucket("tradewind_segments"),
		Query: a.Store.Scan, Durable: a.Cfg.BucketPrefix + "profile-engine", Blocklist: a.junkIdentifiers(),
		MaxDelivery: a.engineDelivery(), GiveWay: a.storeFirst,
	})
	if err != nil {
		return err
	}
	a.Privacy.OnErase = a.Profiles.Forget
	a.Profiles.Start(ctx)
	return nil
}

// Giving way to the store writer (storeFirst).
const (
	// storeLagBudget is how far behind the store writer may fall before
	// the profile engine gives way: an event must be queryable within a
	// second of its acknowledgement.
	storeLagBudget = 300 * time.Millisecond
	// giveWayMax is the most the engine waits before one chunk of up to
	// 500 messages (which takes it ~15 ms of CPU at 20,000 events/s): it
	// slows down, it never stops.
	giveWayMax = 40 * time.Millisecond
)

// storeFirst makes the profile engine give way to the store writer while
// the writer is more than storeLagBudget behind. On two cores the store
// writer and the engine together take ~60 µs of CPU per event, so at
// 20,000 events/s they cannot both keep up, and the engine taking its
// share held the store seconds behind (bench/ingest/README.md); a
// profile may lag under load and catches up when it drops, a query
// should not.
func (a *App) storeFirst(ctx context.Context) {
	deadline := time.Now().Add(giveWayMax)
	for a.writer.Lag() > storeLagBudget && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// clock is the node's clock (tests set Config.Now).
func (a *App) clock() time.Time {
	if a.Cfg.Now != nil {
		return a.Cfg.Now()
	}
	return time.Now()
}

// QueryArgs implements api.Backend.
func (a *App) QueryArgs(ctx context.Context, sql string, args []any) (*store.Result, error) {
	return a.Store.QueryArgs(ctx, sql, args)
}

// junkEmails and junkPhones are placeholders people type into forms and
// shops fill in for missing data; they would fuse strangers into one
// profile. The identity graph refuses their blind-index tokens.
var (
	junkEmails = []string{"test@test.com", "test@example.com", "example@example.com", "user@example.com",
		"email@example.com", "customer@example.com", "info@example.com", "a@a.com", "abc@abc.com", "null@null.com",
		"none@none.com", "na@na.com", "noemail@noemail.com", "no@email.com", "noreply@example.com", "asdf@asdf.com",
		"email@email.com", "test@gmail.com", "test@test.de", "guest@guest.com"}
	junkPhones = []string{"+10000000000", "+11111111111", "+12345678901", "+441234567890", "+4900000000000",
		"+4912345678", "+8613800000000", "+81000000000"}
)

func (a *App) junkIdentifiers() []identity.ID {
	key := a.Privacy.IndexKey()
	var out []identity.ID
	for _, e := range junkEmails {
		if n, ok := pii.NormalizeEmail(e); ok {
			out = append(out, identity.ID{Kind: identity.Email, Value: string(pii.BlindIndex(key, "email", n))})
		}
	}
	for _, p := range junkPhones {
		if n, ok := pii.NormalizePhone(p, ""); ok {
			out = append(out, identity.ID{Kind: identity.Phone, Value: string(pii.BlindIndex(key, "phone", n))})
		}
	}
	return out
}
