package ingest

import (
	"net"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDeepSendBuffer: on a Unix socket the send buffer is raised for the
// COPY and put back afterwards; other connections are left alone.
func TestDeepSendBuffer(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sndbuf := func() int {
		raw, err := c.(*net.UnixConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		v := 0
		raw.Control(func(fd uintptr) { v, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF) })
		return v
	}
	before := sndbuf()
	restore := deepSendBuffer(c)
	during := sndbuf()
	restore()
	if after := sndbuf(); after != before {
		t.Errorf("send buffer %d after the COPY, %d before", after, before)
	}
	if before < 2*copySendBuffer && during <= before {
		t.Errorf("send buffer %d during the COPY, %d before: not raised", during, before)
	}
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	deepSendBuffer(p1)() // not a socket: nothing to do, no panic
}
