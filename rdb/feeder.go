package rdb

import (
	"errors"
	"io"
	"os"
	"runtime"
	"sync"
)

// Large inputs are read and checksummed by a background goroutine (the
// feeder) while Next parses: on two cores the CRC-64 then costs no wall time.
// The feeder reads fixed chunks; the parser copies them into its buffer and
// keeps the chunks it may still need for the final checksum.

const (
	feedChunkSize = 1 << 20
	// feedChunks bounds the read-ahead (chunks waiting for the parser).
	feedChunks = 4
	// feedBuffers bounds the chunk buffers in use: the read-ahead plus those
	// the parser holds (its buffer's bytes and the one for the checksum).
	// A parser needing 16 more bytes may hold 16 one-byte chunks and want 16
	// more, so this must exceed 2*16 + feedChunks.
	feedBuffers = 40
	// feedMinInput is the smallest input (when its size is known) read
	// through the feeder; smaller inputs are read synchronously.
	feedMinInput = 4 << 20
	// feedDirectMin is the smallest span skipped or captured straight from
	// the feeder's chunks, bypassing the parse buffer.
	feedDirectMin = 64 << 10
)

// feedBuf is a chunk buffer with its checkpoint slice, for reuse.
type feedBuf struct {
	data []byte
	subs []uint64
}

type feedChunk struct {
	data  []byte
	start int64    // input offset of data[0]
	crc   uint64   // CRC-64 of every input byte before data
	err   error    // the source's error after data (io.EOF at the end)
	subs  []uint64 // subs[j]: CRC-64 of the input before data[j*feedSub:]
}

// feedSub is the spacing of the checkpoints the feeder keeps inside a
// chunk, so the CRC at any offset costs at most this many bytes of hashing.
const feedSubShift = 16
const feedSub = 1 << feedSubShift

type feeder struct {
	out      chan feedChunk
	free     chan feedBuf
	quit     chan struct{}
	stopOnce sync.Once
}

func (f *feeder) stop() { f.stopOnce.Do(func() { close(f.quit) }) }

// startFeeder starts reading src in the background. The returned feeder is
// stopped by r's finish or error, or when r becomes unreachable.
func (r *Reader) startFeeder() {
	f := &feeder{
		out:  make(chan feedChunk, feedChunks),
		free: make(chan feedBuf, feedBuffers),
		quit: make(chan struct{}),
	}
	size := r.feedChunk
	if size <= 0 {
		size = feedChunkSize
	}
	// a source of unknown size may be a pipe or a socket: hand on what each
	// Read returns instead of waiting for a full chunk
	src := r.src
	if ra, at, ok := readerAtOf(r.src); ok && r.left >= 0 {
		// read with ReadAt: the source's own offset is never moved, so a
		// caller reusing it (Seek, another Reader) races with nothing
		src = &atReader{ra: ra, off: at}
	}
	go feedLoop(src, f, size, r.left < 0)
	runtime.AddCleanup(r, func(f *feeder) { f.stop() }, f)
	r.feed = f
}

func feedLoop(src io.Reader, f *feeder, size int, eager bool) {
	var crc uint64
	var off int64
	want := size // chunk size: grows from 64 KiB for sources of unknown size
	if eager && want > 64<<10 {
		want = 64 << 10
	}
	allocated := 0
	for {
		// reuse a buffer the parser gave back; allocate only when none is
		// free, up to feedBuffers
		var fb feedBuf
		select {
		case fb = <-f.free:
		default:
			if allocated < feedBuffers {
				allocated++
				break
			}
			select {
			case fb = <-f.free:
			case <-f.quit:
				return
			}
		}
		buf := fb.data
		if cap(buf) < want {
			buf = make([]byte, want)
		}
		buf = buf[:cap(buf)]
		n, zero := 0, 0
		var err error
		for n < len(buf) && err == nil && (n == 0 || !eager) {
			var m int
			m, err = src.Read(buf[n:])
			if m < 0 || m > len(buf)-n {
				m, err = 0, errors.New("rdb: source returned an invalid count")
			}
			n += m
			if m == 0 && err == nil {
				if zero++; zero > 100 {
					err = io.ErrNoProgress
				}
			}
		}
		if n == len(buf) && want < size {
			want *= 2
		}
		c := feedChunk{data: buf[:n], start: off, crc: crc, err: err}
		// the checkpoints' slice comes back with the buffer: once the
		// buffers exist the feeder allocates nothing (no garbage to collect)
		c.subs = fb.subs[:0]
		for i := 0; i < n || i == 0; i += feedSub {
			c.subs = append(c.subs, crc)
			crc = CRC64(crc, buf[i:min(i+feedSub, n)])
		}
		off += int64(n)
		select {
		case f.out <- c:
		case <-f.quit:
			return
		}
		if err != nil {
			return
		}
	}
}

