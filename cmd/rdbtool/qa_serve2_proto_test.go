package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestServeBadRequests: a request that is not valid RESP gets
// redis-server's protocol error and the connection closed; serve goes on
// serving. miniredis used to crash the whole process (index out of range)
// on an empty array, and on a bulk length over 2^63 (makeslice), and to
// try to allocate any other length sent. Inline commands (`PING` typed in
// telnet, `printf 'PING\r\n' >/dev/tcp/...` health checks, redis-benchmark's
// PING_INLINE) used to have the connection closed.
func TestServeBadRequests(t *testing.T) {
	url, c := serveURL(t, testDump, "--addr", "127.0.0.1:0")
	addr := serveAddr(url)
	// The replies of redis-server 7.0 to the same requests.
	for _, tc := range []struct{ req, want string }{
		{"*0\r\n*1\r\n$4\r\nPING\r\n", "+PONG\r\n"},
		{"*-1\r\n*1\r\n$4\r\nPING\r\n", "+PONG\r\n"},
		{"*1\r\n$9223372036854775807\r\n", "-ERR Protocol error: invalid bulk length\r\n<EOF>"},
		{"*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n<EOF>"},
		{"*1\r\n$1073741824\r\n", "-ERR Protocol error: invalid bulk length\r\n<EOF>"},
		{"*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length\r\n<EOF>"},
		{"*1\r\n:5\r\n", "-ERR Protocol error: expected '$', got ':'\r\n<EOF>"},
		{"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n<EOF>"},
		{"*3000000000\r\n", "-ERR Protocol error: invalid multibulk length\r\n<EOF>"},
		{"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", "$0\r\n\r\n"},
		{"PING\r\n", "+PONG\r\n"},
		{"\r\n\r\nPING\n", "+PONG\r\n"},
		{"ECHO \"a b\"\r\nECHO 'it\\'s' \r\nECHO \"\\x41\\n\"\r\n", "$3\r\na b\r\n$4\r\nit's\r\n$2\r\nA\n\r\n"},
		{"SET k v\r\nGET k\r\n", "+OK\r\n$1\r\nv\r\n"},
		{"ECHO \"a\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n<EOF>"},
		{"PING\r\nECHO \"a\"b\r\n", "+PONG\r\n-ERR Protocol error: unbalanced quotes in request\r\n<EOF>"},
		{"ECHO " + strings.Repeat("x", 40000) + "\r\n", "$40000\r\n" + strings.Repeat("x", 40000) + "\r\n"},
		{"ECHO " + strings.Repeat("x", 70*1024), "-ERR Protocol error: too big inline request\r\n<EOF>"},
	} {
		if got := rawExchange(t, addr, tc.req, 150*time.Millisecond); got != tc.want {
			t.Errorf("%.40q: got %.200q, want %.200q", tc.req, got, tc.want)
		}
		select {
		case err := <-c.done:
			t.Fatalf("%.40q: serve exited: %v\n%.2000s", tc.req, err, c.stderr.String())
		default:
		}
	}
	if err := serveClient(t, url).Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}
