package nettest

import (
	"io"
	"net"
	"testing"
	"time"
)

// echo serves one loopback echo server for the test.
func echo(t *testing.T) string {
	return Serve(t, func(c net.Conn) { io.Copy(c, c) })
}

func TestProxyCut(t *testing.T) {
	addr := Proxy(t, echo(t), Cut(5), nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("0123456789"))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c)
	if string(got) != "01234" {
		t.Fatalf("read %q (%v) through a proxy cut after 5 bytes", got, err)
	}
}

func TestSilent(t *testing.T) {
	addr, accepted := Silent(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("silent server answered: %d, %v", n, err)
	}
	if accepted.Load() != 1 {
		t.Fatalf("accepted %d", accepted.Load())
	}
}
