package main

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// socketCount is the number of sockets process pid has open.
func socketCount(t *testing.T, pid int) int {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	fds, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		if l, err := os.Readlink(dir + fd.Name()); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}

// TestServeBlockedClientLeaves: a client that leaves while blocked (a
// queue worker in BLPOP, BRPOP, XREAD BLOCK stopped with Ctrl-C, over and
// over in a dev loop) is let go at once. miniredis noticed only at the
// next command any client sent: on an idle server each such client kept
// its connection, a descriptor and its goroutines (connected_clients grew).
// No command is sent here after the client leaves, since any would wake
// it: the sockets of the serve process are counted.
func TestServeBlockedClientLeaves(t *testing.T) {
	url, c := serveURL(t, testDump, "--addr", "127.0.0.1:0")
	pid := c.cmd.Process.Pid
	base := socketCount(t, pid)
	for _, req := range []string{
		"*3\r\n$5\r\nBLPOP\r\n$15\r\nserve2:nolist:1\r\n$1\r\n0\r\n",
		"BRPOP serve2:nolist:2 0\r\n",
		"XREAD BLOCK 0 STREAMS serve2:nostream $\r\n",
	} {
		conn, err := net.Dial("tcp", serveAddr(url))
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte(req))
		deadline := time.Now().Add(5 * time.Second)
		for socketCount(t, pid) == base && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // the command is read and blocks
		conn.Close()
		deadline = time.Now().Add(5 * time.Second)
		for socketCount(t, pid) > base && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := socketCount(t, pid); n > base {
			t.Fatalf("%.30q: the client left 5 s ago, serve still holds its connection (%d sockets, %d before)", req, n, base)
		}
	}
}
