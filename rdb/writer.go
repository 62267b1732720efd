package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"sync"
)

// writerBufSize is the size of the Writer's buffers.
const writerBufSize = 1 << 20

// A WriterOption configures a Writer.
type WriterOption func(*Writer)

// WithMagic sets the file magic: "REDIS" (the default) or "VALKEY".
func WithMagic(magic string) WriterOption { return func(w *Writer) { w.magic = magic } }

// WithoutChecksum writes a zero checksum, as Redis does with
// "rdbchecksum no"; rewriting such a file with it keeps it byte-identical.
func WithoutChecksum() WriterOption { return func(w *Writer) { w.zeroSum = true } }

// Writer writes an RDB file. It buffers internally, writes the header on
// the first record and the end marker and checksum on Close.
type Writer struct {
	dst     io.Writer
	buf     []byte
	crc     uint64
	n       int64
	version int
	magic   string
	zeroSum bool

	headerDone bool
	closed     bool
	db         int // current database, -1 before any SELECTDB
	err        error
	scratch    []byte
	sink       *writeSink // background checksum+write, once the output is large
	spans      []crcSpan  // known-CRC spans starting in buf
}

// writeSink checksums and writes full buffers in a background goroutine so
// that, on two cores, the CRC-64 and the write system calls overlap the
// caller's work. It starts only once the output outgrows one buffer.
type writeSink struct {
	dst    io.Writer
	in     chan sinkBuf
	free   chan []byte
	done   chan struct{}
	crc    uint64  // owned by the goroutine until done is closed
	span   crcSpan // the known span being passed over
	skip   int64   // bytes of it still to come
	mu     sync.Mutex
	err    error
	inOnce sync.Once
}

const writeSinkBuffers = 3

func (s *writeSink) closeIn() { s.inOnce.Do(func() { close(s.in) }) }

func (s *writeSink) error() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// sinkBuf is a full buffer for the sink, with the spans whose CRC is known
// that start in it (offsets in b; a span may run on into later buffers).
type sinkBuf struct {
	b     []byte
	spans []crcSpan
}

// checksum folds b into the running CRC, taking the CRC of known spans
// instead of hashing them.
func (s *writeSink) checksum(m sinkBuf) {
	b := m.b
	i, k := 0, 0
	for i < len(b) {
		if s.skip > 0 {
			n := min(s.skip, int64(len(b)-i))
			i += int(n)
			s.skip -= n
			if s.skip == 0 {
				s.crc = s.span.crc ^ crcShift(s.crc, s.span.n)
			}
			continue
		}
		next := len(b)
		if k < len(m.spans) {
			next = int(m.spans[k].off)
		}
		s.crc = CRC64(s.crc, b[i:next])
		i = next
		if k < len(m.spans) && i == int(m.spans[k].off) {
			s.span = m.spans[k]
			s.skip = s.span.n
			k++
		}
	}
}

func (s *writeSink) loop() {
	defer close(s.done)
	for m := range s.in {
		s.checksum(m)
		b := m.b
		if s.error() == nil {
			if err := writeAll(s.dst, b); err != nil {
				s.mu.Lock()
				s.err = err
				s.mu.Unlock()
			}
		}
		s.free <- b[:0]
	}
}

// startSink hands checksum and writes to a background goroutine.
func (w *Writer) startSink() {
	s := &writeSink{
		dst:  w.dst,
		in:   make(chan sinkBuf, writeSinkBuffers),
		free: make(chan []byte, writeSinkBuffers),
		done: make(chan struct{}),
		crc:  w.crc,
	}
	for i := 0; i < writeSinkBuffers-1; i++ {
		s.free <- make([]byte, 0, writerBufSize)
	}
	go s.loop()
	runtime.AddCleanup(w, func(s *writeSink) { s.closeIn() }, s)
	w.sink = s
}

