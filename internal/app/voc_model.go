package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/tradewind/tradewind/internal/voc"
)

// openSellerModels loads the seller's own sentiment model (tradewind voc
// train) from DATA/models and makes the store writer's review enricher
// use it: reviews in its languages are scored with it as they arrive,
// the others with the built-in model. A model that cannot be read is
// logged and the built-in one serves: a bad file must not stop the node.
func (a *App) openSellerModels() *voc.SellerModels {
	sm := &voc.SellerModels{Dir: filepath.Join(a.Cfg.DataDir, "models"), Scan: a.Store.Scan,
		Update: a.updateReviewScores, Now: a.Cfg.Now, Logger: a.Logger}
	if err := sm.Load(); err != nil {
		a.Logger.Error("seller sentiment model not loaded; the built-in model serves", "err", err)
	}
	if a.writer != nil && a.writer.Projector != nil {
		a.writer.Projector.ScoreText = sm.ScoreText
	}
	return sm
}

// updateReviewScores writes rescored sentiment to stored reviews, under
// the store's writer lock so that no batch of the writer lands in
// between.
func (a *App) updateReviewScores(ctx context.Context, rows []voc.ScoreUpdate) error {
	if len(rows) == 0 {
		return nil
	}
	var sb strings.Builder
	args := make([]any, 0, 4*len(rows))
	for i, r := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?)")
		args = append(args, int64(r.Seq), r.ReviewID, r.Sentiment, r.Score)
	}
	q := `UPDATE reviews AS t SET sentiment = v.s, sentiment_score = v.sc
		FROM (VALUES ` + sb.String() + `) AS v(seq, rid, s, sc)
		WHERE t.seq = CAST(v.seq AS UBIGINT) AND t.review_id = v.rid`
	unlock := a.Store.Lock()
	defer unlock()
	if _, err := a.Store.SQL().ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("update the sentiment of %d reviews: %w", len(rows), err)
	}
	return nil
}
