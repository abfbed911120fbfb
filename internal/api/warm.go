package api

import (
	"context"
	"errors"
	"time"

	"github.com/tradewind/tradewind/internal/profile/rfm"
)

// Warm answers, when the node starts, what the dashboard's pages ask first
// and what takes seconds on a large store (bench/dashboard: 1.0–2.3 s at
// 1,000,000 customers), so that the first visitor after a start does not
// wait for it: the table of the profiles the node's own messages name
// (the customer timeline), the events counted per day (segment previews),
// then the shared answers — the overview's
// questions at its default period, the RFM summary and cells and the
// clusters of the segments page, and the voice of the customer's suspicious
// reviews of 90 days. One at a time, on this goroutine: the
// machine's cores go to ingest too, and each step is bounded by the shared
// answers' time limit. It returns when done or when ctx (the node's) ends;
// a step that fails is logged and the visitor will ask again.
func (s *Server) Warm(ctx context.Context) {
	start := time.Now()
	step := func(what string, err error) bool {
		if ctx.Err() != nil {
			return false
		}
		if err != nil {
			s.Logger.Warn("dashboard warm-up: "+what+" failed; the first visitor will wait for it", "err", err)
		}
		return true
	}
	if s.OwnMessages != nil {
		if _, err := s.OwnMessages(ctx); !step("the profiles of the node's own messages", err) {
			return
		}
	}
	if s.EventDays != nil {
		if _, err := s.EventDays(ctx); !step("the events counted per day", err) {
			return
		}
	}
	c := s.shared()
	now := s.now()
	if s.Web != nil {
		for _, q := range s.Web.SharedQuestions() {
			if !step("a shared question", c.Fill(ctx, sharedSQLKey(q, s.MaxRows), s.appliedMessages(ctx), s.runSQL(q, s.MaxRows))) {
				return
			}
		}
	}
	o := defaultRFM(now)
	if sql, err := rfm.Summary(o); err == nil {
		if !step("the RFM summary", c.Fill(ctx, "rfm\x00"+sql, s.appliedMessages(ctx), s.runRFM(o, sql))) {
			return
		}
	}
	err := c.Fill(ctx, clustersKey(defaultClusters, now), s.appliedMessages(ctx), s.runClusters(defaultClusters, now))
	var few errTooFew
	if errors.As(err, &few) {
		err = nil // too few customers: nothing to keep, nothing slow
	}
	if !step("the clusters", err) {
		return
	}
	if !step("the suspicious reviews", c.Fill(ctx, suspiciousKey(90), s.appliedMessages(ctx), s.runSuspicious(90))) {
		return
	}
	s.Logger.Info("dashboard warm-up done", "took", time.Since(start).Round(time.Millisecond))
}
