package live

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rdbtool/rdbtool/rdb"
	"github.com/redis/go-redis/v9"
)

// A restoreConn hands the reader the commands in flight in groups of
// sentGroup (one channel operation per group, not per key); at most
// maxInFlight commands are sent and not yet answered (their key names are
// kept to report each reply).
const (
	sentGroup   = 256
	maxInFlight = 16384
)

// restoreConn streams RESTOREs to one server without waiting for replies:
// commands are encoded straight into the connection's buffer, payload and
// checksum included, and a reader goroutine matches the replies to them in
// order. The server never idles for a round trip, and nothing but key names
// is kept per command.
type restoreConn struct {
	o       *redis.Options
	ctx     context.Context
	conn    net.Conn
	waiting atomic.Int64 // unix ns since when the writer, all sent, waits for replies (0: it does not)

	// the reader's (and AUTH's) read deadline: lines read, and when it was set at lines armedAt
	lines, armedAt int64
	armedTime      time.Time
	bw             *bufio.Writer
	br             *bufio.Reader
	pending        chan []sent
	cur            []sent     // the group being filled
	db             int        // the database selected, -1 before the first SELECT
	chosen         chan error // the reply to the last SELECT, handed by the reader
	stop           func() bool
	reply          func(s sent, errReply string) error // called by the reader; an error ends the load
	wg             sync.WaitGroup

	mu      sync.Mutex
	readErr error // why the reader stopped early
	unsent  int64 // commands whose replies never came (set by the reader)
}

// restoreIdle bounds the wait for a reply, or for the server to take more
// of the commands, while commands are in flight.
var restoreIdle = idleTimeout

// sent is one command in flight.
type sent struct {
	key     []byte // nil for SELECT
	select_ bool
	db      int // SELECT's database, or RESTORE's
}

func openRestoreConn(ctx context.Context, o *redis.Options, reply func(sent, string) error) (*restoreConn, error) {
	conn, err := dialRaw(ctx, o)
	if err != nil {
		return nil, serverErr(o, "connect", nil, tlsHint(o, err))
	}
	c := &restoreConn{o: o, ctx: ctx, conn: conn, br: bufio.NewReaderSize(conn, 64<<10),
		pending: make(chan []sent, maxInFlight/sentGroup), db: -1, chosen: make(chan error, 1), reply: reply}
	c.bw = bufio.NewWriterSize(timedWriter{c}, 256<<10)
	c.stop = context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	if o.Password != "" {
		args := []string{"AUTH", o.Password}
		if o.Username != "" {
			args = []string{"AUTH", o.Username, o.Password}
		}
		c.command(args...)
		if err := c.bw.Flush(); err != nil {
			c.close()
			return nil, serverErr(o, "AUTH", nil, tlsHint(o, err))
		}
		c.wait(true)
		b, err := c.readLine()
		c.wait(false)
		line := string(b)
		if err == nil && strings.HasPrefix(line, "-") {
			err = redisError(strings.TrimSpace(line[1:]))
		}
		if err != nil {
			c.close()
			return nil, serverErr(o, "AUTH", nil, tlsHint(o, err))
		}
	}
	c.wg.Add(1)
	go c.readReplies()
	return c, nil
}

// deadline sets the connection's read or write deadline restoreIdle from
// now, unless the load was cancelled (its deadline in the past must stay).
func (c *restoreConn) deadline(set func(time.Time) error) {
	set(time.Now().Add(restoreIdle))
	if c.ctx.Err() != nil {
		set(time.Unix(1, 0))
	}
}

// timedWriter is the connection as the command buffer writes it: a server
// that takes no bytes for restoreIdle fails the write.
type timedWriter struct{ c *restoreConn }

func (w timedWriter) Write(p []byte) (int, error) {
	w.c.deadline(w.c.conn.SetWriteDeadline)
	n, err := w.c.conn.Write(p)
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() && w.c.ctx.Err() == nil {
		err = &stalled{fmt.Errorf("the server took no data for %v: it stopped answering (%w)", restoreIdle, err)}
	}
	return n, err
}

// stalled is a server that stopped reading (a write timed out) or
// answering (readLine gave up waiting for a reply).
type stalled struct{ error }

func (s *stalled) Unwrap() error { return s.error }

// wait marks the writer as waiting for replies with every command sent
// (on), or as back at work: only then can a silent server be told from
// replies that wait for commands still in the buffer.
func (c *restoreConn) wait(on bool) {
	if on {
		c.waiting.Store(time.Now().UnixNano())
	} else {
		c.waiting.Store(0)
	}
}

// rearmEvery is how many replies go by between two settings of the read
// deadline (setting it costs more than reading a reply).
const rearmEvery = 1024

// arm sets the read deadline restoreIdle from now.
func (c *restoreConn) arm() {
	c.armedAt, c.armedTime = c.lines, time.Now()
	c.deadline(c.conn.SetReadDeadline)
}

