package deliver

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Header names a webhook carries. Receivers read them by these names.
const (
	// HeaderID carries the delivery's idempotency key: a repeat of the same
	// delivery (after a crash between sending and recording) has the same id,
	// so the receiver can drop it.
	HeaderID = "Tradewind-Id"
	// HeaderTimestamp carries the signing time in Unix seconds, the same
	// value as the signature's t= field, for receivers that log it.
	HeaderTimestamp = "Tradewind-Timestamp"
	// HeaderSignature carries "t=<unix>,v1=<hex>[,v1=<hex>…]".
	HeaderSignature = "Tradewind-Signature"
)

// Defaults for a Webhook whose fields are zero.
const (
	// DefaultWebhookTimeout bounds one attempt: long enough for a slow
	// receiver, short enough that a hung one frees its lane's worker.
	DefaultWebhookTimeout = 10 * time.Second
	// DefaultTolerance is how far a signature's timestamp may be from the
	// receiver's clock; it bounds how long a captured request can be replayed.
	DefaultTolerance = 5 * time.Minute
	// DefaultMaxRetryAfter caps a receiver's Retry-After, so a receiver that
	// answers "come back next year" cannot park a delivery for ever.
	DefaultMaxRetryAfter = time.Hour
	// maxResponseBody is how much of a response is read (and discarded) so
	// the connection can be reused; a receiver streaming megabytes back
	// cannot hold a lane's worker.
	maxResponseBody = 64 << 10
	maxRedirects    = 3
)

// Errors Verify returns, so a receiver can answer with the right status and
// log why.
var (
	ErrNoSignature    = errors.New("webhook signature: header missing or malformed")
	ErrStaleTimestamp = errors.New("webhook signature: timestamp outside tolerance")
	ErrBadSignature   = errors.New("webhook signature: no v1 signature matches")
)

// Sign returns the Tradewind-Signature header value for body sent at ts:
// "t=<unix>,v1=<hex HMAC-SHA256 of "<unix>.<body>">". The timestamp is inside
// the signed text, so a receiver that checks it (Verify does) rejects a
// captured request replayed later, and it cannot be altered without breaking
// the signature.
func Sign(secret []byte, ts time.Time, body []byte) string {
	return signHeader(ts.Unix(), body, secret)
}

// signHeader signs with every secret given. Sending one v1 per active secret
// is what makes rotation painless: during a roll-over the sender signs with
// old and new secret, and a receiver that knows either one accepts.
func signHeader(unix int64, body []byte, secrets ...[]byte) string {
	t := strconv.FormatInt(unix, 10)
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(t)
	for _, s := range secrets {
		b.WriteString(",v1=")
		b.WriteString(mac(s, t, body))
	}
	return b.String()
}

func mac(secret []byte, unix string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(unix))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a Tradewind-Signature header against body with one secret, for
// receivers (and tests). It accepts when any v1 value matches, so a header
// signed during a secret rotation verifies with either secret; a receiver
// holding several secrets calls Verify once per secret. The timestamp must be
// within tolerance of now in either direction (DefaultTolerance when tolerance
// is not positive). The comparison is constant-time.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var ts string
	var sigs [][]byte
	for field := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if raw, err := hex.DecodeString(v); err == nil && len(raw) == sha256.Size {
				sigs = append(sigs, raw)
			}
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrNoSignature
	}
	age := now.Sub(time.Unix(unix, 0))
	if age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: signed %s ago, tolerance %s", ErrStaleTimestamp, age.Round(time.Second), tolerance)
	}
	want, _ := hex.DecodeString(mac(secret, ts, body))
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return ErrBadSignature
}

// Validate checks that rawURL is an absolute http or https URL with a host and
// without user:password (credentials in a URL end up in logs). Configuration
// calls it when a destination is saved, so a bad URL is refused there rather
// than dead-lettered later; Send calls it too.
func Validate(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("webhook URL: not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("webhook URL: scheme %q refused, only http and https", u.Scheme)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("webhook URL: no host")
	}
	if u.User != nil {
		return fmt.Errorf("webhook URL for %s: credentials in the URL refused, use a header", u.Hostname())
	}
	return nil
}

