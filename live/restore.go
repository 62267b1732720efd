package live

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rdbtool/rdbtool/filter"
	"github.com/rdbtool/rdbtool/rdb"
	"github.com/redis/go-redis/v9"
)

// LoadOptions choose how a dump goes into a server.
type LoadOptions struct {
	// Replace overwrites keys and function libraries already present;
	// without it they are left alone and reported as conflicts.
	Replace bool
	// Flush empties the target (FLUSHALL and FUNCTION FLUSH, on every master
	// of a cluster) before loading. A target that is not on this machine
	// is refused unless Yes is also set.
	Flush bool
	Yes   bool // allow Flush of a target that is not on this machine (see CheckFlush)
	// Cluster routes each key to the master owning its slot (following
	// MOVED and ASK). A cluster has only database 0: keys of other
	// databases are not loaded and counted. A lost connection to a master
	// stops the load (the pipeline is not sent again: its keys without a
	// reply are Unconfirmed). Without Cluster, a cluster node is an error,
	// before anything is flushed or loaded.
	Cluster bool
	// Match loads only keys matching any of these Redis-style globs.
	Match []string

	// For a cluster: BatchKeys and BatchBytes bound one RESTORE pipeline
	// (defaults 512 keys, 8 MiB) and Workers is the number of pipelines in
	// flight (default 4). A single server gets one connection on which
	// RESTOREs stream without waiting for replies.
	BatchKeys  int
	BatchBytes int
	Workers    int
	// Progress, when set, is called now and then with the counts so far
	// (from another goroutine; it must not block).
	Progress func(LoadStats)
}

// maxListed bounds the key names kept for each kind of problem.
const maxListed = 20

// LoadStats counts what a load did.
type LoadStats struct {
	Server          string   `json:"server"`           // host:port (the seed node for a cluster)
	TargetVersion   int      `json:"target_version"`   // newest RDB version the target loads
	FileVersion     int      `json:"file_version"`     // RDB version of the dump's header
	Keys            int64    `json:"keys"`             // restored
	Functions       int      `json:"functions"`        // function libraries loaded
	Conflicts       int64    `json:"conflicts"`        // already present, not replaced
	Unmatched       int64    `json:"unmatched"`        // not matching Match
	Expired         int64    `json:"expired"`          // expiry already past: not loaded, as a server loading the file would drop them
	OtherDB         int64    `json:"other_db"`         // cluster: in a database other than 0
	Converted       int64    `json:"converted"`        // re-encoded for an older target
	Failed          int64    `json:"failed"`           // refused by the server or not convertible
	NotLoaded       int64    `json:"not_loaded"`       // read from the file but never sent, because the load stopped on an error
	Unconfirmed     int64    `json:"unconfirmed"`      // sent when the connection failed, without a reply: each may or may not be on the server
	ConflictKeys    []string `json:"conflict_keys"`    // the first 20 conflicting key names
	ConflictDBs     []int    `json:"conflict_dbs"`     // the database of each of ConflictKeys
	FailedKeys      []string `json:"failed_keys"`      // "key: reason", the first 20
	FunctionsFailed []string `json:"functions_failed"` // one line per library not loaded, with why (conflicts included)
	Warnings        []string `json:"warnings"`         // data dropped while re-encoding for an older target (the first 20)
	WarningsTotal   int64    `json:"warnings_total"`   // all such warnings, listed or not
	Stopped         bool     `json:"stopped"`          // the load stopped on an error: keys after these in the file were not loaded
	// FileError is set when the file ends early or is damaged: what comes
	// after the damage was not loaded (Stopped is set too).
	FileError string `json:"file_error"`
	// Flushed is set once the target was emptied (LoadOptions.Flush). A
	// file that is not an RDB, or is damaged before its first key or
	// library, is refused before anything is flushed.
	Flushed bool `json:"flushed"`
}

