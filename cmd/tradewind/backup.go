package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
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
	return &ffcli.Command{
		Name: "backup", ShortUsage: "tradewind backup --out DIR [--data DIR | --server URL]",
		ShortHelp: "write a consistent copy of the store, the event log and the sources, while the server runs",
		FlagSet:   fs, Options: parseOpts,
		Exec: func(ctx context.Context, _ []string) error {
			if *out == "" {
				return errors.New("--out is required")
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
			m, err := app.Restore(ctx, *from, cfg)
			if err != nil {
				return err
			}
			fmt.Printf("restored %s into %s: log to sequence %d, store caught up\n", *from, cfg.DataDir, m.LogLastSeq)
			return nil
		},
	}
}
