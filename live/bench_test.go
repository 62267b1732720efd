package live

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/atomicfile"
	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

// The benchmarks work on a generated dump of about 500 MB times
// RDBTOOL_BENCH_SCALE (default 1): small strings, listpack hashes, lists
// and sets, a few multi-megabyte blobs, some keys with TTLs.

var (
	benchOnce sync.Once
	benchPath string
	benchKeys int64
	benchErr  error
)

func benchScale() float64 {
	if s := os.Getenv("RDBTOOL_BENCH_SCALE"); s != "" {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 {
			return f
		}
	}
	return 1
}

func benchDump(b *testing.B) (string, int64) {
	b.Helper()
	benchOnce.Do(func() {
		// kept between runs (deterministic content; TTLs are 1-2 days
		// ahead, so a file older than 12 hours is written again)
		scale := benchScale()
		benchPath = filepath.Join(os.TempDir(), fmt.Sprintf("rdbtool-live-bench-%g.rdb", scale))
		keysPath := benchPath + ".keys"
		if st, err := os.Stat(benchPath); err == nil && time.Since(st.ModTime()) < 12*time.Hour {
			if b, err := os.ReadFile(keysPath); err == nil {
				if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
					benchKeys = n
					return
				}
			}
		}
		tmp := benchPath + ".tmp"
		if benchKeys, benchErr = writeBenchDump(tmp, scale); benchErr != nil {
			os.Remove(tmp)
			return
		}
		if benchErr = os.WriteFile(keysPath, []byte(strconv.FormatInt(benchKeys, 10)), 0o644); benchErr == nil {
			benchErr = os.Rename(tmp, benchPath)
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath, benchKeys
}

func writeBenchDump(path string, scale float64) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := rdb.NewWriter(f, 10)
	rng := rand.New(rand.NewSource(1))
	now := time.Now().UnixMilli()
	var keys int64
	put := func(key string, v *rdb.Value, ttl bool) error {
		e, err := rdb.NewEntry(0, []byte(key), v, 10)
		if err != nil {
			return err
		}
		if ttl {
			e.ExpireMs = now + 86400000 + rng.Int63n(86400000)
		}
		keys++
		return w.WriteEntry(e)
	}
	text := func(n int) []byte {
		const alpha = "abcdefghijklmnopqrstuvwxyz0123456789:-_ "
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[rng.Intn(len(alpha))]
		}
		return b
	}
	n := func(base int) int { return max(1, int(float64(base)*scale)) }
	for i := 0; i < n(1500000); i++ { // ~150 MB of small strings
		if err := put(fmt.Sprintf("status:node:%d:%d", i%500, i), &rdb.Value{Kind: "string", String: text(60 + rng.Intn(80))}, i%10 == 0); err != nil {
			return keys, err
		}
	}
	for i := 0; i < n(100000); i++ { // ~100 MB of listpack hashes
		var h []rdb.HashField
		for j := 0; j < 20; j++ {
			h = append(h, rdb.HashField{Field: []byte(fmt.Sprintf("field%d", j)), Value: text(30), ExpireMs: -1})
		}
		if err := put(fmt.Sprintf("corr:snap:%d", i), &rdb.Value{Kind: "hash", Hash: h}, false); err != nil {
			return keys, err
		}
	}
	for i := 0; i < n(20000); i++ { // lists and sets, ~50 MB
		var l [][]byte
		for j := 0; j < 50; j++ {
			l = append(l, text(20))
		}
		kind := "list"
		v := &rdb.Value{Kind: kind, List: l}
		if i%2 == 1 {
			v = &rdb.Value{Kind: "set", Set: l}
		}
		if err := put(fmt.Sprintf("hist:%d", i), v, false); err != nil {
			return keys, err
		}
	}
	for i := 0; i < n(70); i++ { // ~200 MB of incompressible bitfile blobs
		blob := make([]byte, 3<<20)
		rng.Read(blob)
		if err := put(fmt.Sprintf("fpg:%d", i), &rdb.Value{Kind: "string", String: blob}, false); err != nil {
			return keys, err
		}
	}
	if err := w.Close(); err != nil {
		return keys, err
	}
	return keys, f.Close()
}

var loadedRE = regexp.MustCompile(`DB loaded from disk: ([0-9.]+) seconds`)

// startBenchSource starts a server holding the bench dump and returns the
// seconds its own start-up load took (from its log).
func startBenchSource(b *testing.B, path string) (*redistest.Server, float64) {
	b.Helper()
	s := redistest.Start(b, redistest.WithRDB(path), redistest.WithStartTimeout(10*time.Minute),
		redistest.WithArgs("--repl-diskless-sync-delay", "0"))
	m := loadedRE.FindStringSubmatch(s.Log())
	if m == nil {
		b.Fatalf("no load time in the log:\n%s", s.Log())
	}
	secs, _ := strconv.ParseFloat(m[1], 64)
	return s, secs
}

func fileSize(b *testing.B, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return st.Size()
}

