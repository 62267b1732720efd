package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/nettest"
	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// The --json reports of snapshot, load and serve: one object, fixed
// snake_case fields, lists never null.
var (
	snapshotJSONFields = []string{"server", "method", "output", "servers", "keys", "functions", "pruned", "too_large",
		"other_db", "expired", "vanished", "repeated", "bytes", "seconds"}
	loadJSONFields = []string{"file", "server", "target_version", "file_version", "keys", "functions", "conflicts",
		"unmatched", "expired", "other_db", "converted", "failed", "not_loaded", "unconfirmed", "conflict_keys",
		"conflict_dbs", "failed_keys", "functions_failed", "warnings", "warnings_total", "stopped", "file_error",
		"flushed", "seconds"}
	loadJSONLists = []string{"conflict_keys", "conflict_dbs", "failed_keys", "functions_failed", "warnings"}
)

// decodeReport parses out as exactly one JSON object into v and checks its
// field names are want (plus the optional ones) and that the named lists are
// lists, not null.
func decodeReport(t *testing.T, what, out string, v any, want []string, optional []string, lists ...string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("%s: not a JSON object: %v\n%s", what, err, out)
	}
	if dec.More() {
		t.Fatalf("%s: more than one JSON value:\n%s", what, out)
	}
	var got []string
	for k := range raw {
		if !slices.Contains(optional, k) {
			got = append(got, k)
		}
	}
	sort.Strings(got)
	w := append([]string(nil), want...)
	sort.Strings(w)
	if strings.Join(got, ",") != strings.Join(w, ",") {
		t.Fatalf("%s: fields\n%v, want\n%v", what, got, w)
	}
	for _, l := range lists {
		if s := string(raw[l]); !strings.HasPrefix(s, "[") {
			t.Fatalf("%s: %q is %s, want a list", what, l, s)
		}
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, out)
	}
}

// totalKeys is the sum of DBSIZE over databases 0-15 (the default count;
// miniredis has no INFO keyspace).
func totalKeys(t *testing.T, c *redis.Client) int64 {
	t.Helper()
	ctx := context.Background()
	conn := c.Conn()
	defer conn.Close()
	var n int64
	for db := 0; db < 16; db++ {
		if err := conn.Select(ctx, db).Err(); err != nil {
			t.Fatal(err)
		}
		k, err := conn.DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		n += k
	}
	return n
}

type snapshotJSON struct {
	Server    string   `json:"server"`
	Method    string   `json:"method"`
	Output    string   `json:"output"`
	Servers   []string `json:"servers"`
	Keys      int64    `json:"keys"`
	Functions int      `json:"functions"`
	Pruned    int64    `json:"pruned"`
	Expired   int64    `json:"expired"`
	Bytes     int64    `json:"bytes"`
	Seconds   float64  `json:"seconds"`
}

