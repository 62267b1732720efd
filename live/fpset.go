package live

import (
	"hash/maphash"
	"math/bits"
)

// fpSet is the set of keys a scan has met, kept as 96-bit fingerprints
// (plus 8 more bits implied by the segment) in open-addressing tables:
// 12 bytes a slot, filled between 57% and 85%, so 14-21 bytes a key. The
// tables live outside the Go heap where the platform allows (mmap), so the
// garbage collector neither scans them nor lets the heap grow to twice
// their size before collecting. A false "already seen" needs two distinct
// keys with the same 104 bits: about n²/2^105, 1 in 10^13 for 10^9 keys.
//
// The table is split into 256 segments that grow one at a time (by half),
// so growing never holds two copies of the whole set.
type fpSet struct {
	seed1, seed2 maphash.Seed
	segs         [256]fpSeg
	n            int64
}

type fpSeg struct {
	slots []uint32 // 3 words a slot; all zero is an empty slot
	n     int      // slots in use
	free  func()   // releases slots
}

func newFPSet() *fpSet { return &fpSet{seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed()} }

// add inserts db/key and reports whether it was not there yet.
func (s *fpSet) add(db int, key string) bool {
	h1 := maphash.String(s.seed1, key) ^ uint64(db)*0x9e3779b97f4a7c15
	h2 := maphash.String(s.seed2, key) ^ uint64(db)*0xc2b2ae3d27d4eb4f
	a, b, c := uint32(h2), uint32(h2>>32), uint32(h1)
	if a|b|c == 0 {
		c = 1
	}
	seg := &s.segs[h1>>56]
	if (seg.n+1)*20 > len(seg.slots)/3*17 { // over 85% full
		seg.grow()
	}
	if !seg.insert(h2, a, b, c) {
		return false
	}
	s.n++
	return true
}

// insert puts the fingerprint a,b,c (h2 = b<<32|a) in the segment's table
// unless it is there already.
func (g *fpSeg) insert(h2 uint64, a, b, c uint32) bool {
	n := uint64(len(g.slots) / 3)
	i, _ := bits.Mul64(h2, n) // position in [0, n): no modulo, any table size
	for {
		w := g.slots[i*3 : i*3+3 : i*3+3]
		if w[0]|w[1]|w[2] == 0 {
			w[0], w[1], w[2] = a, b, c
			g.n++
			return true
		}
		if w[0] == a && w[1] == b && w[2] == c {
			return false
		}
		if i++; i == n {
			i = 0
		}
	}
}

// grow moves the segment into a table half as large again.
func (g *fpSeg) grow() {
	slots := len(g.slots) / 3 * 3 / 2
	if slots < 341 {
		slots = 341 // a 4 KB page
	}
	old, oldFree := g.slots, g.free
	g.slots, g.free = allocWords(slots * 3)
	g.n = 0
	for i := 0; i+3 <= len(old); i += 3 {
		a, b, c := old[i], old[i+1], old[i+2]
		if a|b|c != 0 {
			g.insert(uint64(b)<<32|uint64(a), a, b, c)
		}
	}
	if oldFree != nil {
		oldFree()
	}
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