// String is the summary rdbtool load prints: counts of what was loaded and
// skipped, then the listed keys and warnings, "... and N more" past them.
func (s LoadStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d keys and %d function libraries loaded into %s", s.Keys, s.Functions, s.Server)
	for _, c := range []struct {
		n    int64
		what string
	}{{s.Conflicts, "already present (conflicts, not replaced)"}, {s.Unmatched, "not matching --match"},
		{s.Expired, "already expired (skipped)"}, {s.OtherDB, "in databases other than 0 (a cluster has only db 0; not loaded)"},
		{s.Converted, "re-encoded for the older target"}, {s.Failed, "NOT loaded (refused or not convertible)"},
		{s.Unconfirmed, "sent but unconfirmed when the load stopped (may or may not be loaded)"},
		{s.NotLoaded, "NOT loaded because the load stopped (nor any key after them in the file)"}} {
		if c.n > 0 {
			fmt.Fprintf(&b, "; %d %s", c.n, c.what)
		}
	}
	if s.FileError != "" {
		b.WriteString("; the file is damaged or ends early: the rest of it was NOT loaded")
	} else if s.Stopped {
		b.WriteString("; the load stopped: keys further in the file were NOT loaded")
	}
	list := func(what string, keys []string, total int64) {
		if len(keys) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s:", what)
		for _, k := range keys {
			fmt.Fprintf(&b, "\n  %s", k)
		}
		if more := total - int64(len(keys)); more > 0 {
			fmt.Fprintf(&b, "\n  ... and %d more", more)
		}
	}
	list("conflicts", withDB(quoteAll(s.ConflictKeys), s.ConflictDBs), s.Conflicts)
	list("keys not loaded", s.FailedKeys, s.Failed)
	list("function libraries not loaded", s.FunctionsFailed, int64(len(s.FunctionsFailed)))
	list("re-encoding dropped", s.Warnings, max(s.WarningsTotal, int64(len(s.Warnings))))
	return b.String()
}

// withDB adds " (db N)" to the names of keys outside database 0.
func withDB(names []string, dbs []int) []string {
	for i := range names {
		if i < len(dbs) && dbs[i] != 0 {
			names[i] += fmt.Sprintf(" (db %d)", dbs[i])
		}
	}
	return names
}

// keyInDB is a quoted key name, with its database when it is not 0.
func keyInDB(key string, db int) string {
	if db != 0 {
		return fmt.Sprintf("%q (db %d)", key, db)
	}
	return strconv.Quote(key)
}

func quoteAll(keys []string) []string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = strconv.Quote(k)
	}
	return q
}

// CheckFlush returns an error when opts.Flush is set for a target that is
// not on this machine (IsLoopback) and opts.Yes is not (--flush without
// --yes). Load calls it, for every master of a cluster too. It connects to
// nothing.
func CheckFlush(o *redis.Options, opts LoadOptions) error {
	if opts.Flush && !opts.Yes && !IsLoopback(o) {
		return fmt.Errorf("refusing to flush %s, which is not on this machine: add --yes to flush it", o.Addr)
	}
	return nil
}

// CheckDB refuses a URL naming a database other than 0 (redis://host/3):
// a load puts each key into the database the file gives it, so /3 would
// be silently ignored. It connects to nothing.
func CheckDB(o *redis.Options) error {
	if o.DB != 0 {
		return fmt.Errorf("the URL of %s names database %d, but a load puts each key into the database the file gives it "+
			"(db 0 for most dumps): remove /%d from the URL", o.Addr, o.DB, o.DB)
	}
	return nil
}

// target is a server or a cluster, seen as a pipeline factory.
type target struct {
	o       *redis.Options
	single  *redis.Client
	cluster *redis.ClusterClient
	unwatch func() bool // stops closing the clients when ctx ends
}

func (t *target) close() {
	if t.unwatch != nil {
		t.unwatch()
	}
	t.closeClients()
}

