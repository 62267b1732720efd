package main

import (
	"bytes"
	le "encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math/bits"
	"os"
	"slices"

	"github.com/rdbtool/rdbtool/internal/atomicfile"
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
// their small Go heap; beyond 3 M keys the lists go on to a temporary file,
// so memory stays bounded whatever the dump's size. Appending touches memory in order: a hash set
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

	// add hashes on the caller's goroutine and hands the words over in
	// batches to a worker that files them (push), so that on two cores
	// the filing does not slow the pass down; finish and release stop it.
	batch   []uint64
	batches chan []uint64
	spare   chan []uint64
	worked  chan struct{}

	ra    io.ReaderAt // the input again, where the dump starts (nil: a pipe)
	start int64

	arena    []uint64 // the current block chunks are cut from
	frees    []func()
	words    int // words in memory (all lists)
	done     bool
	err      error
	firstOff int64 // the first copy's offset (pipes)

	// Beyond dupBudgetWords in memory, the lists go to a temporary file
	// (unlinked at once where the system allows) and memory starts again.
	spill    *os.File
	remove   func()
	spillEnd int64
	spillErr error
}

// dupList is one list of fingerprints: runs in the spill file, then chunks.
type dupList struct {
	runs   [][2]int64 // offset in the spill file, words
	chunks [][]uint64 // full chunks, the last one filled up to pos
	cur    []uint64   // the last chunk
	pos    int
	n      int // words in chunks
}

// appendWords appends the words in l's chunks to dst.
func (l *dupList) appendWords(dst []uint64) []uint64 {
	for i, c := range l.chunks {
		if i == len(l.chunks)-1 {
			c = c[:l.pos]
		}
		dst = append(dst, c...)
	}
	return dst
}

const (
	dupChunkWords = 1024     // 8 KiB
	dupBlockWords = 64 << 10 // 512 KiB of chunks mapped at a time
)

// dupMaxCandidates bounds the fingerprints met twice that a file is read
// again for (memory, when most keys are given twice): the key reported is
// then the first among them, not always the first of the file.
const dupMaxCandidates = 100_000

// dupBudgetWords bounds the words kept in memory: 24 MB, 3 M keys (1.5 M
// from a pipe); the lists of more go to disk. A variable for tests.
var dupBudgetWords = 3 << 20

func newDupCheck(in *srcFile) *dupCheck {
	d := &dupCheck{seed: maphash.MakeSeed(), pairs: in.seek == nil}
	if in.seek != nil {
		d.ra, d.start = in.seek, in.start
	}
	d.batches, d.spare, d.worked = make(chan []uint64, 2), make(chan []uint64, 3), make(chan struct{})
	for range 3 {
		d.spare <- make([]uint64, 0, dupBatchWords)
	}
	d.batch = <-d.spare
	go d.file()
	return d
}

// dupBatchWords is how many words add hands to the worker at a time.
const dupBatchWords = 4096

// file is the worker: it files each batch's words into their lists.
func (d *dupCheck) file() {
	defer close(d.worked)
	w := 1
	if d.pairs {
		w = 2
	}
	for b := range d.batches {
		for i := 0; i+w <= len(b); i += w {
			l := &d.parts[b[i]>>56]
			for _, x := range b[i : i+w] {
				d.push(l, x)
			}
		}
		d.spare <- b[:0]
	}
}

// stopWorker hands over the last batch and waits for the worker to file
// it; after that the lists are the caller's again. It may be called more
// than once.
func (d *dupCheck) stopWorker() {
	if d.batches == nil {
		return
	}
	if len(d.batch) > 0 {
		d.batches <- d.batch
	}
	close(d.batches)
	<-d.worked
	d.batches, d.batch = nil, nil
}

func (d *dupCheck) fingerprint(db int, key []byte) uint64 {
	return maphash.Bytes(d.seed, key) ^ (uint64(db)+1)*0x9e3779b97f4a7c15
}

