//go:build unix

// SIGSTOP has no Windows counterpart: these tests are for Unix only.

package live

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
	"github.com/redis/go-redis/v9"
)

// A server that stops answering in the middle of a load (SIGSTOP, a
// network partition with no reset) ends the load after restoreIdle with no
// reply, as a snapshot ends after its read timeout: it used to wait forever.
func TestLoadServerStalls(t *testing.T) {
	defer func(d time.Duration) { restoreIdle = d }(restoreIdle)
	restoreIdle = 500 * time.Millisecond
	ctx := context.Background()
	dst := redistest.Start(t)
	info, err := dst.Client(t).Info(ctx, "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(infoField(info, "process_id"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGCONT) })
	// many small keys: the writer ends up waiting for replies; a few large
	// ones: it ends up blocked writing
	for _, data := range [][]byte{multiDBDump(t, 100000, 0), bigValuesDump(t, 96, 1<<20)} {
		loadStalled(t, dst, pid, data)
	}
}

// bigValuesDump is an RDB (version 10) with n string keys of size bytes.
func bigValuesDump(t *testing.T, n, size int) []byte {
	t.Helper()
	v := &rdb.Value{Kind: "string", String: bytes.Repeat([]byte{'x'}, size)}
	keys := make([]rdbtest.Key, n)
	for i := range keys {
		keys[i] = rdbtest.Key{Name: "big:" + strconv.Itoa(i), Value: v}
	}
	return rdbtest.Dump(t, 10, keys...)
}

// loadStalled loads data into dst and stops the server (SIGSTOP) once the
// first keys are in; it resumes it at the end.
func loadStalled(t *testing.T, dst *redistest.Server, pid int, data []byte) {
	t.Helper()
	ctx := context.Background()
	defer syscall.Kill(pid, syscall.SIGCONT)
	if err := dst.Client(t).FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	type result struct {
		stats *LoadStats
		err   error
	}
	done := make(chan result, 1)
	go func() {
		stats, err := Load(ctx, opts(t, dst.Addr), rdb.NewReader(bytes.NewReader(data)), LoadOptions{})
		done <- result{stats, err}
	}()
	// stop the server once the first key is in
	poll := redis.NewClient(&redis.Options{Addr: dst.Addr})
	defer poll.Close()
	for poll.DBSize(ctx).Val() == 0 {
		select {
		case r := <-done:
			t.Fatalf("the load ended before the server was stopped: %v (%s)", r.err, r.stats)
		case <-time.After(time.Millisecond):
		}
	}
	syscall.Kill(pid, syscall.SIGSTOP)
	select {
	case r := <-done:
		if r.err == nil {
			t.Fatalf("load into a stopped server: no error (%s)", r.stats)
		}
		if !strings.Contains(r.err.Error(), "stopped answering") || !strings.Contains(r.err.Error(), dst.Addr) {
			t.Errorf("error does not say the server %s stopped answering: %v", dst.Addr, r.err)
		}
		t.Logf("%v (%s)", r.err, r.stats)
		if !r.stats.Stopped {
			t.Errorf("summary: %s", r.stats)
		}
	case <-time.After(20 * time.Second):
		syscall.Kill(pid, syscall.SIGCONT)
		t.Fatal("load into a stopped server still waiting after 20 s")
	}
}
