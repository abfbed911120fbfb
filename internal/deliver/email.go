package deliver

// Library choice: the standard library (net/smtp for the protocol; mime,
// mime/multipart and mime/quotedprintable for the message) rather than
// github.com/wneessen/go-mail. go-mail is well kept and has context support
// and TLS policies built in, but what this package needs from it is small and
// the standard library already does it well:
//   - net/smtp's PlainAuth refuses to send a password over a connection that
//     is not TLS unless the server is localhost, which is exactly our rule
//     for TLS "none";
//   - its replies come back as *textproto.Error with the reply code, which is
//     all the retryable (4xx) / permanent (5xx) classification needs;
//   - the message must carry headers we control byte for byte (Message-ID is
//     the idempotency key, List-Unsubscribe-Post per RFC 8058), which a
//     builder with its own header generation would fight.
// net/smtp is frozen (no new features) but maintained; its one gap, no
// context, is closed below by dialling with the context, setting a deadline
// on the connection and closing it when the context ends.

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// TLS modes for Mailer.TLS.
const (
	// TLSStartTLS connects in plain text and upgrades with STARTTLS before
	// anything else is said; a server that does not offer it is refused
	// (not silently used in plain text). The default, usually port 587.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte ("SMTPS"), usually port 465.
	TLSImplicit = "tls"
	// TLSNone sends in plain text, allowed only to a relay on this machine
	// (localhost or a loopback address).
	TLSNone = "none"
)

// DefaultMailTimeout bounds one Send, from dial to QUIT, when Mailer.Timeout
// is zero.
const DefaultMailTimeout = 30 * time.Second

// Mailer sends e-mail through one SMTP submission server. A Mailer is safe for
// concurrent use; each Send opens its own connection, because deliveries run
// in lanes whose workers should not share a connection's state.
type Mailer struct {
	Host string
	// Port defaults to 587, or 465 for TLSImplicit, or 25 for TLSNone.
	Port     int
	Username string // AUTH PLAIN when set
	Password string // never appears in errors
	// TLS is TLSStartTLS (the default when empty), TLSImplicit or TLSNone.
	TLS string
	// From is the sender, "Shop <news@shop.example>" or a bare address; it
	// is also the envelope sender.
	From string
	// HELO is the name given in EHLO; "localhost" when empty, which
	// net/smtp uses too. Set it to the sending host's name for relays that
	// check it.
	HELO string
	// Timeout bounds one Send; DefaultMailTimeout when zero.
	Timeout time.Duration
	// TLSConfig, when set, is used for the TLS handshake (a private CA, a
	// test's self-signed certificate); ServerName defaults to Host.
	TLSConfig *tls.Config
	// Now returns the Date header's time; time.Now when nil.
	Now func() time.Time
}

// Email is one message to one recipient.
type Email struct {
	// MessageID is the idempotency key, "<key@domain>" (see MessageID): a
	// repeat of the same delivery carries the same Message-ID, which
	// receiving systems use to drop duplicates.
	MessageID string
	To        string
	Subject   string
	Text      string // plain-text part; Text or HTML may be empty, not both
	HTML      string // HTML part
	// UnsubscribeURL is an https URL that unsubscribes on a POST (RFC 8058
	// one-click). When set, List-Unsubscribe and List-Unsubscribe-Post are
	// added; large mailbox providers require both for bulk mail.
	UnsubscribeURL string
	// UnsubscribeMailto is an address (with or without "mailto:") that
	// unsubscribes on receipt; added to List-Unsubscribe.
	UnsubscribeMailto string
	// Headers are extra headers (X-Campaign, say). They may not replace the
	// headers Compose writes itself.
	Headers map[string]string
}

// MessageID formats key as a Message-ID, "<key@domain>", replacing any
// character not allowed in a Message-ID's left part with '-', so an outbox id
// can be used as it is.
func MessageID(key, domain string) string {
	clean := strings.Map(func(r rune) rune {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", r)) {
			return r
		}
		return '-'
	}, key)
	return "<" + clean + "@" + domain + ">"
}

