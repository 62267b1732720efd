package main

import (
	"context"
	"slices"
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
		// A NUL ends the arguments, as in redis-server's splitter (its
		// reader, looking for the newline with strchr, never answers such
		// a line); in quotes it is a quote not closed.
		{"ECHO a\x00b c\r\nPING\r\n", "$1\r\na\r\n+PONG\r\n"},
		{"ECHO \"a\x00b\"\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n<EOF>"},
	} {
		if got := rawExchange(t, addr, tc.req, tc.want, 150*time.Millisecond); got != tc.want {
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

// TestServeInlineNUL: an inline command with a NUL byte is split (the
// NUL ends the arguments, as in redis-server's sdssplitargs) and the
// split ends: it used to loop for ever on the NUL, appending empty
// arguments until the process ran out of memory (one request from any
// client took serve down).
func TestServeInlineNUL(t *testing.T) {
	for line, want := range map[string][]string{
		"ECHO a\x00b c":        {"ECHO", "a"},
		"\x00PING":             nil,
		"SET k \"v\" \x00\x00": {"SET", "k", "v"},
	} {
		done := make(chan []string, 1)
		go func() {
			args, _ := splitInline([]byte(line))
			done <- args
		}()
		select {
		case args := <-done:
			if !slices.Equal(args, want) {
				t.Errorf("%q split as %q, want %q", line, args, want)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("%q: splitInline still running after 2 s", line)
		}
	}
	if args, ok := splitInline([]byte("ECHO 'a\x00'")); ok {
		t.Errorf("a NUL in quotes: split as %q, want unbalanced quotes", args)
	}
}
