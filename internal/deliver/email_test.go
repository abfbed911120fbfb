package deliver

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it, so
// the client verifies the server as it would in production instead of
// skipping verification.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "tradewind test smtp"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// received is what the test SMTP server saw in one transaction.
type received struct {
	user      string
	from      string
	rcpt      []string
	data      []byte
	tlsAtMail bool
}

// smtpBackend is a real SMTP server (go-smtp) that requires AUTH PLAIN
// over TLS and can be told to refuse at RCPT or DATA with a given reply.
type smtpBackend struct {
	mu       sync.Mutex
	user     string
	pass     string
	rcptErr  *smtp.SMTPError
	dataErr  *smtp.SMTPError
	messages []received
}

func (b *smtpBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{b: b, c: c}, nil
}

type smtpSession struct {
	b   *smtpBackend
	c   *smtp.Conn
	cur received
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.b.user || password != s.b.pass {
			return smtp.ErrAuthFailed
		}
		s.cur.user = username
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.cur.user == "" {
		return smtp.ErrAuthRequired
	}
	_, s.cur.tlsAtMail = s.c.TLSConnectionState()
	s.cur.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.b.rcptErr != nil {
		e := *s.b.rcptErr
		e.Message = strings.ReplaceAll(e.Message, "RCPT", to) // servers echo the address
		return &e
	}
	s.cur.rcpt = append(s.cur.rcpt, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.b.dataErr != nil {
		return s.b.dataErr
	}
	s.cur.data = data
	s.b.mu.Lock()
	s.b.messages = append(s.b.messages, s.cur)
	s.b.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { user := s.cur.user; s.cur = received{user: user} }
func (s *smtpSession) Logout() error { return nil }

// startSMTP starts the server on a free port; implicit selects SMTPS (TLS
// from the first byte) instead of STARTTLS, and noTLS a server without TLS.
func startSMTP(t *testing.T, b *smtpBackend, implicit, noTLS bool) (port int, pool *x509.CertPool) {
	t.Helper()
	cert, pool := selfSigned(t)
	srv := smtp.NewServer(b)
	srv.Domain = "mx.test"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	tcfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if !noTLS {
		srv.TLSConfig = tcfg
	}
	var l net.Listener
	var err error
	if implicit {
		l, err = tls.Listen("tcp", "127.0.0.1:0", tcfg)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().(*net.TCPAddr).Port, pool
}

func testMailer(port int, pool *x509.CertPool) *Mailer {
	return &Mailer{
		Host: "127.0.0.1", Port: port, Username: "shop", Password: "hunter2-secret",
		From: "潮汐商店 <news@shop.example>", HELO: "tradewind.test", Timeout: 10 * time.Second,
		TLSConfig: &tls.Config{RootCAs: pool},
		Now:       func() time.Time { return time.Date(2026, 11, 22, 9, 30, 0, 0, time.FixedZone("CST", 8*3600)) },
	}
}

func chineseEmail() Email {
	return Email{
		MessageID:         MessageID("outbox/7f3a:step-2", "mail.shop.example"),
		To:                "王芳 <wang.fang@example.cn>",
		Subject:           "王芳，您的购物车里还有商品 — 限时优惠，今晚截止！别错过这次为您保留的精选茶具套装",
		Text:              "您好 王芳，\n\n您的购物车里还有：青瓷茶具套装。\n" + strings.Repeat("很长的一行文字", 20) + "\n",
		HTML:              "<p>您好 <b>王芳</b>，</p><p>您的购物车里还有：青瓷茶具套装。</p>",
		UnsubscribeURL:    "https://shop.example/u/abc123?l=zh-CN",
		UnsubscribeMailto: "unsubscribe+abc123@shop.example",
		Headers:           map[string]string{"X-Campaign": "abandoned-checkout", "X-Journey-Step": "第二步"},
	}
}

func TestMailerSendsChineseMultipartOverSTARTTLS(t *testing.T) {
	b := &smtpBackend{user: "shop", pass: "hunter2-secret"}
	port, pool := startSMTP(t, b, false, false)
	m := testMailer(port, pool)
	e := chineseEmail()
	if err := m.Send(context.Background(), e); err != nil {
		t.Fatalf("send: %v", err)
	}
	if len(b.messages) != 1 {
		t.Fatalf("server received %d messages", len(b.messages))
	}
	got := b.messages[0]
	if !got.tlsAtMail || got.user != "shop" || got.from != "news@shop.example" || len(got.rcpt) != 1 || got.rcpt[0] != "wang.fang@example.cn" {
		t.Fatalf("transaction: %+v", got)
	}
	checkChineseMessage(t, got.data, e)
}

func checkChineseMessage(t *testing.T, data []byte, e Email) {
	t.Helper()
	for i, line := range strings.Split(string(data), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d is %d octets, over RFC 5322's limit", i, len(line))
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	h := msg.Header
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil || subject != e.Subject {
		t.Errorf("Subject = %q (%v), want %q", subject, err, e.Subject)
	}
	if raw := h.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?b?") {
		t.Errorf("raw Subject %q is not an encoded word", raw)
	}
	from, err := h.AddressList("From")
	if err != nil || from[0].Name != "潮汐商店" || from[0].Address != "news@shop.example" {
		t.Errorf("From = %v (%v)", from, err)
	}
	to, err := h.AddressList("To")
	if err != nil || to[0].Name != "王芳" || to[0].Address != "wang.fang@example.cn" {
		t.Errorf("To = %v (%v)", to, err)
	}
	if got := h.Get("Message-ID"); got != "<outbox/7f3a-step-2@mail.shop.example>" {
		t.Errorf("Message-ID = %q", got)
	}
	if d, err := h.Date(); err != nil || !d.Equal(time.Date(2026, 11, 22, 1, 30, 0, 0, time.UTC)) {
		t.Errorf("Date = %v (%v)", d, err)
	}
	if got, want := h.Get("List-Unsubscribe"), "<https://shop.example/u/abc123?l=zh-CN>, <mailto:unsubscribe+abc123@shop.example>"; got != want {
		t.Errorf("List-Unsubscribe = %q, want %q", got, want)
	}
	if got := h.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", got)
	}
	if got := h.Get("X-Campaign"); got != "abandoned-checkout" {
		t.Errorf("X-Campaign = %q", got)
	}
	if got, _ := dec.DecodeHeader(h.Get("X-Journey-Step")); got != "第二步" {
		t.Errorf("X-Journey-Step = %q", got)
	}
	if h.Get("MIME-Version") != "1.0" {
		t.Errorf("MIME-Version = %q", h.Get("MIME-Version"))
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v)", h.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	wantParts := []struct{ typ, body string }{
		{"text/plain", strings.ReplaceAll(e.Text, "\n", "\r\n")},
		{"text/html", e.HTML},
	}
	for i, want := range wantParts {
		p, err := mr.NextRawPart() // raw, to see the transfer encoding
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		pt, pp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if pt != want.typ || pp["charset"] != "utf-8" {
			t.Errorf("part %d Content-Type = %q", i, p.Header.Get("Content-Type"))
		}
		if cte := p.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Errorf("part %d encoding = %q", i, cte)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(p))
		if err != nil {
			t.Fatalf("part %d decode: %v", i, err)
		}
		if string(body) != want.body {
			t.Errorf("part %d body = %q, want %q", i, body, want.body)
		}
	}
	if _, err := mr.NextRawPart(); err != io.EOF {
		t.Errorf("more than two parts: %v", err)
	}
}

