// Package duckdb is the embedded analytic store: a DuckDB database file in
// the data directory, written by one writer goroutine in batches and read by
// users through a locked-down query path.
//
// DuckDB allows one writing process, so the server owns the file; DuckDB's
// memory_limit and threads are always set (its defaults take most of the
// machine); external access is disabled and the configuration locked once the
// store is open, so a user's query can read no file, attach no database and
// change no setting.
package duckdb

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/store/keyindex"
)

// Config configures the store.
type Config struct {
	// Dir is the store's directory: the database file and the key index.
	Dir string
	// MemoryLimit is DuckDB's memory_limit, e.g. "256MB".
	MemoryLimit string
	// Threads is DuckDB's thread count.
	Threads int
	// BaseCurrency is the currency every amount is also converted into.
	BaseCurrency string
	// SyncIndex fsyncs the key index on every batch (with --fsync always).
	SyncIndex bool
	// CheckpointThreshold is DuckDB's checkpoint_threshold: the WAL size at
	// which a commit folds the WAL into the database file (default
	// DefaultCheckpointThreshold).
	CheckpointThreshold string
	Logger              *slog.Logger
}

// DB is an open embedded store. It implements store.Store.
type DB struct {
	cfg   Config
	db    *sql.DB
	wconn *sql.Conn // the writer's connection; Apply and SaveFXRates use it
	keys  *keyindex.Index
	log   *slog.Logger
	// keyDay is the latest day of receipt of a message the store kept:
	// key expiry follows it, not the clock.
	keyDay keyindex.LatestDay

	mu       sync.Mutex // serialises writes
	applied  uint64
	messages uint64         // messages applied (tw_state applied_messages)
	stop     chan struct{}  // ends the key expiry and checkpoint loops
	loops    sync.WaitGroup // those loops
}

var _ store.Store = (*DB)(nil)

// DefaultCheckpointThreshold is the WAL size at which a commit checkpoints.
// DuckDB's own default, 16 MB, is a few store-writer batches of events: a
// checkpoint compresses and rewrites the tables' last, partly filled row
// groups, so a bulk load rewrote the same row groups again and again
// (DuckDB's checkpoint work was a third of a demo's CPU). 256 MB makes
// that ~16 times rarer; the price is a longer WAL replay after a crash.
const DefaultCheckpointThreshold = "256MB"

// keyIndexCache bounds the key index's block cache.
const keyIndexCache = 128 << 20

// FileName is the database file's name inside Config.Dir.
const FileName = "tradewind.duckdb"

//go:embed migrations/*.sql
var migrationFS embed.FS

// Open opens or creates the store in cfg.Dir and runs pending migrations.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.MemoryLimit == "" {
		cfg.MemoryLimit = "256MB"
	}
	if cfg.Threads <= 0 {
		cfg.Threads = 2
	}
	if cfg.BaseCurrency == "" {
		cfg.BaseCurrency = "USD"
	}
	if cfg.CheckpointThreshold == "" {
		cfg.CheckpointThreshold = DefaultCheckpointThreshold
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create %s: %w", cfg.Dir, err)
	}
	path := filepath.Join(cfg.Dir, FileName)
	// Every setting goes in at open, then the configuration is locked: no
	// query can read a file, attach a database, load an extension (autoinstall
	// and autoload are off, so DuckDB never fetches one) or change a limit.
	params := url.Values{}
	params.Set("memory_limit", cfg.MemoryLimit)
	params.Set("threads", strconv.Itoa(cfg.Threads))
	params.Set("checkpoint_threshold", cfg.CheckpointThreshold)
	params.Set("autoinstall_known_extensions", "false")
	params.Set("autoload_known_extensions", "false")
	params.Set("allow_community_extensions", "false")
	params.Set("enable_external_access", "false")
	connector, err := duckdb.NewConnector(path+"?"+params.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db := sql.OpenDB(connector)
	// Times are UTC in storage and in every date cast; then nothing may change.
	for _, q := range []string{"SET GLOBAL TimeZone='UTC'", "SET lock_configuration=true"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: %s: %w", q, err)
		}
	}
	s := &DB{cfg: cfg, db: db, log: cfg.Logger}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	s.wconn, err = db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: writer connection: %w", err)
	}
	if s.applied, err = s.readApplied(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.messages, err = s.readState(ctx, "applied_messages"); err != nil {
		s.Close()
		return nil, err
	}
	// The store writer probes the index for every message, nearly always
	// for a key that is not there: each probe reads the filter and index
	// blocks of every file that may hold it. With 2 M message keys (a
	// 50,000-people demo) those blocks and the hot data blocks no longer fit
	// 32 MiB, and lookups went to disk (pread) and decompressed blocks
	// again and again.
	s.keys, err = keyindex.Open(filepath.Join(cfg.Dir, "keys"), keyIndexCache)
	if err != nil {
		s.Close()
		return nil, err
	}
	if err := s.repairKeyIndex(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.stop = make(chan struct{})
	s.loops.Add(2)
	go s.expireKeys()
	go s.checkpointWhenQuiet()
	return s, nil
}

// SQL returns the database handle for the store's own read paths (not for
// users: their queries go through Query).
func (s *DB) SQL() *sql.DB { return s.db }

// expireKeys forgets live message keys older than the deduplication window,
// a minute after start and every six hours, so the key index stays bounded.
func (s *DB) expireKeys() {
	defer s.loops.Done()
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		n, err := s.expireKeysOnce()
		if err != nil {
			s.log.Error("key index expiry failed", "err", err)
		} else if n > 0 {
			s.log.Info("expired message keys outside the deduplication window", "keys", n)
		}
		t.Reset(6 * time.Hour)
	}
}