func (t *target) closeClients() {
	if t.single != nil {
		t.single.Close()
	}
	if t.cluster != nil {
		t.cluster.Close()
	}
}

// nodeOptions are the options of c, a master of the target (or the one
// server), named by the address it is dialled at (clusterNodeAddr), not
// as the cluster reports it (":port" for a node that never met another,
// a loopback address for a remote cluster's node), for its errors.
func (t *target) nodeOptions(c *redis.Client) *redis.Options {
	if t.cluster == nil {
		return c.Options()
	}
	mo := *c.Options()
	mo.Addr = clusterNodeAddr(t.o.Addr, mo.Addr)
	return &mo
}

// each runs fn on every master (or the one server).
func (t *target) each(ctx context.Context, fn func(c *redis.Client) error) error {
	if t.single != nil {
		return fn(t.single)
	}
	return t.cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return fn(c) })
}

func connect(ctx context.Context, o *redis.Options, cluster bool) (*target, error) {
	t := &target{o: o}
	co := clientOptions(o, o.DB)
	if cluster {
		t.cluster = redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: []string{o.Addr}, Username: o.Username, Password: o.Password, TLSConfig: o.TLSConfig,
			DialTimeout: co.DialTimeout, ReadTimeout: co.ReadTimeout, WriteTimeout: co.WriteTimeout,
			Protocol: 2, DisableIdentity: true, MaxRedirects: 8, PoolSize: 8, DialerRetries: co.DialerRetries,
			Dialer: clusterDialer(o),
		})
	} else {
		t.single = redis.NewClient(co)
	}
	// go-redis does not give up a blocking read when ctx is cancelled (it
	// only takes ctx's deadline): a server that stops answering kept a
	// Ctrl-C waiting for the read timeout. Closing the clients ends the
	// reads at once.
	t.unwatch = context.AfterFunc(ctx, t.closeClients)
	masters := 0
	var mu sync.Mutex
	err := t.each(ctx, func(c *redis.Client) error {
		mu.Lock()
		masters++
		mu.Unlock()
		// each master is named by its own address (as dialled), not the seed's
		mo := t.nodeOptions(c)
		return serverErr(mo, "connect", nil, tlsHint(mo, c.Ping(ctx).Err()))
	})
	if err != nil {
		t.close()
		if cluster {
			var le *Error
			if !errors.As(err, &le) {
				// the slot map could not be read from the seed: not hinted yet
				err = tlsHint(o, err)
			}
			err = clusterTLSHint(err)
		}
		return nil, serverErr(o, "connect", nil, err)
	}
	if masters == 0 {
		t.close()
		return nil, serverErr(o, "CLUSTER SLOTS", nil, errors.New("no master serves any slot: the cluster is not "+
			"set up (redis-cli --cluster create), or this node is not part of it"))
	}
	return t, nil
}

// clusterDialer dials a cluster node where snapshot --cluster reads it
// (clusterNodeAddr: go-redis keeps an empty host, which is this machine),
// over TLS with the node's own name checked (nodeTLS): go-redis would
// check the seed's name on every node.
func clusterDialer(o *redis.Options) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		addr = clusterNodeAddr(o.Addr, addr)
		timeout := o.DialTimeout
		if timeout <= 0 {
			timeout = 5 * time.Second
		}
		nd := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
		if o.TLSConfig == nil {
			return nd.DialContext(ctx, network, addr)
		}
		d := &tls.Dialer{NetDialer: nd, Config: nodeTLS(o.TLSConfig, addr)}
		return d.DialContext(ctx, network, addr)
	}
}

// targetVersion is the newest RDB version every master loads.
func (t *target) version(ctx context.Context) (int, error) {
	var mu sync.Mutex
	v := 0
	err := t.each(ctx, func(c *redis.Client) error {
		info, err := c.Info(ctx, "server").Result()
		if err != nil {
			return serverErr(t.nodeOptions(c), "INFO", nil, err)
		}
		n := redisVersionToRDB(infoField(info, "redis_version"))
		mu.Lock()
		if v == 0 || n < v {
			v = n
		}
		mu.Unlock()
		return nil
	})
	return v, err
}

