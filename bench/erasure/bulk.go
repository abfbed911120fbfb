package main

// The bulk load: 1,000,000 people through ingest take the node about as long
// as the store writer and the profile engine need for 3.5 M messages (more
// than 20 minutes on this 2-core machine, shared with other sessions), so
// the benchmark builds most of them by copying.
//
//  1. --ingest-people people (0…K-1) go through the node as before
//     (ingest.Service.Accept: encryption under a new key per identity, the
//     log, the store writer, the profile engine), four waves apart. They are
//     the people whose erasure is measured first: they have everything a
//     real person has.
//  2. The node is closed. The event log is opened alone and the people
//     K…N-1 are published to it directly, in the same four waves (so each
//     person's messages lie far apart in the log): each message is a copy of
//     the message of a template person of the ingested ones (same type,
//     same encrypted body and size) under the person's own message id, with
//     their event time as receipt time.
//  3. The store's DuckDB file is opened alone and each person table gets the
//     rows the store writer and the profile engine made for the template
//     person, with the person's own identifiers (userId, anonymousId, order
//     id, the blind-index tokens of their email and phone, a profile id) and
//     the log sequences of their copies; rows are appended in log order, as
//     the store writer appends them. The store's applied sequence is set to
//     the log's last.
//  4. The profile engine's applied sequence is set to the log's last too, so
//     it does not work through the copies when the node opens again.
//
// The copies therefore have rows in every table and messages in the log,
// exactly shaped as the node's own, and can be erased by email like anyone
// (the erasure finds them through identifier_tokens); what they lack is a
// data key of their own (their bodies are encrypted under the template's)
// and state in the profile engine's Pebble (Forget finds nothing to forget).

import (
	"context"
	"database/sql/driver"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/tradewind/tradewind/bench/machine"
	"github.com/tradewind/tradewind/bench/storefile"
	"github.com/tradewind/tradewind/internal/app"
	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/privacy/pii"
)

