package export

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// sortBudget is how many bytes of records a spillSort holds in memory
// before it sorts them and writes them out as a run.
var sortBudget = 32 << 20

// spillSort sorts records (a database, a key and a payload) by database,
// then key bytes, then the order they were added in. It holds up to
// sortBudget bytes of them; beyond that it writes sorted runs to a
// temporary file in $TMPDIR, removed as soon as it is created (so nothing
// is left even after kill -9), and merges the runs when read, each run's
// current record in memory but for the payload of a large one. Memory
// thus stays bounded whatever the number of keys (beside 64 KiB a run):
// diff and textconv of a dump with millions of keys held a Go map or
// slice of every key (1.9 GB for diff of a 3.5 M-key dump).
type spillSort struct {
	budget int
	arena  []byte // records in memory: uvarint db, uvarint key length, key, payload
	offs   []int  // start of each record in arena; its end is the next start
	f      *os.File
	runs   [][2]int64 // [start, end) of each run in f
	size   int64
	bw     *bufio.Writer
}

// spillError is a failure of the temporary file, not of an input. It
// does not unwrap to the file's error: a caller that names its input on
// fs.ErrNotExist ("dump.rdb: no such file") would blame the input for a
// missing $TMPDIR.
type spillError struct{ err error }

// ErrTempFile is what errors.Is finds in an error of TextConv or Diff
// that comes from their temporary file, not from a dump: a command
// reports it as its own failure (a full or missing $TMPDIR), not as
// damage in the input.
var ErrTempFile = errors.New("temporary file")

func (e *spillError) Is(target error) bool { return target == ErrTempFile }

func (e *spillError) Error() string {
	return fmt.Sprintf("sorting the keys in a temporary file (in $TMPDIR, or /tmp): %v", e.err)
}

func newSpillSort() *spillSort { return &spillSort{budget: sortBudget} }

// add adds a record; key and payload are copied. A record of half the
// budget or more (textconv's text of a hash with millions of fields) goes
// straight to the file as a run of its own: copied into memory, it was
// held twice.
func (s *spillSort) add(db int, key, payload []byte) error {
	if len(key)+len(payload) >= s.budget/2 {
		return s.addRun(db, key, payload)
	}
	need := len(key) + len(payload) + 2*binary.MaxVarintLen64
	if len(s.offs) > 0 && len(s.arena)+need+8*(len(s.offs)+1) > s.budget {
		if err := s.spill(); err != nil {
			return err
		}
	}
	if len(s.arena)+need > cap(s.arena) {
		// grow by doubling, but not past the budget (append's doubling
		// made a 32 MiB budget take up to 64 MiB)
		size := min(max(2*cap(s.arena), 64<<10, len(s.arena)+need), max(s.budget, len(s.arena)+need))
		s.arena = slices.Grow(s.arena, size-len(s.arena))
	}
	s.offs = append(s.offs, len(s.arena))
	s.arena = binary.AppendUvarint(s.arena, uint64(db))
	s.arena = binary.AppendUvarint(s.arena, uint64(len(key)))
	s.arena = append(s.arena, key...)
	s.arena = append(s.arena, payload...)
	return nil
}

// finish ends the adding. When runs were written, the records still in
// memory are written too and the memory freed, so that diff's second sort
// has the budget to itself.
func (s *spillSort) finish() error {
	if s.f == nil {
		return nil
	}
	if err := s.spill(); err != nil {
		return err
	}
	s.arena, s.offs = nil, nil
	return nil
}

// record returns the i-th record in memory.
func (s *spillSort) record(i int) []byte {
	end := len(s.arena)
	if i+1 < len(s.offs) {
		end = s.offs[i+1]
	}
	return s.arena[s.offs[i]:end]
}

// parseRecord splits a record into its parts.
func parseRecord(r []byte) (db int, key, payload []byte) {
	d, n := binary.Uvarint(r)
	r = r[n:]
	l, n := binary.Uvarint(r)
	r = r[n:]
	return int(d), r[:l], r[l:]
}

func compareRecords(a, b []byte) int {
	da, ka, _ := parseRecord(a)
	db, kb, _ := parseRecord(b)
	if da != db {
		if da < db {
			return -1
		}
		return 1
	}
	return bytes.Compare(ka, kb)
}

// sortMemory sorts the records in memory: offs ends up in record order.
func (s *spillSort) sortMemory() []int {
	order := make([]int, len(s.offs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return compareRecords(s.record(i), s.record(j)) })
	return order
}

// open creates the temporary file.
func (s *spillSort) open() error {
	if s.f != nil {
		return nil
	}
	f, err := os.CreateTemp("", "rdbtool-sort-*")
	if err != nil {
		return &spillError{err}
	}
	os.Remove(f.Name()) // open, it stays readable; closed, it is gone
	s.f, s.bw = f, bufio.NewWriterSize(f, 256<<10)
	return nil
}

