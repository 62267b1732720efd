package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
)

// readerBufSize is the size of the Reader's internal buffer. Everything is
// parsed from it; the source sees only large reads.
const readerBufSize = 1 << 20

// opSlotImport is Valkey's slot import opcode (243, VALKEY files only; Redis
// 8 uses the same number for something else).
const opSlotImport = 243

// keepKeyAlone: values larger than this do not share an allocation with
// the entry's Key.
const keepKeyAlone = 1024

// maxStringLen bounds any string length read from a file (Redis's own limit
// is 512 MB for a value, larger for proto-max-bulk-len; 1<<40 is absurd).
const maxStringLen = 1 << 40

// A ReaderOption configures a Reader.
type ReaderOption func(*Reader)

// SkipValues makes the Reader skip value bytes by their structure instead of
// keeping them: Entry.Value is nil, Entry.ValueLen is set. This is the fast
// path for inspecting a file.
func SkipValues() ReaderOption { return func(r *Reader) { r.skipValues = true } }

// SkipValueIf makes the Reader ask skip about each entry once the
// entry's prefix (expiry, idle time, LFU frequency), type and key are read,
// before its value: DB, Key, Type, ExpireMs, ExpireSeconds, Idle and Freq
// are set, Value is nil. When skip returns true the value is skipped by its
// structure as with SkipValues, never held in memory (the checksum still
// covers every byte, damage gives the same error as without the option),
// and the entry comes back with Value nil, ValueLen set and ValueSkipped
// true; otherwise the entry is read whole. skip must not change e or keep
// it or its Key: both are valid only during the call. An entry whose key
// does not decode is read whole, to be reported as without the option.
// With SkipValues, skip is not called (every value is skipped).
func SkipValueIf(skip func(e *Entry) bool) ReaderOption {
	return func(r *Reader) { r.skipIf = skip }
}

// ReuseBuffers makes the Reader reuse its memory across Next calls, for
// callers that do not keep entries (verify, a rewrite that writes each entry
// before reading the next): Next may return the same *Entry every time, and
// the Entry and its Key and Value slices are valid only until the next call
// to Next, which overwrites them (as with bufio.Scanner.Bytes). A value that
// lies wholly in the Reader's buffer is not copied at all. Copy what must be
// kept. Other records (aux fields, SELECTDB, ...) are unaffected.
func ReuseBuffers() ReaderOption { return func(r *Reader) { r.reuse = true } }

// IgnoreChecksum makes a CRC-64 mismatch at the end of the file a status
// (ChecksumMismatch in Reader.Checksum) instead of an error.
func IgnoreChecksum() ReaderOption { return func(r *Reader) { r.ignoreChecksum = true } }

// readerFeed forces (true) or forbids (false) the background feeder (tests).
func readerFeed(on bool) ReaderOption {
	return func(r *Reader) {
		r.forceFeed = -1
		if on {
			r.forceFeed = 1
			r.feedChunk = 61 // tiny chunks: every boundary case, little memory
		}
	}
}

// readerBuffer sets the buffer size (at least 16; tests use tiny buffers to
// exercise every refill path).
func readerBuffer(n int) ReaderOption {
	return func(r *Reader) {
		if n < 16 {
			n = 16
		}
		r.bufSize = n
	}
}

// ChecksumStatus tells what the end of the file said about the checksum.
type ChecksumStatus int

const (
	// ChecksumUnread: the end of the file has not been reached.
	ChecksumUnread ChecksumStatus = iota
	// ChecksumOK: the stored CRC-64 matches the bytes.
	ChecksumOK
	// ChecksumZero: the stored checksum is 0 (written with rdbchecksum no).
	ChecksumZero
	// ChecksumAbsent: RDB version < 5 has no checksum.
	ChecksumAbsent
	// ChecksumMismatch: the stored checksum is wrong (seen only with IgnoreChecksum).
	ChecksumMismatch
)

// String returns the status as inspect prints it: "ok", "zero (not
// checked)", "absent", "mismatch" or "unread".
func (s ChecksumStatus) String() string {
	switch s {
	case ChecksumUnread:
		return "unread"
	case ChecksumOK:
		return "ok"
	case ChecksumZero:
		return "zero (not checked)"
	case ChecksumAbsent:
		return "absent"
	case ChecksumMismatch:
		return "mismatch"
	}
	return "ChecksumStatus(" + strconv.Itoa(int(s)) + ")"
}

// ChecksumInfo is the checksum outcome, available after Next returned io.EOF.
type ChecksumInfo struct {
	Status   ChecksumStatus
	Stored   uint64 // the CRC-64 stored in the file
	Computed uint64 // the CRC-64 of every byte before it
}

// Reader reads an RDB file as a stream of records. It buffers internally
// (do not wrap the source in a bufio.Reader) and parses its own buffer, so
// reading costs about one pass over the bytes plus the checksum.
type Reader struct {
	src    io.Reader
	buf    []byte
	r, w   int
	base   int64 // input offset of buf[0]
	crc    uint64
	crcPos int   // buf[:crcPos] is in crc
	srcErr error // first error the source returned (io.EOF at the end)
	left   int64 // bytes the source still holds beyond buf[w:], or -1 when unknown

	capturing bool
	capStart  int
	capBuf    []byte
	capWant   int  // the capture's expected size once the span being captured is read (0: none)
	capOver   bool // the record grew past maxAlloc: its bytes are no longer kept (fill and skip fail)

	skipValues     bool
	skipIf         func(*Entry) bool // SkipValueIf
	ignoreChecksum bool
	reuse          bool  // ReuseBuffers
	entry          Entry // the entry Next returns with ReuseBuffers
	keyBuf         []byte
	bufSize        int
	forceFeed      int // tests: 1 = always use the feeder, -1 = never
	feedChunk      int // feeder chunk size (0: feedChunkSize)

	spans   []crcSpan // big captured spans of the current record, with their CRC
	feed    *feeder   // background reader, for large inputs
	pend    []byte    // feeder data not yet in buf
	held    []feedChunk
	feedErr error

	header   *Header
	valkey   bool
	db       int
	selected bool
	done     bool
	err      error
	sum      ChecksumInfo
}

