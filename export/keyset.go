package export

import (
	"encoding/binary"
	"hash/maphash"
	"math"

	"github.com/rdbtool/rdbtool/internal/offheap"
)

// keySet remembers which (database, key) pairs an import has written, so
// that a key given twice is refused: Redis will not start from such a dump.
// Each key is a 95-bit fingerprint (two seeded maphash sums) and the line
// that wrote it, 16 bytes in an open-addressing table kept outside the Go
// heap where the OS allows, so the streaming import's small memory limit
// does not make the garbage collector run for a table it never has to scan.
type keySet struct {
	seeds [2]maphash.Seed
	words []uint64 // two per slot: fingerprint high word (0: empty), low 32 bits of fingerprint<<32 | line
	free  func()
	n     int
}

func newKeySet() *keySet {
	s := &keySet{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
	s.words, s.free = offheap.Alloc[uint64](2 << 16)
	return s
}

// add records db/key as written by line and returns 0, or, when it was
// already written, the line that wrote it first.
func (s *keySet) add(db int, key []byte, line int) int {
	var dbb [8]byte
	binary.LittleEndian.PutUint64(dbb[:], uint64(db))
	var sums [2]uint64
	for i, seed := range s.seeds {
		var h maphash.Hash
		h.SetSeed(seed)
		h.Write(dbb[:])
		h.Write(key)
		sums[i] = h.Sum64()
	}
	hi, lo := sums[0]|1<<63, sums[1]>>32
	if first, ok := s.insert(hi, lo<<32|min(uint64(line), math.MaxUint32)); !ok {
		return max(first, 1)
	}
	s.n++
	if s.n*4 >= len(s.words)/2*3 {
		s.grow()
	}
	return 0
}

// insert puts the slot (hi, w) in the table unless its fingerprint is
// there already; then it returns the line stored with it and false.
func (s *keySet) insert(hi, w uint64) (int, bool) {
	mask := len(s.words)/2 - 1
	for i := int(hi) & mask; ; i = (i + 1) & mask {
		switch s.words[2*i] {
		case 0:
			s.words[2*i], s.words[2*i+1] = hi, w
			return 0, true
		case hi:
			if s.words[2*i+1]>>32 == w>>32 {
				return int(uint32(s.words[2*i+1])), false
			}
		}
	}
}

// grow doubles the table.
func (s *keySet) grow() {
	old, free := s.words, s.free
	s.words, s.free = offheap.Alloc[uint64](2 * len(old))
	for i := 0; i < len(old); i += 2 {
		if old[i] != 0 {
			s.insert(old[i], old[i+1])
		}
	}
	free()
}

// release returns the table's memory.
func (s *keySet) release() {
	if s != nil && s.free != nil {
		s.free()
		s.words, s.free = nil, nil
	}
}
