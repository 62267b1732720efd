package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/nettest"
	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/redis/go-redis/v9"
)

const liveCorpus = "../../testdata/corpus/all.rdb"

// liveRun runs rdbtool in-process and returns stdout, stderr with the
// error line main would print, and the exit code.
func liveRun(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	r := run(t, nil, args...)
	stderr := r.stderr
	if msg, _ := exitStatus(r.err); msg != "" {
		stderr += "rdbtool: " + msg + "\n"
	}
	return r.stdout, stderr, r.code
}

func TestLiveSnapshotAndLoadCLI(t *testing.T) {
	src := redistest.Start(t, redistest.WithRDB(liveCorpus), redistest.WithArgs("--repl-diskless-sync-delay", "0"))
	dir := t.TempDir()
	out := filepath.Join(dir, "snap.rdb")
	_, stderr, code := liveRun(t, "snapshot", "--from", "redis://"+src.Addr, "-o", out, "--method", "sync", "--prune", "s*")
	if code != 0 {
		t.Fatalf("snapshot: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "pruned") {
		t.Fatalf("summary %q does not report the pruned keys", stderr)
	}
	if err := redistest.CheckRDB(t, out); err != nil {
		t.Fatal(err)
	}

	dst := redistest.Start(t)
	_, stderr, code = liveRun(t, "load", out, "--to", "redis://"+dst.Addr)
	if code != 0 || !strings.Contains(stderr, "keys and 1 function libraries loaded") {
		t.Fatalf("load: exit %d: %s", code, stderr)
	}
	keys, _ := dst.Client(t).Keys(context.Background(), "s*").Result()
	if len(keys) != 0 {
		t.Fatalf("pruned keys loaded: %q", keys)
	}
	// again: conflicts, exit 1
	_, stderr, code = liveRun(t, "load", out, "--to", "redis://"+dst.Addr)
	if code != 1 || !strings.Contains(stderr, "conflicts") {
		t.Fatalf("second load: exit %d: %s", code, stderr)
	}
}

func TestLiveFailuresLeaveNoFile(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()

	// a server whose replication stream is cut after 64 KB
	src := redistest.Start(t, redistest.WithArgs("--repl-diskless-sync-delay", "0"))
	if err := src.Client(t).Do(context.Background(), "DEBUG", "POPULATE", 20000, "key", 100).Err(); err != nil {
		t.Fatal(err)
	}
	cut := nettest.Proxy(t, src.Addr, nettest.Cut(64<<10), nil)

	for name, args := range map[string][]string{
		"unreachable scan": {"--from", "redis://:hunter2@" + dead},
		"unreachable sync": {"--from", "redis://:hunter2@" + dead, "--method", "sync"},
		"cut sync":         {"--from", "redis://:hunter2@" + cut, "--method", "sync"},
	} {
		dir := t.TempDir()
		out := filepath.Join(dir, "out.rdb")
		_, stderr, code := liveRun(t, append([]string{"snapshot", "-o", out}, args...)...)
		if code != 2 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		if strings.Contains(stderr, "hunter2") || !strings.Contains(stderr, strings.TrimPrefix(args[1], "redis://:hunter2@")) {
			t.Fatalf("%s: stderr %q must name the server and hide the password", name, stderr)
		}
		assertOnly(t, dir) // nothing left in the output directory
	}

	// --flush of a remote target without --yes: refused before any connection
	start := time.Now()
	_, stderr, code := liveRun(t, "load", liveCorpus, "--to", "redis://192.0.2.1:6379", "--flush")
	if code != 2 || !strings.Contains(stderr, "--yes") || time.Since(start) > 3*time.Second {
		t.Fatalf("remote --flush: exit %d after %v: %s", code, time.Since(start), stderr)
	}
}

// TestLiveServe runs `rdbtool serve` in a child process (this test binary
// again, see the first lines) so that SIGTERM reaches only it.
func TestLiveServe(t *testing.T) {
	if args := os.Getenv("RDBTOOL_LIVE_SERVE_CHILD"); args != "" {
		os.Exit(exitCode(newApp().Run(append([]string{"rdbtool"}, strings.Split(args, "\n")...))))
	}
	native := redistest.Start(t, redistest.WithRDB(liveCorpus))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLiveServe$")
	cmd.Env = append(os.Environ(), "RDBTOOL_LIVE_SERVE_CHILD="+strings.Join([]string{"serve", liveCorpus, "--addr", addr, "--expiry", "wallclock"}, "\n"))
	var stdout, stderr liveBuffer // written by exec's copying goroutines while we poll
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer cmd.Process.Kill()

	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1})
	defer c.Close()
	var got []string
	deadline := time.Now().Add(20 * time.Second)
	for {
		// serve listens first, loads next and prints the address last
		got, err = c.Keys(ctx, "*").Result()
		if err == nil && strings.Contains(stdout.String(), "redis://") {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer on %s: %v\n%s", addr, err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	want, err := native.Client(t).Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("served keys differ from a redis-server's load:\n%q\n%q", got, want)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil || strings.TrimSpace(stdout.String()) != "redis://"+addr {
			t.Fatalf("serve after SIGTERM: %v, stdout %q, stderr %q", err, stdout.String(), stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

// child is rdbtool running as a process of its own (binary), with its
// output collected; done delivers Wait's result once.
type child struct {
	cmd            *exec.Cmd
	stdout, stderr liveBuffer
	done           chan error
}

// startChild starts rdbtool args as a process; it is killed when the test
// ends if it is still running.
func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	return startCmd(t, exec.Command(binary(t), args...), "RDBTOOL_TEST_MAIN=1")
}

// startCmd starts cmd (rdbtool, or a shell that execs it) with env added,
// capturing its output; it is killed when the test ends if still running.
func startCmd(t *testing.T, cmd *exec.Cmd, env ...string) *child {
	t.Helper()
	c := &child{cmd: cmd, done: make(chan error, 1)}
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	t.Cleanup(func() { c.cmd.Process.Kill() })
	return c
}

type liveBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *liveBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *liveBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