// NewReader returns a Reader for src. The first record Next returns is the
// *Header. A nil src reads as an empty input: Next returns an *Error
// wrapping ErrTruncated.
func NewReader(src io.Reader, opts ...ReaderOption) *Reader {
	r := &Reader{src: src, left: -1}
	for _, o := range opts {
		if o != nil {
			o(r)
		}
	}
	if src == nil {
		// misuse, reported by Next (the feeder must not read a nil source)
		return r
	}
	r.left = sourceSize(src)
	size := readerBufSize
	if r.left >= 0 && r.left+64 < int64(size) {
		size = int(r.left) + 64
	}
	if r.bufSize > 0 {
		size = r.bufSize
	}
	r.buf = make([]byte, size)
	if r.forceFeed > 0 || (r.forceFeed == 0 && (r.left < 0 || r.left >= feedMinInput)) {
		r.startFeeder()
	}
	return r
}

// A SizedSource is an input that knows how many bytes it still holds, for
// wrappers that hide a file's size (a progress counter, say). NewReader asks
// it once: the size lets the Reader read a value of announced length into a
// buffer of exactly that size at once, and bounds what a length in the file
// may make it allocate. RemainingSize returns -1 when the size is unknown.
// Regular files, *bytes.Reader, *strings.Reader and *bytes.Buffer are sized
// without it.
type SizedSource interface {
	io.Reader
	RemainingSize() int64
}

// sourceSize returns how many bytes src still holds when that is known
// cheaply (SizedSource, bytes.Reader, strings.Reader, bytes.Buffer, regular
// files), else -1.
func sourceSize(src io.Reader) int64 {
	switch s := src.(type) {
	case SizedSource:
		if n := s.RemainingSize(); n >= 0 {
			return n
		}
		return -1
	case interface{ Len() int }:
		return int64(s.Len())
	case *os.File:
		fi, err := s.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return -1
		}
		cur, err := s.Seek(0, io.SeekCurrent)
		if err != nil || cur > fi.Size() {
			return -1
		}
		return fi.Size() - cur
	}
	return -1
}

// Offset returns the number of input bytes consumed so far.
func (r *Reader) Offset() int64 { return r.base + int64(r.r) }

// Header returns the file header, nil before the first Next.
func (r *Reader) Header() *Header { return r.header }

// Checksum reports the checksum outcome once Next has returned io.EOF.
func (r *Reader) Checksum() ChecksumInfo { return r.sum }

// Next returns the next record, or io.EOF after the end-of-file opcode and
// the checksum. Errors are *Error values carrying the offset and the key;
// after an error Next keeps returning it.
func (r *Reader) Next() (Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.done {
		return nil, io.EOF
	}
	if r.src == nil || r.buf == nil {
		r.err = &Error{Offset: r.Offset(), Err: fmt.Errorf("%w: no source (a nil io.Reader, or a Reader not made by NewReader)", ErrTruncated)}
		return nil, r.err
	}
	var rec Record
	var err error
	if r.header == nil {
		rec, err = r.readHeader()
	} else {
		rec, err = r.readRecord()
	}
	if err != nil {
		r.capturing = false
		r.capBuf = nil
		if r.feed != nil {
			r.feed.stop()
			r.held, r.pend = nil, nil
		}
		if err != io.EOF {
			var re *Error
			if !errors.As(err, &re) {
				err = &Error{Offset: r.Offset(), Err: err}
			}
			r.err = err
		}
		return nil, err
	}
	return rec, nil
}

// Close stops the Reader before the end of its input: the background
// goroutine that reads large inputs ends now rather than when the Reader
// is garbage-collected, and Next returns an *Error wrapping ErrClosed. It
// does not close the source. After the end or an error it does nothing
// more; it always returns nil.
func (r *Reader) Close() error {
	if r.feed != nil {
		r.feed.stop()
		r.held, r.pend = nil, nil
	}
	r.capturing, r.capBuf = false, nil
	if r.err == nil && !r.done {
		r.err = &Error{Offset: r.Offset(), Err: ErrClosed}
	}
	return nil
}

// ---- buffer management ----

// truncErr is returned by fill when the source ended; callers wrap it.
var errReaderEOF = fmt.Errorf("%w", ErrTruncated)

// compact moves the unread bytes to the front of the buffer, folding the
// consumed bytes into the checksum and, when capturing, into capBuf.
func (r *Reader) compact() {
	if r.r == 0 {
		return
	}
	if r.feed == nil {
		r.crc = CRC64(r.crc, r.buf[r.crcPos:r.r])
	}
	if r.capturing {
		r.capAppend(r.buf[r.capStart:r.r])
		r.capStart = 0
	}
	n := copy(r.buf, r.buf[r.r:r.w])
	r.base += int64(r.r)
	r.w = n
	r.r = 0
	r.crcPos = 0
	if r.feed != nil {
		r.feedRelease()
	}
}

// fill makes at least n (<= len(buf)) unread bytes available.
func (r *Reader) fill(n int) error {
	if r.w-r.r >= n {
		return nil
	}
	if r.srcErr != nil {
		return r.sourceError()
	}
	r.compact()
	if r.capOver {
		return r.errCapOver()
	}
	zero := 0
	for r.w-r.r < n {
		if r.srcErr != nil {
			return r.sourceError()
		}
		var m int
		var err error
		if r.feed != nil {
			m, err = r.feedRead(r.buf[r.w:])
		} else {
			m, err = r.src.Read(r.buf[r.w:])
		}
		if m < 0 || m > len(r.buf)-r.w {
			r.srcErr = errors.New("rdb: source returned an invalid count")
			continue
		}
		r.w += m
		if r.left >= 0 {
			r.left -= int64(m)
			if r.left < 0 {
				r.left = 0
			}
		}
		if err != nil {
			r.srcErr = err
		} else if m == 0 {
			zero++
			if zero > 100 {
				r.srcErr = io.ErrNoProgress
			}
		}
	}
	return nil
}

func (r *Reader) sourceError() error {
	if r.srcErr == io.EOF || r.srcErr == io.ErrUnexpectedEOF {
		return errReaderEOF
	}
	return r.srcErr
}

// remaining returns the number of input bytes not yet consumed, or -1.
func (r *Reader) remaining() int64 {
	if r.left < 0 {
		if r.srcErr != nil {
			return int64(r.w - r.r)
		}
		return -1
	}
	return r.left + int64(r.w-r.r)
}

func (r *Reader) pos() int64 { return r.base + int64(r.r) }

func (r *Reader) readByte() (byte, error) {
	if r.r >= r.w {
		if err := r.fill(1); err != nil {
			return 0, err
		}
	}
	b := r.buf[r.r]
	r.r++
	return b, nil
}

