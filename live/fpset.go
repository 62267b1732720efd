package live

import (
	"bufio"
	"cmp"
	"container/heap"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"io"
	"math/bits"
	"os"
	"slices"
	"unsafe"

	"github.com/rdbtool/rdbtool/internal/atomicfile"
	"github.com/rdbtool/rdbtool/internal/offheap"
)

// keyDedup tells the scan method whether SCAN returns a key for the first
// time (SCAN may return a key twice, and a dump with a key twice does not
// load), in bounded memory however large the keyspace.
//
// Keys are remembered as 104-bit fingerprints in two generations of
// in-memory tables (fpSet): the current one and the one before. When the
// current one holds dedupBudget keys, the older one is written, sorted, to a
// temporary file as a run (16 bytes a key, on disk) and dropped. So memory
// holds at most 2 × dedupBudget fingerprints, and a key repeated within the
// last dedupBudget..2×dedupBudget keys is caught at once, which is where
// SCAN repeats keys: a table that shrinks during the scan makes SCAN visit
// again only the few buckets next to its cursor. A repeat from further
// back would go unnoticed there, so when runs were written, finish merges
// all the runs and fails if any fingerprint occurs twice: the snapshot is
// then refused, never written with a key twice.
type keyDedup struct {
	seed1, seed2 maphash.Seed
	budget       int64
	cur, prev    *fpSet

	spill  *os.File
	remove func()
	w      *bufio.Writer
	runs   []int64 // records in each run, in file order
	err    error   // sticky spill error
}

// dedupBudget is the number of fingerprints per generation: 1 M keys, about
// 14-21 MB a generation.
var dedupBudget int64 = 1 << 20

func newKeyDedup() *keyDedup {
	return &keyDedup{seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed(), budget: dedupBudget, cur: &fpSet{}}
}

// fingerprint is a key's identity in the dedup: the segment is not stored
// in the tables (it chooses the table), h2 and c are.
type fingerprint struct {
	seg uint8
	h2  uint64
	c   uint32
}

func (d *keyDedup) fingerprint(db int, key string) fingerprint {
	h1 := maphash.String(d.seed1, key) ^ uint64(db)*0x9e3779b97f4a7c15
	h2 := maphash.String(d.seed2, key) ^ uint64(db)*0xc2b2ae3d27d4eb4f
	fp := fingerprint{seg: uint8(h1 >> 56), h2: h2, c: uint32(h1)}
	if fp.h2 == 0 && fp.c == 0 {
		fp.c = 1 // all zero marks an empty slot
	}
	return fp
}

// add reports whether db/key is met for the first time.
func (d *keyDedup) add(db int, key string) (bool, error) {
	if d.err != nil {
		return false, d.err
	}
	fp := d.fingerprint(db, key)
	if d.prev != nil && d.prev.has(fp) {
		return false, nil
	}
	if !d.cur.add(fp) {
		return false, nil
	}
	if d.cur.n >= d.budget {
		if d.prev != nil {
			if err := d.writeRun(d.prev); err != nil {
				d.err = fmt.Errorf("keeping the scanned keys' fingerprints in %s: %w", os.TempDir(), err)
				return false, d.err
			}
			d.prev.release()
		}
		d.prev, d.cur = d.cur, &fpSet{}
	}
	return true, nil
}

// writeRun appends s, sorted, to the spill file as one run of 16-byte
// records: segment, h2, c (big-endian, so that bytes compare as numbers).
func (d *keyDedup) writeRun(s *fpSet) error {
	if d.spill == nil {
		f, remove, err := atomicfile.Scratch("", "rdbtool-scan-keys-*")
		if err != nil {
			return err
		}
		// Unlinked at once where the system allows it (the open file stays
		// usable): then no signal without a handler (-o -), not even
		// SIGKILL, can leave it behind in $TMPDIR.
		if os.Remove(f.Name()) == nil {
			remove() // forgets it (the name is already gone)
			remove = func() {}
		}
		d.spill, d.remove, d.w = f, remove, bufio.NewWriterSize(f, 256<<10)
	}
	var rec [16]byte
	var n int64
	for i := range s.segs {
		g := &s.segs[i]
		recs := g.sorted()
		rec[0] = byte(i)
		for _, r := range recs {
			binary.BigEndian.PutUint64(rec[4:], uint64(r[1])<<32|uint64(r[0]))
			binary.BigEndian.PutUint32(rec[12:], r[2])
			if _, err := d.w.Write(rec[:]); err != nil {
				return err
			}
		}
		n += int64(len(recs))
	}
	if err := d.w.Flush(); err != nil {
		return err
	}
	d.runs = append(d.runs, n)
	return nil
}

// finish checks, when runs were written, that no key was met twice across
// them. It returns the error to fail the snapshot with.
func (d *keyDedup) finish() error {
	if d.err != nil || d.spill == nil {
		return d.err
	}
	for _, s := range []*fpSet{d.prev, d.cur} {
		if s != nil && s.n > 0 {
			if err := d.writeRun(s); err != nil {
				return fmt.Errorf("keeping the scanned keys' fingerprints in %s: %w", os.TempDir(), err)
			}
			s.release()
		}
	}
	twice, err := mergeRuns(d.spill, d.runs)
	if err != nil {
		return fmt.Errorf("checking the scanned keys' fingerprints: %w", err)
	}
	if twice > 0 {
		return fmt.Errorf("SCAN returned %d keys a second time more than %d keys after the first (the server's keyspace changed a lot during the scan?): "+
			"the dump would hold them twice and not load; snapshot again, or use --method sync", twice, d.budget)
	}
	return nil
}

