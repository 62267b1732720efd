package live

import (
	"io"
	"sync"
)

// drainer reads a replication stream as fast as it comes, in a goroutine of
// its own, like redis-cli --rdb does: a server sending a diskless RDB waits
// whenever its replica's socket is full, so parsing must never hold up the
// socket. Up to drainChunks chunks wait for the parser (bounded memory). When
// tee is set, every chunk is written there as it arrives.
type drainer struct {
	ch   chan []byte
	free chan []byte
	quit chan struct{}
	done chan struct{}
	rmu  sync.Mutex // Read: the rdb.Reader may read from a goroutine of its own
	cur  []byte     // unread part of the chunk being consumed
	buf  []byte     // the chunk being consumed, to recycle
	err  error      // the source's error (io.EOF at the end); read after ch closes

	mu   sync.Mutex
	werr error // the tee's error
	once sync.Once
}

const (
	drainChunk  = 256 << 10
	drainChunks = 64
)

func newDrainer(src io.Reader, tee io.Writer) *drainer {
	d := &drainer{ch: make(chan []byte, drainChunks), free: make(chan []byte, drainChunks+1),
		quit: make(chan struct{}), done: make(chan struct{})}
	for i := 0; i < drainChunks+1; i++ {
		d.free <- nil
	}
	go d.run(src, tee)
	return d
}

func (d *drainer) run(src io.Reader, tee io.Writer) {
	defer close(d.done)
	defer close(d.ch)
	for {
		var buf []byte
		select {
		case buf = <-d.free:
		case <-d.quit:
			d.err = io.ErrClosedPipe
			return
		}
		if buf == nil {
			buf = make([]byte, drainChunk)
		}
		n, err := src.Read(buf[:cap(buf)])
		if n > 0 && tee != nil {
			if _, werr := tee.Write(buf[:n]); werr != nil {
				d.mu.Lock()
				d.werr = werr
				d.mu.Unlock()
				d.err = werr
				return
			}
		}
		if n > 0 {
			select {
			case d.ch <- buf[:n]:
			case <-d.quit:
				d.err = io.ErrClosedPipe
				return
			}
		} else {
			d.free <- buf
		}
		if err != nil {
			d.err = err
			return
		}
	}
}

// Read hands on the drained bytes; at the end, the source's error.
func (d *drainer) Read(p []byte) (int, error) {
	d.rmu.Lock()
	defer d.rmu.Unlock()
	for len(d.cur) == 0 {
		if d.buf != nil {
			d.free <- d.buf
			d.buf = nil
		}
		b, ok := <-d.ch
		if !ok {
			return 0, d.err
		}
		d.cur, d.buf = b, b
	}
	n := copy(p, d.cur)
	d.cur = d.cur[n:]
	return n, nil
}

// writeErr is the tee's error, if any.
func (d *drainer) writeErr() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.werr
}

// stop ends the goroutine (the source must also be unblocked, by closing
// it) and waits for it: after stop, the tee is no longer written.
func (d *drainer) stop() {
	d.once.Do(func() { close(d.quit) })
	<-d.done
}
