// Package eventlog is tradewind's durable event log: a NATS JetStream stream,
// either served by a JetStream server embedded in this process (file storage
// in the data directory, no network port unless asked for) or by an external
// NATS cluster.
//
// The log is the system's source of truth. The ingest side publishes every
// accepted message and answers its client only after JetStream has stored it;
// processors such as the store writer consume it with durable pull consumers.
//
// Subjects carry only the message type (tradewind.events.track, …), never an
// identifier or a personal value: subjects show up in monitoring, in server
// logs and in interest graphs, where personal data must not leak.
package eventlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults for Config's zero values.
const (
	DefaultStream          = "TRADEWIND_EVENTS"
	DefaultSubjectPrefix   = "tradewind.events"
	DefaultDuplicateWindow = 10 * time.Second
)

// Config says where the log lives and how it behaves. The zero value with a
// Dir runs an embedded server with the defaults above.
type Config struct {
	// Dir is the directory of the embedded server's file store. Unused with URL.
	Dir string
	// URL of an external NATS JetStream; empty runs the embedded server.
	URL string
	// Stream and SubjectPrefix name the stream and its subjects; tests that
	// share one NATS server give each test its own.
	Stream        string
	SubjectPrefix string
	// DuplicateWindow is JetStream's own deduplication window. JetStream keeps
	// every id of the window in memory (and the collector marks them all in
	// every cycle: 2.4 M ids, ~200 MB, for 2 minutes at 20,000 messages/s),
	// so it is kept short, long enough for an SDK's quick retries; the store
	// and the profile engine each deduplicate over the long window.
	DuplicateWindow time.Duration
	// SyncAlways makes the embedded server fsync every message before it
	// acknowledges it (survives power loss, not only a process crash).
	SyncAlways bool
	// Listen opens a client port on the embedded server ("127.0.0.1:4222");
	// empty keeps it in-process only, so it never collides with another NATS.
	Listen string
	// MaxAge and MaxBytes bound the stream's retention; zero keeps everything
	// (the log is the source of truth and replays rebuild from it).
	MaxAge   time.Duration
	MaxBytes int64
	// MaxPending bounds asynchronous publishes in flight per connection; a
	// publisher that would exceed it waits (back-pressure).
	MaxPending int
	// Logger receives the log's own messages; nil discards them.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = DefaultSubjectPrefix
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = DefaultDuplicateWindow
	}
	if c.MaxPending == 0 {
		c.MaxPending = 16384
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Log is an open event log.
type Log struct {
	cfg    Config
	srv    *server.Server // nil with an external NATS
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	// posFrom is the first stream sequence with bundled positions
	// (position.go); maxBundle the most bytes a bundle's body holds.
	posFrom   uint64
	maxBundle int
	// rewrote is set once the stream holds a rewritten bundle (found at
	// open, or written by SecureDelete): only then must LastSeq look past
	// the stream's last sequence.
	rewrote   atomic.Bool
	rewriteMu sync.Mutex
}

// Open starts the embedded server (or connects to cfg.URL) and makes sure the
// stream exists with the configured settings.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	cfg.setDefaults()
	l, err := connect(cfg)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(l.nc, jetstream.WithPublishAsyncMaxPending(cfg.MaxPending))
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("eventlog: jetstream: %w", err)
	}
	l.js = js
	scfg := jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "tradewind accepted messages (source of truth)",
		Subjects:    []string{cfg.SubjectPrefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		Duplicates:  cfg.DuplicateWindow,
		MaxAge:      cfg.MaxAge,
		MaxBytes:    cfg.MaxBytes,
		// A bundle holds up to maxBundleBytes of messages plus their
		// metadata; NATS's own limit on a message (1 MiB by default, an
		// external server's may be lower) is the hard one above it.
		MaxMsgSize: int32(min(1<<20, l.nc.MaxPayload())),
	}
	if scfg.MaxBytes == 0 {
		scfg.MaxBytes = -1
	}
	// The stream's metadata says where bundled positions start: an update
	// must carry it over, or the next open would think they start later.
	if old, err := js.Stream(ctx, cfg.Stream); err == nil {
		for k, v := range old.CachedInfo().Config.Metadata {
			if !strings.HasPrefix(k, "_nats") {
				if scfg.Metadata == nil {
					scfg.Metadata = map[string]string{}
				}
				scfg.Metadata[k] = v
			}
		}
	} else if errors.Is(err, jetstream.ErrStreamNotFound) {
		scfg.Metadata = map[string]string{positionsFromKey: "1"}
	}
	st, err := js.CreateOrUpdateStream(ctx, scfg)
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("eventlog: create stream %s on %s: %w", cfg.Stream, l.where(), err)
	}
	l.stream = st
	if err := l.markPositions(ctx, st); err != nil {
		l.Close()
		return nil, err
	}
	if n, err := st.Info(ctx, jetstream.WithSubjectFilter(l.rewrittenSubject(">"))); err == nil && len(n.State.Subjects) > 0 {
		l.rewrote.Store(true)
	}
	l.maxBundle = maxBundleBytes
	if mp := int(l.nc.MaxPayload()) - 64<<10; mp < l.maxBundle {
		l.maxBundle = max(mp, 32<<10)
	}
	return l, nil
}