// BenchmarkSnapshotSync: snapshot --method sync against redis-cli --rdb on
// the same server. Each iteration runs both twice in alternating order and
// keeps each one's faster run, so that a busy machine skews the ratio less.
func BenchmarkSnapshotSync(b *testing.B) {
	path, _ := benchDump(b)
	src, _ := startBenchSource(b, path)
	cli := redistest.Binary(b, "redis-cli")
	dir := b.TempDir()
	runCLI := func() (time.Duration, float64) {
		t0 := time.Now()
		cmd := exec.Command(cli, "-h", "127.0.0.1", "-p", strconv.Itoa(src.Port), "--rdb", filepath.Join(dir, "cli.rdb"))
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("redis-cli --rdb: %v\n%s", err, o)
		}
		return time.Since(t0), (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	}
	runOurs := func() (time.Duration, float64) {
		// as the CLI does it: temp file, fsync, rename (redis-cli fsyncs too)
		self0 := selfCPU()
		t0 := time.Now()
		f, err := atomicfile.Create(filepath.Join(dir, "ours.rdb"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Snapshot(context.Background(), opts(b, src.Addr), f, SnapshotOptions{Method: MethodSync}); err != nil {
			b.Fatal(err)
		}
		if err := f.Commit(); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0), selfCPU() - self0
	}
	var ours, theirs time.Duration
	var oursCPU, theirsCPU float64
	b.SetBytes(fileSize(b, path))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bestOurs, bestTheirs := time.Duration(1<<62), time.Duration(1<<62)
		for round := 0; round < 2; round++ {
			steps := []func(){
				func() {
					d, c := runCLI()
					theirsCPU += c / 2
					bestTheirs = min(bestTheirs, d)
				},
				func() {
					d, c := runOurs()
					oursCPU += c / 2
					bestOurs = min(bestOurs, d)
				},
			}
			if round == 1 {
				steps[0], steps[1] = steps[1], steps[0]
			}
			for _, step := range steps {
				step()
			}
		}
		ours += bestOurs
		theirs += bestTheirs
	}
	n := float64(b.N)
	b.ReportMetric(ours.Seconds()/n, "s/snapshot")
	b.ReportMetric(theirs.Seconds()/n, "s/redis-cli-rdb")
	b.ReportMetric(oursCPU/n, "s-rdbtool-cpu/snapshot")
	b.ReportMetric(theirsCPU/n, "s-redis-cli-cpu/rdb")
	b.ReportMetric(ours.Seconds()/theirs.Seconds(), "x-redis-cli(target<=1.2)")
}

// BenchmarkSnapshotScan reports keys/s of snapshot --method scan.
func BenchmarkSnapshotScan(b *testing.B) {
	path, _ := benchDump(b)
	src, _ := startBenchSource(b, path)
	dir := b.TempDir()
	var keys int64
	cpu0 := serverCPU(b, src)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		f, err := os.Create(filepath.Join(dir, "scan.rdb"))
		if err != nil {
			b.Fatal(err)
		}
		st, err := Snapshot(context.Background(), opts(b, src.Addr), f, SnapshotOptions{Method: MethodScan})
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
		keys += st.Keys
	}
	b.ReportMetric(float64(keys)/time.Since(start).Seconds(), "keys/s")
	b.ReportMetric((serverCPU(b, src)-cpu0)/float64(b.N), "s-server-cpu/snapshot")
}

// BenchmarkLoad: load into an empty server against that server's own start-up load.
func BenchmarkLoad(b *testing.B) {
	path, nkeys := benchDump(b)
	_, native := startBenchSource(b, path)
	dst := redistest.Start(b)
	var ours time.Duration
	var serverSecs, selfSecs float64
	b.SetBytes(fileSize(b, path))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dst.Client(b).FlushAll(context.Background())
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		cpu0, self0 := serverCPU(b, dst), selfCPU()
		b.StartTimer()
		t0 := time.Now()
		st, err := Load(context.Background(), opts(b, dst.Addr), rdb.NewReader(f), LoadOptions{})
		serverSecs += serverCPU(b, dst) - cpu0
		selfSecs += selfCPU() - self0
		if err != nil {
			b.Fatal(err)
		}
		ours += time.Since(t0)
		f.Close()
		if st.Keys != nkeys {
			b.Fatalf("loaded %d keys of %d: %s", st.Keys, nkeys, st)
		}
	}
	b.ReportMetric(ours.Seconds()/float64(b.N), "s/load")
	b.ReportMetric(native, "s/native-load")
	b.ReportMetric(serverSecs/float64(b.N), "s-server-cpu/load")
	b.ReportMetric(selfSecs/float64(b.N), "s-rdbtool-cpu/load")
	b.ReportMetric(ours.Seconds()/float64(b.N)/native, "x-native(target<=3)")
}

// serverCPU is the server's user+system CPU seconds so far.
func serverCPU(b *testing.B, s *redistest.Server) float64 {
	info, err := s.Client(b).Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	u, _ := strconv.ParseFloat(infoField(info, "used_cpu_user"), 64)
	sys, _ := strconv.ParseFloat(infoField(info, "used_cpu_sys"), 64)
	return u + sys
}

// selfCPU (this process's user+system CPU seconds so far) is in
// port_cpu_unix_test.go and port_cpu_windows_test.go.