// expireKeysOnce forgets the live keys that can no longer cover a message,
// judged by the latest day of receipt the store kept, as the profile
// engine judges its own: by the clock, a rebuild or catch-up over an old
// log would lose its keys midway and store a resend the engine drops.
// Before the store has kept a message since it opened it does nothing.
func (s *DB) expireKeysOnce() (int, error) {
	latest := s.keyDay.Day()
	if latest < 2 {
		return 0, nil
	}
	return s.keys.ExpireMessages(latest-2, s.Lock)
}

// The quiet checkpoint: how often the WAL is looked at, and the size from
// which a WAL that did not grow since the last look is folded into the
// database file (DuckDB's own default checkpoint_threshold). Variables
// for the tests.
var (
	quietCheckpointEvery = 30 * time.Second
	quietCheckpointMin   = int64(16 << 20)
)

// checkpointWhenQuiet checkpoints once writes have paused with a WAL of
// quietCheckpointMin or more: no commit between two looks (the WAL's size
// unchanged). DefaultCheckpointThreshold lets the WAL grow to 256 MB under
// a bulk load; until a checkpoint, the rows it holds stay in DuckDB's
// memory, uncompressed, inside the same memory_limit the queries have, and
// every scan of a table with rows deleted or updated since merges their
// versions. A node's start-up work (memberships, own messages, touch
// points) leaves such a WAL behind when it ends, and nothing else would
// checkpoint until the next bulk write.
func (s *DB) checkpointWhenQuiet() {
	defer s.loops.Done()
	wal := filepath.Join(s.cfg.Dir, FileName+".wal")
	last := int64(-1)
	t := time.NewTicker(quietCheckpointEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		var size int64
		if fi, err := os.Stat(wal); err == nil {
			size = fi.Size()
		}
		if size >= quietCheckpointMin && size == last {
			t0 := time.Now()
			s.mu.Lock()
			_, err := s.wconn.ExecContext(context.Background(), "CHECKPOINT")
			s.mu.Unlock()
			if err != nil {
				// Another transaction may hold it off; the next look
				// tries again.
				s.log.Debug("store: checkpoint after writes paused failed", "wal_bytes", size, "err", err)
			} else {
				s.log.Info("store: checkpointed after writes paused", "wal_bytes", size, "took", time.Since(t0).Round(time.Millisecond))
			}
			size = -1
		}
		last = size
	}
}

// Close closes the key index and the database.
func (s *DB) Close() error {
	if s.stop != nil {
		close(s.stop)
		s.loops.Wait()
	}
	var errs []error
	if s.keys != nil {
		errs = append(errs, s.keys.Close())
	}
	if s.wconn != nil {
		errs = append(errs, s.wconn.Close())
	}
	errs = append(errs, s.db.Close())
	return errors.Join(errs...)
}

// AppliedSeq is the log position up to which the store is complete.
func (s *DB) AppliedSeq(ctx context.Context) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied, nil
}

// AppliedMessages is how many log messages the store has applied: the
// measure of its growth (positions are not dense, eventlog/position.go).
func (s *DB) AppliedMessages() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messages
}

func (s *DB) readApplied(ctx context.Context) (uint64, error) {
	return s.readState(ctx, "applied_seq")
}

// readState reads a number kept in tw_state (0 when absent).
func (s *DB) readState(ctx context.Context, key string) (uint64, error) {
	var v string
	err := s.wconn.QueryRowContext(ctx, "SELECT value FROM tw_state WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: read %s: %w", key, err)
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("store: %s %q: %w", key, v, err)
	}
	return n, nil
}

// migrate applies the embedded migrations that the database has not seen, in
// order, each in its own transaction.
func (s *DB) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	have := map[int]bool{}
	rows, err := s.db.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("store: read migrations: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		have[v] = true
	}
	rows.Close()
	ms, err := Migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if have[m.Version] {
			continue
		}
		if err := s.applyMigration(ctx, m); err != nil {
			return err
		}
		s.log.Info("store migrated", "version", m.Version, "name", m.Name)
	}
	return nil
}

func (s *DB) applyMigration(ctx context.Context, m Migration) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migration %d: %w", m.Version, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("store: migration %d (%s): %w", m.Version, m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", m.Version, m.Name); err != nil {
		return fmt.Errorf("store: migration %d: %w", m.Version, err)
	}
	return tx.Commit()
}

// Migration is one versioned schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	entries, err := migrationFS.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration file %s: name must be NNN_name.sql", name)
		}
		b, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: strings.TrimSuffix(rest, ".sql"), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// Backup writes a consistent copy of the database file to w: writes are
// paused, the WAL is checkpointed into the file, and the file copied. It
// returns the log sequence the copy is complete up to.
func (s *DB) Backup(ctx context.Context, w io.Writer) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.wconn.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return 0, fmt.Errorf("store: checkpoint: %w", err)
	}
	f, err := os.Open(filepath.Join(s.cfg.Dir, FileName))
	if err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	return s.applied, nil
}

// Lock stops writes until the returned function is called.
func (s *DB) Lock() (unlock func()) {
	s.mu.Lock()
	return s.mu.Unlock
}
