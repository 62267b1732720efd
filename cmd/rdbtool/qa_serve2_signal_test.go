package main

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeSIGHUPStops: SIGHUP (the terminal closing, a CI runner ending
// the job's session) stops serve as SIGINT and SIGTERM do: exit 0 and the
// "serve: stopped" line. It used to kill it (exit 129, nothing said).
func TestServeSIGHUPStops(t *testing.T) {
	url, c := serveURL(t, testDump, "--addr", "127.0.0.1:0")
	if err := serveClient(t, url).Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	c.cmd.Process.Signal(syscall.SIGHUP)
	select {
	case err := <-c.done:
		if err != nil {
			t.Fatalf("serve after SIGHUP: %v, want exit 0\n%s", err, c.stderr.String())
		}
		if !strings.Contains(c.stderr.String(), "serve: stopped") {
			t.Fatalf("serve after SIGHUP: no \"serve: stopped\" line:\n%s", c.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve still running 10 s after SIGHUP")
	}
}
