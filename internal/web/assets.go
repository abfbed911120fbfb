package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// asset is one static file, kept in memory with its gzip form.
type asset struct {
	name  string // logical name, relative to /static/
	body  []byte
	gz    []byte // nil when compressing does not pay
	ctype string
	etag  string // strong ETag of body, quoted
	// hashed is the name with the content hash ("js/common.1a2b3c4d5e.js"),
	// served with a year-long immutable cache.
	hashed string
}

// assets are the static files by logical and by hashed name.
type assets struct {
	byName   map[string]*asset
	byHashed map[string]*asset
}

// contentTypes are the types of the files the dashboard serves; a file with
// another extension is refused at start-up (the tests check every one).
var contentTypes = map[string]string{
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".json": "application/json",
	".txt":  "text/plain; charset=utf-8",
	"":      "text/plain; charset=utf-8", // LICENSE, NOTICE
}

// contentType gives the Content-Type of a file name.
func contentType(name string) (string, bool) {
	ext := path.Ext(name)
	if strings.HasPrefix(path.Base(name), "LICENSE") || path.Base(name) == "NOTICE" {
		ext = ""
	}
	t, ok := contentTypes[ext]
	return t, ok
}

// loadAssets reads every file below dir of fsys.
func loadAssets(fsys fs.FS, dir string) (*assets, error) {
	as := &assets{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		return as.add(strings.TrimPrefix(p, dir+"/"), b)
	})
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	return as, nil
}

// add keeps one asset.
func (as *assets) add(name string, body []byte) error {
	ct, ok := contentType(name)
	if !ok {
		return fmt.Errorf("web: static file %s: no content type for its extension", name)
	}
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	a := &asset{name: name, body: body, ctype: ct, etag: `"` + h[:32] + `"`}
	ext := path.Ext(name)
	if ext != "" && !strings.HasPrefix(path.Base(name), "LICENSE") {
		a.hashed = strings.TrimSuffix(name, ext) + "." + h[:10] + ext
		as.byHashed[a.hashed] = a
	}
	if compressible(ct) && len(body) > 1024 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		if buf.Len() < len(body)*9/10 {
			a.gz = buf.Bytes()
		}
	}
	as.byName[name] = a
	return nil
}

func compressible(ct string) bool {
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") || strings.Contains(ct, "svg")
}

// url is the address of an asset by logical name: the hashed one, or ""
// for an unknown asset (the page checks its assets at start-up).
func (as *assets) url(name string) string {
	a, ok := as.byName[name]
	if !ok {
		return ""
	}
	if a.hashed != "" {
		return "/static/" + a.hashed
	}
	return "/static/" + a.name
}

// static serves GET /static/…: a hashed name with a year-long immutable
// cache, a logical name with an ETag to revalidate; gzip when the client
// takes it.
func (u *UI) static(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	a, immutable := u.assets.byHashed[name]
	if !immutable {
		a = u.assets.byName[name]
	}
	if a == nil {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	serveAsset(w, r, a, immutable)
}

// favicon serves the icon at the address browsers try on their own.
func (u *UI) favicon(w http.ResponseWriter, r *http.Request) {
	serveAsset(w, r, u.assets.byName["icon.svg"], false)
}

func serveAsset(w http.ResponseWriter, r *http.Request, a *asset, immutable bool) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	if immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	body, etag := a.body, a.etag
	if a.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = a.gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// acceptsGzip reports whether the request's Accept-Encoding takes gzip
// (and does not refuse it with q=0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		params = strings.ReplaceAll(params, " ", "")
		return params != "q=0" && params != "q=0.0" && params != "q=0.00" && params != "q=0.000"
	}
	return false
}

// etagMatch is the weak comparison of If-None-Match with an ETag.
func etagMatch(header, etag string) bool {
	if strings.TrimSpace(header) == "*" {
		return true
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag {
			return true
		}
	}
	return false
}