// take returns the next n (<= 16) bytes; the slice is valid until the next read.
func (r *Reader) take(n int) ([]byte, error) {
	if r.w-r.r < n {
		if err := r.fill(n); err != nil {
			return nil, err
		}
	}
	p := r.buf[r.r : r.r+n]
	r.r += n
	return p, nil
}

// skip consumes n bytes, reading through the source as needed.
func (r *Reader) skip(n uint64) error {
	for {
		avail := uint64(r.w - r.r)
		if n <= avail {
			r.r += int(n)
			return nil
		}
		n -= avail
		r.r = r.w
		if r.feed != nil && n >= feedDirectMin {
			n = r.skipDirect(n)
			if r.capOver {
				return r.errCapOver()
			}
			if n == 0 {
				return nil
			}
		}
		if err := r.fill(1); err != nil {
			return err
		}
	}
}

// skipSpan consumes n bytes that a length in the file announced: a length
// beyond the end of the input is ErrLength (and ErrTruncated).
func (r *Reader) skipSpan(n uint64, what string) error {
	if n <= uint64(r.w-r.r) {
		// buffered: nothing to check, grow or checksum
		r.r += int(n)
		return nil
	}
	if n > maxStringLen {
		return fmt.Errorf("%w: %s length %d is absurd", ErrLength, what, n)
	}
	if rem := r.remaining(); rem >= 0 && n > uint64(rem) {
		return fmt.Errorf("%w: %s length %d runs past the end of the input (%d bytes left) (%w)", ErrLength, what, n, rem, ErrTruncated)
	}
	if r.capturing && int64(n) > int64(maxAlloc)-int64(len(r.capBuf)+(r.r-r.capStart)) {
		return errTooLarge(what+" string", n)
	}
	if r.capturing && n > uint64(len(r.buf)) {
		// the span will not fit the buffer: make room in the capture for
		// all of it at once (as far as the input allows), so its bytes are
		// copied once, into their final place
		r.capWant = len(r.capBuf) + (r.r - r.capStart) + int(n)
		if cap(r.capBuf) < r.capWant {
			r.capGrow(len(r.capBuf))
		}
	}
	// a big span read through the feeder gets its CRC from the feeder's
	// checkpoints, so a Writer copying it need not hash it again
	var at int64
	var before uint64
	known := false
	if r.capturing && r.feed != nil && n >= crcSpanMin {
		at = r.pos()
		before, known = r.feedCRC(at)
	}
	if err := r.skip(n); err != nil {
		if err == errReaderEOF {
			return fmt.Errorf("%w: %s length %d runs past the end of the input (%w)", ErrLength, what, n, ErrTruncated)
		}
		return err
	}
	if known {
		if after, ok := r.feedCRC(at + int64(n)); ok {
			r.spans = append(r.spans, crcSpan{off: at, n: int64(n), crc: after ^ crcShift(before, int64(n))})
		}
	}
	return nil
}

// crcSpanMin is the smallest span whose CRC the Reader hands on.
const crcSpanMin = 1 << 20

// crcSpan is a stretch of bytes with its CRC-64 (from 0): off is an input
// offset while reading, an offset in Entry.Value afterwards.
type crcSpan struct {
	off, n int64
	crc    uint64
}

// readLen reads a length encoding; enc reports the special (11) form, whose
// value is then the encoding type.
func (r *Reader) readLen() (v uint64, enc bool, err error) {
	if r.w-r.r >= 9 {
		b := r.buf[r.r]
		switch b >> 6 {
		case len6Bit:
			r.r++
			return uint64(b & 0x3f), false, nil
		case len14Bit:
			v = uint64(b&0x3f)<<8 | uint64(r.buf[r.r+1])
			r.r += 2
			return v, false, nil
		case lenEncVal:
			r.r++
			return uint64(b & 0x3f), true, nil
		}
		switch b {
		case len32Bit:
			v = uint64(binary.BigEndian.Uint32(r.buf[r.r+1:]))
			r.r += 5
			return v, false, nil
		case len64Bit:
			v = binary.BigEndian.Uint64(r.buf[r.r+1:])
			r.r += 9
			return v, false, nil
		}
		return 0, false, fmt.Errorf("%w: bad length encoding 0x%02x", ErrCorrupt, b)
	}
	b, err := r.readByte()
	if err != nil {
		return 0, false, err
	}
	switch b >> 6 {
	case len6Bit:
		return uint64(b & 0x3f), false, nil
	case len14Bit:
		b2, err := r.readByte()
		if err != nil {
			return 0, false, err
		}
		return uint64(b&0x3f)<<8 | uint64(b2), false, nil
	case lenEncVal:
		return uint64(b & 0x3f), true, nil
	}
	switch b {
	case len32Bit:
		p, err := r.take(4)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(p)), false, nil
	case len64Bit:
		p, err := r.take(8)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(p), false, nil
	}
	r.r-- // the error's offset is the bad byte's, as on the path above
	return 0, false, fmt.Errorf("%w: bad length encoding 0x%02x", ErrCorrupt, b)
}

// readCount reads a plain length (a count or a number), rejecting the
// special string encodings.
func (r *Reader) readCount(what string) (uint64, error) {
	v, enc, err := r.readLen()
	if err != nil {
		return 0, err
	}
	if enc {
		return 0, fmt.Errorf("%w: %s: string encoding where a length was expected", ErrCorrupt, what)
	}
	return v, nil
}

// skipString consumes one string encoding (plain, integer or LZF).
func (r *Reader) skipString(what string) error {
	n, enc, err := r.readLen()
	if err != nil {
		return err
	}
	if !enc {
		return r.skipSpan(n, what)
	}
	switch n {
	case encInt8:
		return r.skip(1)
	case encInt16:
		return r.skip(2)
	case encInt32:
		return r.skip(4)
	case encLZF:
		// the lengths' names are built only for an error message
		clen, cenc, err := r.readLen()
		if err != nil {
			return err
		}
		if cenc {
			return fmt.Errorf("%w: %s (LZF compressed length): string encoding where a length was expected", ErrCorrupt, what)
		}
		ulen, uenc, err := r.readLen()
		if err != nil {
			return err
		}
		if uenc {
			return fmt.Errorf("%w: %s (LZF length): string encoding where a length was expected", ErrCorrupt, what)
		}
		if ulen == 0 || clen == 0 {
			return fmt.Errorf("%w: %s: LZF string with zero length", ErrCorrupt, what)
		}
		return r.skipSpan(clen, what)
	}
	return fmt.Errorf("%w: %s: unknown string encoding %d", ErrCorrupt, what, n)
}

