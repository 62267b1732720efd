package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// TestServeShutdownCommand: `redis-cli shutdown`, the usual end of a CI
// job that started a redis-server, stops serve as a signal does (exit 0,
// "serve: stopped"). It used to be an unknown command: serve kept running
// and a script waiting for it to exit hung. SHUTDOWN SAVE is refused (serve
// writes nothing back to the dump) and serve goes on.
func TestServeShutdownCommand(t *testing.T) {
	cli := redistest.Binary(t, "redis-cli")
	url, c := serveURL(t, testDump, "--addr", "127.0.0.1:0")
	addr := serveAddr(url)
	if got := rawExchange(t, addr, "SHUTDOWN SAVE\r\n", "-ERR ", 300*time.Millisecond); !strings.HasPrefix(got, "-ERR ") || strings.Contains(got, "<EOF>") {
		t.Fatalf("SHUTDOWN SAVE: %q, want an error and the connection kept", got)
	}
	const noShutdown = "-ERR No shutdown in progress.\r\n"
	if got := rawExchange(t, addr, "SHUTDOWN ABORT\r\n", noShutdown, 300*time.Millisecond); got != noShutdown {
		t.Fatalf("SHUTDOWN ABORT: %q", got)
	}
	const syntaxError = "-ERR syntax error\r\n"
	if got := rawExchange(t, addr, "SHUTDOWN NOW NOW-NOT\r\n", syntaxError, 300*time.Millisecond); got != syntaxError {
		t.Fatalf("SHUTDOWN NOW NOW-NOT: %q", got)
	}
	out, err := exec.Command(cli, "-u", url, "shutdown").CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Fatalf("redis-cli shutdown: %v, %q", err, out)
	}
	select {
	case err := <-c.done:
		if err != nil || !strings.Contains(c.stderr.String(), "serve: stopped") {
			t.Fatalf("serve after SHUTDOWN: %v\n%s", err, c.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve still running 10 s after SHUTDOWN")
	}
}
