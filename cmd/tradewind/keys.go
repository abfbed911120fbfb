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
	"github.com/tradewind/tradewind/internal/privacy/keystore"
)

// keysCommand manages the master key that wraps the personal-data keys. It
// works on a stopped node: the key store is one process's file.
func keysCommand() *ffcli.Command {
	fs := flag.NewFlagSet("keys rotate", flag.ContinueOnError)
	var n nodeFlags
	n.register(fs)
	var newFile string
	fs.StringVar(&newFile, "new-master-key-file", "", "file with the new master key (a higher version); default: generate one into DATA/keys/master.key")
	rotate := &ffcli.Command{
		Name: "rotate", ShortUsage: "tradewind keys rotate [--master-key-file OLD] [--new-master-key-file NEW] --data DIR",
		ShortHelp: "re-wrap every personal-data key under a new master key (server stopped)",
		FlagSet:   fs, Options: parseOpts,
		Exec: func(ctx context.Context, _ []string) error {
			if _, ok := app.RunningServer(n.data); ok {
				return errors.New("a server holds the data directory: stop it, then rotate")
			}
			lock, err := app.LockDataDir(n.data)
			if err != nil {
				return err
			}
			defer app.UnlockDataDir(lock)
			dir := filepath.Join(n.data, app.KeysDir)
			defaultFile := filepath.Join(dir, "master.key")
			oldFile, oldEnv := n.masterKeyFile, os.Getenv("TRADEWIND_MASTER_KEY")
			if oldFile == "" && oldEnv == "" {
				oldFile = defaultFile
			}
			old, err := keystore.LoadMaster(oldFile, oldEnv)
			if err != nil {
				return err
			}
			cur := old[len(old)-1].Version
			var next []keystore.MasterKey
			generated := ""
			if newFile != "" {
				if next, err = keystore.LoadMaster(newFile, ""); err != nil {
					return err
				}
			} else {
				if oldFile != defaultFile {
					return errors.New("give --new-master-key-file: the current master key is kept outside the data directory")
				}
				generated = defaultFile + ".next"
				if err := keystore.GenerateNextMasterFile(generated, cur+1); err != nil {
					return err
				}
				if next, err = keystore.LoadMaster(generated, ""); err != nil {
					return err
				}
			}
			if next[len(next)-1].Version <= cur {
				return fmt.Errorf("the new master key must have a version above %d", cur)
			}
			st, err := keystore.Open(dir, append(old, next...), keystore.Options{})
			if err != nil {
				return err
			}
			if err := st.Rotate(append(old, next...)); err != nil {
				st.Close()
				return err
			}
			stats := st.Stats()
			if err := st.Close(); err != nil {
				return err
			}
			if generated != "" {
				if err := os.Rename(generated, defaultFile); err != nil {
					return err
				}
			}
			fmt.Printf("re-wrapped %d keys under master key v%d (%d destroyed slots untouched)\n", stats.Live, next[len(next)-1].Version, stats.Destroyed)
			if generated == "" {
				fmt.Println("now start the node with the new master key file; the old one is no longer needed")
			}
			return nil
		},
	}
	return &ffcli.Command{Name: "keys", ShortUsage: "tradewind keys rotate", ShortHelp: "master key rotation",
		Subcommands: []*ffcli.Command{rotate}, Exec: func(context.Context, []string) error { return flag.ErrHelp }}
}
