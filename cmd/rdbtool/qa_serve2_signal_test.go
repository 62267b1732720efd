package main

import (
	"context"
	"os/exec"
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

// TestServeNohupKeepsRunning: under nohup (SIGHUP ignored from the start)
// serve keeps ignoring SIGHUP, so that it outlives the terminal as asked.
// Catching SIGHUP to stop cleanly would have undone nohup: Go's Notify
// stops a signal being ignored.
func TestServeNohupKeepsRunning(t *testing.T) {
	c := startShChild(t, `trap '' HUP`, "serve", testDump, "--addr", "127.0.0.1:0")
	url := waitServeOutput(t, c, false)
	c.cmd.Process.Signal(syscall.SIGHUP)
	select {
	case err := <-c.done:
		t.Fatalf("serve under nohup exited on SIGHUP: %v\n%s", err, c.stderr.String())
	case <-time.After(300 * time.Millisecond):
	}
	if err := serveClient(t, url).Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve still running 10 s after SIGTERM")
	}
}

// TestServeKeepsIgnoredSIGINT: SIGINT ignored when serve starts (a
// command a non-interactive shell runs with &) stays ignored, as the
// README says of every command: serve took it over and stopped on it.
func TestServeKeepsIgnoredSIGINT(t *testing.T) {
	c := startShChild(t, `trap '' INT`, "serve", testDump, "--addr", "127.0.0.1:0")
	url := waitServeOutput(t, c, false)
	c.cmd.Process.Signal(syscall.SIGINT)
	if err := serveClient(t, url).Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING after SIGINT: %v\n%s", err, c.stderr.String())
	}
	select {
	case err := <-c.done:
		t.Fatalf("serve started with SIGINT ignored exited on SIGINT: %v\n%s", err, c.stderr.String())
	case <-time.After(300 * time.Millisecond):
	}
}

// startShChild starts rdbtool args as startChild does, through sh, which
// runs prep (a ulimit, a trap) first and then execs rdbtool in its place;
// rdbtool keeps the signals ignored then (RDBTOOL_TEST_KEEP_IGNORED, see
// qa_script_signal_test.go).
func startShChild(t *testing.T, prep string, args ...string) *child {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sh, append([]string{"-c", prep + ` && exec "$0" "$@"`, binary(t)}, args...)...)
	return startCmd(t, cmd, "RDBTOOL_TEST_MAIN=1", "RDBTOOL_TEST_KEEP_IGNORED=1")
}