// maxBulk is the largest argument every master accepts (proto-max-bulk-len;
// 512 MB, Redis's default, when CONFIG is not allowed).
func (t *target) maxBulk(ctx context.Context) int64 {
	var mu sync.Mutex
	limit := int64(512 << 20)
	first := true
	t.each(ctx, func(c *redis.Client) error {
		v, err := c.ConfigGet(ctx, "proto-max-bulk-len").Result()
		if err != nil {
			return nil
		}
		n, err := strconv.ParseInt(v["proto-max-bulk-len"], 10, 64)
		if err != nil || n <= 0 {
			return nil
		}
		mu.Lock()
		if first || n < limit {
			limit, first = n, false
		}
		mu.Unlock()
		return nil
	})
	return limit
}

// restoreBatch is one pipeline of RESTOREs.
type restoreBatch struct {
	keys  [][]byte
	dbs   []int
	args  [][]any
	bytes int
}

// Load restores the entries and function libraries read from r into the
// server at o (or its cluster). Keys already present are conflicts unless
// opts.Replace. The stats say what was and was not loaded, also on error.
//
// r must not use rdb.ReuseBuffers: entries stay in RESTORE pipelines after
// the next one is read. Keys whose expiry is already past (at or before the
// start of the load) are skipped and counted in Expired. A dump newer than
// the target is converted entry by entry (rdb.ConvertEntry); keys the target
// cannot take are counted in Failed and the load goes on. o.DB must be 0
// (CheckDB): each key goes to the database the file gives it. A file that
// is not an RDB or is damaged before its first key is an error before
// anything is flushed; damage later sets FileError and Stopped.
func Load(ctx context.Context, o *redis.Options, r *rdb.Reader, opts LoadOptions) (*LoadStats, error) {
	stats := &LoadStats{Server: o.Addr}
	if err := CheckDB(o); err != nil {
		return stats, err
	}
	if err := CheckFlush(o, opts); err != nil {
		return stats, err
	}
	if opts.BatchKeys <= 0 {
		opts.BatchKeys = 512
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = 8 << 20
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	match := filter.NewGlobs(opts.Match)

	t, err := connect(ctx, o, opts.Cluster)
	if err != nil {
		return stats, err
	}
	defer t.close()
	if opts.Flush && !opts.Yes && t.cluster != nil {
		// the seed was checked before connecting; the other masters now
		err := t.each(ctx, func(c *redis.Client) error { return CheckFlush(t.nodeOptions(c), opts) })
		if err != nil {
			return stats, err
		}
	}
	if stats.TargetVersion, err = t.version(ctx); err != nil {
		return stats, err
	}
	if t.single != nil {
		// before anything is flushed or loaded
		if info, err := t.single.Info(ctx, "cluster").Result(); err == nil {
			if err := clusterNodeErr(o, info, "route each key to the master owning its slot"); err != nil {
				return stats, err
			}
		}
	}
	maxBulk := t.maxBulk(ctx)

	// Read up to the first key or function library before anything is
	// flushed: a file that is not an RDB, or is damaged at its start,
	// leaves the target as it was.
	var pending []rdb.Record
	pendingEOF := false
	for {
		rec, err := r.Next()
		if err == io.EOF {
			pendingEOF = true
			break
		}
		if err != nil {
			return stats, fmt.Errorf("reading the dump: %w", err)
		}
		pending = append(pending, rec)
		if _, ok := rec.(*rdb.Entry); ok {
			break
		}
		if _, ok := rec.(*rdb.Function); ok {
			break
		}
	}
	next := func() (rdb.Record, error) {
		if len(pending) > 0 {
			rec := pending[0]
			pending = pending[1:]
			return rec, nil
		}
		if pendingEOF {
			return nil, io.EOF
		}
		return r.Next()
	}

	if opts.Flush {
		err := t.each(ctx, func(c *redis.Client) error {
			if err := c.FlushAll(ctx).Err(); err != nil {
				return serverErr(t.nodeOptions(c), "FLUSHALL", nil, err)
			}
			if err := c.FunctionFlush(ctx).Err(); err != nil && !isUnknownCommand(err) {
				return serverErr(t.nodeOptions(c), "FUNCTION FLUSH", nil, err)
			}
			return nil
		})
		if err != nil {
			return stats, err
		}
		stats.Flushed = true
	}

	l := &loader{ctx: ctx, t: t, opts: &opts, stats: stats}
	l.ctx, l.cancel = context.WithCancel(ctx)
	defer l.cancel()
	// one server: RESTOREs stream on a raw connection, replies read as they
	// come; a cluster: go-redis pipelines, routed by slot
	var rc *restoreConn
	if t.single != nil {
		if rc, err = openRestoreConn(l.ctx, clientOptions(o, 0), l.replied); err != nil {
			return stats, err
		}
	} else {
		l.start()
	}
	var writeErr error

	var b *restoreBatch
	var readErr error
	now := time.Now().UnixMilli()
	payloadVersion := 0
	// old servers take neither ABSTTL nor IDLETIME/FREQ (Redis < 5.0)
	modern := stats.TargetVersion >= 9
records:
	for l.err() == nil && (rc == nil && l.ctx.Err() == nil || rc != nil && rc.failed() == nil) {
		rec, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		switch rec := rec.(type) {
		case *rdb.Header:
			l.mu.Lock()
			stats.FileVersion = rec.Version
			l.mu.Unlock()
			payloadVersion = min(rec.Version, stats.TargetVersion)
		case *rdb.Function:
			if err := l.function(rec); err != nil {
				l.setErr(err)
			}
		case *rdb.Entry:
			e := rec
			if !match.Match(e.Key) {
				l.count(&stats.Unmatched)
				continue
			}
			if opts.Cluster && e.DB != 0 {
				l.count(&stats.OtherDB)
				continue
			}
			if e.ExpireMs >= 0 && e.ExpireMs <= now {
				l.count(&stats.Expired)
				continue
			}
			if stats.FileVersion > stats.TargetVersion {
				typ, val := e.Type, e.Value
				warnings, err := rdb.ConvertEntry(e, stats.TargetVersion)
				if err != nil {
					l.fail(string(e.Key), e.DB, fmt.Sprintf("the target (RDB version %d) cannot take it: %v", stats.TargetVersion, err))
					continue
				}
				if e.Type != typ || len(e.Value) != len(val) || len(val) > 0 && &e.Value[0] != &val[0] {
					l.mu.Lock()
					stats.Converted++
					stats.WarningsTotal += int64(len(warnings))
					for _, w := range warnings {
						if len(stats.Warnings) < maxListed {
							stats.Warnings = append(stats.Warnings, w)
						}
					}
					l.mu.Unlock()
				}
			}
			if size := int64(len(e.Value)) + 11; size > maxBulk {
				// the server would drop the connection on it: refuse it here and go on
				l.fail(string(e.Key), e.DB, fmt.Sprintf("its %d-byte payload exceeds the server's proto-max-bulk-len (%d)", size, maxBulk))
				continue
			}
			ttl, extra := restoreArgs(e, modern, opts.Replace, now)
			if rc != nil {
				if writeErr = rc.restore(e, payloadVersion, ttl, extra); writeErr != nil {
					break records
				}
				continue
			}
			payload := e.DumpPayload(payloadVersion)
			args := append([]any{"RESTORE", e.Key, ttl, payload}, toAny(extra)...)
			if b == nil {
				b = &restoreBatch{}
			}
			b.keys = append(b.keys, e.Key)
			b.dbs = append(b.dbs, e.DB)
			b.args = append(b.args, args)
			b.bytes += len(payload) + len(e.Key)
			if len(b.keys) >= opts.BatchKeys || b.bytes >= opts.BatchBytes {
				l.send(b)
				b = nil
			}
		}
	}
	if rc != nil {
		unanswered, err := rc.finish(writeErr)
		l.mu.Lock()
		stats.Unconfirmed += unanswered
		l.mu.Unlock()
		if err != nil {
			l.setErr(err)
		}
	} else {
		if b != nil && l.err() == nil && readErr == nil {
			l.send(b)
		} else if b != nil {
			l.mu.Lock()
			stats.NotLoaded += int64(len(b.keys))
			l.mu.Unlock()
		}
		l.finish()
		if err := ctx.Err(); err != nil {
			l.setErr(err) // interrupted: the rest of the file was not read
		}
	}
	if readErr != nil {
		l.mu.Lock()
		stats.Stopped = true
		stats.FileError = readErr.Error()
		l.mu.Unlock()
	}
	if err := l.err(); err != nil {
		stats.Stopped = true
		return stats, err
	}
	if readErr != nil {
		return stats, fmt.Errorf("reading the dump: %w", readErr)
	}
	return stats, nil
}

// loader runs the RESTORE pipelines on Workers connections.
type loader struct {
	ctx    context.Context
	cancel context.CancelFunc
	t      *target
	opts   *LoadOptions
	stats  *LoadStats
	work   chan *restoreBatch
	wg     sync.WaitGroup
	mu     sync.Mutex // guards stats and firstErr
	first  error
}

func (l *loader) start() {
	l.work = make(chan *restoreBatch, l.opts.Workers)
	for i := 0; i < l.opts.Workers; i++ {
		l.wg.Add(1)
		go l.worker()
	}
}

func (l *loader) send(b *restoreBatch) {
	select {
	case l.work <- b:
	case <-l.ctx.Done():
		l.mu.Lock()
		l.stats.NotLoaded += int64(len(b.keys))
		l.mu.Unlock()
	}
}

func (l *loader) finish() {
	close(l.work)
	l.wg.Wait()
}

func (l *loader) err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.first
}