// NewWriter returns a Writer producing an RDB file of the given version
// (with the VALKEY magic, Valkey's numbering, e.g. 80). With version 0 the
// magic and version come from the *Header record written first. A version
// the Reader does not read (REDIS 1 to MaxVersion+1, VALKEY 80 and up), or
// a nil dst, makes the first write fail; nothing is written.
func NewWriter(dst io.Writer, version int, opts ...WriterOption) *Writer {
	w := &Writer{dst: dst, version: version, magic: "REDIS", db: -1}
	for _, o := range opts {
		if o != nil {
			o(w)
		}
	}
	w.buf = make([]byte, 0, writerBufSize)
	if dst == nil {
		w.err = errors.New("rdb: nil destination")
	}
	return w
}

// Offset returns the number of bytes written so far (buffered included).
func (w *Writer) Offset() int64 { return w.n }

var errWriterClosed = errors.New("rdb: write after Close")

// writeAll writes b to dst; a destination that takes less without an
// error gives io.ErrShortWrite, as with bufio.Writer.
func writeAll(dst io.Writer, b []byte) error {
	n, err := dst.Write(b)
	if err == nil && n != len(b) {
		err = io.ErrShortWrite
	}
	return err
}

func (w *Writer) flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	if w.sink != nil {
		if err := w.sink.error(); err != nil {
			w.err = err
			return err
		}
		w.sink.in <- sinkBuf{b: w.buf, spans: w.spans}
		w.spans = nil
		w.buf = <-w.sink.free
		return nil
	}
	w.crc = CRC64(w.crc, w.buf)
	w.spans = nil
	err := writeAll(w.dst, w.buf)
	w.buf = w.buf[:0]
	if err != nil {
		w.err = err
	}
	return err
}

// put appends p to the output. Large outputs go through the background
// sink, in buffer-sized pieces.
func (w *Writer) put(p []byte) {
	if w.err != nil {
		return
	}
	w.n += int64(len(p))
	for len(w.buf)+len(p) > cap(w.buf) {
		if w.sink == nil {
			w.startSink()
		}
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf = w.buf[:len(w.buf)+k]
		p = p[k:]
		if w.flush() != nil {
			return
		}
	}
	w.buf = append(w.buf, p...)
}

func (w *Writer) putByte(b byte) {
	if w.err != nil {
		return
	}
	if len(w.buf) == cap(w.buf) {
		if w.sink == nil {
			w.startSink()
		}
		if w.flush() != nil {
			return
		}
	}
	w.buf = append(w.buf, b)
	w.n++
}

func (w *Writer) putLen(v uint64) {
	w.scratch = appendLen(w.scratch[:0], v)
	w.put(w.scratch)
}

func (w *Writer) putString(s []byte) {
	w.putLen(uint64(len(s)))
	w.put(s)
}

// appendLen appends the RDB length encoding of v.
func appendLen(p []byte, v uint64) []byte {
	switch {
	case v < 1<<6:
		return append(p, byte(v))
	case v < 1<<14:
		return append(p, byte(v>>8)|0x40, byte(v))
	case v <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(p, len32Bit), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(p, len64Bit), v)
}

func (w *Writer) begin() error {
	if w.closed {
		return w.closedErr()
	}
	if w.err != nil {
		return w.err
	}
	if !w.headerDone {
		return w.writeHeader()
	}
	return nil
}

func (w *Writer) writeHeader() error {
	digits := 9 - len(w.magic)
	if w.magic != "REDIS" && w.magic != "VALKEY" {
		w.err = fmt.Errorf("rdb: unknown magic %q (want REDIS or VALKEY)", w.magic)
		return w.err
	}
	if w.version == 0 {
		w.err = errors.New("rdb: no RDB version: a Writer made with version 0 needs a *Header as its first record")
		return w.err
	}
	v := strconv.Itoa(w.version)
	if w.version < 0 || len(v) > digits {
		w.err = fmt.Errorf("rdb: version %d does not fit the %s header", w.version, w.magic)
		return w.err
	}
	// a file the Reader would refuse is not started
	if w.magic == "REDIS" && w.version > MaxVersion+1 {
		w.err = fmt.Errorf("rdb: %w %d (this package writes 1 to %d)", ErrVersion, w.version, MaxVersion+1)
		return w.err
	}
	if w.magic == "VALKEY" && w.version < 80 {
		w.err = fmt.Errorf("rdb: %w: VALKEY %d (Valkey versions start at 80)", ErrVersion, w.version)
		return w.err
	}
	hdr := make([]byte, 0, 9)
	hdr = append(hdr, w.magic...)
	for i := len(v); i < digits; i++ {
		hdr = append(hdr, '0')
	}
	hdr = append(hdr, v...)
	w.put(hdr)
	w.headerDone = true
	return w.err
}