func TestMailerImplicitTLS(t *testing.T) {
	b := &smtpBackend{user: "shop", pass: "hunter2-secret"}
	port, pool := startSMTP(t, b, true, false)
	m := testMailer(port, pool)
	m.TLS = TLSImplicit
	if err := m.Send(context.Background(), chineseEmail()); err != nil {
		t.Fatalf("send: %v", err)
	}
	if len(b.messages) != 1 || !b.messages[0].tlsAtMail {
		t.Fatalf("messages %+v", b.messages)
	}
}

func TestMailerClassifiesReplies(t *testing.T) {
	cases := []struct {
		name      string
		rcptErr   *smtp.SMTPError
		dataErr   *smtp.SMTPError
		pass      string
		permanent bool
		code      int
	}{
		{name: "550 unknown user", rcptErr: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<RCPT>: user unknown"}, permanent: true, code: 550},
		{name: "451 greylisted", rcptErr: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "RCPT greylisted, try later"}, code: 451},
		{name: "452 mailbox full", rcptErr: &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}, code: 452},
		{name: "554 content refused", dataErr: &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "spam"}, permanent: true, code: 554},
		{name: "421 at data", dataErr: &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "shutting down"}, code: 421},
		{name: "535 bad password", pass: "wrong", permanent: true, code: 535},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := &smtpBackend{user: "shop", pass: "hunter2-secret", rcptErr: c.rcptErr, dataErr: c.dataErr}
			port, pool := startSMTP(t, b, false, false)
			m := testMailer(port, pool)
			if c.pass != "" {
				m.Password = c.pass
			}
			err := m.Send(context.Background(), chineseEmail())
			var pe *PermanentError
			var re *RetryableError
			switch {
			case err == nil:
				t.Fatal("no error")
			case c.permanent && (!errors.As(err, &pe) || pe.Status != c.code):
				t.Fatalf("err = %v, want permanent %d", err, c.code)
			case !c.permanent && (!errors.As(err, &re) || re.Status != c.code):
				t.Fatalf("err = %v, want retryable %d", err, c.code)
			}
			msg := err.Error()
			for _, leak := range []string{"wang.fang", "example.cn", "hunter2", "wrong"} {
				if strings.Contains(msg, leak) {
					t.Errorf("error %q leaks %q", msg, leak)
				}
			}
			if len(b.messages) != 0 {
				t.Errorf("server stored %d messages", len(b.messages))
			}
		})
	}
}