// release frees the tables and removes the spill file.
func (d *keyDedup) release() {
	for _, s := range []*fpSet{d.prev, d.cur} {
		if s != nil {
			s.release()
		}
	}
	if d.spill != nil {
		d.spill.Close()
		d.remove()
		d.spill = nil
	}
}

// mergeRuns merges the sorted runs of f and counts records equal to the one
// before them. Memory: one 64 KB buffer a run.
func mergeRuns(f *os.File, runs []int64) (int64, error) {
	h := &runHeap{}
	var off int64
	for _, n := range runs {
		r := &runReader{r: bufio.NewReaderSize(io.NewSectionReader(f, off, n*16), 64<<10), left: n}
		off += n * 16
		ok, err := r.next()
		if err != nil {
			return 0, err
		}
		if ok {
			*h = append(*h, r)
		}
	}
	heap.Init(h)
	var last [16]byte
	var twice int64
	first := true
	for h.Len() > 0 {
		r := (*h)[0]
		if !first && r.rec == last {
			twice++
		}
		last, first = r.rec, false
		ok, err := r.next()
		if err != nil {
			return 0, err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return twice, nil
}

type runReader struct {
	r    *bufio.Reader
	left int64
	rec  [16]byte
}

func (r *runReader) next() (bool, error) {
	if r.left == 0 {
		return false, nil
	}
	r.left--
	_, err := io.ReadFull(r.r, r.rec[:])
	return err == nil, err
}

type runHeap []*runReader

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	a, b := &h[i].rec, &h[j].rec
	return string(a[:]) < string(b[:])
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}

// fpSet is one generation of fingerprints in open-addressing tables: 12
// bytes a slot (h2 and c; the segment is implied), filled between 57% and
// 85%, so 14-21 bytes a key. The tables live outside the Go heap where the
// platform allows (mmap), so the garbage collector neither scans them nor
// lets the heap grow to twice their size before collecting. A false
// "already seen" needs two distinct keys with the same 104 bits: about
// n²/2^105, 1 in 10^13 for 10^9 keys.
//
// The table is split into 256 segments that grow one at a time (by half),
// so growing never holds two copies of the whole set.
type fpSet struct {
	segs [256]fpSeg
	n    int64
}

type fpSeg struct {
	slots []uint32 // 3 words a slot: low and high half of h2, c; all zero is an empty slot
	n     int      // slots in use
	free  func()   // releases slots
}

// add inserts fp and reports whether it was not there yet.
func (s *fpSet) add(fp fingerprint) bool {
	seg := &s.segs[fp.seg]
	if (seg.n+1)*20 > len(seg.slots)/3*17 { // over 85% full
		seg.grow()
	}
	if !seg.insert(fp.h2, fp.c) {
		return false
	}
	s.n++
	return true
}

// has reports whether fp is in the set.
func (s *fpSet) has(fp fingerprint) bool {
	g := &s.segs[fp.seg]
	if len(g.slots) == 0 {
		return false
	}
	_, found := g.find(fp.h2, fp.c)
	return found
}

// find probes the segment's (non-empty) table for the fingerprint h2, c:
// it returns its slot (found), or the empty slot that ends the probe.
func (g *fpSeg) find(h2 uint64, c uint32) (w []uint32, found bool) {
	n := uint64(len(g.slots) / 3)
	a, b := uint32(h2), uint32(h2>>32)
	i, _ := bits.Mul64(h2, n) // position in [0, n): no modulo, any table size
	for {
		w := g.slots[i*3 : i*3+3 : i*3+3]
		if w[0]|w[1]|w[2] == 0 {
			return w, false
		}
		if w[0] == a && w[1] == b && w[2] == c {
			return w, true
		}
		if i++; i == n {
			i = 0
		}
	}
}

// insert puts the fingerprint h2, c in the segment's table unless it is
// there already.
func (g *fpSeg) insert(h2 uint64, c uint32) bool {
	w, found := g.find(h2, c)
	if found {
		return false
	}
	w[0], w[1], w[2] = uint32(h2), uint32(h2>>32), c
	g.n++
	return true
}

// grow moves the segment into a table half as large again.
func (g *fpSeg) grow() {
	slots := len(g.slots) / 3 * 3 / 2
	if slots < 341 {
		slots = 341 // a 4 KB page
	}
	old, oldFree := g.slots, g.free
	g.slots, g.free = offheap.Alloc[uint32](slots * 3)
	g.n = 0
	for i := 0; i+3 <= len(old); i += 3 {
		a, b, c := old[i], old[i+1], old[i+2]
		if a|b|c != 0 {
			g.insert(uint64(b)<<32|uint64(a), c)
		}
	}
	if oldFree != nil {
		oldFree()
	}
}

// sorted moves the segment's fingerprints to the front of its table, sorts
// them by h2 then c and returns them; the segment is unusable afterwards.
func (g *fpSeg) sorted() [][3]uint32 {
	if len(g.slots) == 0 {
		return nil
	}
	recs := unsafe.Slice((*[3]uint32)(unsafe.Pointer(unsafe.SliceData(g.slots))), len(g.slots)/3)
	k := 0
	for _, r := range recs {
		if r[0]|r[1]|r[2] != 0 {
			recs[k] = r
			k++
		}
	}
	recs = recs[:k]
	slices.SortFunc(recs, func(x, y [3]uint32) int {
		if c := cmp.Compare(x[1], y[1]); c != 0 {
			return c
		}
		if c := cmp.Compare(x[0], y[0]); c != 0 {
			return c
		}
		return cmp.Compare(x[2], y[2])
	})
	return recs
}

// release gives the tables' memory back; the set is empty afterwards.
func (s *fpSet) release() {
	for i := range s.segs {
		if f := s.segs[i].free; f != nil {
			f()
		}
		s.segs[i] = fpSeg{}
	}
	s.n = 0
}