func (l *loader) setErr(err error) {
	l.mu.Lock()
	if l.first == nil {
		l.first = err
	}
	l.mu.Unlock()
	l.cancel()
}

// replied accounts for one RESTORE reply of a restoreConn (msg is the error
// reply, "" for OK); an error stops the load.
func (l *loader) replied(s sent, msg string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case msg == "":
		l.stats.Keys++
	case strings.HasPrefix(msg, "BUSYKEY"):
		l.stats.Conflicts++
		if len(l.stats.ConflictKeys) < maxListed {
			l.stats.ConflictKeys = append(l.stats.ConflictKeys, string(s.key))
			l.stats.ConflictDBs = append(l.stats.ConflictDBs, s.db)
		}
	case strings.HasPrefix(msg, "MOVED ") || strings.HasPrefix(msg, "ASK "):
		l.stats.Failed++
		return serverErr(l.t.o, "RESTORE", s.key, fmt.Errorf("%s: the target is a Redis Cluster node, load with --cluster", msg))
	default:
		l.stats.Failed++
		if len(l.stats.FailedKeys) < maxListed {
			l.stats.FailedKeys = append(l.stats.FailedKeys, keyInDB(string(s.key), s.db)+": "+msg)
		}
		if isConnectionLevel(redisError(msg)) {
			return serverErr(l.t.o, "RESTORE", s.key, redisError(msg))
		}
	}
	if l.opts.Progress != nil && (l.stats.Keys+l.stats.Conflicts+l.stats.Failed)%1024 == 0 {
		l.opts.Progress(*l.stats)
	}
	return nil
}

