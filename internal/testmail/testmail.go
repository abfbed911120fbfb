// Package testmail is a real SMTP server for tests: it accepts every
// message on a loopback port and keeps it, so tests of e-mail delivery talk
// SMTP to a server instead of to a mock.
package testmail

import (
	"io"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// Mailbox is a running SMTP server and the messages it received.
type Mailbox struct {
	// Addr is host:port to send to (smtp+plain://Addr).
	Addr string
	mu   sync.Mutex
	msgs [][]byte
}

// Start runs a mailbox until the test ends.
func Start(t testing.TB) *Mailbox {
	t.Helper()
	m := &Mailbox{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.Addr = l.Addr().String()
	srv := smtp.NewServer(backend{m})
	srv.Domain = "localhost"
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return m
}

// Messages returns a copy of the messages received so far, each as the
// raw RFC 5322 bytes.
func (m *Mailbox) Messages() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]byte{}, m.msgs...)
}

type backend struct{ m *Mailbox }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{m: b.m}, nil }

type session struct{ m *Mailbox }

func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *session) Reset()                               {}
func (s *session) Logout() error                        { return nil }
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	s.m.msgs = append(s.m.msgs, b)
	s.m.mu.Unlock()
	return nil
}
