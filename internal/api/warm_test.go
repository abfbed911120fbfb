package api

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/web"
)

// countingBackend answers SQL from a real store and counts the user-SQL
// reads (Query) it ran.
type countingBackend struct {
	storeBackend
	queries *atomic.Int64
}

func (b countingBackend) Query(ctx context.Context, q string, max int) (*store.Result, error) {
	b.queries.Add(1)
	return b.db.Query(ctx, q, max)
}

// TestWarmAnswersTheFirstVisit: after Warm, the pages' shared questions
// are answered from what Warm computed — by another Server of the same
// node, as the app makes one for the warm-up and one for the routes —
// with no query of their own; a question Warm did not ask is computed.
func TestWarmAnswersTheFirstVisit(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	ui, err := web.New(web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	be := countingBackend{storeBackend{db: db}, new(atomic.Int64)}
	mk := func() *Server {
		return &Server{Backend: be, Web: ui, MaxRows: 1000, OwnMessages: db.RefreshOwnMessages, Logger: slog.New(slog.DiscardHandler)}
	}
	mk().Warm(ctx)
	asked := be.queries.Load()
	if want := int64(len(ui.SharedQuestions())); asked != want {
		t.Fatalf("Warm ran %d SQL questions, want the pages' %d", asked, want)
	}
	srv := mk()
	for _, q := range ui.SharedQuestions() {
		v, _, err := srv.shared().Get(ctx, sharedSQLKey(q, srv.MaxRows), srv.appliedMessages(ctx), srv.runSQL(q, srv.MaxRows))
		if err != nil || v == nil {
			t.Fatalf("shared answer after the warm-up: %v, %v", v, err)
		}
	}
	if n := be.queries.Load(); n != asked {
		t.Errorf("the first visit after the warm-up ran %d queries, want none", n-asked)
	}
	q := "SELECT count(*) FROM events"
	if _, _, err := srv.shared().Get(ctx, sharedSQLKey(q, srv.MaxRows), srv.appliedMessages(ctx), srv.runSQL(q, srv.MaxRows)); err != nil {
		t.Fatal(err)
	}
	if n := be.queries.Load(); n != asked+1 {
		t.Errorf("a question not warmed ran %d queries, want 1", n-asked)
	}
}