func TestJSONLiveSnapshot(t *testing.T) {
	src := redistest.Start(t, redistest.WithRDB(liveCorpus), redistest.WithArgs("--repl-diskless-sync-delay", "0"))
	ctx := context.Background()
	c := src.Client(t)
	want := totalKeys(t, c)
	libs, err := c.FunctionList(ctx, redis.FunctionListQuery{}).Result()
	if err != nil {
		t.Fatal(err)
	}
	if want == 0 || len(libs) == 0 {
		t.Fatalf("the corpus server holds %d keys and %d libraries: nothing to test", want, len(libs))
	}
	// a password in the URL must not reach the report
	if err := c.ConfigSet(ctx, "requirepass", "hunter2").Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // let redistest's SHUTDOWN in again
		a := redis.NewClient(&redis.Options{Addr: src.Addr, Password: "hunter2", Protocol: 2})
		defer a.Close()
		a.ConfigSet(ctx, "requirepass", "")
	})
	from := "redis://:hunter2@" + src.Addr

	for _, method := range []string{"scan", "sync"} {
		out := filepath.Join(t.TempDir(), "snap.rdb")
		stdout, stderr, code := liveRun(t, "snapshot", "--from", from, "-o", out, "--method", method, "--json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", method, code, stderr)
		}
		if strings.Contains(stdout+stderr, "hunter2") {
			t.Fatalf("%s: the password is printed:\n%s\n%s", method, stdout, stderr)
		}
		if strings.Contains(stderr, "snapshot:") {
			t.Fatalf("%s: the text summary is printed with --json: %q", method, stderr)
		}
		var r snapshotJSON
		decodeReport(t, "snapshot --method "+method, stdout, &r, snapshotJSONFields, nil, "servers")
		if r.Keys != want || r.Functions != len(libs) || r.Server != src.Addr || len(r.Servers) != 1 || r.Servers[0] != src.Addr ||
			r.Method != method || r.Output != out || r.Bytes <= 0 || r.Seconds <= 0 {
			t.Fatalf("%s: report %+v; the server holds %d keys, %d libraries at %s", method, r, want, len(libs), src.Addr)
		}
		if n := int64(len(readEntries(t, out))); n != r.Keys {
			t.Fatalf("%s: the report says %d keys, the file holds %d", method, r.Keys, n)
		}
	}

	// -o -: the dump alone on stdout, the report on stderr
	for _, method := range []string{"scan", "sync"} {
		res := run(t, nil, "snapshot", "--from", from, "-o", "-", "--method", method, "--prune", "s*", "--json")
		if res.code != 0 {
			t.Fatalf("-o - %s: exit %d: %v %s", method, res.code, res.err, res.stderr)
		}
		var r snapshotJSON
		decodeReport(t, "snapshot -o - --method "+method, res.stderr, &r, snapshotJSONFields, nil, "servers")
		out := filepath.Join(t.TempDir(), "stdout.rdb")
		if err := os.WriteFile(out, []byte(res.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := redistest.CheckRDB(t, out); err != nil {
			t.Fatalf("-o - %s: stdout is not an intact RDB: %v", method, err)
		}
		n := int64(len(readEntries(t, out)))
		if r.Output != "-" || r.Pruned == 0 || r.Keys != n || r.Keys+r.Pruned != want {
			t.Fatalf("-o - %s: report %+v, stdout holds %d keys, the server %d", method, r, n, want)
		}
	}
}

type loadJSON struct {
	File         string   `json:"file"`
	Server       string   `json:"server"`
	Keys         int64    `json:"keys"`
	Functions    int      `json:"functions"`
	Conflicts    int64    `json:"conflicts"`
	Expired      int64    `json:"expired"`
	Failed       int64    `json:"failed"`
	NotLoaded    int64    `json:"not_loaded"`
	Unconfirmed  int64    `json:"unconfirmed"`
	ConflictKeys []string `json:"conflict_keys"`
	ConflictDBs  []int    `json:"conflict_dbs"`
	Stopped      bool     `json:"stopped"`
	Seconds      float64  `json:"seconds"`
	Error        *string  `json:"error"`
}

func TestJSONLiveLoad(t *testing.T) {
	entries := readEntries(t, liveCorpus)
	ctx := context.Background()

	// an empty server: every key of the file, bar those already expired
	dst := redistest.Start(t)
	stdout, stderr, code := liveRun(t, "load", liveCorpus, "--to", "redis://"+dst.Addr, "--json")
	if code != 0 {
		t.Fatalf("load into an empty server: exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, "load:") {
		t.Fatalf("the text summary is printed with --json: %q", stderr)
	}
	var r loadJSON
	decodeReport(t, "load", stdout, &r, loadJSONFields, nil, loadJSONLists...)
	if r.Keys+r.Expired != int64(len(entries)) || r.Keys != totalKeys(t, dst.Client(t)) || r.Keys == 0 ||
		r.Failed != 0 || r.Conflicts != 0 || r.Functions != 1 || r.Error != nil || r.Stopped ||
		r.File != liveCorpus || r.Server != dst.Addr || r.Seconds <= 0 {
		t.Fatalf("load report %+v: the file holds %d keys, the server now %d", r, len(entries), totalKeys(t, dst.Client(t)))
	}

	// a server holding one key of the file: it is the one conflict, exit 1
	var e = entries[0]
	for _, x := range entries {
		if x.ExpireMs < 0 {
			e = x
			break
		}
	}
	busy := redistest.Start(t)
	bc := busy.Client(t)
	conn := bc.Conn()
	defer conn.Close()
	if err := conn.Select(ctx, e.DB).Err(); err != nil {
		t.Fatal(err)
	}
	if err := conn.Set(ctx, string(e.Key), "already here", 0).Err(); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = liveRun(t, "load", liveCorpus, "--to", "redis://"+busy.Addr, "--json")
	if code != 1 {
		t.Fatalf("load into a server holding %q: exit %d, want 1: %s", e.Key, code, stderr)
	}
	r = loadJSON{}
	decodeReport(t, "load with a conflict", stdout, &r, loadJSONFields, nil, loadJSONLists...)
	if r.Conflicts != 1 || len(r.ConflictKeys) != 1 || r.ConflictKeys[0] != string(e.Key) ||
		len(r.ConflictDBs) != 1 || r.ConflictDBs[0] != e.DB || r.Keys != int64(len(entries))-r.Expired-1 || r.Error != nil {
		t.Fatalf("conflict report %+v; want the one conflict %q (db %d)", r, e.Key, e.DB)
	}
	if v, _ := conn.Get(ctx, string(e.Key)).Result(); v != "already here" {
		t.Fatalf("the conflicting key was overwritten: %q", v)
	}
}

// TestJSONLiveLoadCut: a connection cut midway still gives the report, with
// "error" and the counts so far, and exit 2.
func TestJSONLiveLoadCut(t *testing.T) {
	entries := readEntries(t, liveCorpus)
	dst := redistest.Start(t)
	st, err := os.Stat(liveCorpus)
	if err != nil {
		t.Fatal(err)
	}
	cut := nettest.Proxy(t, dst.Addr, nil, nettest.Cut(st.Size()/2))
	stdout, stderr, code := liveRun(t, "load", liveCorpus, "--to", "redis://"+cut, "--json")
	if code != 2 {
		t.Fatalf("cut load: exit %d, want 2\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	var r loadJSON
	decodeReport(t, "cut load", stdout, &r, loadJSONFields, []string{"error"}, loadJSONLists...)
	if r.Error == nil || *r.Error == "" || strings.Contains(*r.Error, "\n") {
		t.Fatalf("cut load: no one-line error in %s", stdout)
	}
	if !strings.Contains(stderr, "rdbtool: "+*r.Error) {
		t.Fatalf("cut load: the error %q is not also on stderr: %q", *r.Error, stderr)
	}
	if !r.Stopped || r.Keys >= int64(len(entries)) || r.Server != cut {
		t.Fatalf("cut load: report %+v, the file holds %d keys", r, len(entries))
	}
	if strings.Contains(stderr, "load stopped:") {
		t.Fatalf("cut load: the text summary is printed with --json: %q", stderr)
	}
}

// TestJSONLiveServe runs `rdbtool serve --json` as a process (this test
// binary as rdbtool, see TestMain) on a free port and uses the URL it prints.
func TestJSONLiveServe(t *testing.T) {
	native := redistest.Start(t, redistest.WithRDB(liveCorpus))
	want := totalKeys(t, native.Client(t))
	proc := startChild(t, "serve", liveCorpus, "--addr", "127.0.0.1:0", "--expiry", "wallclock", "--json")
	cmd, done, stdout, stderr := proc.cmd, proc.done, &proc.stdout, &proc.stderr

	var r struct {
		URL     string `json:"url"`
		Keys    int64  `json:"keys"`
		Skipped []struct {
			Kind string `json:"kind"`
			DB   int    `json:"db"`
			Name string `json:"name"`
		} `json:"skipped"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.HasSuffix(stdout.String(), "}\n") {
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no report: stdout %q, stderr %q", stdout.String(), stderr.String())
		}
	}
	decodeReport(t, "serve", stdout.String(), &r, []string{"url", "keys", "skipped"}, nil, "skipped")
	addr, ok := strings.CutPrefix(r.URL, "redis://")
	if !ok || strings.HasSuffix(addr, ":0") {
		t.Fatalf("serve: url %q", r.URL)
	}
	functions := 0
	for _, s := range r.Skipped {
		if s.Kind == "function" {
			functions++
		}
	}
	if r.Keys != want || functions != 1 {
		t.Fatalf("serve report %+v: a redis-server holds %d keys of the file and its 1 library", r, want)
	}
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1})
	defer c.Close()
	ctx := context.Background()
	if pong, err := c.Ping(ctx).Result(); err != nil || pong != "PONG" {
		t.Fatalf("PING at %s: %q %v", addr, pong, err)
	}
	if n := totalKeys(t, c); n != want {
		t.Fatalf("the served server holds %d keys, the report says %d", n, r.Keys)
	}
	if strings.Contains(stderr.String(), "serving") {
		t.Fatalf("the text summary is printed with --json: %q", stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v, stderr %q", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	// still the one object: nothing more on stdout
	decodeReport(t, "serve after SIGTERM", stdout.String(), &r, []string{"url", "keys", "skipped"}, nil, "skipped")
}

// TestJSONLiveLoadInterrupted: SIGINT while the load waits on a stalled
// server still prints the report, with "error" naming the signal, and exits
// 130.
func TestJSONLiveLoadInterrupted(t *testing.T) {
	dst := redistest.Start(t)
	release := make(chan struct{})
	stalled := make(chan struct{}, 1)
	stall := func(dst, src net.Conn) { // relay 4 KB of the client's bytes, then hold the connection
		io.CopyN(dst, src, 4<<10)
		select {
		case stalled <- struct{}{}:
		default:
		}
		<-release
	}
	proxy := nettest.Proxy(t, dst.Addr, nil, stall)
	t.Cleanup(func() { close(release) }) // before the proxy's own cleanup waits for its relays
	proc := startChild(t, "load", liveCorpus, "--to", "redis://"+proxy, "--json")
	cmd, done, stdout, stderr := proc.cmd, proc.done, &proc.stdout, &proc.stderr
	select {
	case <-stalled:
	case err := <-done:
		t.Fatalf("load ended before the stall: %v\n%s\n%s", err, stdout.String(), stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatal("the load never sent 4 KB")
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("load did not stop on SIGINT: %s", stderr.String())
	}
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 128+int(syscall.SIGINT) {
		t.Fatalf("interrupted load: %v, want exit 130\n%s\n%s", err, stdout.String(), stderr.String())
	}
	var r loadJSON
	decodeReport(t, "interrupted load", stdout.String(), &r, loadJSONFields, []string{"error"}, loadJSONLists...)
	if r.Error == nil || *r.Error != "load interrupted (SIGINT)" || !r.Stopped || r.Server != proxy {
		t.Fatalf("interrupted load: report %s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "rdbtool: load interrupted (SIGINT)") {
		t.Fatalf("interrupted load: stderr %q does not say so", stderr.String())
	}
}

// A snapshot cut midway prints its report too, with the error and the
// counts so far (as load does), exit 2, and leaves no file.
func TestJSONLiveSnapshotCut(t *testing.T) {
	src := redistest.Start(t, redistest.WithRDB(liveCorpus), redistest.WithArgs("--repl-diskless-sync-delay", "0"))
	cut := nettest.Proxy(t, src.Addr, nettest.Cut(4<<10), nil)
	out := filepath.Join(t.TempDir(), "snap.rdb")
	stdout, stderr, code := liveRun(t, "snapshot", "--from", "redis://"+cut, "-o", out, "--method", "sync", "--json")
	if code != 2 {
		t.Fatalf("cut snapshot: exit %d, want 2\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	var r struct {
		Server string
		Error  string
	}
	decodeReport(t, "cut snapshot", stdout, &r, snapshotJSONFields, []string{"error"}, "servers")
	if r.Error == "" || strings.Contains(r.Error, "\n") || r.Server != cut {
		t.Fatalf("cut snapshot: report %+v\n%s", r, stdout)
	}
	if !strings.Contains(stderr, "rdbtool: ") || strings.Contains(stderr, "snapshot stopped:") {
		t.Fatalf("cut snapshot: stderr %q", stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("cut snapshot left %s (%v)", out, err)
	}
}