func TestMailerRequiresSTARTTLS(t *testing.T) {
	b := &smtpBackend{user: "shop", pass: "hunter2-secret"}
	port, pool := startSMTP(t, b, false, true) // a server offering no TLS
	err := testMailer(port, pool).Send(context.Background(), chineseEmail())
	if !IsPermanent(err) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want a permanent STARTTLS refusal", err)
	}
}

func TestMailerValidate(t *testing.T) {
	ok := []Mailer{
		{Host: "smtp.example.com", From: "a@b.example"},
		{Host: "localhost", TLS: TLSNone, From: "a@b.example"},
		{Host: "127.0.0.1", TLS: TLSNone, From: "a@b.example"},
		{Host: "::1", TLS: TLSNone, From: "a@b.example"},
		{Host: "smtp.example.com", TLS: TLSImplicit, From: "A <a@b.example>"},
	}
	for _, m := range ok {
		if err := m.Validate(); err != nil {
			t.Errorf("%+v: %v", m, err)
		}
	}
	bad := []Mailer{
		{From: "a@b.example"},
		{Host: "smtp.example.com", TLS: TLSNone, From: "a@b.example"},
		{Host: "10.0.0.5", TLS: TLSNone, From: "a@b.example"},
		{Host: "smtp.example.com", TLS: "ssl", From: "a@b.example"},
		{Host: "smtp.example.com", From: "not an address"},
	}
	for _, m := range bad {
		if err := m.Validate(); err == nil {
			t.Errorf("%+v accepted", m)
		}
		if err := m.Send(context.Background(), chineseEmail()); !IsPermanent(err) {
			t.Errorf("%+v: Send err = %v, want permanent", m, err)
		}
	}
}

func TestMailerTimeoutIsRetryable(t *testing.T) {
	// A server that accepts the connection and never greets.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	m := testMailer(l.Addr().(*net.TCPAddr).Port, nil)
	m.Timeout = 300 * time.Millisecond
	err = m.Send(context.Background(), chineseEmail())
	var re *RetryableError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want retryable", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to wrap the deadline", err)
	}
}

