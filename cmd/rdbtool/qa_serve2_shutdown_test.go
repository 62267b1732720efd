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
	// As redis-server, not in a transaction (it stopped serve at once,
	// before EXEC) nor from a script.
	if got := rawExchange(t, addr, "MULTI\r\nSHUTDOWN NOSAVE\r\n", "+OK\r\n-", 300*time.Millisecond); got != "+OK\r\n-ERR Command not allowed inside a transaction\r\n" {
		t.Fatalf("SHUTDOWN in MULTI: %q", got)
	}
	if got := rawExchange(t, addr, "EVAL \"return redis.call('SHUTDOWN', 'NOSAVE')\" 0\r\n", "-", 300*time.Millisecond); !strings.Contains(got, "not allowed from script") || strings.Contains(got, "<EOF>") {
		t.Fatalf("SHUTDOWN from a script: %q", got)
	}
	select {
	case err := <-c.done:
		t.Fatalf("serve stopped by a SHUTDOWN it refused: %v\n%s", err, c.stderr.String())
	default:
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
