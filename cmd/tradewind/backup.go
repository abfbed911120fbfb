package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/tradewind/tradewind/internal/app"
	"github.com/tradewind/tradewind/internal/backup"
)

func backupCommand() *ffcli.Command {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	var t target
	t.register(fs)
	out := fs.String("out", "", "new or empty directory for the backup (on the server's machine)")
	keysOut := fs.String("keys-out", "", "also back up the key material (key store, suppression list) into this directory; keep it apart from data backups")
	return &ffcli.Command{
		Name: "backup", ShortUsage: "tradewind backup --out DIR [--data DIR | --server URL]",
		ShortHelp: "write a consistent copy of the store, the event log and the sources, while the server runs",
		FlagSet:   fs, Options: parseOpts,
		Exec: func(ctx context.Context, _ []string) error {
			if *out == "" && *keysOut == "" {
				return errors.New("--out (data) and/or --keys-out (keys) is required")
			}
			if *out == "" {
				kdir, err := filepath.Abs(*keysOut)
				if err != nil {
					return err
				}
				if err := t.withAPI(ctx, func(r *remote) error {
					return r.postJSON(ctx, "/v1/admin/backup", map[string]string{"keys_dir": kdir}, nil)
				}); err != nil {
					return err
				}
				fmt.Printf("key backup in %s\n", kdir)
				return nil
			}
			dir, err := filepath.Abs(*out)
			if err != nil {
				return err
			}
			var m backup.Manifest
			r, err := t.resolve()
			if err != nil {
				return err
			}
			if r != nil {
				err = r.postJSON(ctx, "/v1/admin/backup", map[string]string{"dir": dir}, &m)
			} else {
				a, err2 := t.local(ctx)
				if err2 != nil {
					return err2
				}
				defer a.Close()
				var mp *backup.Manifest
				if mp, err = a.Backup(ctx, dir); err == nil {
					m = *mp
				}
			}
			if err != nil {
				return err
			}
			fmt.Printf("backup in %s: store at log sequence %d, log to %d, %d sources, %.1f MB (%.1fs)\n",
				dir, m.AppliedSeq, m.LogLastSeq, m.SourceCount, float64(m.StoreBytes+m.LogBytes)/1e6, m.TookSeconds)
			return nil
		},
	}
}

func restoreCommand() *ffcli.Command {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	var n nodeFlags
	n.register(fs)
	from := fs.String("from", "", "backup directory written by tradewind backup")
	keysFrom := fs.String("keys-from", "", "key backup (tradewind backup --keys-out) or a node's DATA/keys directory")
	return &ffcli.Command{
		Name: "restore", ShortUsage: "tradewind restore --from BACKUP --data NEWDIR",
		ShortHelp: "bring a backup back into a new data directory",
		FlagSet:   fs, Options: parseOpts,
		Exec: func(ctx context.Context, _ []string) error {
			if *from == "" {
				return errors.New("--from is required")
			}
			cfg, err := n.config()
			if err != nil {
				return err
			}
			if *keysFrom == "" {
				fmt.Fprintln(os.Stderr, "warning: no --keys-from: encrypted personal fields of the backup will be unreadable")
			}
			m, err := app.Restore(ctx, *from, cfg, *keysFrom)
			if err != nil {
				return err
			}
			fmt.Printf("restored %s into %s: log to sequence %d, store caught up\n", *from, cfg.DataDir, m.LogLastSeq)
			return nil
		},
	}
}