func TestComposeSinglePartAndRefusals(t *testing.T) {
	date := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e := Email{MessageID: "<k1@shop.example>", To: "a@example.com", Subject: "Plain", Text: "only text"}
	msg, err := Compose("news@shop.example", e, date)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	if ct := m.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if m.Header.Get("List-Unsubscribe") != "" || m.Header.Get("List-Unsubscribe-Post") != "" {
		t.Errorf("List-Unsubscribe written without an unsubscribe address")
	}
	// mailto alone: List-Unsubscribe without the one-click POST header.
	e.UnsubscribeMailto = "mailto:u@shop.example"
	msg, _ = Compose("news@shop.example", e, date)
	m, _ = mail.ReadMessage(bytes.NewReader(msg))
	if m.Header.Get("List-Unsubscribe") != "<mailto:u@shop.example>" || m.Header.Get("List-Unsubscribe-Post") != "" {
		t.Errorf("mailto only: %q / %q", m.Header.Get("List-Unsubscribe"), m.Header.Get("List-Unsubscribe-Post"))
	}

	// A long ASCII subject is folded and unfolds to the original.
	long := strings.TrimSpace(strings.Repeat("Your order is waiting for you ", 8))
	e.Subject = long
	msg, _ = Compose("news@shop.example", e, date)
	m, _ = mail.ReadMessage(bytes.NewReader(msg))
	if m.Header.Get("Subject") != long {
		t.Errorf("folded subject reads back as %q", m.Header.Get("Subject"))
	}

	base := Email{MessageID: "<k1@shop.example>", To: "a@example.com", Subject: "s", Text: "t"}
	for name, mod := range map[string]func(*Email){
		"no message id":      func(e *Email) { e.MessageID = "" },
		"bad message id":     func(e *Email) { e.MessageID = "k1@shop.example" },
		"no body":            func(e *Email) { e.Text = "" },
		"bad recipient":      func(e *Email) { e.To = "wang.fang at example" },
		"http unsubscribe":   func(e *Email) { e.UnsubscribeURL = "http://shop.example/u" },
		"header injection":   func(e *Email) { e.Headers = map[string]string{"X-A": "v\r\nBcc: x@example.com"} },
		"structural header":  func(e *Email) { e.Headers = map[string]string{"from": "evil@example.com"} },
		"bad header name":    func(e *Email) { e.Headers = map[string]string{"X A": "v"} },
		"invalid utf-8 text": func(e *Email) { e.Text = "\xff" },
	} {
		e := base
		mod(&e)
		_, err := Compose("news@shop.example", e, date)
		if err == nil {
			t.Errorf("%s: composed", name)
		} else if strings.Contains(err.Error(), "wang.fang") {
			t.Errorf("%s: error leaks the address: %v", name, err)
		}
	}
}

func TestMessageID(t *testing.T) {
	for key, want := range map[string]string{
		"abc-123":              "<abc-123@m.example>",
		"outbox/1:2 3":         "<outbox/1-2-3@m.example>",
		"j.7_step.2":           "<j.7_step.2@m.example>",
		"客户" + strconv.Itoa(1): "<--1@m.example>",
	} {
		if got := MessageID(key, "m.example"); got != want {
			t.Errorf("MessageID(%q) = %q, want %q", key, got, want)
		}
		if err := checkMessageID(MessageID(key, "m.example")); err != nil {
			t.Errorf("MessageID(%q) fails its own check: %v", key, err)
		}
	}
}

func TestMailerPlainRelayOnLocalhost(t *testing.T) {
	b := &smtpBackend{user: "relay", pass: "pw"}
	srv := smtp.NewServer(b)
	srv.Domain = "relay.test"
	srv.AllowInsecureAuth = true // a local relay, as TLS "none" is meant for
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	m := testMailer(l.Addr().(*net.TCPAddr).Port, nil)
	m.TLS, m.TLSConfig, m.Username, m.Password = TLSNone, nil, "relay", "pw"
	if err := m.Send(context.Background(), chineseEmail()); err != nil {
		t.Fatalf("send: %v", err)
	}
	if len(b.messages) != 1 || b.messages[0].tlsAtMail {
		t.Fatalf("messages %+v", b.messages)
	}
	checkChineseMessage(t, b.messages[0].data, chineseEmail())
}
