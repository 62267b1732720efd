package migrations

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/nettest"
)

// fakeRefusingServer answers like a PostgreSQL without TLS whose password
// check fails: 'N' to the SSLRequest, then a FATAL 28P01 to the startup.
func fakeRefusingServer(t *testing.T) string {
	t.Helper()
	readMsg := func(c net.Conn) ([]byte, error) {
		var n [4]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return nil, err
		}
		body := make([]byte, binary.BigEndian.Uint32(n[:])-4)
		_, err := io.ReadFull(c, body)
		return body, err
	}
	return nettest.Serve(t, func(c net.Conn) {
		for {
			body, err := readMsg(c)
			if err != nil {
				return
			}
			if len(body) == 4 && binary.BigEndian.Uint32(body) == 80877103 { // SSLRequest
				c.Write([]byte{'N'})
				continue
			}
			var e []byte
			for _, f := range []string{"SFATAL", "VFATAL", "C28P01", `Mpassword authentication failed for user "mc"`} {
				e = append(append(e, f...), 0)
			}
			e = append(e, 0)
			msg := []byte{'E', 0, 0, 0, 0}
			binary.BigEndian.PutUint32(msg[1:], uint32(len(e)+4))
			c.Write(append(msg, e...))
			return
		}
	})
}

// TestConnectErrorWithoutTLSNoise: with the default sslmode=prefer, pgx
// first tries TLS; a server without TLS refuses it and pgx falls back to a
// plain connection. That refusal is not the problem and must not lead the
// message ("tls error: server refused TLS connection; ... password
// authentication failed"): an operator reads it as a TLS fault.
func TestConnectErrorWithoutTLSNoise(t *testing.T) {
	addr := fakeRefusingServer(t)
	_, err := Connect(context.Background(), fmt.Sprintf("postgres://mc:s3cret@%s/hera_mc?connect_timeout=3", addr))
	if err == nil {
		t.Fatal("connected to a server that refuses")
	}
	msg := err.Error()
	for _, want := range []string{`database "hera_mc"`, "host " + addr, "password authentication failed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	for _, bad := range []string{"tls error", "s3cret", "\n"} {
		if strings.Contains(msg, bad) {
			t.Errorf("message has %q: %q", bad, msg)
		}
	}
}

// TestConnectTimeoutMessage: a server that accepts and never answers
// gives "no answer in time", not one "context deadline exceeded" per
// sslmode=prefer attempt.
func TestConnectTimeoutMessage(t *testing.T) {
	addr, _ := nettest.Silent(t)
	_, err := Connect(context.Background(), "postgres://mc@"+addr+"/hera_mc?connect_timeout=1")
	if err == nil {
		t.Fatal("connected to a server that never answers")
	}
	msg := err.Error()
	if !strings.Contains(msg, "no answer") || strings.Contains(msg, "tls error") || strings.Contains(msg, "\n") ||
		!strings.Contains(msg, "host "+addr) {
		t.Errorf("message: %q", msg)
	}
}

// fakeServer accepts connections on loopback and answers each with reply
// once it has read the client's first bytes, as a service on the wrong port
// would.
func fakeServer(t *testing.T, reply string) string {
	t.Helper()
	return nettest.Serve(t, func(c net.Conn) {
		buf := make([]byte, 256)
		c.Read(buf)
		c.Write([]byte(reply))
		c.Read(buf)
	})
}

// A DSN naming the port of another service (a web server, say) gets a
// message saying so, not pgx's "invalid body length: expected at most
// 1073741822, but got 1414811691" (the bytes "TTP/" read as a length).
func TestConnectToNotPostgres(t *testing.T) {
	addr := fakeServer(t, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
	_, err := Connect(context.Background(), "postgres://mc:pw@"+addr+"/hera_mc?connect_timeout=3")
	if err == nil {
		t.Fatal("connected to a web server")
	}
	msg := err.Error()
	if !strings.Contains(msg, "not a PostgreSQL server") || !strings.Contains(msg, "host "+addr) ||
		strings.Contains(msg, "body length") || strings.Contains(msg, "\n") {
		t.Errorf("message: %q", msg)
	}
}

// pgconn's failed host lookup reads "hostname resolving error: <err>"
// followed by <err> again on a line of its own; the message says it once.
func TestConnectCauseLookupOnce(t *testing.T) {
	lookup := "lookup nosuchhost.invalid on 10.0.0.53:53: no such host"
	for _, in := range []string{
		"hostname resolving error: " + lookup + "\n" + lookup,
		"hostname resolving error: " + lookup + "\n" + lookup + "\nhostname resolving error: " + lookup + "\n" + lookup,
	} {
		if got, want := attempts(in), "hostname resolving error: "+lookup; got != want {
			t.Errorf("attempts(%q) = %q, want %q", in, got, want)
		}
	}
}
