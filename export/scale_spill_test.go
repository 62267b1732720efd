package export

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/rdb"
)

// withBudget runs f with sortBudget set to n.
func withBudget(n int, f func()) {
	old := sortBudget
	sortBudget = n
	defer func() { sortBudget = old }()
	f()
}

// TestScaleSpillSortOrder: records come out sorted by database and key,
// equal keys in the order added, whether they stayed in memory or went
// through many runs of the temporary file.
func TestScaleSpillSortOrder(t *testing.T) {
	type rec struct {
		db       int
		key, val string
	}
	rng := rand.New(rand.NewSource(3))
	var recs []rec
	for i := range 5000 {
		key := fmt.Sprintf("k%d", rng.Intn(2000)) // repeats: the order added must hold
		if i%500 == 0 {
			key = string(bytes.Repeat([]byte{0xff, 0}, 3000)) // one record bigger than the budget
		}
		recs = append(recs, rec{rng.Intn(3), key, fmt.Sprint(i)})
	}
	want := slices.Clone(recs)
	slices.SortStableFunc(want, func(a, b rec) int {
		if a.db != b.db {
			return a.db - b.db
		}
		return bytes.Compare([]byte(a.key), []byte(b.key))
	})
	for _, budget := range []int{1 << 30, 4096, 1} {
		withBudget(budget, func() {
			s := newSpillSort()
			defer s.close()
			for _, r := range recs {
				if err := s.add(r.db, []byte(r.key), []byte(r.val)); err != nil {
					t.Fatal(err)
				}
			}
			if budget < 1<<20 && len(s.runs) < 2 {
				t.Fatalf("budget %d: %d runs, want several", budget, len(s.runs))
			}
			it, err := s.iter()
			if err != nil {
				t.Fatal(err)
			}
			var got []rec
			for {
				db, key, val, ok, err := it.next()
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				got = append(got, rec{db, string(key), string(val)})
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("budget %d: records out of order", budget)
			}
		})
	}
}

// TestScaleDiffTextConvSpilled: diff and textconv give the same result
// when their keys are sorted through the temporary file as in memory.
func TestScaleDiffTextConvSpilled(t *testing.T) {
	files, _ := filepath.Glob("../testdata/corpus/*.rdb")
	a := genDump(t, 3000, 0)
	b := genDump(t, 3000, 1)
	pairs := [][2][]byte{{a, b}, {b, a}}
	for i := 0; i+1 < len(files); i += 2 {
		x, err := os.ReadFile(files[i])
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(files[i+1])
		if err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, [2][]byte{x, y}, [2][]byte{x, x})
	}
	for _, p := range pairs {
		run := func() (*DiffResult, string, string) {
			d, err := Diff(bytes.NewReader(p[0]), bytes.NewReader(p[1]))
			if err != nil {
				t.Fatal(err)
			}
			var ta, tb bytes.Buffer
			if err := TextConv(bytes.NewReader(p[0]), &ta); err != nil {
				t.Fatal(err)
			}
			if err := TextConv(bytes.NewReader(p[1]), &tb); err != nil {
				t.Fatal(err)
			}
			return d, ta.String(), tb.String()
		}
		d1, ta1, tb1 := run()
		var d2 *DiffResult
		var ta2, tb2 string
		withBudget(512, func() { d2, ta2, tb2 = run() })
		if !reflect.DeepEqual(d1, d2) {
			t.Fatalf("diff through the temp file differs:\n%+v\n%+v", d1, d2)
		}
		if ta1 != ta2 || tb1 != tb2 {
			t.Fatal("textconv through the temp file differs")
		}
	}
	d, _, _ := func() (*DiffResult, string, string) {
		d, err := Diff(bytes.NewReader(a), bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return d, "", ""
	}()
	if len(d.Added) == 0 || len(d.Removed) == 0 || len(d.Changed) == 0 || d.Unchanged == 0 {
		t.Fatalf("the generated pair should differ every way: %d added, %d removed, %d changed, %d unchanged",
			len(d.Added), len(d.Removed), len(d.Changed), d.Unchanged)
	}
}