// Send delivers e in one SMTP transaction. A 4xx reply, a network or TLS
// error or a timeout returns a *RetryableError; a 5xx reply (the recipient
// does not exist, the message was refused, authentication failed) or a
// configuration the mailer refuses returns a *PermanentError. Errors name the
// SMTP host and "recipient 1", never an address or the password.
func (m *Mailer) Send(ctx context.Context, e Email) error {
	if err := m.Validate(); err != nil {
		return &PermanentError{Dest: "smtp " + m.Host, Reason: "invalid mailer", Err: err}
	}
	dest := "smtp " + m.Host
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	msg, err := Compose(m.From, e, now())
	if err != nil {
		return &PermanentError{Dest: dest, Reason: "invalid message", Err: err}
	}
	from, _ := mail.ParseAddress(m.From)
	to, _ := mail.ParseAddress(e.To) // Compose checked both

	timeout := m.Timeout
	if timeout <= 0 {
		timeout = DefaultMailTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	mode, port := m.mode()
	addr := net.JoinHostPort(m.Host, strconv.Itoa(port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return &RetryableError{Dest: dest, Reason: "connect", Err: err}
	}
	// net/smtp knows no context: the deadline bounds every read and write,
	// and closing the connection when ctx ends unblocks them at once.
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()

	if mode == TLSImplicit {
		tc := tls.Client(conn, m.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return m.classify(ctx, "TLS handshake", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, m.Host)
	if err != nil {
		return m.classify(ctx, "greeting", err)
	}
	defer c.Close()
	helo := m.HELO
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return m.classify(ctx, "EHLO", err)
	}
	if mode == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return &PermanentError{Dest: dest, Reason: "server does not offer STARTTLS, which this mailer requires"}
		}
		if err := c.StartTLS(m.tlsConfig()); err != nil {
			return m.classify(ctx, "STARTTLS", err)
		}
	}
	if m.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return &PermanentError{Dest: dest, Reason: "server does not offer AUTH but a username is configured"}
		}
		if err := c.Auth(smtp.PlainAuth("", m.Username, m.Password, m.Host)); err != nil {
			return m.classify(ctx, "AUTH", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return m.classify(ctx, "MAIL FROM", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return m.classify(ctx, "RCPT TO recipient 1", err)
	}
	w, err := c.Data()
	if err != nil {
		return m.classify(ctx, "DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return m.classify(ctx, "message", err)
	}
	// The server accepts or refuses the message in its reply to the end of
	// DATA, which Close reads.
	if err := w.Close(); err != nil {
		return m.classify(ctx, "message", err)
	}
	// The message is accepted; a failing QUIT does not undo that.
	_ = c.Quit()
	return nil
}

// Validate checks the mailer's configuration: a host, a known TLS mode, TLS
// "none" only towards this machine, and a parseable From.
func (m *Mailer) Validate() error {
	if m.Host == "" {
		return errors.New("mailer: no host")
	}
	switch m.TLS {
	case "", TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !isLoopback(m.Host) {
			return fmt.Errorf("mailer %s: TLS none is allowed only for a relay on localhost", m.Host)
		}
	default:
		return fmt.Errorf("mailer %s: TLS mode %q unknown (starttls, tls or none)", m.Host, m.TLS)
	}
	if m.Port < 0 || m.Port > 65535 {
		return fmt.Errorf("mailer %s: port %d out of range", m.Host, m.Port)
	}
	if _, err := mail.ParseAddress(m.From); err != nil {
		return fmt.Errorf("mailer %s: From is not an address", m.Host)
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (m *Mailer) mode() (string, int) {
	mode := m.TLS
	if mode == "" {
		mode = TLSStartTLS
	}
	port := m.Port
	if port == 0 {
		switch mode {
		case TLSImplicit:
			port = 465
		case TLSNone:
			port = 25
		default:
			port = 587
		}
	}
	return mode, port
}

func (m *Mailer) tlsConfig() *tls.Config {
	var c *tls.Config
	if m.TLSConfig != nil {
		c = m.TLSConfig.Clone()
	} else {
		c = &tls.Config{}
	}
	if c.ServerName == "" {
		c.ServerName = m.Host
	}
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// classify turns an error at one SMTP step into a delivery error: a reply
// code of 5xx is permanent, 4xx and everything else (network, TLS, timeout)
// retryable. The server's text is kept, with anything that looks like an
// address masked, because servers echo the recipient ("<bob@…>: unknown").
func (m *Mailer) classify(ctx context.Context, step string, err error) error {
	dest := "smtp " + m.Host
	var te *textproto.Error
	if errors.As(err, &te) {
		reason := fmt.Sprintf("%s: %d %s", step, te.Code, maskAddresses(te.Msg))
		if te.Code >= 500 {
			return &PermanentError{Dest: dest, Status: te.Code, Reason: reason}
		}
		return &RetryableError{Dest: dest, Status: te.Code, Reason: reason}
	}
	if ctx.Err() != nil {
		// The connection was closed under net/smtp by the context; report
		// the context's error, not the resulting "use of closed connection".
		return &RetryableError{Dest: dest, Reason: step, Err: ctx.Err()}
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The connection's deadline (the context's) fired before the
		// context's own timer was seen: the same timeout.
		return &RetryableError{Dest: dest, Reason: step + ": timed out", Err: context.DeadlineExceeded}
	}
	if strings.Contains(err.Error(), "unencrypted connection") {
		// net/smtp's PlainAuth refusing to send the password in clear.
		return &PermanentError{Dest: dest, Reason: step + ": refusing to authenticate over an unencrypted connection"}
	}
	return &RetryableError{Dest: dest, Reason: step, Err: err}
}

var addressLike = regexp.MustCompile(`[^\s<>"'(),;:]+@[^\s<>"'(),;:]+`)

func maskAddresses(s string) string {
	return addressLike.ReplaceAllString(s, "[address]")
}

// structural are the headers Compose writes; Email.Headers may not replace
// them, so a template variable cannot forge a sender or break the MIME tree.
var structural = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Subject": true, "Date": true,
	"Message-Id": true, "Mime-Version": true, "Content-Type": true,
	"Content-Transfer-Encoding": true, "List-Unsubscribe": true,
	"List-Unsubscribe-Post": true, "Sender": true,
}

// Compose builds the RFC 5322 message Send transmits, for from and e at date:
// headers, then a multipart/alternative body with the text part first and the
// HTML part last (the last is the one clients prefer), each UTF-8 and
// quoted-printable so long lines and non-ASCII text survive any relay. A
// single part is sent without the multipart wrapper. Non-ASCII in the
// subject, names and extra headers is written as RFC 2047 encoded words
// (base64, shorter than Q for Chinese and Japanese). Journeys' dry runs use
// it to show the exact message without sending.
func Compose(from string, e Email, date time.Time) ([]byte, error) {
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, errors.New("sender is not an address")
	}
	toAddr, err := mail.ParseAddress(e.To)
	if err != nil {
		return nil, errors.New("recipient 1 is not an address")
	}
	if err := checkMessageID(e.MessageID); err != nil {
		return nil, err
	}
	if e.Text == "" && e.HTML == "" {
		return nil, errors.New("message has neither a text nor an HTML part")
	}
	if !utf8.ValidString(e.Subject) || !utf8.ValidString(e.Text) || !utf8.ValidString(e.HTML) {
		return nil, errors.New("message is not valid UTF-8")
	}

	var b bytes.Buffer
	writeHeader(&b, "From", fromAddr.String())
	writeHeader(&b, "To", toAddr.String())
	writeHeader(&b, "Subject", encodeWord(strings.Join(strings.Fields(e.Subject), " ")))
	writeHeader(&b, "Date", date.Format(time.RFC1123Z))
	writeHeader(&b, "Message-ID", e.MessageID)
	writeHeader(&b, "MIME-Version", "1.0")

	var unsub []string
	if e.UnsubscribeURL != "" {
		u, err := url.Parse(e.UnsubscribeURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, errors.New("unsubscribe URL must be an https URL (RFC 8058)")
		}
		unsub = append(unsub, "<"+u.String()+">")
	}
	if e.UnsubscribeMailto != "" {
		mt := strings.TrimPrefix(e.UnsubscribeMailto, "mailto:")
		if a, err := mail.ParseAddress(mt); err != nil || a.Address != mt {
			return nil, errors.New("unsubscribe mailto is not an address")
		}
		unsub = append(unsub, "<mailto:"+mt+">")
	}
	if len(unsub) > 0 {
		writeHeader(&b, "List-Unsubscribe", strings.Join(unsub, ", "))
	}
	if e.UnsubscribeURL != "" {
		// RFC 8058: the URL accepts a POST with this body and unsubscribes
		// without further interaction. The header must be covered by the
		// relay's DKIM signature for providers to honour it.
		writeHeader(&b, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}

	names := make([]string, 0, len(e.Headers))
	for k := range e.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := e.Headers[k]
		if !validHeaderName(k) {
			return nil, fmt.Errorf("header %q: not a valid header name", k)
		}
		if structural[textproto.CanonicalMIMEHeaderKey(k)] {
			return nil, fmt.Errorf("header %q: written by the mailer, cannot be set", k)
		}
		if strings.ContainsAny(v, "\r\n") || !utf8.ValidString(v) {
			return nil, fmt.Errorf("header %q: value has a line break or invalid UTF-8", k)
		}
		writeHeader(&b, k, encodeWord(v))
	}

	switch {
	case e.Text != "" && e.HTML != "":
		mw := multipart.NewWriter(&b)
		writeHeader(&b, "Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
		b.WriteString("\r\n")
		for _, p := range []struct{ typ, body string }{{"text/plain", e.Text}, {"text/html", e.HTML}} {
			h := textproto.MIMEHeader{}
			h.Set("Content-Type", p.typ+"; charset=utf-8")
			h.Set("Content-Transfer-Encoding", "quoted-printable")
			pw, err := mw.CreatePart(h)
			if err != nil {
				return nil, err
			}
			if err := writeQP(pw, p.body); err != nil {
				return nil, err
			}
		}
		if err := mw.Close(); err != nil {
			return nil, err
		}
	default:
		typ, body := "text/plain", e.Text
		if e.Text == "" {
			typ, body = "text/html", e.HTML
		}
		writeHeader(&b, "Content-Type", typ+"; charset=utf-8")
		writeHeader(&b, "Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, body); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), nil
}

func writeQP(w interface{ Write([]byte) (int, error) }, s string) error {
	// Normalise line ends so the encoder emits CRLF hard breaks, not "=0D".
	s = strings.ReplaceAll(s, "\r\n", "\n")
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(s)); err != nil {
		return err
	}
	return qp.Close()
}

func checkMessageID(id string) error {
	if id == "" {
		return errors.New("message has no Message-ID (the idempotency key)")
	}
	if len(id) < 5 || id[0] != '<' || id[len(id)-1] != '>' || strings.Count(id, "@") != 1 ||
		strings.ContainsAny(id[1:len(id)-1], " \t\r\n<>") {
		return errors.New("Message-ID is not of the form <key@domain>")
	}
	return nil
}

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// encodeWord writes s as RFC 2047 base64 encoded words when it is not plain
// ASCII. mime's encoder already splits long text into words of at most 75
// characters without cutting a character in two.
func encodeWord(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return mime.BEncoding.Encode("utf-8", s)
		}
	}
	return s
}

// writeHeader writes "Name: value" folded at spaces so that lines stay within
// 78 characters where the value allows it (RFC 5322 §2.1.1); between two
// encoded words the fold is invisible to readers.
func writeHeader(b *bytes.Buffer, name, value string) {
	line := name + ":"
	lineLen := len(line)
	b.WriteString(line)
	for i, word := range strings.Split(value, " ") {
		if i > 0 && lineLen+1+len(word) > 78 {
			b.WriteString("\r\n")
			lineLen = 0
		}
		b.WriteByte(' ')
		b.WriteString(word)
		lineLen += 1 + len(word)
	}
	b.WriteString("\r\n")
}