func toAny(s []string) []any {
	a := make([]any, len(s))
	for i := range s {
		a[i] = s[i]
	}
	return a
}

// count adds one to a counter of the stats that workers may be copying.
func (l *loader) count(n *int64) {
	l.mu.Lock()
	*n++
	l.mu.Unlock()
}

func (l *loader) fail(key string, db int, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats.Failed++
	if len(l.stats.FailedKeys) < maxListed {
		l.stats.FailedKeys = append(l.stats.FailedKeys, keyInDB(key, db)+": "+reason)
	}
}

func (l *loader) worker() {
	defer l.wg.Done()
	var conn *redis.Conn // single server: our own connection, to SELECT per database
	if l.t.single != nil {
		conn = l.t.single.Conn()
		defer conn.Close()
	}
	db := -1
	for b := range l.work {
		if l.ctx.Err() != nil {
			l.mu.Lock()
			l.stats.NotLoaded += int64(len(b.keys))
			l.mu.Unlock()
			continue
		}
		cmds := make([]*redis.Cmd, len(b.keys))
		fill := func(p redis.Pipeliner) error {
			for i := range b.keys {
				if conn != nil && b.dbs[i] != db {
					p.Select(l.ctx, b.dbs[i])
					db = b.dbs[i]
				}
				cmds[i] = redis.NewCmd(l.ctx, b.args[i]...)
				if conn != nil {
					p.Process(l.ctx, cmds[i])
				} else {
					p.Process(l.ctx, noRetry{cmds[i]})
				}
			}
			return nil
		}
		var err error
		if conn != nil {
			_, err = conn.Pipelined(l.ctx, fill)
		} else {
			_, err = l.t.cluster.Pipelined(l.ctx, fill)
		}
		l.account(b, cmds, err)
	}
}