// ---- capture: keeping the exact bytes of a record ----

func (r *Reader) beginCapture() {
	r.capturing = true
	r.capStart = r.r
	r.capBuf = r.capBuf[:0]
	r.capWant = 0
	r.capOver = false
	r.spans = r.spans[:0]
}

// capAppend appends p to the capture, growing it by capGrow's rules.
func (r *Reader) capAppend(p []byte) {
	if r.capOver || int64(len(r.capBuf))+int64(len(p)) > int64(maxAlloc) {
		r.capOver = true // fill or skip reports it
		return
	}
	if len(r.capBuf)+len(p) > cap(r.capBuf) {
		r.capGrow(len(r.capBuf) + len(p))
	}
	r.capBuf = append(r.capBuf, p...)
}

// Growing the capture of a span whose length the file announced (capWant)
// when the input's size is unknown: a length is not proof that the bytes
// follow, so the capture never grows beyond capUnknownRatio times what it
// holds (at least capUnknownFirst). On its way to a large span it stops at
// the span's 1/capUnknownRatio, so the buffer the last step replaces is small:
// the peak is about the span plus a sixteenth.
const (
	capUnknownFirst = 1 << 20
	capUnknownRatio = 16
)

// capBigDrop: a reused capture buffer at least this big, too small for the
// next record, is released (and collected) before its successor is
// allocated, so the two never coexist.
const capBigDrop = 16 << 20

// capHeadroom is the room a reused capture of n bytes gets beyond them, so
// that a next value of about the same size (under another key) fits.
func capHeadroom(n int) int { return min(n/64, 1<<20) }

// capGrow reallocates the capture to hold at least need bytes. Toward a span
// of known length (capWant) it allocates the whole capture at once, exactly
// (plus a little headroom with ReuseBuffers, so that the next value of about
// the same size fits), when the input's size is known: skipSpan checked the
// length against it. An input of unknown size grows by the capUnknown rules.
// Otherwise (values made of many strings) it grows as append does.
func (r *Reader) capGrow(need int) {
	old := r.capBuf
	c := need
	switch want := r.capWant; {
	case want <= need:
		if g := cap(old); g < 1<<20 {
			c = max(need, 2*g)
		} else {
			c = max(need, g+g/2)
		}
	case r.left >= 0:
		c = want
		if r.reuse {
			// headroom, within what the input holds after the span
			after := r.remaining() - int64(want-(len(old)+r.r-r.capStart))
			c += int(max(0, min(int64(capHeadroom(want)), after)))
		}
	default:
		// twice the buffer being replaced is safe too: it held a span
		// read in full (by this record or, reused, by an earlier one)
		have := max(len(old), need)
		if step := max(capUnknownFirst, capUnknownRatio*have, 2*cap(old)); want <= step {
			c = want
			if r.reuse {
				c += capHeadroom(want)
			}
		} else {
			// the smallest buffer the whole span can follow in one more
			// step, or as far as this step may go
			c = min(step, (want+capUnknownRatio-1)/capUnknownRatio)
		}
		c = max(c, need)
	}
	c = min(c, max(need, maxAlloc)) // capAppend keeps need within maxAlloc
	if r.reuse && cap(old) >= capBigDrop && len(old) <= capUnknownFirst {
		// the old buffer holds at most a record's start: keep that, let
		// the big buffer go before allocating the next one
		keep := append([]byte(nil), old...)
		r.capBuf, old = nil, keep
		runtime.GC()
	}
	nb := make([]byte, len(old), c)
	copy(nb, old)
	r.capBuf = nb
}

// errCapOver is the error for a record that grew past maxAlloc.
func (r *Reader) errCapOver() error {
	return fmt.Errorf("%w: a record of more than %d bytes is more than this %d-bit build holds in one piece",
		ErrLength, maxAlloc, strconv.IntSize)
}

// endCapture returns a fresh slice holding every byte since beginCapture.
func (r *Reader) endCapture() []byte {
	var out []byte
	if len(r.capBuf) == 0 {
		out = make([]byte, r.r-r.capStart)
		copy(out, r.buf[r.capStart:r.r])
	} else {
		out = append(r.capBuf, r.buf[r.capStart:r.r]...)
	}
	r.capBuf = nil
	r.capturing = false
	return out
}

// endCaptureReused is endCapture for ReuseBuffers: the bytes are in the
// Reader's buffer (valid until the next read from the source) or in the
// capture buffer, which the next record reuses.
func (r *Reader) endCaptureReused() []byte {
	r.capturing = false
	if len(r.capBuf) == 0 {
		return r.buf[r.capStart:r.r:r.r]
	}
	out := append(r.capBuf, r.buf[r.capStart:r.r]...)
	r.capBuf = out[:0]
	return out[:len(out):len(out)]
}

// peekCapture returns a copy of the bytes captured so far (error paths).
func (r *Reader) peekCapture() []byte {
	out := append([]byte(nil), r.capBuf...)
	return append(out, r.buf[r.capStart:r.r]...)
}

// ---- records ----

func (r *Reader) readHeader() (Record, error) {
	if err := r.fill(9); err != nil {
		if err != errReaderEOF {
			return nil, err
		}
		have := r.buf[r.r:r.w]
		if !hasPrefixFold(have, "REDIS") && !hasPrefixFold(have, "VALKEY") {
			return nil, &Error{Offset: 0, Err: fmt.Errorf("%w: %q", ErrMagic, have)}
		}
		return nil, &Error{Offset: r.pos() + int64(len(have)), Err: fmt.Errorf("%w: in the header", ErrTruncated)}
	}
	p := r.buf[r.r : r.r+9]
	var magic string
	var digits []byte
	switch {
	case string(p[:5]) == "REDIS":
		magic, digits = "REDIS", p[5:9]
	case string(p[:6]) == "VALKEY":
		magic, digits = "VALKEY", p[6:9]
	default:
		return nil, &Error{Offset: 0, Err: fmt.Errorf("%w: %q", ErrMagic, p)}
	}
	ver := 0
	for _, d := range digits {
		if d < '0' || d > '9' {
			return nil, &Error{Offset: 0, Err: fmt.Errorf("%w: %q is not a version number", ErrVersion, p)}
		}
		ver = ver*10 + int(d-'0')
	}
	if magic == "REDIS" && (ver < 1 || ver > MaxVersion+1) {
		return nil, &Error{Offset: 0, Err: fmt.Errorf("%w %d (this package reads 1 to %d)", ErrVersion, ver, MaxVersion+1)}
	}
	if magic == "VALKEY" && ver < 80 {
		return nil, &Error{Offset: 0, Err: fmt.Errorf("%w: VALKEY %d (Valkey versions start at 80)", ErrVersion, ver)}
	}
	r.r += 9
	r.header = &Header{Magic: magic, Version: ver}
	r.valkey = magic == "VALKEY"
	return r.header, nil
}

