package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tradewind/tradewind/internal/app"
)

// target is where a command operates: a running server's API, or the data
// directory opened in this process when no server holds it.
type target struct {
	nodeFlags
	server, token string
}

func (t *target) register(fs *flag.FlagSet) {
	t.nodeFlags.register(fs)
	fs.StringVar(&t.server, "server", "", "URL of a running tradewind server (default: the one holding --data, if any)")
	fs.StringVar(&t.token, "token", "", "admin token for --server (default: TRADEWIND_ADMIN_TOKEN, else the data directory's admin.token)")
}

// remote is an API client.
type remote struct {
	url, token string
	hc         *http.Client
}

// resolve picks the server to talk to, or nil to open the directory locally.
func (t *target) resolve() (*remote, error) {
	url := t.server
	if url == "" {
		if info, ok := app.RunningServer(t.data); ok {
			url = info.URL
		}
	}
	if url == "" {
		return nil, nil
	}
	tok := t.token
	if tok == "" {
		tok = os.Getenv("TRADEWIND_ADMIN_TOKEN")
	}
	if tok == "" {
		b, err := os.ReadFile(filepath.Join(t.data, "admin.token"))
		if err != nil {
			return nil, fmt.Errorf("no admin token: pass --token, set TRADEWIND_ADMIN_TOKEN, or point --data at the server's directory (%v)", err)
		}
		tok = strings.TrimSpace(string(b))
	}
	return &remote{url: strings.TrimRight(url, "/"), token: tok, hc: &http.Client{Timeout: 3 * time.Hour}}, nil
}

// local opens the data directory in this process.
func (t *target) local(ctx context.Context) (*app.App, error) {
	cfg, err := t.config()
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, cfg)
}

// do sends a request and decodes a JSON answer into out; an error answer
// becomes an error with the server's message.
func (r *remote) do(ctx context.Context, method, path string, body io.Reader, contentType string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, r.url+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, r.url+path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("server: %s (HTTP %d)", e.Error, resp.StatusCode)
		}
		return fmt.Errorf("server: HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		return dec.Decode(out)
	}
	return nil
}

func (r *remote) postJSON(ctx context.Context, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return r.do(ctx, http.MethodPost, path, bytes.NewReader(b), "application/json", out)
}

// withAPI runs fn against the API: of the server holding the data directory
// (or --server), or — when none runs — of the directory opened in this
// process and served on a loopback port for as long as fn runs. Either way
// the command goes through the same endpoints, checks and audit log.
func (t *target) withAPI(ctx context.Context, fn func(r *remote) error) error {
	r, err := t.resolve()
	if err != nil {
		return err
	}
	if r != nil {
		return fn(r)
	}
	a, err := t.local(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	return fn(&remote{url: "http://" + ln.Addr().String(), token: a.Cfg.AdminToken, hc: &http.Client{Timeout: 3 * time.Hour}})
}

// get sends a GET and decodes the JSON answer into out.
func (r *remote) get(ctx context.Context, path string, out any) error {
	return r.do(ctx, http.MethodGet, path, nil, "", out)
}

// printJSON writes v as indented JSON on standard output.
func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// jsonBody encodes v as a request body.
func jsonBody(v any) (io.Reader, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

// jsonRaw is JSON text to embed as is in a request body.
type jsonRaw string

// MarshalJSON returns the text itself.
func (j jsonRaw) MarshalJSON() ([]byte, error) { return []byte(j), nil }

// readInput reads a file named on the command line, "-" being standard
// input, and says how to name it in messages.
func readInput(file string) (data []byte, name string, err error) {
	if file == "-" {
		data, err = io.ReadAll(os.Stdin)
		return data, "standard input", err
	}
	data, err = os.ReadFile(file)
	return data, file, err
}