// hasChecksum reports whether the file format carries a checksum.
func (w *Writer) hasChecksum() bool { return w.version >= 5 || w.magic == "VALKEY" }

// Write writes any record. A *Header writes the file header (with the
// Writer's magic and version, unless the Writer was made with version 0)
// and is only valid as the first record.
func (w *Writer) Write(rec Record) error {
	if nilRecord(rec) {
		return errNilRecord
	}
	switch x := rec.(type) {
	case *Header:
		if w.closed {
			return w.closedErr()
		}
		if w.headerDone {
			return errors.New("rdb: header written twice")
		}
		if w.version == 0 {
			// NewWriter(dst, 0): take magic and version from the header
			w.magic, w.version = x.Magic, x.Version
		}
		return w.writeHeader()
	case *Aux:
		if err := w.begin(); err != nil {
			return err
		}
		w.putByte(OpAux)
		if x.raw != nil && string(x.Key) == x.origKey && string(x.Value) == x.origValue {
			w.put(x.raw)
		} else {
			w.putString(x.Key)
			w.putString(x.Value)
		}
	case *SelectDB:
		if err := w.begin(); err != nil {
			return err
		}
		if x.DB < 0 {
			return fmt.Errorf("rdb: negative database number %d", x.DB)
		}
		w.putByte(OpSelectDB)
		if x.raw != nil && x.DB == x.origDB {
			w.put(x.raw)
		} else {
			w.putLen(uint64(x.DB))
		}
		w.db = x.DB
	case *ResizeDB:
		if err := w.begin(); err != nil {
			return err
		}
		w.putByte(OpResizeDB)
		if x.raw != nil && x.orig == [2]uint64{x.DBSize, x.ExpiresSize} {
			w.put(x.raw)
		} else {
			w.putLen(x.DBSize)
			w.putLen(x.ExpiresSize)
		}
	case *SlotInfo:
		if err := w.begin(); err != nil {
			return err
		}
		w.putByte(OpSlotInfo)
		if x.raw != nil && x.orig == [3]uint64{x.Slot, x.SlotSize, x.ExpiresSlotSize} {
			w.put(x.raw)
		} else {
			w.putLen(x.Slot)
			w.putLen(x.SlotSize)
			w.putLen(x.ExpiresSlotSize)
		}
	case *SlotImport:
		if err := w.begin(); err != nil {
			return err
		}
		if len(x.Raw) == 0 {
			return errors.New("rdb: slot import record without data")
		}
		w.putByte(opSlotImport)
		w.put(x.Raw)
	case *ModuleAux:
		if err := w.begin(); err != nil {
			return err
		}
		if len(x.Raw) == 0 {
			return errors.New("rdb: module aux record without data")
		}
		w.putByte(OpModuleAux)
		w.put(x.Raw)
	case *Function:
		return w.writeFunction(x)
	case *Entry:
		return w.WriteEntry(x)
	default:
		return fmt.Errorf("rdb: cannot write record of type %T", rec)
	}
	return w.err
}

var (
	errNilRecord = errors.New("rdb: nil record")
	errNilEntry  = errors.New("rdb: nil entry")
)

// nilRecord reports whether rec is nil or a nil pointer of a record type.
func nilRecord(rec Record) bool {
	switch x := rec.(type) {
	case nil:
		return true
	case *Header:
		return x == nil
	case *Aux:
		return x == nil
	case *SelectDB:
		return x == nil
	case *ResizeDB:
		return x == nil
	case *SlotInfo:
		return x == nil
	case *SlotImport:
		return x == nil
	case *ModuleAux:
		return x == nil
	case *Function:
		return x == nil
	case *Entry:
		return x == nil
	}
	return false
}