// feedRead copies input from the feeder into p, like io.Reader.Read.
func (r *Reader) feedRead(p []byte) (int, error) {
	if len(r.pend) == 0 {
		if r.feedErr != nil {
			return 0, r.feedErr
		}
		c := <-r.feed.out
		r.held = append(r.held, c)
		r.pend = c.data
		r.feedErr = c.err
		if len(c.data) == 0 {
			return 0, c.err
		}
	}
	n := copy(p, r.pend)
	r.pend = r.pend[n:]
	if len(r.pend) == 0 && r.feedErr != nil {
		return n, r.feedErr
	}
	return n, nil
}

// feedRelease gives back the chunks wholly before the buffer's start.
func (r *Reader) feedRelease() {
	i := 0
	for i < len(r.held)-1 && r.held[i].start+int64(len(r.held[i].data)) <= r.base {
		select {
		case r.feed.free <- feedBuf{r.held[i].data, r.held[i].subs}:
		default:
		}
		i++
	}
	if i > 0 {
		r.held = append(r.held[:0], r.held[i:]...)
	}
}

// feedCRC returns the CRC-64 of the input before offset p (p > 0, within
// the held chunks).
func (r *Reader) feedCRC(p int64) (uint64, bool) {
	found := -1
	for i, c := range r.held {
		end := c.start + int64(len(c.data))
		if c.start <= p && p < end {
			found = i
			break
		}
		if c.start < p && p == end {
			found = i // the bytes up to p end this chunk; keep looking for one starting at p
		}
	}
	if found < 0 {
		return 0, false
	}
	c := r.held[found]
	off := int(p - c.start)
	j := off >> feedSubShift
	if j >= len(c.subs) {
		j = len(c.subs) - 1
	}
	return CRC64(c.subs[j], c.data[j<<feedSubShift:off]), true
}

// skipDirect consumes up to n bytes straight from the feeder's chunks (the
// parse buffer being empty), appending them to the capture when capturing.
// It returns how many bytes are left to consume; it stops early at the end
// of the input, leaving the error to fill.
func (r *Reader) skipDirect(n uint64) uint64 {
	r.compact() // buf is fully consumed: fold it into the capture, empty it
	for n > 0 {
		if len(r.pend) == 0 {
			if r.feedErr != nil {
				if r.srcErr == nil {
					r.srcErr = r.feedErr
				}
				return n
			}
			c := <-r.feed.out
			r.held = append(r.held, c)
			r.pend = c.data
			r.feedErr = c.err
			continue
		}
		k := len(r.pend)
		if uint64(k) > n {
			k = int(n)
		}
		if r.capturing {
			r.capAppend(r.pend[:k])
		}
		r.pend = r.pend[k:]
		r.base += int64(k)
		n -= uint64(k)
		if r.left >= 0 {
			r.left -= int64(k)
			if r.left < 0 {
				r.left = 0
			}
		}
		r.feedRelease()
	}
	return 0
}

// readerAtOf returns src as an io.ReaderAt and the offset src is at, when
// src is a file or an in-memory reader.
func readerAtOf(src io.Reader) (io.ReaderAt, int64, bool) {
	switch s := src.(type) {
	case *os.File:
		cur, err := s.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, 0, false
		}
		return s, cur, true
	case interface {
		io.ReaderAt
		Size() int64
		Len() int
	}: // *bytes.Reader, *strings.Reader
		return s, s.Size() - int64(s.Len()), true
	}
	return nil, 0, false
}

// atReader reads an io.ReaderAt sequentially from an offset of its own.
type atReader struct {
	ra  io.ReaderAt
	off int64
}

func (a *atReader) Read(p []byte) (int, error) {
	n, err := a.ra.ReadAt(p, a.off)
	a.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil // reported by the next call, as Read does
	}
	return n, err
}
