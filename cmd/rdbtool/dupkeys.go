package main

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math/bits"

	"github.com/rdbtool/rdbtool/internal/offheap"
	"github.com/rdbtool/rdbtool/rdb"
)

// errDuplicateKey is a key met twice in one database of a dump: Redis
// refuses to start from such a file ("Duplicated key found in RDB file").
var errDuplicateKey = errors.New("duplicate key")

// dupCheck finds a key given twice in one database of a dump read once,
// front to back.
//
// Each (database, key) becomes a 64-bit fingerprint, appended to one of
// 256 lists by its top byte: 8 bytes a key (16 from a pipe, with the
// entry's offset), in chunks kept outside the Go heap (package offheap, as
// import's key set and snapshot's dedup), so the streaming commands keep
// their small Go heap. Appending touches memory in order: a hash set
// (import's keeps 16 bytes a key in a table that doubles) costs a cache
// and TLB miss a key, which made verify twice as slow on a 2 M-key dump.
// finish looks for a fingerprint met twice in each list with a small hash
// table (a list of a few thousand keys: in cache). A regular file is then read again, key names
// only, to confirm it (two keys may share a fingerprint) and find the key
// and both copies; a pipe cannot be read again, so its offsets are kept
// and a fingerprint met twice counts as the key met twice (for two
// different keys the odds are about n²/2^65 in a dump of n keys).
type dupCheck struct {
	seed  maphash.Seed
	parts [256]dupList
	pairs bool // a pipe: each fingerprint is followed by its entry's offset

	ra    io.ReaderAt // the input again, where the dump starts (nil: a pipe)
	start int64

	arena    []uint64 // the current block chunks are cut from
	frees    []func()
	done     bool
	err      error
	firstOff int64 // the first copy's offset (pipes)
}

// dupList is one list of fingerprints, in chunks.
type dupList struct {
	chunks [][]uint64
	n      int // words in all chunks
}

const (
	dupChunkWords = 1024     // 8 KiB
	dupBlockWords = 64 << 10 // 512 KiB of chunks mapped at a time
)

func newDupCheck(in *srcFile) *dupCheck {
	d := &dupCheck{seed: maphash.MakeSeed(), pairs: in.seek == nil}
	if in.seek != nil {
		d.ra, d.start = in.seek, in.start
	}
	return d
}

func (d *dupCheck) fingerprint(db int, key []byte) uint64 {
	return maphash.Bytes(d.seed, key) ^ (uint64(db)+1)*0x9e3779b97f4a7c15
}

// add records the entry of db/key at offset off.
func (d *dupCheck) add(db int, key []byte, off int64) {
	fp := d.fingerprint(db, key)
	l := &d.parts[fp>>56]
	d.push(l, fp)
	if d.pairs {
		d.push(l, uint64(off))
	}
}

func (d *dupCheck) push(l *dupList, w uint64) {
	k := len(l.chunks) - 1
	if k < 0 || len(l.chunks[k]) == cap(l.chunks[k]) {
		if len(d.arena) < dupChunkWords {
			var free func()
			d.arena, free = offheap.Alloc[uint64](dupBlockWords)
			d.frees = append(d.frees, free)
		}
		l.chunks = append(l.chunks, d.arena[:0:dupChunkWords])
		d.arena = d.arena[dupChunkWords:]
		k++
	}
	l.chunks[k] = append(l.chunks[k], w)
	l.n++
}

// finish returns the first key given twice (the one whose second copy
// comes first), as an *rdb.Error with the second copy's offset and key, or
// nil. Only the first call looks; add must not be called after it.
func (d *dupCheck) finish() error {
	if d.done {
		return d.err
	}
	d.done = true
	w := 1
	if d.pairs {
		w = 2
	}
	var table []uint32 // a list's entries by fingerprint: index+1, 0 empty
	candidates := map[uint64]bool{}
	second := int64(-1) // pipes: the earliest second copy
	for p := range d.parts {
		l := &d.parts[p]
		word := func(i int) uint64 { return l.chunks[i/dupChunkWords][i%dupChunkWords] }
		n := l.n / w
		if n < 2 {
			continue
		}
		size := 1 << bits.Len(uint(2*n-1)) // at most half full; in cache for lists of a few thousand
		if cap(table) < size {
			table = make([]uint32, size)
		}
		table = table[:size]
		clear(table)
		mask := size - 1
		for i := range n {
			fp := word(i * w)
			for h := int(fp) & mask; ; h = (h + 1) & mask {
				s := table[h]
				if s == 0 {
					table[h] = uint32(i + 1)
					break
				}
				j := int(s - 1)
				if word(j*w) != fp {
					continue
				}
				// entries are in file order: j is the first copy, i a later one
				if !d.pairs {
					candidates[fp] = true
				} else if off := int64(word(i*w + 1)); second < 0 || off < second {
					second, d.firstOff = off, int64(word(j*w+1))
				}
				break
			}
		}
	}
	switch {
	case d.pairs && second >= 0:
		d.err = &rdb.Error{Offset: second, Err: wrapMsg{errDuplicateKey, fmt.Sprintf(
			"a key is given twice in one database (first copy at offset %d): redis-server refuses to load such a dump (a pipe cannot be read again to name the key; verify the file for it)", d.firstOff)}}
	case len(candidates) > 0:
		d.err = d.confirm(candidates)
	}
	return d.err
}

// confirm reads the file again, key names only, and returns the first
// key met a second time among those whose fingerprint was met twice.
func (d *dupCheck) confirm(candidates map[uint64]bool) error {
	type copy struct {
		db  int
		key []byte
		off int64
	}
	seen := map[uint64][]copy{}
	rd := rdb.NewReader(io.NewSectionReader(d.ra, d.start, 1<<62), rdb.SkipValues(), rdb.ReuseBuffers(), rdb.IgnoreChecksum())
	for {
		rec, err := rd.Next()
		if err != nil {
			return nil // the end of the dump, or where it is damaged: reported otherwise
		}
		e, ok := rec.(*rdb.Entry)
		if !ok {
			continue
		}
		fp := d.fingerprint(e.DB, e.Key)
		if !candidates[fp] {
			continue
		}
		for _, c := range seen[fp] {
			if c.db == e.DB && bytes.Equal(c.key, e.Key) {
				return &rdb.Error{Offset: e.Offset(), Key: bytes.Clone(e.Key), Err: wrapMsg{errDuplicateKey, fmt.Sprintf(
					"%v in db %d (first copy at offset %d): redis-server refuses to load a dump with a key twice", errDuplicateKey, e.DB, c.off)}}
			}
		}
		seen[fp] = append(seen[fp], copy{e.DB, bytes.Clone(e.Key), e.Offset()})
	}
}

// release returns the lists' memory.
func (d *dupCheck) release() {
	for _, free := range d.frees {
		free()
	}
	d.frees, d.arena, d.parts = nil, nil, [256]dupList{}
}

// wrapMsg is err with its own message.
type wrapMsg struct {
	err error
	msg string
}

func (w wrapMsg) Error() string { return w.msg }
func (w wrapMsg) Unwrap() error { return w.err }

// dupFilter is a dupCheck as the last filter of a rewriting pass: it
// sees the entries written; the pass then asks finish.
type dupFilter struct{ *dupCheck }

func (f dupFilter) Apply(e *rdb.Entry) bool {
	f.add(e.DB, e.Key, e.Offset())
	return true
}