// addRun writes the records in memory as a run, then the one record given
// as a run of its own.
func (s *spillSort) addRun(db int, key, payload []byte) error {
	if err := s.spill(); err != nil {
		return err
	}
	if err := s.open(); err != nil {
		return err
	}
	var hdr []byte
	hdr = binary.AppendUvarint(hdr, uint64(db))
	hdr = binary.AppendUvarint(hdr, uint64(len(key)))
	n := len(hdr) + len(key) + len(payload)
	start := s.size
	lb := binary.AppendUvarint(nil, uint64(n))
	s.bw.Write(lb)
	s.bw.Write(hdr)
	s.bw.Write(key)
	s.bw.Write(payload)
	if err := s.bw.Flush(); err != nil {
		return &spillError{err}
	}
	s.size += int64(len(lb) + n)
	s.runs = append(s.runs, [2]int64{start, s.size})
	return nil
}

// spill writes the records in memory as one sorted run.
func (s *spillSort) spill() error {
	if len(s.offs) == 0 {
		return nil
	}
	if err := s.open(); err != nil {
		return err
	}
	start := s.size
	var lb [binary.MaxVarintLen64]byte
	for _, i := range s.sortMemory() {
		r := s.record(i)
		n := binary.PutUvarint(lb[:], uint64(len(r)))
		s.bw.Write(lb[:n])
		s.bw.Write(r)
		s.size += int64(n + len(r))
	}
	if err := s.bw.Flush(); err != nil {
		return &spillError{err}
	}
	s.runs = append(s.runs, [2]int64{start, s.size})
	if cap(s.arena) > 2*s.budget {
		s.arena = nil // one huge record: do not keep its room
	}
	s.arena, s.offs = s.arena[:0], s.offs[:0]
	return nil
}

// iter returns the records in order; add must not be called after it.
func (s *spillSort) iter() (*spillIter, error) {
	it := &spillIter{s: s}
	if s.f == nil {
		it.order = s.sortMemory()
		return it, nil
	}
	if err := s.spill(); err != nil {
		return nil, err
	}
	for i, r := range s.runs {
		sec := io.NewSectionReader(s.f, r[0], r[1]-r[0])
		rr := &runReader{sec: sec, r: bufio.NewReaderSize(sec, runBuffer), start: r[0], n: i}
		ok, err := rr.next()
		if err != nil {
			return nil, err
		}
		if ok {
			it.heap = append(it.heap, rr)
		}
	}
	heap.Init(&it.heap)
	return it, nil
}

// close releases the temporary file.
func (s *spillSort) close() {
	if s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name()) // where an open file cannot be removed (Windows)
		s.f = nil
	}
	s.arena, s.offs = nil, nil
}

// spillIter reads a spillSort's records in order.
type spillIter struct {
	s     *spillSort
	order []int // in memory: the records' order
	pos   int
	heap  runHeap // else: the runs by their current record
	last  *runReader
	// payload holds the payload of a large record, read when returned
	payload []byte
}

// next returns the next record, or ok false at the end. The slices are
// valid until the following call.
func (it *spillIter) next() (db int, key, payload []byte, ok bool, err error) {
	if it.order != nil || it.s.f == nil {
		if it.pos >= len(it.order) {
			return 0, nil, nil, false, nil
		}
		r := it.s.record(it.order[it.pos])
		it.pos++
		db, key, payload = parseRecord(r)
		return db, key, payload, true, nil
	}
	if it.last != nil { // move the run read last on
		more, err := it.last.next()
		if err != nil {
			return 0, nil, nil, false, err
		}
		if more {
			heap.Fix(&it.heap, 0)
		} else {
			heap.Pop(&it.heap)
		}
		it.last = nil
	}
	if len(it.heap) == 0 {
		return 0, nil, nil, false, nil
	}
	it.last = it.heap[0]
	db, key, payload = parseRecord(it.last.cur)
	if l := it.last.lazy; l.n > 0 {
		if cap(it.payload) < l.n {
			it.payload = make([]byte, l.n)
		}
		payload = it.payload[:l.n]
		if _, err := it.s.f.ReadAt(payload, l.off); err != nil {
			return 0, nil, nil, false, &spillError{err}
		}
	}
	return db, key, payload, true, nil
}

// runBuffer is the read buffer of each run; a record larger than it is
// read whole only when it is returned (spillIter.payload).
const runBuffer = 64 << 10

// runReader reads one sorted run.
type runReader struct {
	sec   *io.SectionReader
	r     *bufio.Reader // over sec
	start int64         // where the run starts in the file
	cur   []byte        // the current record; of a large one, its database and key only
	lazy  struct {      // a large current record's payload, left in the file
		off int64
		n   int
	}
	n int // the run's number: equal records come in run order
}

// pos is where the run has been read to, in the file.
func (rr *runReader) pos() int64 {
	p, _ := rr.sec.Seek(0, io.SeekCurrent)
	return rr.start + p - int64(rr.r.Buffered())
}