// connect starts the embedded server (unless cfg.URL names an external one)
// and connects to it.
func connect(cfg Config) (*Log, error) {
	l := &Log{cfg: cfg}
	opts := []nats.Option{nats.Name("tradewind"), nats.MaxReconnects(-1)}
	if cfg.URL == "" {
		if cfg.Dir == "" {
			return nil, errors.New("eventlog: neither a directory for the embedded server nor a NATS URL is set")
		}
		srv, err := startEmbedded(cfg)
		if err != nil {
			return nil, err
		}
		l.srv = srv
		opts = append(opts, nats.InProcessServer(srv))
	}
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		l.shutdownServer()
		return nil, fmt.Errorf("eventlog: connect to %s: %w", l.where(), err)
	}
	l.nc = nc
	return l, nil
}

func startEmbedded(cfg Config) (*server.Server, error) {
	storeDir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("eventlog: data directory %q: %w", cfg.Dir, err)
	}
	if err := os.MkdirAll(storeDir, 0o700); err != nil {
		return nil, fmt.Errorf("eventlog: create %s: %w", storeDir, err)
	}
	opts := &server.Options{
		ServerName:         "tradewind-embedded",
		JetStream:          true,
		StoreDir:           storeDir,
		JetStreamMaxMemory: 64 << 20,
		SyncAlways:         cfg.SyncAlways,
		NoSigs:             true,
		NoLog:              true,
		DontListen:         cfg.Listen == "",
		MaxPayload:         1 << 20,
	}
	if cfg.Listen != "" {
		host, port, err := splitHostPort(cfg.Listen)
		if err != nil {
			return nil, err
		}
		opts.Host, opts.Port = host, port
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("eventlog: embedded NATS server: %w", err)
	}
	srv.SetLoggerV2(slogAdapter{cfg.Logger}, false, false, false)
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("eventlog: embedded NATS server did not become ready within 30s")
	}
	return srv, nil
}

func (l *Log) where() string {
	if l.cfg.URL != "" {
		return l.cfg.URL
	}
	return "the embedded server"
}

// Subject returns the subject a message of the given type is published to.
func (l *Log) Subject(msgType string) string { return l.cfg.SubjectPrefix + "." + msgType }

// msgType is the message type a subject carries: its last token (a
// rewritten bundle's subject has one more token before it).
func msgType(subject string) string { return subject[strings.LastIndexByte(subject, '.')+1:] }

// StreamName returns the name of the stream.
func (l *Log) StreamName() string { return l.cfg.Stream }

// JetStream gives processors direct access to the JetStream context, for
// consumers and snapshots.
func (l *Log) JetStream() jetstream.JetStream { return l.js }

// Conn returns the underlying NATS connection.
func (l *Log) Conn() *nats.Conn { return l.nc }

// Ready reports whether the log can take messages now.
func (l *Log) Ready(ctx context.Context) error {
	if l.nc == nil || !l.nc.IsConnected() {
		return fmt.Errorf("eventlog: not connected to %s", l.where())
	}
	if _, err := l.stream.Info(ctx); err != nil {
		return fmt.Errorf("eventlog: stream %s: %w", l.cfg.Stream, err)
	}
	return nil
}

// LastSeq is the position of the newest message in the stream (0 when it
// holds none): a reader that has applied it has applied everything. A
// bundle rewritten by an erasure is not new, so its copy does not count.
func (l *Log) LastSeq(ctx context.Context) (uint64, error) {
	last, _, err := l.Stats(ctx)
	return last, err
}

// Stats reads LastSeq and the bytes the stream holds.
func (l *Log) Stats(ctx context.Context) (last, bytes uint64, err error) {
	info, err := l.stream.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("eventlog: stream %s: %w", l.cfg.Stream, err)
	}
	seq := info.State.LastSeq
	if seq == 0 || !l.rewrote.Load() {
		return l.EndPos(seq), info.State.Bytes, nil
	}
	m, err := l.stream.GetLastMsgForSubject(ctx, l.cfg.SubjectPrefix+".*")
	if isNoMessage(err) {
		return 0, info.State.Bytes, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("eventlog: stream %s: last message: %w", l.cfg.Stream, err)
	}
	return l.EndPos(m.Sequence), info.State.Bytes, nil
}

// Close drains the connection and stops the embedded server, if any.
func (l *Log) Close() error {
	if l.nc != nil {
		// Drain lets in-flight acks arrive; Close after it releases everything.
		_ = l.nc.Drain()
		for i := 0; i < 100 && !l.nc.IsClosed(); i++ {
			time.Sleep(10 * time.Millisecond)
		}
		l.nc.Close()
	}
	l.shutdownServer()
	return nil
}

func (l *Log) shutdownServer() {
	if l.srv != nil {
		l.srv.Shutdown()
		l.srv.WaitForShutdown()
		l.srv = nil
	}
}