// bulkLoad builds the data directory as described above and returns its
// marker. The node is closed when it returns.
func bulkLoad(ctx context.Context, dir string, logger *slog.Logger) (marker, error) {
	k := min(*ingestN, *people)
	start := time.Now()
	busy0, self0 := machine.Busy(), machine.SelfCPU()
	a, err := app.Open(ctx, nodeConfig(dir, logger))
	if err != nil {
		return marker{}, err
	}
	tseqs := make([][4]uint64, k)
	m, err := load(ctx, a, k, tseqs)
	if err == nil {
		last := uint64(0)
		for _, s := range tseqs {
			last = max(last, s[0], s[1], s[2], s[3])
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
		err = a.Profiles.WaitApplied(wctx, last)
		cancel()
		if err == nil {
			err = a.Profiles.Flush(ctx)
		}
	}
	idx := append([]byte(nil), a.Keys.IndexKey()...)
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return marker{}, err
	}
	m.Ingested = k
	m.People = *people
	fmt.Printf("ingest part done in %.0fs (the profile engine included)\n", time.Since(start).Seconds())
	if k == *people {
		return m, nil
	}

	// Templates: people of the ingested part with and without an order.
	var withOrder, without []int
	for t := range k {
		if person(*seed, t).order {
			withOrder = append(withOrder, t)
		} else {
			without = append(without, t)
		}
	}
	template := func(p int) int {
		if person(*seed, p).order {
			return withOrder[p%len(withOrder)]
		}
		return without[p%len(without)]
	}

	// 2. The log.
	t1 := time.Now()
	l, err := eventlog.Open(ctx, eventlog.Config{Dir: filepath.Join(dir, "log"), Logger: logger})
	if err != nil {
		return marker{}, err
	}
	tmsg := make([][4]*eventlog.Delivery, k)
	for t := range k {
		for w, seq := range tseqs[t] {
			if seq == 0 {
				continue
			}
			d, ok, err := l.Get(ctx, seq)
			if err != nil || !ok {
				l.Close()
				return marker{}, fmt.Errorf("template message %d: %v (found %v)", seq, err, ok)
			}
			tmsg[t][w] = &d
		}
	}
	n := *people - k
	bseqs := make([][4]uint64, n)
	var published uint64
	for w := range 4 {
		batch := make([]eventlog.Message, 0, 4096)
		owners := make([]int, 0, 4096)
		var pend []*eventlog.Pending
		var pendOwners [][]int
		collect := func(keep int) error {
			for len(pend) > keep {
				acks, err := pend[0].Wait(ctx)
				if err != nil {
					return err
				}
				for i, ack := range acks {
					if ack.Duplicate {
						return fmt.Errorf("bulk message of person %d is a duplicate (a used data directory?)", pendOwners[0][i])
					}
					bseqs[pendOwners[0][i]-k][w] = ack.Seq
					m.LastSeq = max(m.LastSeq, ack.Seq)
				}
				pend, pendOwners = pend[1:], pendOwners[1:]
			}
			return nil
		}
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			p, err := l.PublishAsync(batch)
			if err != nil {
				return err
			}
			pend = append(pend, p)
			pendOwners = append(pendOwners, owners)
			published += uint64(len(batch))
			batch, owners = make([]eventlog.Message, 0, 4096), make([]int, 0, 4096)
			return collect(3)
		}
		for p := k; p < *people; p++ {
			d := tmsg[template(p)][w]
			if d == nil {
				continue
			}
			meta := d.Meta
			meta.MessageID = "bench-" + strconv.Itoa(p) + "-" + strconv.Itoa(w+1)
			meta.ReceivedAt = meta.Timestamp
			batch = append(batch, eventlog.Message{Type: d.Type, Meta: meta, Data: d.Data})
			owners = append(owners, p)
			if len(batch) == cap(batch) {
				if err := flush(); err != nil {
					l.Close()
					return marker{}, err
				}
			}
		}
		if err := flush(); err == nil {
			err = collect(0)
		} else {
			l.Close()
			return marker{}, err
		}
		fmt.Printf("  log: wave %d/4 published, %d messages so far (%.0fs, load %s)\n", w+1, published, time.Since(t1).Seconds(), machine.LoadAvg())
	}
	if err := l.Close(); err != nil {
		return marker{}, err
	}
	m.Messages += published
	fmt.Printf("log: %d messages of %d people published in %.1fs (%.0f/s); last sequence %d\n",
		published, n, time.Since(t1).Seconds(), float64(published)/time.Since(t1).Seconds(), m.LastSeq)

	// 3. The store.
	t2 := time.Now()
	if err := bulkStore(ctx, filepath.Join(dir, "store", "tradewind.duckdb"), idx, m, k, tseqs, bseqs, template); err != nil {
		return marker{}, err
	}
	fmt.Printf("store: rows of %d people copied in %.1fs\n", n, time.Since(t2).Seconds())

	// 4. The profile engine's position (realtime's "e/applied", 8 bytes
	// big-endian; run() checks that the engine starts there).
	pdb, err := pebble.Open(filepath.Join(dir, "profiles"), &pebble.Options{})
	if err != nil {
		return marker{}, err
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], m.LastSeq)
	if err := pdb.Set([]byte("e/applied"), v[:], pebble.Sync); err != nil {
		pdb.Close()
		return marker{}, err
	}
	if err := pdb.Close(); err != nil {
		return marker{}, err
	}
	el := time.Since(start).Seconds()
	fmt.Printf("bulk load done in %.0fs: %d people, %d messages; this process %.0f CPU-s, other processes %.2f cores; load %s\n",
		el, m.People, m.Messages, machine.SelfCPU()-self0, max(0, (machine.Busy()-busy0)-(machine.SelfCPU()-self0))/el, machine.LoadAvg())
	return m, nil
}

