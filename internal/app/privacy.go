package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tradewind/tradewind/internal/audit"
	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/privacy"
	"github.com/tradewind/tradewind/internal/privacy/keystore"
	"github.com/tradewind/tradewind/internal/privacy/pii"
	"github.com/tradewind/tradewind/internal/privacy/suppress"
	"github.com/tradewind/tradewind/internal/retention"
)

// KeysDir is where a node keeps its key material, apart from the data it
// protects: the per-subject key store, the suppression list and (when the
// operator gives none) the generated master key. Backups of the data leave
// it out; `tradewind backup --keys-out` copies it separately.
const KeysDir = "keys"

// masterKeys loads the master keys: from the configured file or
// environment value, else from DataDir/keys/master.key, generated on first
// use.
func (a *App) masterKeys() ([]keystore.MasterKey, error) {
	if a.Cfg.MasterKeyFile != "" || a.Cfg.MasterKey != "" {
		return keystore.LoadMaster(a.Cfg.MasterKeyFile, a.Cfg.MasterKey)
	}
	path := filepath.Join(a.Cfg.DataDir, KeysDir, "master.key")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		if err := keystore.GenerateMasterFile(path); err != nil {
			return nil, err
		}
		a.Logger.Warn("generated a master key inside the data directory; for production, keep it elsewhere (--master-key-file or TRADEWIND_MASTER_KEY)", "path", path)
	}
	return keystore.LoadMaster(path, "")
}

// openPrivacy opens the key store, the suppression list, the privacy
// service, accounts, the audit log and retention, and hooks them into
// ingest and the store writer's projector.
func (a *App) openPrivacy(ctx context.Context) error {
	masters, err := a.masterKeys()
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	dir := filepath.Join(a.Cfg.DataDir, KeysDir)
	if a.Keys, err = keystore.Open(dir, masters, keystore.Options{Sync: a.Cfg.Fsync}); err != nil {
		return err
	}
	if a.Suppress, err = suppress.Open(filepath.Join(dir, "suppression.list")); err != nil {
		return err
	}
	overrides, err := readOverrides(a.Cfg.PIIOverridesFile)
	if err != nil {
		return err
	}
	js := a.Log.JetStream()
	a.Privacy, err = privacy.New(ctx, privacy.Config{
		Keys: a.Keys, Suppress: a.Suppress, Classifier: pii.NewClassifier(overrides),
		Store: a.Store, Log: a.Log, JetStream: js, Bucket: a.bucket("tradewind_privacy"),
		Region: func(id string) string {
			s, _ := a.Sources.ByID(id)
			return s.Country
		},
		Logger: a.Logger, Registry: a.Registry, Publish: a.publishInternal,
	})
	if err != nil {
		return err
	}
	a.Ingest.Guard = a.Privacy
	a.Auth, err = auth.Open(ctx, js, auth.Options{
		UsersBucket: a.bucket("tradewind_users"), TokensBucket: a.bucket("tradewind_tokens"),
		SessionsBucket: a.bucket("tradewind_sessions"), AdminToken: a.Cfg.AdminToken, Logger: a.Logger,
		WriteError: ingest.WriteError, Argon2: a.Cfg.Argon2,
	})
	if err != nil {
		return err
	}
	settings, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: a.bucket("tradewind_settings"),
		Description: "tradewind settings", History: 10, Storage: jetstream.FileStorage})
	if err != nil {
		return fmt.Errorf("settings bucket: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(a.Cfg.DataDir, "audit"), 0o700); err != nil {
		return err
	}
	a.AuditPath = filepath.Join(a.Cfg.DataDir, "audit", "audit.log")
	a.AuditCheckpoint = &kvCheckpointer{kv: settings}
	if a.Audit, err = audit.Open(a.AuditPath, a.AuditCheckpoint, audit.Options{Key: a.Keys.IndexKey()}); err != nil {
		return err
	}
	if h := a.Audit.Health(); !h.OK {
		a.Logger.Error("the audit log does not match its checkpoint: run `tradewind audit verify`")
	}
	a.Access = audit.NewAccessMonitor(audit.MonitorConfig{})
	a.Retention, err = retention.Open(ctx, js, a.bucket("tradewind_settings"), retentionStore{a}, a.Log, a.Logger)
	if err != nil {
		return err
	}
	return nil
}

// bucket names a key-value bucket, with the configured prefix (tests that
// share an external NATS give each node its own).
func (a *App) bucket(name string) string { return a.Cfg.BucketPrefix + name }

// publishInternal writes one of tradewind's own messages for a source.
func (a *App) publishInternal(ctx context.Context, sourceID string, raw []byte) error {
	src, ok := a.Sources.ByID(sourceID)
	if !ok {
		return fmt.Errorf("unknown source %q", sourceID)
	}
	out, err := a.Ingest.Accept(ctx, src, []ingest.Item{{Raw: raw}}, ingest.Options{Internal: true})
	if err != nil {
		return err
	}
	if out[0].Err != nil {
		return out[0].Err
	}
	return nil
}

// retentionStore adapts the store to the retention job.
type retentionStore struct{ a *App }

func (r retentionStore) DeleteBefore(ctx context.Context, rule retention.Rule, cutoff time.Time) (int64, uint64, error) {
	return r.a.Store.DeleteBefore(ctx, rule.Table, rule.Type, rule.Event, cutoff)
}

// kvCheckpointer keeps the audit chain's head in a JetStream key-value
// bucket: outside the audit file, so truncating the file is detected.
type kvCheckpointer struct{ kv jetstream.KeyValue }

type head struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

func (c *kvCheckpointer) Save(seq uint64, hash string) error {
	b, _ := json.Marshal(head{seq, hash})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.kv.Put(ctx, "audit.head", b)
	return err
}

func (c *kvCheckpointer) Load() (uint64, string, bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := c.kv.Get(ctx, "audit.head")
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, "", false, nil
	}
	if err != nil {
		return 0, "", false, err
	}
	var h head
	if err := json.Unmarshal(e.Value(), &h); err != nil {
		return 0, "", false, fmt.Errorf("audit checkpoint: %w", err)
	}
	return h.Seq, h.Hash, true, nil
}

// readOverrides reads the PII tier override file: lines "path = tier",
// blank lines and # comments ignored.
func readOverrides(path string) (map[string]pii.Tier, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pii overrides: %w", err)
	}
	defer f.Close()
	out := map[string]pii.Tier{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("pii overrides %s line %d: want 'path = high|medium|low'", path, n)
		}
		t, err := pii.ParseTier(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("pii overrides %s line %d: %w", path, n, err)
		}
		out[strings.TrimSpace(k)] = t
	}
	return out, sc.Err()
}