// add records the entry of db/key at offset off.
func (d *dupCheck) add(db int, key []byte, off int64) {
	d.batch = append(d.batch, d.fingerprint(db, key))
	if d.pairs {
		d.batch = append(d.batch, uint64(off))
	}
	if len(d.batch) >= dupBatchWords {
		d.batches <- d.batch
		d.batch = <-d.spare
	}
}

func (d *dupCheck) push(l *dupList, w uint64) {
	if l.pos == len(l.cur) {
		if len(d.arena) < dupChunkWords {
			var free func()
			d.arena, free = offheap.Alloc[uint64](dupBlockWords)
			d.frees = append(d.frees, free)
		}
		l.cur, l.pos = d.arena[:dupChunkWords:dupChunkWords], 0
		l.chunks = append(l.chunks, l.cur)
		d.arena = d.arena[dupChunkWords:]
	}
	l.cur[l.pos] = w
	l.pos++
	l.n++
	if d.words++; d.words >= dupBudgetWords && (!d.pairs || l.n%2 == 0) {
		d.spillAll()
	}
}

// spillAll appends every list's chunks to the spill file as one run each
// and frees the memory.
func (d *dupCheck) spillAll() {
	if d.spillErr == nil && d.spill == nil {
		f, remove, err := atomicfile.Scratch("", "rdbtool-dupkeys-*")
		if err != nil {
			d.spillErr = err
		} else {
			if os.Remove(f.Name()) == nil { // the open file stays usable
				remove()
				remove = func() {}
			}
			d.spill, d.remove = f, remove
		}
	}
	var buf []byte
	for p := range d.parts {
		l := &d.parts[p]
		if l.n == 0 {
			continue
		}
		if d.spillErr == nil {
			buf = buf[:0]
			for _, w := range l.appendWords(nil) {
				buf = le.LittleEndian.AppendUint64(buf, w)
			}
			if _, err := d.spill.WriteAt(buf, d.spillEnd); err != nil {
				d.spillErr = err
			} else {
				l.runs = append(l.runs, [2]int64{d.spillEnd, int64(l.n)})
				d.spillEnd += int64(len(buf))
			}
		}
		l.chunks, l.cur, l.pos, l.n = nil, nil, 0, 0
	}
	for _, free := range d.frees {
		free()
	}
	d.frees, d.arena, d.words = nil, nil, 0
}

// finish returns the first key given twice (the one whose second copy
// comes first), as an *rdb.Error with the second copy's offset and key, or
// nil. Only the first call looks; add must not be called after it.
func (d *dupCheck) finish() error {
	if d.done {
		return d.err
	}
	d.done = true
	d.stopWorker()
	w := 1
	if d.pairs {
		w = 2
	}
	if d.spillErr != nil {
		d.err = fmt.Errorf("cannot keep the keys' fingerprints (to find a key given twice) in %s: %w", os.TempDir(), d.spillErr)
		return d.err
	}
	var table []uint32 // a list's entries by fingerprint: index+1, 0 empty
	var all []uint64   // a list's words: its runs read back, then its chunks
	var raw []byte
	candidates := map[uint64]bool{}
	second := int64(-1) // pipes: the earliest second copy
	for p := range d.parts {
		l := &d.parts[p]
		all = all[:0]
		for _, r := range l.runs {
			raw = slices.Grow(raw[:0], int(r[1])*8)[:r[1]*8]
			if _, err := d.spill.ReadAt(raw, r[0]); err != nil {
				d.err = fmt.Errorf("cannot read the keys' fingerprints back from %s: %w", os.TempDir(), err)
				return d.err
			}
			for i := 0; i < len(raw); i += 8 {
				all = append(all, le.LittleEndian.Uint64(raw[i:]))
			}
		}
		all = l.appendWords(all)
		word := func(i int) uint64 { return all[i] }
		n := len(all) / w
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
					if len(candidates) < dupMaxCandidates {
						candidates[fp] = true
					}
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

// release returns the lists' memory and removes the spill file.
func (d *dupCheck) release() {
	d.stopWorker()
	for _, free := range d.frees {
		free()
	}
	d.frees, d.arena, d.parts = nil, nil, [256]dupList{}
	if d.spill != nil {
		d.spill.Close()
		d.remove()
		d.spill = nil
	}
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