func (w *Writer) writeFunction(f *Function) error {
	if err := w.begin(); err != nil {
		return err
	}
	switch f.Opcode {
	case OpFunctionPreGA:
		if len(f.Raw) == 0 {
			return errors.New("rdb: pre-GA function record without data")
		}
		if string(f.Code) != f.origCode {
			// a changed library is written in the released form
			w.putByte(OpFunction2)
			w.putString(f.Code)
			return w.err
		}
		w.putByte(OpFunctionPreGA)
		w.put(f.Raw)
	default:
		w.putByte(OpFunction2)
		if f.Raw != nil && string(f.Code) == f.origCode {
			w.put(f.Raw)
		} else {
			w.putString(f.Code)
		}
	}
	return w.err
}

// WriteAux writes an auxiliary field.
func (w *Writer) WriteAux(key, value string) error {
	return w.Write(&Aux{Key: []byte(key), Value: []byte(value)})
}

// WriteSelectDB writes a database selection.
func (w *Writer) WriteSelectDB(db int) error { return w.Write(&SelectDB{DB: db}) }

// WriteResizeDB writes a database size hint.
func (w *Writer) WriteResizeDB(dbSize, expiresSize uint64) error {
	return w.Write(&ResizeDB{DBSize: dbSize, ExpiresSize: expiresSize})
}

// WriteFunction writes a function library (opcode 245).
func (w *Writer) WriteFunction(code []byte) error {
	return w.Write(&Function{Opcode: OpFunction2, Code: code})
}

// WriteEntry writes one key: a SELECTDB first when e.DB is not the current
// database, then the expiry, idle and freq opcodes, the type, the key and
// the raw value bytes. Unchanged entries from a Reader are written back
// byte for byte.
func (w *Writer) WriteEntry(e *Entry) error {
	if e == nil {
		return errNilEntry
	}
	if e.ValueSkipped() {
		// never a record without its value: the file would not load
		return fmt.Errorf("rdb: entry %q has no value bytes: the Reader skipped its value (SkipValues or SkipValueIf)", e.Key)
	}
	if err := w.begin(); err != nil {
		return err
	}
	if e.Value == nil && e.ValueLen > 0 {
		return fmt.Errorf("rdb: entry %q has no value bytes (read with SkipValues)", e.Key)
	}
	if len(e.Value) == 0 {
		// no type's value is empty: writing none would corrupt the file
		return fmt.Errorf("rdb: entry %q has no value bytes", e.Key)
	}
	if !typeKnown(e.Type) || e.Type == TypeModule {
		return fmt.Errorf("rdb: entry %q: cannot write value type %d", e.Key, e.Type)
	}
	if e.DB < 0 {
		return fmt.Errorf("rdb: entry %q: negative database %d", e.Key, e.DB)
	}
	// A prefix as it was read is written back as it was (identity, even for
	// a file whose opcodes its own version does not list, which Redis loads
	// anyway), except that a whole-second ms expiry becomes opcode 253 below
	// RDB 3; a new or changed one never gets an opcode the version does not
	// know: a Conversion (rdb.NewConversion) fits such entries first.
	unchanged := e.ExpireMs == e.origExpire && e.ExpireSeconds == e.origSecs && e.Idle == e.origIdle && e.Freq == e.origFreq && e.rawKey != nil
	why := entryPrefixProblem(e, w.version)
	asRead := unchanged && (e.ExpireMs < 0 || e.ExpireSeconds || w.version >= expireMsSince || why != "")
	if !unchanged && why != "" {
		return fmt.Errorf("rdb: entry %q: %s", e.Key, why)
	}
	if e.DB != w.db && !(w.db < 0 && e.noSelectDB && e.DB == 0) {
		w.putByte(OpSelectDB)
		w.putLen(uint64(e.DB))
		w.db = e.DB
	}
	if asRead {
		w.put(e.prefix)
	} else if err := w.putEntryPrefix(e); err != nil {
		return err
	}
	w.putByte(e.Type)
	if e.rawKey != nil && rawKeyMatches(e.rawKey, e.Key) {
		w.put(e.rawKey)
	} else {
		w.putString(e.Key)
	}
	if len(e.spans) > 0 && len(e.Value) == len(e.spanVal) && len(e.Value) > 0 && &e.Value[0] == &e.spanVal[0] {
		// big stretches read through the feeder come with their CRC
		var done int64
		for _, sp := range e.spans {
			w.put(e.Value[done:sp.off])
			if w.sink == nil {
				w.startSink()
			}
			w.spans = append(w.spans, crcSpan{off: int64(len(w.buf)), n: sp.n, crc: sp.crc})
			w.put(e.Value[sp.off : sp.off+sp.n])
			done = sp.off + sp.n
		}
		w.put(e.Value[done:])
	} else {
		w.put(e.Value)
	}
	return w.err
}