// readLine reads one reply line (the reader's, or AUTH's before it runs).
// It gives up when no reply came for restoreIdle while the writer, all
// sent, waited for one that long: a silent server is found within 2 ×
// restoreIdle.
func (c *restoreConn) readLine() ([]byte, error) {
	var acc []byte
	if c.lines-c.armedAt >= rearmEvery || c.armedTime.IsZero() {
		c.arm()
	}
	for {
		line, err := c.br.ReadSlice('\n')
		if err == nil {
			c.lines++
			if acc != nil {
				return append(acc, line...), nil
			}
			return line, nil
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || c.ctx.Err() != nil {
			return nil, err
		}
		w := c.waiting.Load()
		if c.lines == c.armedAt && w != 0 && time.Since(time.Unix(0, w)) >= restoreIdle {
			return nil, &stalled{fmt.Errorf("no reply for %v: the server stopped answering (%w)", time.Since(c.armedTime).Round(time.Millisecond), err)}
		}
		acc = append(acc, line...) // a reply cut by the deadline
		c.arm()                    // replies came since the last setting, or the writer was busy
	}
}

func (c *restoreConn) command(args ...string) {
	c.bw.WriteString("*")
	c.bw.WriteString(strconv.Itoa(len(args)))
	c.bw.WriteString("\r\n")
	for _, a := range args {
		c.bulkHeader(len(a))
		c.bw.WriteString(a)
		c.bw.WriteString("\r\n")
	}
}

func (c *restoreConn) bulkHeader(n int) {
	var buf [24]byte
	b := append(buf[:0], '$')
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, '\r', '\n')
	c.bw.Write(b)
}

func (c *restoreConn) bulk(p []byte) {
	c.bulkHeader(len(p))
	c.bw.Write(p)
	c.bw.WriteString("\r\n")
}

// enqueue records a command in flight. The reader waits for a group's
// replies only once the group is handed over; when the queue is full the
// buffer is flushed first, so that the reader can make room.
func (c *restoreConn) enqueue(s sent) error {
	c.cur = append(c.cur, s)
	if len(c.cur) < sentGroup {
		return nil
	}
	return c.handOver()
}

func (c *restoreConn) handOver() error {
	if len(c.cur) == 0 {
		return nil
	}
	g := c.cur
	c.cur = make([]sent, 0, sentGroup)
	select {
	case c.pending <- g:
		return nil
	default:
	}
	if err := c.bw.Flush(); err != nil {
		return err
	}
	c.wait(true)
	c.pending <- g
	c.wait(false)
	return nil
}

// selectDB sends SELECT and waits for its reply. A server executes what
// follows a refused SELECT (a database over its `databases` setting) in the
// database it was on, so no RESTORE may be sent behind a SELECT not yet
// accepted. It costs a round trip per change of database.
func (c *restoreConn) selectDB(db int) error {
	c.command("SELECT", strconv.Itoa(db))
	c.cur = append(c.cur, sent{select_: true, db: db})
	g := c.cur
	c.cur = make([]sent, 0, sentGroup)
	if err := c.bw.Flush(); err != nil {
		return err
	}
	c.wait(true)
	c.pending <- g // the reader is reading: everything it waits for is sent
	err := <-c.chosen
	c.wait(false)
	if err != nil {
		return err
	}
	c.db = db
	return nil
}

// restore sends RESTORE for e: the DUMP payload (type, value, RDB version,
// CRC-64) is written piecewise, never assembled.
func (c *restoreConn) restore(e *rdb.Entry, version int, ttl string, extra []string) error {
	if e.DB != c.db {
		if err := c.selectDB(e.DB); err != nil {
			return err
		}
	}
	c.bw.WriteString("*")
	c.bw.WriteString(strconv.Itoa(4 + len(extra)))
	c.bw.WriteString("\r\n$7\r\nRESTORE\r\n")
	c.bulk(e.Key)
	c.bulkHeader(len(ttl))
	c.bw.WriteString(ttl)
	c.bw.WriteString("\r\n")
	typ := [1]byte{e.Type}
	var tail [10]byte
	binary.LittleEndian.PutUint16(tail[:2], uint16(version))
	crc := rdb.CRC64(0, typ[:])
	crc = rdb.CRC64(crc, e.Value)
	crc = rdb.CRC64(crc, tail[:2])
	binary.LittleEndian.PutUint64(tail[2:], crc)
	c.bulkHeader(1 + len(e.Value) + len(tail))
	c.bw.Write(typ[:])
	c.bw.Write(e.Value)
	c.bw.Write(tail[:])
	c.bw.WriteString("\r\n")
	for _, a := range extra {
		c.bulkHeader(len(a))
		c.bw.WriteString(a)
		c.bw.WriteString("\r\n")
	}
	return c.enqueue(sent{key: e.Key, db: e.DB})
}