func hasPrefixFold(have []byte, magic string) bool {
	if len(have) > len(magic) {
		have = have[:len(magic)]
	}
	return string(have) == magic[:len(have)]
}

func (r *Reader) readRecord() (Record, error) {
	start := r.pos()
	r.beginCapture()
	t, err := r.readByte()
	if err != nil {
		return nil, &Error{Offset: start, Err: fmt.Errorf("%w: expected a record or the end-of-file marker", ErrTruncated)}
	}
	var rec Record
	switch t {
	case OpEOF:
		r.capturing = false
		return nil, r.finish()
	case OpAux:
		rec, err = r.readAux(start)
	case OpSelectDB:
		rec, err = r.readSelectDB(start)
	case OpResizeDB:
		rec, err = r.readResizeDB(start)
	case OpSlotInfo:
		rec, err = r.readSlotInfo(start)
	case OpFunction2:
		rec, err = r.readFunction2(start)
	case OpFunctionPreGA:
		rec, err = r.readFunctionPreGA(start)
	case OpModuleAux:
		rec, err = r.readModuleAux(start)
	default:
		if t == opSlotImport && r.valkey {
			rec, err = r.readSlotImport(start)
			break
		}
		rec, err = r.readEntry(start, t)
	}
	if err != nil {
		var re *Error
		if !errors.As(err, &re) {
			err = &Error{Offset: r.pos(), Err: err}
		}
		return nil, err
	}
	return rec, nil
}

// finish reads the checksum after the EOF opcode.
func (r *Reader) finish() error {
	r.done = true
	if r.header.Version < 5 && !r.valkey {
		r.sum = ChecksumInfo{Status: ChecksumAbsent}
		return io.EOF
	}
	if r.feed != nil {
		crc, ok := r.feedCRC(r.pos())
		if !ok {
			return &Error{Offset: r.pos(), Err: errors.New("rdb: internal error: checksum chunk released")}
		}
		r.crc = crc
	} else {
		r.crc = CRC64(r.crc, r.buf[r.crcPos:r.r])
	}
	r.crcPos = r.r
	computed := r.crc
	at := r.pos()
	p, err := r.take(8)
	if err != nil {
		r.done = false
		return &Error{Offset: at, Err: fmt.Errorf("%w: in the checksum after the end-of-file marker", ErrTruncated)}
	}
	r.crcPos = r.r
	stored := binary.LittleEndian.Uint64(p)
	r.sum = ChecksumInfo{Stored: stored, Computed: computed}
	switch {
	case stored == 0:
		r.sum.Status = ChecksumZero
	case stored == computed:
		r.sum.Status = ChecksumOK
	default:
		r.sum.Status = ChecksumMismatch
		if !r.ignoreChecksum {
			r.done = false
			return &Error{Offset: at, Err: fmt.Errorf("%w: file says %016x, content gives %016x", ErrChecksum, stored, computed)}
		}
	}
	return io.EOF
}

func (r *Reader) readAux(start int64) (Record, error) {
	if err := r.skipString("aux field name"); err != nil {
		return nil, err
	}
	if err := r.skipString("aux field value"); err != nil {
		return nil, err
	}
	blk := r.endCapture()
	raw := blk[1:]
	key, n, err := rdrString(raw)
	if err != nil {
		return nil, err
	}
	val, _, err := rdrString(raw[n:])
	if err != nil {
		return nil, err
	}
	a := &Aux{pos: pos{start}, Key: key, Value: val, raw: raw, origKey: string(key), origValue: string(val)}
	return a, nil
}

func (r *Reader) readSelectDB(start int64) (Record, error) {
	v, err := r.readCount("database number")
	if err != nil {
		return nil, err
	}
	if v > 1<<31-1 {
		return nil, fmt.Errorf("%w: database number %d", ErrCorrupt, v)
	}
	blk := r.endCapture()
	r.db = int(v)
	r.selected = true
	return &SelectDB{pos: pos{start}, DB: int(v), raw: blk[1:], origDB: int(v)}, nil
}

func (r *Reader) readResizeDB(start int64) (Record, error) {
	a, err := r.readCount("resize-db size")
	if err != nil {
		return nil, err
	}
	b, err := r.readCount("resize-db expires size")
	if err != nil {
		return nil, err
	}
	blk := r.endCapture()
	return &ResizeDB{pos: pos{start}, DBSize: a, ExpiresSize: b, raw: blk[1:], orig: [2]uint64{a, b}}, nil
}

func (r *Reader) readSlotInfo(start int64) (Record, error) {
	var v [3]uint64
	for i := range v {
		x, err := r.readCount("slot info")
		if err != nil {
			return nil, err
		}
		v[i] = x
	}
	blk := r.endCapture()
	return &SlotInfo{pos: pos{start}, Slot: v[0], SlotSize: v[1], ExpiresSlotSize: v[2], raw: blk[1:], orig: v}, nil
}

func (r *Reader) readSlotImport(start int64) (Record, error) {
	if err := r.skipString("slot import job name"); err != nil {
		return nil, err
	}
	n, err := r.readCount("slot import range count")
	if err != nil {
		return nil, err
	}
	for i := uint64(0); i < 2*n; i++ {
		if _, err := r.readCount("slot import range"); err != nil {
			return nil, err
		}
	}
	blk := r.endCapture()
	return &SlotImport{pos: pos{start}, Raw: blk[1:]}, nil
}

func (r *Reader) readFunction2(start int64) (Record, error) {
	if err := r.skipString("function library"); err != nil {
		return nil, err
	}
	blk := r.endCapture()
	code, _, err := rdrString(blk[1:])
	if err != nil {
		return nil, err
	}
	return &Function{pos: pos{start}, Opcode: OpFunction2, Code: code, Raw: blk[1:], origCode: string(code)}, nil
}

