package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// TestLiveLoadInterrupted: Ctrl-C (or SIGTERM) in the middle of a load ends
// it with a summary of what was loaded and what was not, exit 128+signal,
// rather than dying silently with part of the file on the server.
func TestLiveLoadInterrupted(t *testing.T) {
	ctx := context.Background()
	src := redistest.Start(t)
	if err := src.Client(t).Do(ctx, "DEBUG", "POPULATE", 400000, "key", 20).Err(); err != nil {
		t.Fatal(err)
	}
	dump := src.Save(t)
	dst := redistest.Start(t)
	c := dst.Client(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		c.FlushAll(ctx)
		proc := startChild(t, "load", dump, "--to", "redis://"+dst.Addr)
		stderr := &proc.stderr
		deadline := time.Now().Add(10 * time.Second)
		for c.DBSize(ctx).Val() < 1000 && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		proc.cmd.Process.Signal(sig)
		err := <-proc.done
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 128+int(sig) {
			t.Fatalf("%v mid-load: %v, stderr %s", sig, err, stderr.String())
		}
		m := regexp.MustCompile(`load interrupted \(` + signalName(sig) + `\): (\d+) keys and 0 function libraries loaded`).FindStringSubmatch(stderr.String())
		if m == nil {
			t.Fatalf("%v mid-load: no summary in stderr: %s", sig, stderr.String())
		}
		loaded, _ := strconv.ParseInt(m[1], 10, 64)
		unconfirmed := int64(0)
		if u := regexp.MustCompile(`(\d+) sent but unconfirmed`).FindStringSubmatch(stderr.String()); u != nil {
			unconfirmed, _ = strconv.ParseInt(u[1], 10, 64)
		}
		if n := c.DBSize(ctx).Val(); n < loaded || n > loaded+unconfirmed || n == 400000 {
			t.Errorf("%v: the target holds %d keys, the summary says %d loaded and %d unconfirmed: %s", sig, n, loaded, unconfirmed, stderr.String())
		}
	}
}

// TestLiveServeInterruptedWhileLoading: Ctrl-C while serve is still reading
// its dump (a pipe that stalls) ends it, as it ends the serving later; the
// signal used to be caught and then ignored until the input ended.
func TestLiveServeInterruptedWhileLoading(t *testing.T) {
	in, err := os.ReadFile(liveCorpus)
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		cmd := exec.Command(binary(t), "serve", "-", "--addr", "127.0.0.1:0")
		cmd.Env = append(os.Environ(), "RDBTOOL_TEST_MAIN=1")
		stdin, _ := cmd.StdinPipe()
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		stdin.Write(in[:len(in)/2]) // and nothing more: the load waits
		time.Sleep(200 * time.Millisecond)
		cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 128+int(sig) && ee.ExitCode() != -1 {
				t.Errorf("%v while loading: %v", sig, err)
			}
			if stdout.Len() > 0 {
				t.Errorf("%v while loading: the URL was printed: %q", sig, stdout.String())
			}
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("%v while loading: serve still running 5 s later", sig)
		}
		stdin.Close()
	}
}
