package rdb

import (
	"hash/maphash"
	"strconv"
	"sync"
)

// Redis refuses sets, hashes and zsets with a repeated member or field
// (and redis-check-rdb checks the compact encodings for them too). The
// check hashes each member to 64 bits: a small collection uses a fixed
// array, a larger one a pooled map, so checking allocates nothing in the
// steady state. (Two distinct members colliding in 64 bits would be
// reported as a duplicate: odds about n²/2^65.)

var dupSeed = maphash.MakeSeed()

var dupMapPool = sync.Pool{New: func() any { return make(map[uint64]struct{}, 64) }}

type dupSet struct {
	small [16]uint64
	n     int
	m     map[uint64]struct{}
}

// reset empties the set, returning its map to the pool.
func (s *dupSet) reset() {
	s.n = 0
	if s.m != nil {
		if len(s.m) <= 4096 {
			clear(s.m)
			dupMapPool.Put(s.m)
		}
		s.m = nil
	}
}

// add adds b and reports whether it was new.
func (s *dupSet) add(b []byte) bool {
	h := maphash.Bytes(dupSeed, b)
	if s.m == nil {
		for i := 0; i < s.n; i++ {
			if s.small[i] == h {
				return false
			}
		}
		if s.n < len(s.small) {
			s.small[s.n] = h
			s.n++
			return true
		}
		s.m = dupMapPool.Get().(map[uint64]struct{})
		for _, x := range s.small {
			s.m[x] = struct{}{}
		}
	}
	if _, ok := s.m[h]; ok {
		return false
	}
	s.m[h] = struct{}{}
	return true
}

// addEntry adds a listpack/ziplist element by its string form (an integer
// entry 5 and a string "5" are the same member).
func (s *dupSet) addEntry(e lpEntry) bool {
	if e.isInt {
		var buf [24]byte
		return s.add(strconv.AppendInt(buf[:0], e.v, 10))
	}
	return s.add(e.s)
}
