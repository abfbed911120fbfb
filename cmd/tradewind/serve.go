package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/tradewind/tradewind/internal/app"
)

func serveCommand() *ffcli.Command {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var n nodeFlags
	n.register(fs)
	return &ffcli.Command{
		Name: "serve", ShortUsage: "tradewind serve [--data DIR] [--listen HOST:PORT] [flags]",
		ShortHelp: "run a tradewind node: tracking API, event log, store, admin API",
		FlagSet:   fs, Options: parseOpts,
		Exec: func(ctx context.Context, _ []string) error {
			cfg, err := n.config()
			if err != nil {
				return err
			}
			a, err := app.Open(ctx, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			return serve(ctx, a)
		},
	}
}

// serve runs the HTTP server, with the serving node's background work
// (app.StartServing), until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, a *app.App) error {
	ln, err := net.Listen("tcp", a.Cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Cfg.Listen, err)
	}
	a.StartServing()
	// Slow clients cannot hold a connection: headers within 10 s, a body
	// within 60 s (an import extends its own deadline), an answer within
	// 10 minutes.
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      10 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Logger.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if a.Cfg.TLSCert != "" {
		scheme = "https"
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	url := scheme + "://" + ln.Addr().String()
	if err := app.WriteServerInfo(a.Cfg.DataDir, app.ServerInfo{URL: url}); err != nil {
		return err
	}
	defer app.RemoveServerInfo(a.Cfg.DataDir)
	a.Logger.Info("tradewind serving", "url", url, "data", a.Cfg.DataDir, "admin_token_file", a.TokenPath)
	errc := make(chan error, 1)
	go func() {
		if a.Cfg.TLSCert != "" {
			errc <- srv.ServeTLS(ln, a.Cfg.TLSCert, a.Cfg.TLSKey)
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