// Webhook is one destination. The zero values of Timeout and Headers work; URL
// and Secret are required. A Webhook is safe for concurrent use and holds no
// connections of its own: they are pooled per host by the shared transport.
type Webhook struct {
	URL string
	// Secret signs every request (HMAC-SHA256). It never appears in errors.
	Secret []byte
	// OldSecrets, during a rotation, are signed with as well, so receivers
	// not yet given the new secret keep accepting.
	OldSecrets [][]byte
	// Timeout bounds one attempt, from dial to the end of the response
	// headers and the capped body read; DefaultWebhookTimeout when zero.
	Timeout time.Duration
	// Headers are added to each request (an Authorization token, say); they
	// cannot replace the Tradewind-* headers, Content-Type or User-Agent.
	Headers map[string]string
	// MaxRetryAfter caps a receiver's Retry-After; DefaultMaxRetryAfter
	// when zero.
	MaxRetryAfter time.Duration
	// Client, when set, replaces the shared client (tests, proxies). Its
	// CheckRedirect should refuse other hosts as the shared one does.
	Client *http.Client
	// Now returns the signing time; time.Now when nil (tests pin it).
	Now func() time.Time
}

// sharedClient is used by every Webhook without its own Client, so
// connections to a destination are pooled across deliveries. It has no
// Timeout of its own: each Send bounds itself with a context deadline.
var sharedClient = &http.Client{
	Transport:     newTransport(),
	CheckRedirect: sameHostRedirect,
}

// NewClient returns a client like the one webhooks share (pooled
// connections, redirects only to the same host) whose dialer refuses every
// address allow rejects, after DNS: a destination whose name resolves to,
// or is rebound to, an internal address (the cloud metadata service at
// 169.254.169.254, a database on the private network) is refused at the
// moment of connecting, not only when it is configured.
func NewClient(allow func(net.IP) bool) *http.Client {
	t := newTransport()
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !allow(ip) {
				return fmt.Errorf("%w: %s", ErrAddressRefused, host)
			}
			return nil
		}}
	t.DialContext = d.DialContext
	return &http.Client{Transport: t, CheckRedirect: sameHostRedirect}
}

// ErrAddressRefused is returned for a connection to an address the
// client's guard does not allow.
var ErrAddressRefused = errors.New("refused to connect to a non-public address")

// IsPublic reports whether ip is an address on the public internet: not
// loopback, private (RFC 1918, fc00::/7), link-local, carrier-grade NAT
// (100.64.0.0/10), multicast or unspecified.
func IsPublic(ip net.IP) bool {
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	if v4 := ip.To4(); v4 != nil && v4[0] == 100 && v4[1]&0xc0 == 64 {
		return false
	}
	return true
}

func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// Enough idle connections for a lane's workers to reuse theirs; no
	// ResponseHeaderTimeout, since each Webhook's own Timeout applies.
	t.MaxIdleConnsPerHost = 16
	return t
}

// errRedirectRefused marks a redirect the client would not follow.
var errRedirectRefused = errors.New("redirect refused")

// sameHostRedirect follows only 307 and 308 to the same scheme and host: those
// keep the POST and its body (and so the signature still matches), while
// 301/302/303 would turn the delivery into a body-less GET, and another host
// would receive a signed payload and our custom headers it was never meant to
// see.
func sameHostRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("%w: more than %d redirects", errRedirectRefused, maxRedirects)
	}
	first := via[0]
	if req.URL.Host != first.URL.Host || req.URL.Scheme != first.URL.Scheme {
		return fmt.Errorf("%w: to another host", errRedirectRefused)
	}
	if req.Response == nil || (req.Response.StatusCode != http.StatusTemporaryRedirect && req.Response.StatusCode != http.StatusPermanentRedirect) {
		return fmt.Errorf("%w: status would change the method", errRedirectRefused)
	}
	return nil
}