// readFunctionPreGA reads a 7.0 release-candidate library: name, engine,
// a description flag and optional description, code.
func (r *Reader) readFunctionPreGA(start int64) (Record, error) {
	if err := r.skipString("function name"); err != nil {
		return nil, err
	}
	if err := r.skipString("function engine"); err != nil {
		return nil, err
	}
	hasDesc, err := r.readCount("function description flag")
	if err != nil {
		return nil, err
	}
	if hasDesc != 0 {
		if err := r.skipString("function description"); err != nil {
			return nil, err
		}
	}
	if err := r.skipString("function code"); err != nil {
		return nil, err
	}
	blk := r.endCapture()
	raw := blk[1:]
	f := &Function{pos: pos{start}, Opcode: OpFunctionPreGA, Raw: raw}
	p := raw
	var n int
	if f.Name, n, err = rdrString(p); err != nil {
		return nil, err
	}
	p = p[n:]
	if f.Engine, n, err = rdrString(p); err != nil {
		return nil, err
	}
	p = p[n:]
	flag, _, n, err := rdrLen(p)
	if err != nil {
		return nil, err
	}
	p = p[n:]
	if flag != 0 {
		if f.Desc, n, err = rdrString(p); err != nil {
			return nil, err
		}
		p = p[n:]
	}
	if f.Code, _, err = rdrString(p); err != nil {
		return nil, err
	}
	f.origCode = string(f.Code)
	return f, nil
}

func (r *Reader) readEntry(start int64, t byte) (Record, error) {
	var e *Entry
	if r.reuse {
		// field by field: assigning a whole Entry copies every pointer
		// field through the write barrier (a fifth of the time per entry)
		e = &r.entry
		e.pos = pos{start}
		e.DB = r.db
		e.Key, e.Value, e.rawKey, e.prefix, e.spanVal = nil, nil, nil, nil, nil
		e.Type = 0
		e.ExpireMs, e.ExpireSeconds, e.Idle, e.Freq = -1, false, -1, -1
		e.ValueLen = 0
		e.noSelectDB = !r.selected
		e.spans = e.spans[:0]
		e.head, e.headOK, e.skipped = 0, false, false
	} else {
		e = &Entry{pos: pos{start}, DB: r.db, ExpireMs: -1, Idle: -1, Freq: -1, noSelectDB: !r.selected}
	}
	prefix := false
	for {
		switch t {
		case OpExpireTimeMs:
			p, err := r.take(8)
			if err != nil {
				return nil, err
			}
			e.ExpireMs = int64(binary.LittleEndian.Uint64(p))
			if e.ExpireMs != -1 { // -1 is Redis's "none" even when stored: it loads the key without a TTL
				e.ExpireMs = pastIfNegative(e.ExpireMs)
			}
			e.ExpireSeconds = false
		case OpExpireTime:
			p, err := r.take(4)
			if err != nil {
				return nil, err
			}
			e.ExpireMs = pastIfNegative(int64(int32(binary.LittleEndian.Uint32(p))) * 1000) // signed, as rdbLoadTime
			e.ExpireSeconds = true
		case OpIdle:
			v, err := r.readCount("idle time")
			if err != nil {
				return nil, err
			}
			if v > 1<<62 {
				return nil, fmt.Errorf("%w: idle time %d", ErrCorrupt, v)
			}
			e.Idle = int64(v)
		case OpFreq:
			b, err := r.readByte()
			if err != nil {
				return nil, err
			}
			e.Freq = int(b)
		default:
			goto value
		}
		prefix = true
		at := r.pos()
		var err error
		if t, err = r.readByte(); err != nil {
			return nil, &Error{Offset: at, Err: fmt.Errorf("%w: expected the value type after an expire/idle/freq opcode", ErrTruncated)}
		}
	}
value:
	typeOff := r.pos() - 1
	if !typeKnown(t) {
		kind := ErrUnknownType
		if t >= opSlotImport {
			kind = ErrUnknownOpcode
		}
		if prefix && t >= opSlotImport {
			return nil, &Error{Offset: typeOff, Err: fmt.Errorf("%w: opcode %d after an expire/idle/freq opcode, where a value type belongs", ErrCorrupt, t)}
		}
		return nil, &Error{Offset: typeOff, Err: fmt.Errorf("%w %d", kind, t)}
	}
	if t == TypeModule {
		return nil, &Error{Offset: typeOff, Err: fmt.Errorf("%w 6: pre-release module value (Redis 4.0 RC) has no skippable structure", ErrUnknownType)}
	}
	e.Type = t
	e.origExpire, e.origSecs, e.origIdle, e.origFreq = e.ExpireMs, e.ExpireSeconds, e.Idle, e.Freq
	keyOff := int(r.pos() - start)
	if err := r.skipString("key"); err != nil {
		return nil, err
	}
	keyEnd := int(r.pos() - start)
	var blk []byte
	if r.skipValues || (r.skipIf != nil && r.askSkip(e, keyOff, keyEnd)) {
		if r.reuse {
			// skipping the value may move the buffer: keep the record's
			// start (prefix, type, key) in a buffer of its own
			r.keyBuf = append(r.keyBuf[:0], r.endCaptureReused()...)
			blk = r.keyBuf[:len(r.keyBuf):len(r.keyBuf)]
		} else {
			blk = r.endCapture()
		}
		if err := e.setKey(blk, keyOff, keyEnd, typeOff-start); err != nil {
			return nil, err
		}
		vstart := r.pos()
		if r.r < r.w || r.fill(1) == nil {
			// the first byte tells a string's encoding (Entry.Encoding);
			// a failed fill is left for skipValue to report
			e.head, e.headOK = r.buf[r.r], true
		}
		if err := r.skipValue(t); err != nil {
			return nil, r.valueError(err, e.Key)
		}
		e.ValueLen = r.pos() - vstart
		e.skipped = true
		return e, nil
	}
	if err := r.skipValue(t); err != nil {
		var key []byte
		if captured := r.peekCapture(); keyEnd <= len(captured) { // not when a record too large lost its bytes
			var kerr error
			if key, _, kerr = rdrString(captured[keyOff:keyEnd]); kerr != nil {
				key = nil
			}
		}
		return nil, r.valueError(err, key)
	}
	if r.reuse {
		blk = r.endCaptureReused()
	} else {
		blk = r.endCapture()
	}
	if err := e.setKey(blk, keyOff, keyEnd, typeOff-start); err != nil {
		return nil, err
	}
	e.Value = blk[keyEnd:len(blk):len(blk)]
	e.ValueLen = int64(len(e.Value))
	if len(r.spans) > 0 {
		vstart := start + int64(keyEnd)
		if !r.reuse {
			e.spans = make([]crcSpan, 0, len(r.spans))
		}
		for _, sp := range r.spans {
			if sp.off >= vstart && sp.off+sp.n <= vstart+e.ValueLen {
				e.spans = append(e.spans, crcSpan{off: sp.off - vstart, n: sp.n, crc: sp.crc})
			}
		}
		e.spanVal = e.Value
	}
	if n := len(e.Key); !r.reuse && len(e.Value) > keepKeyAlone && n > 0 && n <= keyEnd && &e.Key[0] == &blk[keyEnd-n] {
		// a caller keeping only the key must not keep a big value alive
		e.Key = append([]byte(nil), e.Key...)
	}
	return e, nil
}