// putEntryPrefix writes expiry, idle and freq in Redis's order.
func (w *Writer) putEntryPrefix(e *Entry) error {
	var p [9]byte
	if e.ExpireMs >= 0 {
		if (e.ExpireSeconds || w.version < expireMsSince) && e.ExpireMs%1000 == 0 && e.ExpireMs/1000 <= math.MaxInt32 {
			p[0] = OpExpireTime
			binary.LittleEndian.PutUint32(p[1:], uint32(e.ExpireMs/1000))
			w.put(p[:5])
		} else {
			p[0] = OpExpireTimeMs
			binary.LittleEndian.PutUint64(p[1:], uint64(e.ExpireMs))
			w.put(p[:9])
		}
	} else if e.ExpireMs != -1 {
		return fmt.Errorf("rdb: entry %q: expiry %d (use -1 for none)", e.Key, e.ExpireMs)
	}
	if e.Idle >= 0 {
		w.putByte(OpIdle)
		w.putLen(uint64(e.Idle))
	}
	if e.Freq >= 0 {
		if e.Freq > 255 {
			return fmt.Errorf("rdb: entry %q: LFU frequency %d > 255", e.Key, e.Freq)
		}
		w.putByte(OpFreq)
		w.putByte(byte(e.Freq))
	}
	return nil
}

// rawKeyMatches reports whether the raw key encoding still decodes to key.
func rawKeyMatches(raw, key []byte) bool {
	s, n, err := rdrString(raw)
	return err == nil && n == len(raw) && bytes.Equal(s, key)
}

// Abort abandons the file: nothing more is written (not the buffered
// output, not the trailer Close would add, which would make a cut-short
// output look complete), and every later call fails with ErrAborted. The
// background writer, if one started, has stopped when Abort returns (after
// the write it may be in), so the destination is the caller's again. Use
// it instead of Close when the caller gives up midway (a read error, a
// refused entry). It does not close the destination. After Close, it does
// nothing.
func (w *Writer) Abort() {
	if w.closed {
		return
	}
	w.closed = true
	if w.err == nil {
		w.err = ErrAborted
	}
	w.buf = w.buf[:0]
	if s := w.sink; s != nil {
		s.mu.Lock()
		if s.err == nil {
			s.err = ErrAborted // the loop writes nothing more
		}
		s.mu.Unlock()
		s.closeIn()
		<-s.done
		w.sink = nil
	}
}

// closedErr is what a call after Close or Abort returns.
func (w *Writer) closedErr() error {
	if w.err == ErrAborted {
		return ErrAborted
	}
	return errWriterClosed
}

// Close writes the end-of-file opcode and (version >= 5) the CRC-64, and
// flushes. It does not close the destination.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	if w.err == nil && !w.headerDone {
		w.writeHeader()
	}
	w.closed = true
	w.putByte(OpEOF) // no-op after an error
	w.flush()
	if w.sink != nil {
		w.sink.closeIn()
		<-w.sink.done
		w.crc = w.sink.crc
		if err := w.sink.error(); err != nil && w.err == nil {
			w.err = err
		}
		w.sink = nil
	}
	if w.err != nil {
		return w.err
	}
	if w.hasChecksum() {
		sum := w.crc
		if w.zeroSum {
			sum = 0
		}
		var p [8]byte
		binary.LittleEndian.PutUint64(p[:], sum)
		w.put(p[:])
		w.flush()
	}
	return w.err
}