// genDump writes n string keys over 3 databases; variant 1 drops every
// 70th key, changes every 50th value, every 110th expiry and adds n/100
// keys.
func genDump(t testing.TB, n, variant int) []byte {
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, 10)
	for i := range n + variant*n/100 {
		if variant == 1 && i%70 == 0 {
			continue
		}
		val := fmt.Sprintf("value %d of a site key, some text to make it longer", i)
		if variant == 1 && i%50 == 0 {
			val += "!"
		}
		e, err := rdb.NewEntry(i%3, fmt.Appendf(nil, "site:%08d:%x", i, uint64(i)*2654435761), &rdb.Value{Kind: "string", String: []byte(val)}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if i%4 == 0 {
			e.ExpireMs = 1900000000000 + int64(i)
			if variant == 1 && i%110 == 0 {
				e.ExpireMs++
			}
		}
		if err := w.WriteEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// peakLiveHeap runs f and returns the largest live heap (as of each GC)
// seen meanwhile; the GC runs often meanwhile, so that its figure follows
// the live heap closely.
func peakLiveHeap(f func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	runtime.GC() // the metric is as of the GC before the last one
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var peak uint64 // read once done is closed
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	func() {
		// stopped also when f ends the test (t.Fatal): the sampler no
		// longer outlives it
		defer func() {
			close(stop)
			<-done
		}()
		f()
	}()
	runtime.GC() // a last reading of what f left live at its end
	return max(peak, liveHeap())
}

// liveHeap is the live heap as of the last GC.
func liveHeap() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// TestScaleDiffTextConvMemory: diff and textconv of dumps with many keys
// keep a bounded live heap (the sort's budget, here 2 MiB, and the
// differences found), not a summary or the text of every key.
func TestScaleDiffTextConvMemory(t *testing.T) {
	const n = 150000
	// in files, so that the inputs are not in the heap measured
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.rdb"), filepath.Join(dir, "b.rdb")
	if err := os.WriteFile(a, genDump(t, n, 0), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, genDump(t, n, 1), 0o600); err != nil {
		t.Fatal(err)
	}
	open := func(name string) *os.File {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	const limit = 24 << 20 // the reader's buffers, two sorts' 2 MiB, the differences
	withBudget(2<<20, func() {
		peak := peakLiveHeap(func() {
			d, err := Diff(open(a), open(b))
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Changed) < n/100 {
				t.Fatalf("%d changed, want over %d", len(d.Changed), n/100)
			}
		})
		// the differences (about 6 k) are held too: a few MB
		t.Logf("diff: live heap up to %d MiB", peak>>20)
		if peak > limit {
			t.Errorf("diff of two %d-key dumps: live heap up to %d MiB, want at most %d MiB", n, peak>>20, limit>>20)
		}
		peak = peakLiveHeap(func() {
			if err := TextConv(open(a), io.Discard); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("textconv: live heap up to %d MiB", peak>>20)
		if peak > limit {
			t.Errorf("textconv of a %d-key dump: live heap up to %d MiB, want at most %d MiB", n, peak>>20, limit>>20)
		}
	})
}

// TestScaleDigestSortsInPlace: the digest of a big hash, set and sorted set
// allocates little beyond decoding it: the copies made to sort the fields
// and members held a value with millions of them twice.
func TestScaleDigestSortsInPlace(t *testing.T) {
	const n = 100000
	var hash []rdb.HashField
	var set [][]byte
	var zset []rdb.ZMember
	for i := range n {
		k := fmt.Appendf(nil, "f%x", uint64(i)*2654435761)
		hash = append(hash, rdb.HashField{Field: k, Value: []byte("v"), ExpireMs: -1})
		set = append(set, k)
		zset = append(zset, rdb.ZMember{Member: k, Score: float64(i)})
	}
	for _, v := range []*rdb.Value{{Kind: "hash", Hash: hash}, {Kind: "set", Set: set}, {Kind: "zset", ZSet: zset}} {
		e, err := rdb.NewEntry(0, []byte("big"), v, 10)
		if err != nil {
			t.Fatal(err)
		}
		var m0, m1, m2 runtime.MemStats
		runtime.ReadMemStats(&m0)
		if _, err := e.Decode(); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&m1)
		if _, _, err := ContentDigest(e); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&m2)
		decode, digest := m1.TotalAlloc-m0.TotalAlloc, m2.TotalAlloc-m1.TotalAlloc
		if digest > decode+decode/4+1<<20 {
			t.Errorf("%s of %d: the digest allocated %d KiB, decoding alone %d KiB", v.Kind, n, digest>>10, decode>>10)
		}
	}
}

// TestScaleSpillTempDirError: a temporary directory that does not exist
// is said as such, and is not an fs.ErrNotExist a caller would take for
// its input's ("dump.rdb: no such file").
func TestScaleSpillTempDirError(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	data := genDump(t, 200, 0)
	withBudget(512, func() {
		err := TextConv(bytes.NewReader(data), io.Discard)
		if err == nil || errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "temporary file") {
			t.Errorf("TextConv with a missing TMPDIR: %v", err)
		}
		_, err = Diff(bytes.NewReader(data), bytes.NewReader(data))
		var ie *DiffInputError
		if err == nil || errors.Is(err, fs.ErrNotExist) || errors.As(err, &ie) || !strings.Contains(err.Error(), "temporary file") {
			t.Errorf("Diff with a missing TMPDIR: %v", err)
		}
	})
}

// TestScaleTextConvBigKey: the text of a key with many elements goes on
// into the temporary file as it is written, not held whole: textconv of
// a dump with one big list keeps little more live than decoding it does.
func TestScaleTextConvBigKey(t *testing.T) {
	const n = 400000
	list := make([][]byte, n)
	for i := range list {
		list[i] = fmt.Appendf(nil, "line %d of a long log list, with some text", i)
	}
	f := filepath.Join(t.TempDir(), "big.rdb")
	data := rdbtest.Dump(t, 10, rdbtest.Key{Name: "big", Value: &rdb.Value{Kind: "list", List: list}})
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	list, data = nil, nil
	in, err := os.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var text countWriter
	var decoded uint64
	withBudget(2<<20, func() {
		// the decoding's peak is brief (its slices' doublings), seen only
		// when a GC marks then: one run may miss it by over 15 MiB, near
		// the margin below, so the largest of three runs is taken...
		for range 3 {
			in.Seek(0, io.SeekStart)
			decoded = max(decoded, peakLiveHeap(func() {
				rd := rdb.NewReader(in)
				for {
					rec, err := rd.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					if e, ok := rec.(*rdb.Entry); ok {
						if _, err := e.Decode(); err != nil {
							t.Fatal(err)
						}
					}
				}
			}))
		}
		// and textconv's in the quieter of two runs: a GC marking during
		// a decoding's doubling in one run does not fail the test, text
		// held whole shows in both
		peak := uint64(math.MaxUint64)
		for range 2 {
			in.Seek(0, io.SeekStart)
			text = 0
			peak = min(peak, peakLiveHeap(func() {
				if err := TextConv(in, &text); err != nil {
					t.Fatal(err)
				}
			}))
		}
		t.Logf("decoding: %d MiB live; textconv: %d MiB live, %d MiB of text", decoded>>20, peak>>20, text>>20)
		if peak > decoded+uint64(text) { // held whole, the text took about twice its size more
			t.Errorf("textconv of one %d-element list: live heap up to %d MiB, decoding it alone %d MiB, its text %d MiB",
				n, peak>>20, decoded>>20, text>>20)
		}
	})
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// TestScaleSpillSortBudget: the records in memory never take more room
// than the budget (append's doubling took up to twice it), and finish
// frees them once there are runs, so that diff's two sorts do not hold
// two budgets at once.
func TestScaleSpillSortBudget(t *testing.T) {
	const budget = 1 << 20
	withBudget(budget, func() {
		s := newSpillSort()
		defer s.close()
		for i := range 100000 {
			if err := s.add(i%3, fmt.Appendf(nil, "key:%d", i), []byte("a payload of some thirty bytes")); err != nil {
				t.Fatal(err)
			}
			if c := cap(s.arena) + 8*len(s.offs); c > budget+budget/4 {
				t.Fatalf("after %d records: %d bytes of records in memory, budget %d", i+1, c, budget)
			}
		}
		if err := s.finish(); err != nil {
			t.Fatal(err)
		}
		if len(s.runs) < 2 || s.arena != nil {
			t.Fatalf("finish: %d runs, %d bytes kept in memory", len(s.runs), cap(s.arena))
		}
		it, err := s.iter()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			_, _, _, ok, err := it.next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			n++
		}
		if n != 100000 {
			t.Fatalf("read back %d records of 100000", n)
		}
	})
}

// TestScaleDiffWriteTextStreams: the text of a diff with many differences
// is written as it goes, not built whole first (it was held whole, with a
// builder's doublings, beside the differences themselves).
func TestScaleDiffWriteTextStreams(t *testing.T) {
	d := &DiffResult{Added: []DiffKey{}, Removed: []DiffKey{}, Changed: []Change{}}
	for i := range 200000 {
		d.Removed = append(d.Removed, DiffKey{DB: 0, Key: fmt.Appendf(nil, "removed:key:%09d", i), Type: "string"})
	}
	var out countWriter
	base := peakLiveHeap(func() {})
	peak := peakLiveHeap(func() {
		if err := d.WriteText(&out); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%d MiB of text; live heap %d MiB before, up to %d MiB writing it", out>>20, base>>20, peak>>20)
	// held whole, the text adds about its size or more (+6.7 to 14.5 MiB
	// here); written as it goes, what the GC marks live while the lines
	// are formatted (up to 1.6 MiB with two CPUs; out/4 left 0.1 MiB)
	if peak > base+uint64(out)/2 {
		t.Errorf("writing %d MiB of diff text: live heap up to %d MiB from %d MiB", out>>20, peak>>20, base>>20)
	}
	runtime.KeepAlive(d)
}
