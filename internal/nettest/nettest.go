// Package nettest has the network stand-ins the tests use for servers
// that misbehave: one that accepts and never answers, one that runs a
// handler per connection, and a TCP proxy that can slow or cut what it
// relays.
package nettest

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// listen opens a loopback TCP listener closed when the test ends.
func listen(tb testing.TB) net.Listener {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// Silent listens on a loopback port, accepts every connection and never
// sends a byte (a hung server, a firewall that swallows packets). It
// returns the address and the count of connections accepted; everything
// is closed when the test ends.
func Silent(tb testing.TB) (addr string, accepted *atomic.Int64) {
	tb.Helper()
	l := listen(tb)
	accepted = new(atomic.Int64)
	var mu sync.Mutex
	var held []net.Conn
	tb.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	return l.Addr().String(), accepted
}

// Serve listens on a loopback port and runs handle on each connection it
// accepts, closing the connection when handle returns (a fake server
// speaking just enough of a protocol). It returns the address; the
// listener is closed when the test ends.
func Serve(tb testing.TB, handle func(net.Conn)) string {
	tb.Helper()
	l := listen(tb)
	tb.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return l.Addr().String()
}

// A Relay copies from src to dst until it is done; Proxy then closes both
// connections.
type Relay func(dst, src net.Conn)

// Copy relays everything.
func Copy(dst, src net.Conn) { io.Copy(dst, src) }

// Cut relays the first limit bytes, then stops: the connection is cut.
func Cut(limit int64) Relay {
	return func(dst, src net.Conn) { io.CopyN(dst, src, limit) }
}

// Proxy relays every connection it accepts to the TCP address target:
// down carries the server's bytes to the client, up the client's to the
// server (nil: Copy). It returns its address; when the test ends it stops
// accepting and waits for the relays to finish.
func Proxy(tb testing.TB, target string, down, up Relay) string {
	tb.Helper()
	if down == nil {
		down = Copy
	}
	if up == nil {
		up = Copy
	}
	l := listen(tb)
	var wg sync.WaitGroup
	tb.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			relay := func(r Relay, dst, src net.Conn) {
				defer wg.Done()
				r(dst, src)
				dst.Close()
				src.Close()
			}
			wg.Add(2)
			go relay(down, c, s)
			go relay(up, s, c)
		}
	}()
	return l.Addr().String()
}