// next reads the next record: a small one whole, a large one (over
// runBuffer) up to its key, its payload being skipped. The merge holds
// every run's current record: read whole, those of textconv's big keys,
// each a run of its own, were all in memory at once.
func (rr *runReader) next() (bool, error) {
	rr.lazy.n = 0
	l, err := binary.ReadUvarint(rr.r)
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, &spillError{err}
	}
	if l <= runBuffer {
		if uint64(cap(rr.cur)) < l {
			rr.cur = make([]byte, l)
		}
		rr.cur = rr.cur[:l]
		if _, err := io.ReadFull(rr.r, rr.cur); err != nil {
			return false, &spillError{err}
		}
		return true, nil
	}
	start := rr.pos()
	db, err := binary.ReadUvarint(rr.r)
	if err != nil {
		return false, &spillError{unexpected(err)}
	}
	kl, err := binary.ReadUvarint(rr.r)
	if err != nil {
		return false, &spillError{unexpected(err)}
	}
	if kl > l {
		return false, &spillError{fmt.Errorf("a record of %d bytes with a key of %d", l, kl)}
	}
	rr.cur = binary.AppendUvarint(rr.cur[:0], db)
	rr.cur = binary.AppendUvarint(rr.cur, kl)
	hdr := len(rr.cur)
	rr.cur = slices.Grow(rr.cur, int(kl))[:hdr+int(kl)]
	if _, err := io.ReadFull(rr.r, rr.cur[hdr:]); err != nil {
		return false, &spillError{unexpected(err)}
	}
	off := rr.pos()
	n := int64(l) - (off - start)
	if n < 0 {
		return false, &spillError{fmt.Errorf("a record of %d bytes with a header of %d", l, off-start)}
	}
	rr.lazy.off, rr.lazy.n = off, int(n)
	// skip the payload: past the buffer, by seeking
	if n <= int64(rr.r.Buffered()) {
		rr.r.Discard(int(n))
	} else {
		if _, err := rr.sec.Seek(off+n-rr.start, io.SeekStart); err != nil {
			return false, &spillError{err}
		}
		rr.r.Reset(rr.sec)
	}
	return true, nil
}

// unexpected is err, io.ErrUnexpectedEOF for io.EOF: a record cut short.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

type runHeap []*runReader

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if c := compareRecords(h[i].cur, h[j].cur); c != 0 {
		return c < 0
	}
	return h[i].n < h[j].n
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// recordWriter renders the payload of one record: in memory, and once it
// reaches half the budget, on straight into the temporary file as a run of
// its own, so that the text of a key with millions of elements is never
// held whole (it was held while growing, a copy or two of it).
type recordWriter struct {
	s      *spillSort
	db     int
	key    []byte
	buf    bytes.Buffer
	direct bool  // the record goes to the file
	start  int64 // where its length is to be written
	n      int64 // bytes written after the length
	err    error
}

// newRecord starts a record for db and key (copied).
func (s *spillSort) newRecord(db int, key []byte) *recordWriter {
	return &recordWriter{s: s, db: db, key: bytes.Clone(key)}
}

func (r *recordWriter) Write(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.direct {
		n, err := r.s.bw.Write(p)
		r.n += int64(n)
		if err != nil {
			r.err = &spillError{err}
		}
		return n, r.err
	}
	r.buf.Write(p)
	if r.buf.Len() >= r.s.budget/2 {
		r.goDirect()
	}
	return len(p), r.err
}

func (r *recordWriter) WriteString(p string) (int, error) {
	if !r.direct && r.err == nil && r.buf.Len()+len(p) < r.s.budget/2 {
		return r.buf.WriteString(p)
	}
	return r.Write([]byte(p))
}

// paddedLen is a record length as a uvarint of its largest size, so that
// it can be written before the length is known and filled in after.
func paddedLen(n uint64) []byte {
	b := make([]byte, binary.MaxVarintLen64)
	for i := range len(b) - 1 {
		b[i] = 0x80 | byte(n>>(7*i))&0x7f
	}
	b[len(b)-1] = byte(n >> 63)
	return b
}

// goDirect moves the record to the file: the records in memory first as a
// run, then this one's start.
func (r *recordWriter) goDirect() {
	s := r.s
	if err := s.spill(); err != nil {
		r.err = err
		return
	}
	if err := s.open(); err != nil {
		r.err = err
		return
	}
	r.direct, r.start = true, s.size
	s.bw.Write(paddedLen(0))
	var hdr []byte
	hdr = binary.AppendUvarint(hdr, uint64(r.db))
	hdr = binary.AppendUvarint(hdr, uint64(len(r.key)))
	s.bw.Write(hdr)
	s.bw.Write(r.key)
	s.bw.Write(r.buf.Bytes())
	r.n = int64(len(hdr) + len(r.key) + r.buf.Len())
	r.buf = bytes.Buffer{}
}

// close adds the record.
func (r *recordWriter) close() error {
	if r.err != nil {
		return r.err
	}
	if !r.direct {
		return r.s.add(r.db, r.key, r.buf.Bytes())
	}
	s := r.s
	if err := s.bw.Flush(); err != nil {
		return &spillError{err}
	}
	if _, err := s.f.WriteAt(paddedLen(uint64(r.n)), r.start); err != nil {
		return &spillError{err}
	}
	s.size = r.start + binary.MaxVarintLen64 + r.n
	s.runs = append(s.runs, [2]int64{r.start, s.size})
	return nil
}
