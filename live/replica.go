package live

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// markLen is the length of the diskless transfer's end mark ($EOF:<mark>).
const markLen = 40

// idleTimeout bounds the wait for the next bytes of a transfer; the server
// sends a newline every second while it prepares the RDB, so only a dead
// server stays silent this long.
const idleTimeout = 60 * time.Second

// SyncStream is the RDB of a full resynchronisation, read straight off a
// replication connection: Read returns the RDB bytes only (not the bulk
// length, not the end mark) and io.EOF at their end. Close closes the
// connection. The server is never sent anything but the handshake.
type SyncStream struct {
	conn   net.Conn
	br     *bufio.Reader
	opts   *redis.Options
	stop   func() bool // unregisters the context watcher
	body   io.Reader
	readMu sync.Mutex   // rdb.Reader may read from a goroutine of its own while Finish drains
	n      atomic.Int64 // RDB bytes returned so far
	size   int64        // -1 for the diskless (EOF-mark) form
	closed bool
}

// OpenSync connects to the server as a replica (REPLCONF capa eof/psync2,
// PSYNC ? -1, falling back to SYNC) and returns the RDB stream it sends.
func OpenSync(ctx context.Context, o *redis.Options) (*SyncStream, error) {
	conn, err := dialRaw(ctx, o)
	if err != nil {
		return nil, serverErr(o, "connect", nil, tlsHint(o, err))
	}
	s := &SyncStream{conn: conn, br: bufio.NewReaderSize(conn, 256<<10), opts: o}
	s.stop = context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	if err := s.handshake(); err != nil {
		s.Close()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, serverErr(o, "sync", nil, tlsHint(o, err))
	}
	return s, nil
}

func dialRaw(ctx context.Context, o *redis.Options) (net.Conn, error) {
	timeout := o.DialTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	network := o.Network
	if network == "" {
		network = "tcp"
	}
	if o.TLSConfig != nil {
		td := &tls.Dialer{NetDialer: d, Config: o.TLSConfig}
		return td.DialContext(ctx, network, o.Addr)
	}
	return d.DialContext(ctx, network, o.Addr)
}

func (s *SyncStream) send(args ...string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	s.conn.SetWriteDeadline(time.Now().Add(idleTimeout))
	_, err := s.conn.Write(b.Bytes())
	return err
}

// line reads one reply line, skipping the bare newlines the server sends as
// keepalives while it prepares the RDB.
func (s *SyncStream) line() (string, error) {
	for {
		s.conn.SetReadDeadline(time.Now().Add(idleTimeout))
		l, err := s.br.ReadString('\n')
		if err != nil {
			if err == io.EOF {
				err = errClosedByServer
			}
			return "", err
		}
		l = strings.TrimRight(l, "\r\n")
		if l != "" {
			return l, nil
		}
	}
}

// simple sends a command and returns its status reply, or the server's error.
func (s *SyncStream) simple(args ...string) (string, error) {
	if err := s.send(args...); err != nil {
		return "", err
	}
	l, err := s.line()
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(l, "-") {
		return "", redisError(l[1:])
	}
	return l, nil
}

type redisError string

func (e redisError) Error() string { return string(e) }

func (s *SyncStream) handshake() error {
	if s.opts.Password != "" {
		args := []string{"AUTH", s.opts.Password}
		if s.opts.Username != "" {
			args = []string{"AUTH", s.opts.Username, s.opts.Password}
		}
		if _, err := s.simple(args...); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}
	// An old server answers an error to capabilities it lacks; the RDB
	// still comes. rdb-only (Redis >= 7.0): the server sends the RDB and no
	// replication stream, and keeps no backlog for us. A failed connection
	// is not such an answer: it is reported here, where it happened.
	for _, args := range [][]string{{"REPLCONF", "capa", "eof", "capa", "psync2"}, {"REPLCONF", "rdb-only", "1"}} {
		var rerr redisError
		if _, err := s.simple(args...); err != nil && !errors.As(err, &rerr) {
			return fmt.Errorf("REPLCONF: %w", err)
		}
	}
	reply, err := s.simple("PSYNC", "?", "-1")
	if err != nil && strings.Contains(strings.ToLower(err.Error()), "unknown command") {
		if err := s.send("SYNC"); err != nil {
			return err
		}
	} else if err != nil {
		return fmt.Errorf("PSYNC: %w", err)
	} else if !strings.HasPrefix(reply, "+FULLRESYNC") {
		return fmt.Errorf("PSYNC: unexpected reply %q", reply)
	}
	l, err := s.line()
	if err != nil {
		return fmt.Errorf("waiting for the RDB: %w", err)
	}
	switch {
	case strings.HasPrefix(l, "-"):
		return fmt.Errorf("waiting for the RDB: %w", redisError(l[1:]))
	case strings.HasPrefix(l, "$EOF:"):
		mark := []byte(l[5:])
		if len(mark) != markLen {
			return fmt.Errorf("bad end mark in %q", l)
		}
		s.size = -1
		s.body = &markReader{src: s.direct(), conn: s.conn, mark: mark}
	case strings.HasPrefix(l, "$"):
		n, err := strconv.ParseInt(l[1:], 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("bad bulk length in %q", l)
		}
		s.size = n
		s.body = &sizedReader{src: s.direct(), conn: s.conn, left: n}
	default:
		return fmt.Errorf("unexpected reply %q while waiting for the RDB", l)
	}
	return nil
}