// askSkip calls the SkipValueIf function on e, whose key (the record's
// bytes keyOff:keyEnd) has just been read. A key that does not decode is
// not skipped: the whole read reports it as it would without the option.
func (r *Reader) askSkip(e *Entry, keyOff, keyEnd int) bool {
	var rec []byte
	if len(r.capBuf) == 0 {
		rec = r.buf[r.capStart:r.r]
	} else {
		rec = r.peekCapture()
	}
	if r.capOver || keyEnd > len(rec) {
		return false
	}
	key, n, err := rdrString(rec[keyOff:keyEnd])
	if err != nil || n != keyEnd-keyOff {
		return false
	}
	e.Key = key[:len(key):len(key)]
	skip := r.skipIf(e)
	e.Key = nil
	return skip
}

func (r *Reader) valueError(err error, key []byte) error {
	var re *Error
	if errors.As(err, &re) {
		if re.Key == nil {
			re.Key = append([]byte{}, key...)
		}
		return re
	}
	if key == nil {
		key = []byte{}
	}
	return &Error{Offset: r.pos(), Key: append([]byte{}, key...), Err: err}
}

// setKey fills the entry's raw prefix, raw key and decoded key from the
// record block.
func (e *Entry) setKey(blk []byte, keyOff, keyEnd int, typeOff int64) error {
	if typeOff > 0 {
		e.prefix = blk[:typeOff:typeOff]
	}
	e.rawKey = blk[keyOff:keyEnd:keyEnd]
	key, _, err := rdrString(e.rawKey)
	if err != nil {
		return err
	}
	e.Key = key[:len(key):len(key)]
	return nil
}

// typeKnown reports whether t is a value type byte this package reads.
func typeKnown(t byte) bool {
	return t <= TypeModule2 || (t >= TypeHashZipmap && t <= TypeHashListpackEx)
}

// skipValue consumes one value of type t by its structure.
func (r *Reader) skipValue(t byte) error {
	switch t {
	case TypeString, TypeHashZipmap, TypeListZiplist, TypeSetIntset, TypeZSetZiplist,
		TypeHashZiplist, TypeHashListpack, TypeZSetListpack, TypeSetListpack,
		TypeHashListpackExPreGA:
		return r.skipString("value")
	case TypeList, TypeSet:
		return r.skipStrings("element count", "element")
	case TypeHash:
		return r.skipStrings("field count", "field", "field value")
	case TypeZSet:
		n, err := r.readCount("member count")
		if err != nil {
			return err
		}
		for i := uint64(0); i < n; i++ {
			if err := r.skipString("member"); err != nil {
				return err
			}
			b, err := r.readByte()
			if err != nil {
				return err
			}
			if b < 253 {
				if err := r.skipSpan(uint64(b), "score"); err != nil {
					return err
				}
			}
		}
		return nil
	case TypeZSet2:
		n, err := r.readCount("member count")
		if err != nil {
			return err
		}
		for i := uint64(0); i < n; i++ {
			if err := r.skipString("member"); err != nil {
				return err
			}
			if err := r.skip(8); err != nil {
				return err
			}
		}
		return nil
	case TypeModule2:
		return r.skipModuleValue()
	case TypeListQuicklist:
		return r.skipStrings("quicklist node count", "quicklist node")
	case TypeListQuicklist2:
		n, err := r.readCount("quicklist node count")
		if err != nil {
			return err
		}
		for i := uint64(0); i < n; i++ {
			c, err := r.readCount("quicklist container")
			if err != nil {
				return err
			}
			if c != quicklistNodePlain && c != quicklistNodePacked {
				return fmt.Errorf("%w: quicklist node container %d (want 1 or 2)", ErrCorrupt, c)
			}
			if err := r.skipString("quicklist node"); err != nil {
				return err
			}
		}
		return nil
	case TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3:
		return r.skipStream(t)
	case TypeHashMetadataPreGA:
		if r.valkey {
			// Valkey's RDB_TYPE_HASH_2: count, then field, value, 8-byte expiry
			n, err := r.readCount("field count")
			if err != nil {
				return err
			}
			for i := uint64(0); i < n; i++ {
				if err := r.skipString("field"); err != nil {
					return err
				}
				if err := r.skipString("field value"); err != nil {
					return err
				}
				if err := r.skip(8); err != nil {
					return err
				}
			}
			return nil
		}
		return r.skipHashTTL()
	case TypeHashMetadata:
		if err := r.skip(8); err != nil { // minimum field expiry
			return err
		}
		return r.skipHashTTL()
	case TypeHashListpackEx:
		if err := r.skip(8); err != nil { // minimum field expiry
			return err
		}
		return r.skipString("value")
	case TypeModule:
		return fmt.Errorf("%w 6: pre-release module value cannot be skipped", ErrUnknownType)
	}
	return fmt.Errorf("%w %d", ErrUnknownType, t)
}

// skipStrings reads a count, then skips that many groups of strings, one
// string per name (the names only label errors).
func (r *Reader) skipStrings(countWhat string, names ...string) error {
	n, err := r.readCount(countWhat)
	if err != nil {
		return err
	}
	for i := uint64(0); i < n; i++ {
		for _, name := range names {
			if err := r.skipString(name); err != nil {
				return err
			}
		}
	}
	return nil
}

// skipHashTTL skips count, then per field: TTL (length), field, value.
func (r *Reader) skipHashTTL() error {
	n, err := r.readCount("field count")
	if err != nil {
		return err
	}
	for i := uint64(0); i < n; i++ {
		if _, err := r.readCount("field TTL"); err != nil {
			return err
		}
		if err := r.skipString("field"); err != nil {
			return err
		}
		if err := r.skipString("field value"); err != nil {
			return err
		}
	}
	return nil
}

