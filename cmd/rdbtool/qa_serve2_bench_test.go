package main

import (
	"bufio"
	"net"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
)

// BenchmarkServeConn compares serve's connection path (its accept loop,
// the gate, respConn checking each request) with miniredis serving the
// port itself, the baseline: pipelined GETs (100 a round trip) on one
// connection. An op is one GET.
func BenchmarkServeConn(b *testing.B) {
	const depth = 100
	req := strings.Repeat("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", depth)
	run := func(b *testing.B, addr string) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		b.ResetTimer()
		for i := 0; i < b.N; i += depth {
			if _, err := conn.Write([]byte(req)); err != nil {
				b.Fatal(err)
			}
			for range depth {
				// "$5\r\nvalue\r\n"
				if _, err := r.ReadSlice('\n'); err != nil {
					b.Fatal(err)
				}
				if _, err := r.ReadSlice('\n'); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("miniredis", func(b *testing.B) {
		m := miniredis.NewMiniRedis()
		m.Set("key", "value")
		if err := m.Start(); err != nil {
			b.Fatal(err)
		}
		defer m.Close()
		run(b, m.Addr())
	})
	b.Run("serve", func(b *testing.B) {
		m := miniredis.NewMiniRedis()
		m.Set("key", "value")
		defer m.Close()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		gate := &serveGate{}
		gate.open(startConnServer(m, l.Addr().String()))
		quit := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			acceptLoop(l, gate.add, quit, func(err error) { b.Error(err) })
		}()
		defer func() { close(quit); l.Close(); <-done }()
		run(b, l.Addr().String())
	})
}