// readReplies matches replies to commands until the queue closes or the
// connection fails; then it counts what stayed unanswered.
func (c *restoreConn) readReplies() {
	defer c.wg.Done()
	var failed, lost error // the error to report; set once the connection is given up
	for g := range c.pending {
		for _, s := range g {
			failed, lost = c.replyTo(s, failed, lost)
		}
	}
	if failed == nil && lost != nil {
		failed = serverErr(c.o, "RESTORE", nil, lost)
	}
	c.mu.Lock()
	c.readErr = failed
	c.mu.Unlock()
}

// replyTo reads and accounts the reply to s; once the connection is lost it
// only counts s as unanswered.
func (c *restoreConn) replyTo(s sent, failed, lost error) (error, error) {
	if lost != nil {
		if s.select_ {
			c.chosen <- lost
		} else {
			c.unsent++
			if failed == nil { // name the first key without a reply
				failed = serverErr(c.o, "RESTORE", s.key, lost)
			}
		}
		return failed, lost
	}
	line, err := c.readLine()
	if err != nil {
		if err == io.EOF {
			err = errClosedByServer
		}
		lost = err
		if s.select_ {
			failed = serverErr(c.o, fmt.Sprintf("SELECT %d", s.db), nil, err)
			c.chosen <- failed
		} else {
			c.unsent++
			failed = serverErr(c.o, "RESTORE", s.key, err)
		}
		c.giveUp(lost)
		return failed, lost
	}
	var msg string
	switch line[0] {
	case '+':
	case '-':
		msg = strings.TrimRight(string(line[1:]), "\r\n")
	default:
		msg = "unexpected reply " + strconv.Quote(string(line))
	}
	if s.select_ {
		if msg != "" {
			err := error(redisError(msg))
			if strings.Contains(msg, "out of range") {
				err = fmt.Errorf("%s (the file has keys in database %d, which the target does not have: "+
					"its `databases` setting is lower; drop them with rdbtool prune --db %d)", msg, s.db, s.db)
			}
			failed = serverErr(c.o, fmt.Sprintf("SELECT %d", s.db), nil, err)
			lost = failed
			c.giveUp(lost)
		}
		c.chosen <- failed
		return failed, lost
	}
	if err := c.reply(s, msg); err != nil {
		failed, lost = err, err
		c.giveUp(lost)
	}
	return failed, lost
}

// giveUp closes the connection (which stops the writer) and tells failed
// that the load is over; the reader goes on only to count the unanswered.
func (c *restoreConn) giveUp(err error) {
	c.mu.Lock()
	if c.readErr == nil {
		c.readErr = err
	}
	c.mu.Unlock()
	c.conn.Close()
}

// failed reports the reader's error once it has given up (or nil).
func (c *restoreConn) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readErr
}

// finish sends what is buffered, waits for every reply and returns the
// first failure, with the count of commands never answered.
func (c *restoreConn) finish(writeErr error) (unanswered int64, err error) {
	if writeErr == nil {
		writeErr = c.bw.Flush()
	}
	c.wait(true) // until the last reply
	if len(c.cur) > 0 {
		c.pending <- c.cur // the reader is reading: room comes
		c.cur = nil
	}
	if writeErr != nil {
		c.conn.Close()
	}
	close(c.pending)
	c.wg.Wait()
	c.close()
	err = c.readErr
	var st *stalled
	switch {
	case errors.As(writeErr, &st) && !errors.As(err, &st):
		// the reader saw only the connection closed after the stall, not
		// the stall itself
		err = serverErr(c.o, "RESTORE", nil, writeErr)
	case err == nil && writeErr != nil:
		err = serverErr(c.o, "RESTORE", nil, writeErr)
	}
	return c.unsent, err
}

func (c *restoreConn) close() {
	c.stop()
	c.conn.Close()
}

// restoreTTL gives RESTORE's ttl argument and the options after the payload.
func restoreArgs(e *rdb.Entry, modern, replace bool, now int64) (string, []string) {
	ttl := "0"
	var extra []string
	if e.ExpireMs >= 0 {
		if modern {
			ttl = strconv.FormatInt(e.ExpireMs, 10)
			extra = append(extra, "ABSTTL")
		} else {
			ttl = strconv.FormatInt(e.ExpireMs-now, 10)
		}
	}
	if replace {
		extra = append(extra, "REPLACE")
	}
	// a server takes IDLETIME or FREQ, not both; old servers neither
	if modern && e.Idle >= 0 {
		extra = append(extra, "IDLETIME", strconv.FormatInt(e.Idle, 10))
	} else if modern && e.Freq >= 0 {
		extra = append(extra, "FREQ", strconv.Itoa(e.Freq))
	}
	return ttl, extra
}