// skipStream skips a stream value (types 15, 19, 21).
func (r *Reader) skipStream(t byte) error {
	if err := r.skipStrings("stream listpack count", "stream node key", "stream listpack"); err != nil {
		return err
	}
	nums := 3 // length, last id ms, seq
	if t >= TypeStreamListpacks2 {
		nums += 5 // first id, max deleted id, entries added
	}
	for i := 0; i < nums; i++ {
		if _, err := r.readCount("stream metadata"); err != nil {
			return err
		}
	}
	groups, err := r.readCount("stream group count")
	if err != nil {
		return err
	}
	for g := uint64(0); g < groups; g++ {
		if err := r.skipString("stream group name"); err != nil {
			return err
		}
		nums := 2
		if t >= TypeStreamListpacks2 {
			nums++ // entries read
		}
		for i := 0; i < nums; i++ {
			if _, err := r.readCount("stream group metadata"); err != nil {
				return err
			}
		}
		pel, err := r.readCount("stream group PEL size")
		if err != nil {
			return err
		}
		for i := uint64(0); i < pel; i++ {
			if err := r.skip(16 + 8); err != nil { // id, delivery time
				return err
			}
			if _, err := r.readCount("stream PEL delivery count"); err != nil {
				return err
			}
		}
		consumers, err := r.readCount("stream consumer count")
		if err != nil {
			return err
		}
		for c := uint64(0); c < consumers; c++ {
			if err := r.skipString("stream consumer name"); err != nil {
				return err
			}
			times := uint64(8) // seen time
			if t >= TypeStreamListpacks3 {
				times += 8 // active time
			}
			if err := r.skip(times); err != nil {
				return err
			}
			pel, err := r.readCount("stream consumer PEL size")
			if err != nil {
				return err
			}
			if rem := r.remaining(); pel > maxStringLen/16 || (rem >= 0 && pel > uint64(rem)/16) {
				return fmt.Errorf("%w: consumer PEL of %d entries runs past the end of the input (%w)", ErrLength, pel, ErrTruncated)
			}
			if err := r.skip(16 * pel); err != nil {
				return err
			}
		}
	}
	return nil
}

// ---- parsing strings from a byte slice (records already captured) ----

// rdrLen parses a length encoding at the start of p.
func rdrLen(p []byte) (v uint64, enc bool, n int, err error) {
	if len(p) < 1 {
		return 0, false, 0, ErrTruncated
	}
	b := p[0]
	switch b >> 6 {
	case len6Bit:
		return uint64(b & 0x3f), false, 1, nil
	case len14Bit:
		if len(p) < 2 {
			return 0, false, 0, ErrTruncated
		}
		return uint64(b&0x3f)<<8 | uint64(p[1]), false, 2, nil
	case lenEncVal:
		return uint64(b & 0x3f), true, 1, nil
	}
	switch b {
	case len32Bit:
		if len(p) < 5 {
			return 0, false, 0, ErrTruncated
		}
		return uint64(binary.BigEndian.Uint32(p[1:])), false, 5, nil
	case len64Bit:
		if len(p) < 9 {
			return 0, false, 0, ErrTruncated
		}
		return binary.BigEndian.Uint64(p[1:]), false, 9, nil
	}
	return 0, false, 0, fmt.Errorf("%w: bad length encoding 0x%02x", ErrCorrupt, b)
}

// rdrString decodes the string encoding at the start of p. A plain string
// is returned as a sub-slice of p; integer and LZF strings are new slices.
func rdrString(p []byte) (s []byte, n int, err error) {
	v, enc, n, err := rdrLen(p)
	if err != nil {
		return nil, 0, err
	}
	if !enc {
		if v > uint64(len(p)-n) {
			return nil, 0, fmt.Errorf("%w: string of %d bytes, %d left", ErrLength, v, len(p)-n)
		}
		end := n + int(v)
		return p[n:end:end], end, nil
	}
	switch v {
	case encInt8:
		if len(p) < n+1 {
			return nil, 0, ErrTruncated
		}
		return strconv.AppendInt(nil, int64(int8(p[n])), 10), n + 1, nil
	case encInt16:
		if len(p) < n+2 {
			return nil, 0, ErrTruncated
		}
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(p[n:]))), 10), n + 2, nil
	case encInt32:
		if len(p) < n+4 {
			return nil, 0, ErrTruncated
		}
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(p[n:]))), 10), n + 4, nil
	case encLZF:
		clen, cenc, m, err := rdrLen(p[n:])
		if err != nil {
			return nil, 0, err
		}
		n += m
		ulen, uenc, m, err := rdrLen(p[n:])
		if err != nil {
			return nil, 0, err
		}
		n += m
		if cenc || uenc {
			return nil, 0, fmt.Errorf("%w: LZF lengths", ErrCorrupt)
		}
		if clen > uint64(len(p)-n) {
			return nil, 0, fmt.Errorf("%w: LZF data of %d bytes, %d left", ErrLength, clen, len(p)-n)
		}
		// LZF expands at most about 132 times (a 3-byte back reference
		// copies up to 264 bytes): a larger claim is corrupt, and
		// checking first bounds the allocation by the input.
		if ulen == 0 || ulen > clen*132+64 {
			return nil, 0, fmt.Errorf("%w: LZF string claims %d bytes from %d compressed", ErrCorrupt, ulen, clen)
		}
		if ulen > uint64(maxAlloc) {
			return nil, 0, errTooLarge("LZF string", ulen)
		}
		out := make([]byte, ulen)
		if err := lzfDecompress(p[n:n+int(clen)], out); err != nil {
			return nil, 0, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		return out, n + int(clen), nil
	}
	return nil, 0, fmt.Errorf("%w: unknown string encoding %d", ErrCorrupt, v)
}

// pastIfNegative maps a stored expiry before 1970 (a negative number, which
// Redis takes as a time long past and drops the key on load) to 0, the
// earliest expiry an Entry holds: a negative ExpireMs would read as "no
// expiry". The bytes as read are kept for an unchanged rewrite. Not for
// -1 in the 8-byte ms form, which Redis reads as no expiry at all.
func pastIfNegative(ms int64) int64 {
	if ms < 0 {
		return 0
	}
	return ms
}