// bulkStore copies the template people's rows for the people k… in the
// store's DuckDB file (the node is closed).
func bulkStore(ctx context.Context, path string, idx []byte, m marker, k int, tseqs, bseqs [][4]uint64, template func(int) int) error {
	c, err := openDuckDB(ctx, path, "4GB", 2)
	if err != nil {
		return err
	}
	defer c.Close()
	exec := func(q string, args ...any) error {
		if _, err := c.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("%.80s…: %w", strings.Join(strings.Fields(q), " "), err)
		}
		return nil
	}
	for _, q := range []string{
		`CREATE OR REPLACE TEMP TABLE bulk_tpl (t INTEGER, w INTEGER, tseq UBIGINT)`,
		`CREATE OR REPLACE TEMP TABLE bulk_people (p INTEGER, t INTEGER, user_id VARCHAR, anon_id VARCHAR,
			email_tok VARCHAR, phone_tok VARCHAR, pid VARCHAR, oid VARCHAR, s0 UBIGINT, s1 UBIGINT, s2 UBIGINT, s3 UBIGINT)`,
		`CREATE OR REPLACE TEMP TABLE bulk_tperson (t INTEGER, tuser VARCHAR, tanon VARCHAR, toid VARCHAR)`,
	} {
		if err := exec(q); err != nil {
			return err
		}
	}
	err = c.Raw(func(dc any) error {
		conn := dc.(driver.Conn)
		app1, err := duckdb.NewAppenderFromConn(conn, "", "bulk_tpl")
		if err != nil {
			return err
		}
		app2, err := duckdb.NewAppenderFromConn(conn, "", "bulk_tperson")
		if err != nil {
			return err
		}
		for t := range k {
			pe := person(*seed, t)
			oid := ""
			for w, s := range tseqs[t] {
				if s != 0 {
					if err := app1.AppendRow(int32(t), int32(w), s); err != nil {
						return err
					}
				}
			}
			if pe.order {
				oid = "o-" + strconv.Itoa(t)
			}
			if err := app2.AppendRow(int32(t), pe.userID, pe.anonID, oid); err != nil {
				return err
			}
		}
		if err := app1.Close(); err != nil {
			return err
		}
		if err := app2.Close(); err != nil {
			return err
		}
		app3, err := duckdb.NewAppenderFromConn(conn, "", "bulk_people")
		if err != nil {
			return err
		}
		for i, s := range bseqs {
			p := k + i
			pe := person(*seed, p)
			em, _ := pii.NormalizeEmail(pe.email)
			ph, _ := pii.NormalizePhone(pe.phone, "")
			oid := ""
			if pe.order {
				oid = "o-" + strconv.Itoa(p)
			}
			if err := app3.AppendRow(int32(p), int32(template(p)), pe.userID, pe.anonID,
				string(pii.BlindIndex(idx, "email", em)), string(pii.BlindIndex(idx, "phone", ph)),
				"bulk-"+uuid(uint64(p)), oid, s[0], s[1], s[2], s[3]); err != nil {
				return err
			}
		}
		return app3.Close()
	})
	if err != nil {
		return fmt.Errorf("bulk tables: %w", err)
	}
	// Each table's columns, copied from the template's row but for the
	// person's own identifiers and sequences.
	seqOf := func(col string) string {
		return `CASE (SELECT w FROM bulk_tpl WHERE tseq = x.` + col + ` AND t = tp.t) WHEN 0 THEN bp.s0 WHEN 1 THEN bp.s1 WHEN 2 THEN bp.s2 ELSE bp.s3 END`
	}
	common := map[string]string{
		"seq":          `CASE tt.w WHEN 0 THEN bp.s0 WHEN 1 THEN bp.s1 WHEN 2 THEN bp.s2 ELSE bp.s3 END`,
		"first_seq":    seqOf("first_seq"),
		"message_id":   `'bench-' || bp.p || '-' || (tt.w + 1)`,
		"user_id":      `CASE WHEN x.user_id IS NULL THEN NULL ELSE bp.user_id END`,
		"anonymous_id": `CASE WHEN x.anonymous_id IS NULL THEN NULL ELSE bp.anon_id END`,
		"customer_id":  `CASE x.customer_id WHEN tp.tuser THEN bp.user_id WHEN tp.tanon THEN bp.anon_id ELSE x.customer_id END`,
		"order_id":     `CASE WHEN x.order_id IS NULL THEN NULL ELSE bp.oid END`,
		"token":        `CASE x.kind WHEN 'email' THEN bp.email_tok WHEN 'phone' THEN bp.phone_tok ELSE x.token END`,
		"received_at":  `x."timestamp"`,
		"properties":   `CASE WHEN tp.toid = '' THEN x.properties ELSE replace(x.properties::VARCHAR, '"' || tp.toid || '"', '"' || bp.oid || '"')::JSON END`,
	}
	profile := map[string]string{
		"profile_id":   `bp.pid`,
		"user_id":      `bp.user_id`,
		"anonymous_id": `bp.anon_id`,
		"value":        `CASE x.kind WHEN 'user' THEN bp.user_id WHEN 'anon' THEN bp.anon_id WHEN 'email' THEN bp.email_tok WHEN 'phone' THEN bp.phone_tok ELSE x.value END`,
	}
	seqTables := []string{"event_rows", "order_rows", "order_items", "refunds", "cancellations", "customers", "reviews", "identifier_tokens", "consent"}
	profileTables := []string{"profile_users", "profile_anons", "profile_identities", "profiles"}
	if err := exec(`CREATE OR REPLACE TEMP TABLE bulk_tprofile AS
		SELECT DISTINCT tp.t, pu.profile_id FROM bulk_tperson tp JOIN profile_users pu ON pu.user_id = tp.tuser`); err != nil {
		return err
	}
	if err := exec("BEGIN TRANSACTION"); err != nil {
		return err
	}
	for _, table := range append(seqTables, profileTables...) {
		cols, err := c.Columns(ctx, table)
		if err != nil {
			return err
		}
		over, from := common, `FROM `+table+` x JOIN bulk_tpl tt ON x.seq = tt.tseq JOIN bulk_tperson tp ON tp.t = tt.t JOIN bulk_people bp ON bp.t = tt.t`
		order := " ORDER BY " + common["seq"]
		if strings.HasPrefix(table, "profile") {
			over, from, order = profile, `FROM `+table+` x JOIN bulk_tprofile tf ON x.profile_id = tf.profile_id JOIN bulk_people bp ON bp.t = tf.t`, ""
		}
		var sel []string
		for _, col := range cols {
			if e, ok := over[col]; ok {
				sel = append(sel, e)
			} else {
				sel = append(sel, `x."`+col+`"`)
			}
		}
		t := time.Now()
		res, err := c.ExecContext(ctx, `INSERT INTO `+table+` SELECT `+strings.Join(sel, ", ")+` `+from+order)
		if err != nil {
			_ = exec("ROLLBACK")
			return fmt.Errorf("copy %s: %w", table, err)
		}
		rows, _ := res.RowsAffected()
		fmt.Printf("  store: %-20s %9d rows copied in %.1fs\n", table, rows, time.Since(t).Seconds())
	}
	if err := exec(`INSERT INTO tw_state VALUES ('applied_seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		strconv.FormatUint(m.LastSeq, 10)); err != nil {
		_ = exec("ROLLBACK")
		return err
	}
	if err := exec("COMMIT"); err != nil {
		return err
	}
	return exec("CHECKPOINT")
}

// openDuckDB opens a DuckDB file alone (the node is closed) with a memory
// limit and threads.
func openDuckDB(ctx context.Context, path, memory string, threads int) (*storefile.Conn, error) {
	params := url.Values{}
	params.Set("memory_limit", memory)
	params.Set("threads", strconv.Itoa(threads))
	return storefile.Open(ctx, path, params)
}