// reserved are headers Send sets itself; Headers may not replace them.
var reserved = map[string]bool{
	http.CanonicalHeaderKey(HeaderID):        true,
	http.CanonicalHeaderKey(HeaderTimestamp): true,
	http.CanonicalHeaderKey(HeaderSignature): true,
	"Content-Type":                           true,
	"User-Agent":                             true,
	"Content-Length":                         true,
	"Host":                                   true,
}

// Send makes one signed POST of body (JSON) to the webhook. id is the
// delivery's idempotency key, sent as Tradewind-Id; the caller keeps it the
// same for every attempt of one delivery. A 2xx answer is success; 408, 425,
// 429, 5xx and network errors return a *RetryableError (with the receiver's
// Retry-After, capped); other statuses return a *PermanentError. Send does not
// retry: the caller's outbox does, with Backoff.
func (w *Webhook) Send(ctx context.Context, id string, body []byte) error {
	if err := Validate(w.URL); err != nil {
		return &PermanentError{Dest: "webhook", Reason: "invalid destination", Err: err}
	}
	u, _ := url.Parse(w.URL)
	dest := u.Hostname()
	if len(w.Secret) == 0 {
		return &PermanentError{Dest: dest, Reason: "no signing secret configured"}
	}
	if id == "" || strings.ContainsAny(id, "\r\n") {
		return &PermanentError{Dest: dest, Reason: "missing or invalid delivery id"}
	}

	timeout := w.Timeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return &PermanentError{Dest: dest, Reason: "cannot build request"}
	}
	for k, v := range w.Headers {
		if reserved[http.CanonicalHeaderKey(k)] {
			continue
		}
		req.Header.Set(k, v)
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	unix := now().Unix()
	secrets := append([][]byte{w.Secret}, w.OldSecrets...)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tradewind")
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(unix, 10))
	req.Header.Set(HeaderSignature, signHeader(unix, body, secrets...))

	client := w.Client
	if client == nil {
		client = sharedClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return classifyTransport(dest, err)
	}
	defer resp.Body.Close()
	// Read a capped amount so the connection can go back to the pool; what
	// the receiver says is not kept, it may echo personal data.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))

	code := resp.StatusCode
	reason := fmt.Sprintf("HTTP %d %s", code, http.StatusText(code))
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly,
		code == http.StatusTooManyRequests, code >= 500:
		maxWait := w.MaxRetryAfter
		if maxWait <= 0 {
			maxWait = DefaultMaxRetryAfter
		}
		return &RetryableError{Dest: dest, Status: code, Reason: reason,
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now(), maxWait)}
	case code >= 300 && code < 400:
		return &PermanentError{Dest: dest, Status: code, Reason: reason + ": redirect not followed (only 307/308 to the same host are)"}
	default:
		return &PermanentError{Dest: dest, Status: code, Reason: reason}
	}
}

// classifyTransport turns a client error into a delivery error without the
// URL: *url.Error's text holds the full URL, whose path or query may carry a
// token, so only its inner error is kept.
func classifyTransport(dest string, err error) error {
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	if errors.Is(err, errRedirectRefused) {
		return &PermanentError{Dest: dest, Reason: "redirect not followed", Err: inner}
	}
	if errors.Is(err, ErrAddressRefused) {
		return &PermanentError{Dest: dest, Reason: "the destination is not a public address", Err: inner}
	}
	return &RetryableError{Dest: dest, Reason: "request failed", Err: inner}
}

// parseRetryAfter reads Retry-After as delay-seconds or an HTTP-date
// (RFC 9110 §10.2.3) and caps it at maxWait; 0 when absent or unreadable.
func parseRetryAfter(v string, now time.Time, maxWait time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxWait/time.Second) {
			return maxWait
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return 0
	}
	if d < 0 {
		return 0
	}
	return min(d, maxWait)
}