// Read returns RDB bytes; io.EOF at the end of the transfer.
func (s *SyncStream) Read(p []byte) (int, error) {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	n, err := s.body.Read(p)
	total := s.n.Add(int64(n))
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w (after %d bytes of RDB)", err, total)
	}
	return n, err
}

// Size is the announced RDB size, or -1 for a diskless transfer.
func (s *SyncStream) Size() int64 { return s.size }

// Received is the number of RDB bytes read so far.
func (s *SyncStream) Received() int64 { return s.n.Load() }

// Close closes the replication connection.
func (s *SyncStream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.stop != nil {
		s.stop()
	}
	return s.conn.Close()
}

// direct returns the rest of the connection as a reader that reads straight
// into the caller's buffer: the bytes bufio already holds, then the socket.
func (s *SyncStream) direct() io.Reader {
	held, _ := s.br.Peek(s.br.Buffered())
	return io.MultiReader(bytes.NewReader(held), s.conn)
}

// sizedReader reads the $<len> form: exactly left bytes.
type sizedReader struct {
	src  io.Reader
	conn net.Conn
	left int64
}

func (r *sizedReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	r.conn.SetReadDeadline(time.Now().Add(idleTimeout))
	n, err := r.src.Read(p)
	r.left -= int64(n)
	if err == io.EOF {
		if r.left > 0 {
			return n, fmt.Errorf("connection closed with %d bytes of the RDB still to come", r.left)
		}
		err = nil
	}
	return n, err
}

// markReader reads the diskless form: bytes up to the 40-byte end mark.
// It reads into the caller's buffer and holds back the last markLen bytes
// it has seen (in tail) until it knows they are not the mark.
type markReader struct {
	src     io.Reader
	conn    net.Conn
	mark    []byte
	tail    []byte // held back: at most markLen bytes
	rest    []byte // bytes before the mark still to return (after a small read)
	scratch []byte // for reads too small to hold the tail and more
	done    bool
}

func (m *markReader) Read(p []byte) (int, error) {
	if len(m.rest) > 0 {
		n := copy(p, m.rest)
		m.rest = m.rest[n:]
		return n, nil
	}
	if m.done {
		return 0, io.EOF
	}
	if len(p) < 4*markLen {
		if m.scratch == nil {
			m.scratch = make([]byte, 64<<10)
		}
		n, err := m.fill(m.scratch)
		m.rest = m.scratch[:n]
		if n > 0 {
			k := copy(p, m.rest)
			m.rest = m.rest[k:]
			return k, nil
		}
		return 0, err
	}
	return m.fill(p)
}

// fill reads into p (len(p) > 2*markLen): the held-back tail first, then
// the socket; it returns the bytes known to precede the mark.
func (m *markReader) fill(p []byte) (int, error) {
	for {
		k := copy(p, m.tail)
		m.conn.SetReadDeadline(time.Now().Add(idleTimeout))
		n, err := m.src.Read(p[k:])
		total := k + n
		// The server sends nothing after the mark until the replica
		// acknowledges, so the mark can only end what has arrived (Redis's
		// own replica checks the same way).
		if bytes.HasSuffix(p[:total], m.mark) {
			m.done, m.tail = true, nil
			if i := total - markLen; i > 0 {
				return i, nil
			}
			return 0, io.EOF
		}
		if err != nil {
			if err == io.EOF {
				err = errors.New("connection closed before the end of the RDB")
			}
			return 0, err
		}
		if total <= markLen {
			m.tail = append(m.tail[:0], p[:total]...)
			continue
		}
		m.tail = append(m.tail[:0], p[total-markLen:total]...)
		return total - markLen, nil
	}
}
