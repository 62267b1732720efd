package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// fuzzConn is a client connection that sends data and then leaves.
type fuzzConn struct {
	net.Conn // nil: only the methods below are used
	r        *bytes.Reader
	once     sync.Once
	closed   chan struct{}
}

func (c *fuzzConn) Read(p []byte) (int, error)        { return c.r.Read(p) }
func (c *fuzzConn) Write(p []byte) (int, error)       { return len(p), nil }
func (c *fuzzConn) SetWriteDeadline(time.Time) error  { return nil }
func (c *fuzzConn) Close() error                      { c.once.Do(func() { close(c.closed) }); return nil }
func (c *fuzzConn) RemoteAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (c *fuzzConn) LocalAddr() net.Addr               { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2} }
func (c *fuzzConn) SetDeadline(t time.Time) error     { return nil }
func (c *fuzzConn) SetReadDeadline(t time.Time) error { return nil }

// checkRESPRequests reports what is wrong with out, the request stream
// respConn hands miniredis: it must be arrays of one or more bulk strings
// with lengths in range, the last one possibly cut short (the client left).
func checkRESPRequests(out []byte) error {
	line := func() (string, bool) {
		i := bytes.Index(out, []byte("\r\n"))
		if i < 0 {
			return "", false
		}
		l := string(out[:i])
		out = out[i+2:]
		return l, true
	}
	for len(out) > 0 {
		h, ok := line()
		if !ok {
			return nil // cut short
		}
		if len(h) < 2 || h[0] != '*' {
			return errors.New("request not an array: " + strconv.Quote(h))
		}
		n, err := strconv.Atoi(h[1:])
		if err != nil || n < 1 || n > 1<<31-1 || strconv.Itoa(n) != h[1:] {
			return errors.New("bad array header " + strconv.Quote(h))
		}
		for ; n > 0; n-- {
			b, ok := line()
			if !ok {
				if bytes.Contains(out, []byte("\n")) || len(out) > 0 && out[0] != '$' {
					return errors.New("bad bulk header " + strconv.Quote(string(out)))
				}
				return nil
			}
			if len(b) < 2 || b[0] != '$' {
				return errors.New("array element not a bulk string: " + strconv.Quote(b))
			}
			size, err := strconv.Atoi(b[1:])
			if err != nil || size < 0 || size > respBulkMax || strconv.Itoa(size) != b[1:] {
				return errors.New("bad bulk header " + strconv.Quote(b))
			}
			if len(out) < size+2 {
				return nil // cut short
			}
			out = out[size+2:]
		}
	}
	return nil
}

// FuzzServeRequests: whatever a client sends, serve's request reader
// (respConn) passes miniredis only well-formed arrays of bulk strings
// (miniredis's own reader panicked on *0 and on lengths past 2^63),
// never panics, and ends when the client leaves.
func FuzzServeRequests(f *testing.F) {
	for _, s := range []string{
		"PING\r\n", "*1\r\n$4\r\nPING\r\n", "*0\r\n", "*-1\r\n", "\r\n",
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n",
		"SET \"a b\" 'c\\'d' \"\\x41\\n\"\r\n", "GET \"unbalanced\r\n",
		"*1\r\n$9223372036854775808\r\n", "*1\r\n$-1\r\n", "*1\r\nPING\r\n",
		"*99999999999\r\n", "*2\r\n$3\r\nGET\r\n", "$3\r\nGET\r\n",
	} {
		f.Add([]byte(s))
	}
	m := miniredis.NewMiniRedis()
	sv := startConnServer(m, "127.0.0.1:6379")
	f.Cleanup(m.Close)
	f.Fuzz(func(t *testing.T, data []byte) {
		fc := &fuzzConn{r: bytes.NewReader(data), closed: make(chan struct{})}
		rc := newRESPConn(fc, sv)
		out, err := io.ReadAll(io.LimitReader(rc, 1<<20))
		if err != nil && !errors.Is(err, errRESP) {
			t.Fatalf("read: %v", err)
		}
		rc.Close()
		if err := checkRESPRequests(out); err != nil {
			t.Fatalf("%q gave miniredis %q: %v", data, out, err)
		}
		// The same bytes served: miniredis must end the connection by
		// itself once the client has left, without a panic.
		fc2 := &fuzzConn{r: bytes.NewReader(data), closed: make(chan struct{})}
		sv.srv.ServeConn(newRESPConn(fc2, sv))
		select {
		case <-fc2.closed:
		case <-time.After(10 * time.Second):
			t.Fatalf("%q: the connection was not closed after the client left", data)
		}
	})
}

// TestServeRequestRewrite: the reader's rewriting, case by case: an
// inline command becomes an array, an empty array is no request, a bad
// length is a protocol error with nothing passed on.
func TestServeRequestRewrite(t *testing.T) {
	m := miniredis.NewMiniRedis()
	sv := startConnServer(m, "127.0.0.1:6379")
	defer m.Close()
	for in, want := range map[string]string{
		"PING\r\n":                       "*1\r\n$4\r\nPING\r\n",
		"SET \"a b\" 'c'\r\n":            "*3\r\n$3\r\nSET\r\n$3\r\na b\r\n$1\r\nc\r\n",
		"*0\r\n*1\r\n$4\r\nPING\r\n":     "*1\r\n$4\r\nPING\r\n",
		"*1\r\n$9223372036854775808\r\n": "*1\r\n",
	} {
		fc := &fuzzConn{r: bytes.NewReader([]byte(in)), closed: make(chan struct{})}
		rc := newRESPConn(fc, sv)
		out, _ := io.ReadAll(rc)
		rc.Close()
		if string(out) != want {
			t.Errorf("%q read as %q, want %q", in, out, want)
		}
	}
}