// noRetry is a RESTORE that go-redis's cluster client must not send again
// after a lost connection: it resends the whole pipeline to the node, so
// the keys the first attempt had restored would come back BUSYKEY and be
// reported as conflicts (or be restored twice with REPLACE). A lost
// connection stops the load instead, with the unanswered keys counted as
// unconfirmed, as for one server. MOVED and ASK are still followed.
type noRetry struct{ *redis.Cmd }

func (noRetry) NoRetry() bool { return true }

// account sorts a batch's replies into loaded, conflicts and failures
// (refused, not loaded). A reply that is not a server error (a lost
// connection: the key is unconfirmed) stops the load, and so does a refusal
// of every write (isConnectionLevel).
func (l *loader) account(b *restoreBatch, cmds []*redis.Cmd, pipeErr error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var lost error
	for i, c := range cmds {
		err := c.Err()
		var rerr redis.Error
		switch {
		case err == nil:
			l.stats.Keys++
		case errors.As(err, &rerr) && strings.HasPrefix(err.Error(), "BUSYKEY"):
			l.stats.Conflicts++
			if len(l.stats.ConflictKeys) < maxListed {
				l.stats.ConflictKeys = append(l.stats.ConflictKeys, string(b.keys[i]))
				l.stats.ConflictDBs = append(l.stats.ConflictDBs, b.dbs[i])
			}
		case errors.As(err, &rerr):
			// refused: not loaded, whether the load goes on or (OOM,
			// READONLY, CLUSTERDOWN, ...) stops, as for one server
			l.stats.Failed++
			if len(l.stats.FailedKeys) < maxListed {
				l.stats.FailedKeys = append(l.stats.FailedKeys, keyInDB(string(b.keys[i]), b.dbs[i])+": "+err.Error())
			}
			if isConnectionLevel(err) && lost == nil {
				lost = serverErr(l.node(b.keys[i]), "RESTORE", b.keys[i], err)
			}
		default:
			var op *net.OpError
			if errors.As(err, &op) && op.Op == "dial" {
				l.stats.NotLoaded++ // no connection: never sent
			} else {
				l.stats.Unconfirmed++
			}
			if lost == nil {
				lost = serverErr(l.node(b.keys[i]), "RESTORE", b.keys[i], err)
			}
		}
	}
	if lost == nil && pipeErr != nil && len(cmds) == 0 {
		lost = serverErr(l.t.o, "RESTORE", nil, pipeErr)
	}
	if l.opts.Progress != nil {
		l.opts.Progress(*l.stats)
	}
	if lost != nil {
		if l.first == nil {
			l.first = lost
		}
		l.cancel()
	}
}

