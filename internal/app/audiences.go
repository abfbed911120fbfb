package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tradewind/tradewind/internal/adlist"
	"github.com/tradewind/tradewind/internal/api"
	"github.com/tradewind/tradewind/internal/audiencesync"
	"github.com/tradewind/tradewind/internal/privacy/pii"
	"github.com/tradewind/tradewind/internal/segment"
)

// audienceService returns the node's audience sync service, building it on
// first use: the runner started with the node and the API servers built
// from it share one (one lock per sync, one bucket handle).
func (a *App) audienceService() *audiencesync.Service {
	a.audMu.Lock()
	defer a.audMu.Unlock()
	if a.AudienceSync != nil {
		return a.AudienceSync
	}
	// The root audience files may be written under (default
	// DataDir/exports): an operator whose uploader watches another disk
	// moves it; an API caller cannot reach outside it.
	root := a.Cfg.AudienceRoot
	if root == "" {
		root = filepath.Join(a.Cfg.DataDir, "exports")
	}
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	a.AudienceSync = &audiencesync.Service{JetStream: a.Log.JetStream(), Bucket: a.bucket("tradewind_audience_syncs"),
		Root: filepath.Clean(root), Members: a.audienceMembers, Fingerprint: a.segmentFingerprint,
		SegmentExists: func(id string) bool { _, ok := a.Profiles.Segment(id); return ok },
		Now:           a.Cfg.Now, Logger: a.Logger}
	return a.AudienceSync
}

// audiences is the audience export service for the API.
func (a *App) audiences() api.AudienceService { return a.audienceService() }

// startAudiences starts the runner of scheduled and on-change audience
// syncs; it stops with the node's workers.
func (a *App) startAudiences(ctx context.Context) {
	svc := a.audienceService()
	if err := os.MkdirAll(svc.Root, 0o700); err != nil {
		a.Logger.Error("audience export root", "root", svc.Root, "err", err)
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		svc.Loop(ctx)
	}()
}

// segmentFingerprint summarises a segment's membership in the store: the
// member count and the XOR of a 64-bit hash of each member's profile id.
// A join or a leave changes it (a merge too: the surviving id replaces
// two), and computing it is one aggregate over the segment's rows — no
// sort, and no ids copied out of the store — so checking every minute
// costs little even for large segments. Count plus the newest "since"
// would be cheaper still but misses a leave and a join in one interval
// when the joiner's since is not the newest (a backfill or a replay keeps
// the original times). Two different member sets collide with probability
// about 2^-64.
func (a *App) segmentFingerprint(ctx context.Context, seg string) (string, error) {
	res, err := a.Store.QueryArgs(ctx, `SELECT count(*), coalesce(bit_xor(hash(profile_id)), 0)
		FROM segment_members WHERE segment_id = ?`, []any{seg})
	if err != nil {
		return "", err
	}
	if len(res.Rows) == 0 {
		return "0:0", nil
	}
	return fmt.Sprintf("%v:%v", res.Rows[0][0], res.Rows[0][1]), nil
}

// audienceMembers reads a segment's members from the store with their
// e-mail, phone and country, decrypted, and their newest advertising
// consent decision over all their sender identities. Erased people are not
// members any more; a value whose key was destroyed meanwhile reads as
// "[erased]" and is left out, so it is never hashed.
func (a *App) audienceMembers(ctx context.Context, seg string, consent audiencesync.Consent) (audiencesync.Members, error) {
	const q = `WITH decisions AS (
			SELECT coalesce(u.profile_id, an.profile_id) AS profile_id, c.granted, c."timestamp"
			FROM consent_current c
			LEFT JOIN profile_users u ON u.source_id = c.source_id AND u.user_id = c.user_id
			LEFT JOIN profile_anons an ON an.anonymous_id = CASE WHEN c.user_id IS NULL THEN c.anonymous_id END
			WHERE c.purpose = ?
		), ads AS (
			SELECT profile_id, arg_max(granted, "timestamp") AS granted
			FROM decisions WHERE profile_id IS NOT NULL GROUP BY profile_id
		)
		SELECT m.profile_id, p.country, CAST(p.traits AS VARCHAR), ads.granted
		FROM segment_members m
		LEFT JOIN profiles p ON p.profile_id = m.profile_id
		LEFT JOIN ads ON ads.profile_id = m.profile_id
		WHERE m.segment_id = ?
		ORDER BY m.profile_id`
	var out audiencesync.Members
	err := a.Store.Scan(ctx, q, []any{segment.PurposeAdvertising, seg}, func(row []any) error {
		out.Total++
		granted, decided := row[3].(bool)
		if decided && !granted || consent == audiencesync.GrantedOnly && !granted {
			out.NoConsent++
			return nil
		}
		var traits map[string]any
		if s, ok := row[2].(string); ok && s != "" {
			if err := json.Unmarshal([]byte(s), &traits); err != nil {
				return fmt.Errorf("traits of profile %v: %w", row[0], err)
			}
		}
		r := adlist.Row{Email: a.plainTrait(traits, "email"), Phone: a.plainTrait(traits, "phone")}
		r.Country, _ = row[1].(string)
		if r.Country == "" {
			r.Country = a.plainTrait(traits, "country")
		}
		out.Rows = append(out.Rows, r)
		return nil
	})
	return out, err
}

// plainTrait is a string trait decrypted; "" when missing, not a string,
// erased or unreadable.
func (a *App) plainTrait(traits map[string]any, k string) string {
	v, ok := traits[k].(string)
	if !ok {
		return ""
	}
	if pii.IsEnvelope(v) {
		v, _ = a.Privacy.Reveal(v, false).(string)
		if v == pii.Erased || strings.HasPrefix(v, "[") {
			return ""
		}
	}
	return v
}