// node is the server a key goes to: the master owning its slot in a
// cluster (as the client last saw the slots), else the one server.
func (l *loader) node(key []byte) *redis.Options {
	if l.t.cluster != nil {
		if c, err := l.t.cluster.MasterForKey(context.WithoutCancel(l.ctx), string(key)); err == nil {
			return l.t.nodeOptions(c)
		}
	}
	return l.t.o
}

// isConnectionLevel tells server replies that end the connection (the
// server closes after a protocol error, such as a bulk length over its
// proto-max-bulk-len) from per-command refusals.
func isConnectionLevel(err error) bool {
	msg := err.Error()
	if strings.HasPrefix(msg, "CLUSTERDOWN Hash slot not served") {
		// a slot no node serves (cluster-require-full-coverage no): only
		// that slot's keys are refused
		return false
	}
	return strings.Contains(msg, "Protocol error") || strings.HasPrefix(msg, "LOADING") ||
		strings.HasPrefix(msg, "OOM") || strings.HasPrefix(msg, "READONLY") || strings.HasPrefix(msg, "CLUSTERDOWN")
}

// function loads one library on the server (every master of a cluster).
func (l *loader) function(f *rdb.Function) error {
	if f.Opcode != rdb.OpFunction2 || len(f.Code) == 0 {
		l.mu.Lock()
		l.stats.FunctionsFailed = append(l.stats.FunctionsFailed, "a library in the pre-release 7.0 format (not loadable)")
		l.mu.Unlock()
		return nil
	}
	code := string(f.Code)
	name := f.Library()
	if name == "" {
		name = "?"
	}
	// every master is asked; a cluster's masters may answer differently
	var mu sync.Mutex
	var refused []string // the masters that refused, for a cluster
	var refusal error    // the first refusal
	loaded := 0
	err := l.t.each(l.ctx, func(c *redis.Client) error {
		var err error
		if l.opts.Replace {
			err = c.FunctionLoadReplace(l.ctx, code).Err()
		} else {
			err = c.FunctionLoad(l.ctx, code).Err()
		}
		var rerr redis.Error
		if err != nil && !errors.As(err, &rerr) {
			return serverErr(l.t.nodeOptions(c), "FUNCTION LOAD", []byte(name), err)
		}
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			loaded++
			return nil
		}
		if refusal == nil {
			refusal = err
		}
		refused = append(refused, l.t.nodeOptions(c).Addr)
		return nil
	})
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if refusal == nil {
		l.stats.Functions++
		return nil
	}
	why := fmt.Sprintf("%v", refusal)
	if strings.Contains(why, "already exists") {
		why = "already present (conflict, not replaced)"
	}
	if l.t.cluster != nil && loaded > 0 {
		// the others have it now: say where it was not loaded
		sort.Strings(refused)
		why = strings.Replace(why, " (conflict, not replaced)", "", 1)
		if strings.HasPrefix(why, "already present") {
			why = fmt.Sprintf("already present on %s (conflict, not replaced there); loaded on the %d other masters",
				strings.Join(refused, ", "), loaded)
		} else {
			why = fmt.Sprintf("%s: not loaded on %s; loaded on the %d other masters", why, strings.Join(refused, ", "), loaded)
		}
	}
	l.stats.FunctionsFailed = append(l.stats.FunctionsFailed, fmt.Sprintf("%q: %s", name, why))
	return nil
}
