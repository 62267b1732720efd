package live

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rdbtool/rdbtool/filter"
	"github.com/rdbtool/rdbtool/rdb"
	"github.com/redis/go-redis/v9"
)

// Method is how Snapshot reads a server.
type Method string

const (
	// MethodScan walks the keyspace with SCAN and fetches keys with pipelined
	// DUMP + PTTL. Pruned keys are never fetched; it works where replication
	// is not allowed, but a keyspace being written is not seen at one instant.
	// To write no key twice (SCAN may return one again) it remembers a
	// fingerprint of each key: those of the last 1-2 M keys in memory
	// (at most about 45 MB), older ones in a temporary file (16 bytes a key).
	MethodScan Method = "scan"
	// MethodSync acts as a replica (PSYNC/SYNC) and streams the server's own
	// RDB: one consistent point in time, at the cost of a fork on the server.
	// With no option that changes or drops anything (DBs, Prune, LargerThan,
	// Persist, Cluster) the output is the server's RDB byte for byte, so keys
	// already expired in it are kept and counted in Keys; with any of them,
	// such keys are left out and counted in Expired.
	MethodSync Method = "sync"
)

// SnapshotOptions choose the method and what to keep.
type SnapshotOptions struct {
	Method Method // default MethodScan

	// DBs keeps only these databases; nil keeps all.
	DBs []int
	// Prune drops keys matching any of these Redis-style globs.
	Prune []string
	// LargerThan drops keys whose value (in RDB encoding, as DUMP returns it
	// or as the RDB stream holds it) is larger than this many bytes; 0 keeps all.
	// The size is only known after DUMP, so with MethodScan such keys are
	// still transferred once.
	LargerThan int64
	// Persist drops every key's expiry (hash field expiries are kept).
	Persist bool
	// Cluster snapshots every master of the Redis Cluster the URL points
	// into, into one file (database 0 only, as a cluster has). The masters
	// are read one after the other, so a cluster with a slot migrating or
	// importing, or whose slot map changes during the snapshot, is an
	// error (a key moving between masters could be missed or written
	// twice). Without Cluster, a cluster node is an error: it holds only
	// its own slots' keys.
	Cluster bool

	// Batch is the number of keys per SCAN COUNT and DUMP pipeline; default 1000.
	Batch int
	// Progress, when set, is called after each batch (scan) or chunk (sync).
	Progress func(SnapshotStats)
}

// SnapshotStats counts what a snapshot wrote and left out.
type SnapshotStats struct {
	Servers   []string `json:"servers"`   // host:port of each server read
	Keys      int64    `json:"keys"`      // entries written
	Functions int      `json:"functions"` // function libraries written
	Pruned    int64    `json:"pruned"`    // matched a --prune glob
	TooLarge  int64    `json:"too_large"` // value larger than LargerThan
	OtherDB   int64    `json:"other_db"`  // in a database not selected
	Expired   int64    `json:"expired"`   // already expired when read, left out (see MethodSync)
	Vanished  int64    `json:"vanished"`  // deleted between SCAN and DUMP (scan)
	Repeated  int64    `json:"repeated"`  // returned twice by SCAN (it may, while the server resizes a table); written once
	Bytes     int64    `json:"bytes"`     // RDB bytes received (sync) or DUMP payload bytes (scan)
}

// String is the one-line summary rdbtool snapshot prints: keys and
// libraries written, then each non-zero count of what was left out.
func (s SnapshotStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d keys, %d function libraries written from %s", s.Keys, s.Functions, strings.Join(s.Servers, ", "))
	for _, c := range []struct {
		n    int64
		what string
	}{{s.Pruned, "pruned"}, {s.TooLarge, "larger than the size limit"}, {s.OtherDB, "in other databases"},
		{s.Expired, "already expired"}, {s.Vanished, "deleted while scanning"}, {s.Repeated, "returned twice by SCAN (written once)"}} {
		if c.n > 0 {
			fmt.Fprintf(&b, "; %d %s", c.n, c.what)
		}
	}
	return b.String()
}

// sink is the output side shared by both methods and by every master of a
// cluster: it decides the header when the first data arrives, writes aux
// fields and function libraries once, and filters entries.
type sink struct {
	out     io.Writer
	w       *rdb.Writer
	magic   string
	version int
	aux     [][2]string
	funcs   map[string]bool
	opts    *SnapshotOptions
	prune   filter.Globs
	dbs     map[int]bool
	now     int64
	stats   *SnapshotStats

	raw *bufio.Writer // verbatim sync: the server's bytes, copied

	// seen tells the keys the scan method met before: SCAN may return a key
	// twice, and a dump with a key twice does not load (see keyDedup).
	seen *keyDedup
}

func newSink(out io.Writer, opts *SnapshotOptions, stats *SnapshotStats) *sink {
	s := &sink{out: out, opts: opts, stats: stats, funcs: map[string]bool{}, now: time.Now().UnixMilli()}
	if len(opts.Prune) > 0 {
		s.prune = filter.NewGlobs(opts.Prune)
	}
	if opts.DBs != nil {
		s.dbs = map[int]bool{}
		for _, db := range opts.DBs {
			s.dbs[db] = true
		}
	}
	return s
}

// start writes the header (and the aux fields queued so far) once.
func (s *sink) start(magic string, version int) error {
	if s.w != nil {
		if version > s.version || magic != s.magic {
			return fmt.Errorf("servers send different RDB formats (%s %d and %s %d)", s.magic, s.version, magic, version)
		}
		return nil
	}
	var wopts []rdb.WriterOption
	if magic != "" && magic != "REDIS" {
		wopts = append(wopts, rdb.WithMagic(magic))
	}
	s.magic, s.version = magic, version
	s.w = rdb.NewWriter(s.out, version, wopts...)
	if err := s.w.Write(&rdb.Header{Magic: magic, Version: version}); err != nil {
		return err
	}
	for _, kv := range s.aux {
		if err := s.w.WriteAux(kv[0], kv[1]); err != nil {
			return err
		}
	}
	s.aux = nil
	return nil
}

func (s *sink) function(code []byte, rec *rdb.Function) error {
	if s.funcs[string(code)] {
		return nil // every master of a cluster holds the same libraries
	}
	s.funcs[string(code)] = true
	s.stats.Functions++
	if rec != nil {
		return s.w.Write(rec)
	}
	return s.w.WriteFunction(code)
}

// keep applies the key filters that need no value.
func (s *sink) keepKey(db int, key []byte) bool {
	if s.dbs != nil && !s.dbs[db] {
		s.stats.OtherDB++
		return false
	}
	if s.prune != nil && s.prune.Match(key) {
		s.stats.Pruned++
		return false
	}
	return true
}

// firstTime reports whether the scan meets db/key for the first time. Only
// the SCAN stage calls it. When the fingerprints cannot be kept (the spill
// file cannot be written), it says true and seenErr says why.
func (s *sink) firstTime(db int, key string) bool {
	if s.seen == nil {
		s.seen = newKeyDedup()
	}
	first, err := s.seen.add(db, key)
	return first || err != nil
}

func (s *sink) seenErr() error {
	if s.seen == nil {
		return nil
	}
	return s.seen.err
}

// entry applies the value filters and writes e.
func (s *sink) entry(e *rdb.Entry) error {
	if s.opts.LargerThan > 0 && e.ValueLen > s.opts.LargerThan {
		s.stats.TooLarge++
		return nil
	}
	if e.ExpireMs >= 0 && e.ExpireMs <= s.now {
		s.stats.Expired++ // a client of the server no longer sees it
		return nil
	}
	if s.opts.Persist {
		e.ExpireMs = -1
	}
	s.stats.Keys++
	return s.w.WriteEntry(e)
}

func (s *sink) close() error {
	if s.raw != nil {
		return s.raw.Flush()
	}
	if s.w == nil {
		return errors.New("no data received")
	}
	return s.w.Close()
}

// verbatim reports whether a sync snapshot can be the server's RDB byte for
// byte: no option changes or drops anything. The rdb.Reader then checks
// the stream (structure and checksum) without keeping values, and the bytes
// go out as they came, which is what the Reader-to-Writer path would write
// for unchanged records, for far less work.
func (s *sink) verbatim() bool {
	o := s.opts
	return o.Method == MethodSync && !o.Cluster && len(o.Prune) == 0 && o.LargerThan == 0 && !o.Persist && o.DBs == nil
}

// Snapshot reads the server at o (or, with opts.Cluster, every master of its
// cluster) and writes an RDB file to out. It only reads from the servers.
// On error the stats say how far it got; out holds a partial file that the
// caller discards. o.DB is not used: opts.DBs chooses the databases, and
// naming one the server does not have is an error.
func Snapshot(ctx context.Context, o *redis.Options, out io.Writer, opts SnapshotOptions) (*SnapshotStats, error) {
	stats := &SnapshotStats{}
	if opts.Method == "" {
		opts.Method = MethodScan
	}
	if opts.Method != MethodScan && opts.Method != MethodSync {
		return stats, fmt.Errorf("unknown snapshot method %q (scan or sync)", opts.Method)
	}
	if opts.Batch <= 0 {
		opts.Batch = 1000
	}
	sk := newSink(out, &opts, stats)
	defer func() {
		if sk.seen != nil {
			sk.seen.release() // no scan goroutine is left to use it (scanDB waits)
		}
	}()
	servers := []*redis.Options{o}
	var layout string // the cluster's slot map when the snapshot started
	if opts.Cluster {
		var err error
		if servers, layout, err = clusterMasters(ctx, o); err == nil {
			// the masters are dialled where CLUSTER SLOTS says; the seed
			// (a failure above) where the URL does
			err = clusterTLSHint(openSlots(ctx, servers))
		}
		if err != nil {
			stats.Servers = []string{o.Addr} // the seed, for the summary
			return stats, err
		}
	}
	for _, so := range servers {
		stats.Servers = append(stats.Servers, so.Addr)
		if err := checkDBs(ctx, so, opts.DBs); err != nil {
			return stats, err
		}
		var err error
		if opts.Method == MethodSync {
			err = snapshotSync(ctx, so, sk)
		} else {
			err = snapshotScan(ctx, so, sk)
		}
		if err != nil {
			return stats, err
		}
	}
	if sk.seen != nil {
		if err := sk.seen.finish(); err != nil {
			return stats, err
		}
	}
	if opts.Cluster {
		// the masters were read one after the other: a slot that moved in
		// between may have its keys missing or twice
		now, after, err := clusterMasters(ctx, o)
		if err == nil && after != layout {
			err = serverErr(o, "CLUSTER SLOTS", nil, errors.New("the cluster's slots moved during the snapshot "+
				"(a resharding or a failover): keys may be missing or twice, so nothing is written; take it again "+
				"once `redis-cli --cluster check` reports no open slots"))
		}
		if err == nil {
			err = openSlots(ctx, now)
		}
		if err != nil {
			return stats, err
		}
	}
	if err := sk.close(); err != nil {
		return stats, fmt.Errorf("writing the snapshot: %w", err)
	}
	return stats, nil
}

// checkDBs makes sure the server has each database asked for: one it does
// not have would otherwise just give an empty snapshot.
func checkDBs(ctx context.Context, o *redis.Options, dbs []int) error {
	var conn *redis.Conn
	for _, db := range dbs {
		if db == 0 {
			continue
		}
		if conn == nil {
			c := redis.NewClient(clientOptions(o, 0))
			defer c.Close()
			conn = c.Conn()
			defer conn.Close()
		}
		if err := conn.Select(ctx, db).Err(); err != nil {
			var rerr redis.Error
			if errors.As(err, &rerr) {
				err = fmt.Errorf("%w (a database --db or the URL names, which the server does not have)", err)
			}
			return serverErr(o, fmt.Sprintf("SELECT %d", db), nil, tlsHint(o, err))
		}
	}
	return nil
}

// clientOptions copies o for a client of ours: RESP2 (any server version),
// no CLIENT SETINFO, a given database.
func clientOptions(o *redis.Options, db int) *redis.Options {
	c := *o
	c.DB = db
	c.Protocol = 2
	c.DisableIdentity = true
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 60 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 60 * time.Second
	}
	c.MaxRetries = -1   // a lost connection is reported, not silently retried
	c.DialerRetries = 1 // nor a dial: five attempts of DialTimeout each made a silent server take 25 s
	c.PoolSize = 4
	return &c
}

// clusterMasters lists the masters of the cluster that o points into, and
// the slot map as a string that changes when a slot changes owner.
func clusterMasters(ctx context.Context, o *redis.Options) ([]*redis.Options, string, error) {
	c := redis.NewClient(clientOptions(o, 0))
	defer c.Close()
	slots, err := c.ClusterSlots(ctx).Result()
	if err != nil {
		return nil, "", serverErr(o, "CLUSTER SLOTS", nil, tlsHint(o, err))
	}
	seen := map[string]bool{}
	var masters []*redis.Options
	var ranges []string
	for _, s := range slots {
		if len(s.Nodes) == 0 {
			continue
		}
		addr := clusterNodeAddr(o.Addr, s.Nodes[0].Addr)
		ranges = append(ranges, fmt.Sprintf("%d-%d %s", s.Start, s.End, addr))
		if seen[addr] {
			continue
		}
		seen[addr] = true
		m := *o
		m.Addr = addr
		m.TLSConfig = nodeTLS(o.TLSConfig, addr)
		masters = append(masters, &m)
	}
	if len(masters) == 0 {
		return nil, "", serverErr(o, "CLUSTER SLOTS", nil, errors.New("no master serves any slot: the cluster is not "+
			"set up (redis-cli --cluster create), or this node is not part of it"))
	}
	sort.Slice(masters, func(i, j int) bool { return masters[i].Addr < masters[j].Addr })
	sort.Strings(ranges)
	return masters, strings.Join(ranges, ","), nil
}

// clusterNodeAddr is where a node that CLUSTER SLOTS reports at reported
// is dialled, reached from the seed at seed, as go-redis's cluster client
// (load --cluster) does it: a loopback host, when the seed is not on this
// machine, and an empty host (a node that never met another) are the
// seed's host; port 0 (a TLS-only node) is the seed's port.
func clusterNodeAddr(seed, reported string) string {
	seedHost, seedPort, err := net.SplitHostPort(seed)
	if err != nil {
		return reported
	}
	host, port, err := net.SplitHostPort(reported)
	if err != nil {
		return reported
	}
	ip := net.ParseIP(host)
	switch {
	case host == "":
		host = seedHost
	case ip != nil && ip.IsLoopback() && !IsLoopback(&redis.Options{Addr: seed}):
		host = seedHost
	}
	if port == "0" {
		port = seedPort
	}
	return net.JoinHostPort(host, port)
}

// openSlots refuses a cluster with a slot being migrated or imported (a
// resharding under way, or one that stopped halfway): the masters are read
// one after the other, so a key moving between them may be read on both,
// or on neither. Each master tells its own open slots (CLUSTER NODES,
// "myself" line: [slot->-id] migrating, [slot-<-id] importing); a master
// that refuses CLUSTER NODES is not checked.
func openSlots(ctx context.Context, masters []*redis.Options) error {
	for _, m := range masters {
		c := redis.NewClient(clientOptions(m, 0))
		nodes, err := c.ClusterNodes(ctx).Result()
		c.Close()
		var rerr redis.Error
		if errors.As(err, &rerr) {
			// not allowed (an ACL, a managed service): the slot map
			// compared at the end is the only check left
			continue
		}
		if err != nil {
			return serverErr(m, "CLUSTER NODES", nil, tlsHint(m, err))
		}
		for _, line := range strings.Split(nodes, "\n") {
			f := strings.Fields(line)
			if len(f) < 3 || !strings.Contains(f[2], "myself") {
				continue
			}
			for _, r := range f[min(8, len(f)):] {
				if !strings.HasPrefix(r, "[") {
					continue
				}
				slot, dir, _ := strings.Cut(strings.Trim(r, "[]"), "-")
				what := "migrating to another node"
				if strings.HasPrefix(dir, "<") {
					what = "importing from another node"
				}
				return serverErr(m, "CLUSTER NODES", nil, fmt.Errorf("slot %s is %s (a resharding is under way or stopped "+
					"halfway): a snapshot now could miss keys or hold them twice; take it once `redis-cli --cluster check` "+
					"reports no open slots (`redis-cli --cluster fix` closes them)", slot, what))
			}
		}
	}
	return nil
}

// clusterSnapshotHint ends the error for a cluster node snapshot without --cluster.
const clusterSnapshotHint = "snapshot every master of the cluster into one file"

// refuseClusterNode asks the server, before it forks for a sync, whether it
// is a cluster node. A server that refuses INFO (renamed away) is let be: the
// sync says what it thinks.
func refuseClusterNode(ctx context.Context, o *redis.Options) error {
	c := redis.NewClient(clientOptions(o, 0))
	defer c.Close()
	info, err := c.Info(ctx, "cluster").Result()
	var rerr redis.Error
	switch {
	case errors.As(err, &rerr):
		return nil
	case err != nil:
		return serverErr(o, "INFO", nil, tlsHint(o, err))
	}
	return clusterNodeErr(o, info, clusterSnapshotHint)
}

// snapshotSync streams one server's RDB through the sink.
func snapshotSync(ctx context.Context, o *redis.Options, sk *sink) error {
	if !sk.opts.Cluster {
		if err := refuseClusterNode(ctx, o); err != nil {
			return err
		}
	}
	st, err := OpenSync(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	if sk.verbatim() {
		return syncVerbatim(o, st, sk)
	}
	d := newDrainer(st, nil)
	defer func() { st.Close(); d.stop() }()
	r := rdb.NewReader(d)
	first := sk.w == nil
	filtering := len(sk.opts.Prune) > 0 || sk.opts.LargerThan > 0 || sk.opts.Cluster
	db := 0
	base := sk.stats.Bytes
	var last lastKey
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return syncErr(o, err, &last)
		}
		switch rec := rec.(type) {
		case *rdb.Header:
			err = sk.start(rec.Magic, rec.Version)
		case *rdb.Aux:
			if first {
				err = sk.w.Write(rec)
			}
		case *rdb.ModuleAux:
			if first {
				err = sk.w.Write(rec)
			}
		case *rdb.Function:
			err = sk.function(rec.Code, rec)
		case *rdb.SelectDB:
			db = rec.DB
		case *rdb.ResizeDB:
			// a size hint: still right unless keys are dropped
			if !filtering && (sk.dbs == nil || sk.dbs[db]) {
				if err = sk.w.WriteSelectDB(db); err == nil {
					err = sk.w.Write(rec)
				}
			}
		case *rdb.SlotInfo:
			if !filtering {
				err = sk.w.Write(rec)
			}
		case *rdb.Entry:
			last.set(rec)
			if sk.keepKey(rec.DB, rec.Key) {
				err = sk.entry(rec)
			}
		}
		if err != nil {
			return fmt.Errorf("writing the snapshot: %w", err)
		}
		if sk.opts.Progress != nil && sk.stats.Keys%4096 == 0 {
			sk.stats.Bytes = base + st.Received()
			sk.opts.Progress(*sk.stats)
		}
	}
	sk.stats.Bytes = base + st.Received()
	return drainEnd(o, d)
}

// syncVerbatim copies the stream to the output as the rdb.Reader checks it.
func syncVerbatim(o *redis.Options, st *SyncStream, sk *sink) error {
	sk.raw = bufio.NewWriterSize(sk.out, 64<<10)
	d := newDrainer(st, sk.raw)
	defer func() { st.Close(); d.stop() }()
	r := rdb.NewReader(d, rdb.SkipValues())
	var last lastKey
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if werr := d.writeErr(); werr != nil {
			return fmt.Errorf("writing the snapshot: %w", werr)
		}
		if err != nil {
			return syncErr(o, err, &last)
		}
		switch rec := rec.(type) {
		case *rdb.Entry:
			last.set(rec)
			sk.stats.Keys++
			if sk.opts.Progress != nil && sk.stats.Keys%4096 == 0 {
				sk.stats.Bytes = st.Received()
				sk.opts.Progress(*sk.stats)
			}
		case *rdb.Function:
			sk.stats.Functions++
		}
	}
	if err := drainEnd(o, d); err != nil {
		return err
	}
	d.stop()
	sk.stats.Bytes = st.Received()
	if werr := d.writeErr(); werr != nil {
		return fmt.Errorf("writing the snapshot: %w", werr)
	}
	return nil
}

// lastKey is the last key a sync read completely, so that an error between
// two records (a connection that dies there) still says where it happened.
type lastKey struct {
	key []byte // the Reader's own copy, not reused (no ReuseBuffers)
	db  int
}

func (l *lastKey) set(e *rdb.Entry) { l.key, l.db = e.Key, e.DB }

func (l *lastKey) String() string {
	if l.key == nil {
		return "before the first key"
	}
	return fmt.Sprintf("after key %s (db %d)", strconv.Quote(string(l.key)), l.db)
}

// syncErr names the server, the RDB offset and the key being read or, when
// the error falls between records, the last key read before it.
func syncErr(o *redis.Options, err error, last *lastKey) error {
	var re *rdb.Error
	if errors.As(err, &re) {
		if re.Key != nil {
			return serverErr(o, "sync", re.Key, fmt.Errorf("RDB offset %d: %w", re.Offset, re.Err))
		}
		return serverErr(o, "sync", nil, fmt.Errorf("RDB offset %d, %s: %w", re.Offset, last, re.Err))
	}
	return serverErr(o, "sync", nil, fmt.Errorf("%s: %w", last, err))
}

// drainEnd reads what is left of the transfer (a well-formed RDB leaves
// nothing but the end mark) and reports whether it ended cleanly.
func drainEnd(o *redis.Options, d *drainer) error {
	n, err := io.Copy(io.Discard, d)
	if err != nil {
		return serverErr(o, "sync", nil, err)
	}
	if n > 0 {
		return serverErr(o, "sync", nil, fmt.Errorf("%d unexpected bytes after the RDB's end", n))
	}
	return nil
}

// snapshotScan walks each database of one server with SCAN + DUMP + PTTL.
func snapshotScan(ctx context.Context, o *redis.Options, sk *sink) error {
	c := redis.NewClient(clientOptions(o, 0))
	defer c.Close()
	// The default sections hold server, cluster and keyspace; naming
	// several sections is Redis 7.0+ ("ERR syntax error" before).
	info, err := c.Info(ctx).Result()
	if err != nil {
		return serverErr(o, "INFO", nil, tlsHint(o, err))
	}
	if !sk.opts.Cluster {
		if err := clusterNodeErr(o, info, clusterSnapshotHint); err != nil {
			return err
		}
	}
	ver := infoField(info, "redis_version")
	if sk.w == nil {
		sk.aux = append(sk.aux, [2]string{"redis-ver", ver}, [2]string{"redis-bits", infoField(info, "arch_bits")},
			[2]string{"ctime", strconv.FormatInt(time.Now().Unix(), 10)})
	}
	var dbs []int
	for _, line := range strings.Split(info, "\n") {
		if rest, ok := strings.CutPrefix(line, "db"); ok {
			if i := strings.IndexByte(rest, ':'); i > 0 {
				if n, err := strconv.Atoi(rest[:i]); err == nil {
					dbs = append(dbs, n)
				}
			}
		}
	}
	sort.Ints(dbs)

	// PEXPIRETIME (Redis 7.0+) gives each expiry exactly as the server
	// holds it; PTTL is relative to a moment known only within a round trip
	absExpiry := redisVersionToRDB(ver) >= 10

	// functions before keys, as in a server's own RDB
	libs, ferr := c.FunctionList(ctx, redis.FunctionListQuery{WithCode: true}).Result()
	if ferr != nil && !isUnknownCommand(ferr) {
		return serverErr(o, "FUNCTION LIST", nil, ferr)
	}
	if len(libs) > 0 && sk.w == nil {
		if err := sk.start("REDIS", redisVersionToRDB(ver)); err != nil {
			return err
		}
	}
	for _, l := range libs {
		if err := sk.function([]byte(l.Code), nil); err != nil {
			return err
		}
	}

	for _, db := range dbs {
		if sk.dbs != nil && !sk.dbs[db] {
			continue
		}
		if err := scanDB(ctx, o, db, sk, absExpiry); err != nil {
			return err
		}
	}
	if sk.w == nil { // nothing kept: an empty file of the server's version
		return sk.start("REDIS", redisVersionToRDB(ver))
	}
	return nil
}

func isUnknownCommand(err error) bool {
	return strings.Contains(strings.ToLower(err.Error()), "unknown command")
}

// scanBatch is one SCAN reply on its way through the scan pipeline.
type scanBatch struct {
	keys                      []string // kept keys, to DUMP
	repeated, otherDB, pruned int64    // keys of the reply left out
	dumps                     []*redis.StringCmd
	ttls                      []*redis.IntCmd // PEXPIRETIME (absolute unix ms), or PTTL (ms)
	abs                       bool            // ttls are PEXPIRETIME's
	at                        int64           // unix ms when the replies arrived (for PTTL)
	err                       error
}

// scanDB snapshots one database with three stages running at once, so the
// server and this process work in parallel: SCAN (and key filters), DUMP +
// PTTL pipelines, and writing. Order is kept; at most a few batches are in
// flight, so memory stays bounded.
func scanDB(ctx context.Context, o *redis.Options, db int, sk *sink, absExpiry bool) error {
	c := redis.NewClient(clientOptions(o, db))
	defer c.Close()
	ctx, cancel := context.WithCancel(ctx)
	// the SCAN stage uses sk.seen, which Snapshot releases: it must be over
	// when scanDB returns (defers run last first: cancel, then wait)
	scanDone := make(chan struct{})
	defer func() { <-scanDone }()
	defer cancel()

	scanned := make(chan *scanBatch, 4)
	go func() {
		defer close(scanDone)
		defer close(scanned)
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, "", int64(sk.opts.Batch)).Result()
			b := &scanBatch{}
			if err != nil {
				b.err = serverErr(o, fmt.Sprintf("SCAN db %d", db), nil, err)
			}
			for _, k := range keys {
				switch {
				case !sk.firstTime(db, k):
					b.repeated++
				case sk.dbs != nil && !sk.dbs[db]:
					b.otherDB++
				case sk.prune != nil && sk.prune.Match([]byte(k)):
					b.pruned++
				default:
					b.keys = append(b.keys, k)
				}
			}
			if serr := sk.seenErr(); serr != nil && b.err == nil {
				b.err, b.keys = serr, nil
			}
			// decided before the send: from then on b belongs to the DUMP
			// stage, which writes its err
			last := b.err != nil || next == 0
			select {
			case scanned <- b:
			case <-ctx.Done():
				return
			}
			if last {
				return
			}
			cursor = next
		}
	}()

	// DUMP in chunks sized so that a chunk's payloads stay near chunkBytes:
	// with large values, memory is bounded by a few chunks, not by batches.
	dumped := make(chan *scanBatch, 2)
	go func() {
		defer close(dumped)
		chunk := sk.opts.Batch
		for b := range scanned {
			keys := b.keys
			for first := true; first || len(keys) > 0; first = false {
				part := b
				if !first || len(keys) > chunk {
					part = &scanBatch{}
					if first {
						part.repeated, part.otherDB, part.pruned = b.repeated, b.otherDB, b.pruned
					}
				}
				n := min(chunk, len(keys))
				part.keys, keys = keys[:n], keys[n:]
				part.err = b.err
				if part.err == nil && n > 0 {
					part.dumps, part.ttls, part.at, part.err = fetchBatch(ctx, o, c, db, part.keys, absExpiry)
					if absExpiry && part.err != nil && isUnknownCommand(part.err) {
						// a server refusing PEXPIRETIME (renamed away, or a
						// Redis-compatible one without it): PTTL from now on
						absExpiry = false
						part.dumps, part.ttls, part.at, part.err = fetchBatch(ctx, o, c, db, part.keys, false)
					}
					part.abs = absExpiry
					chunk = nextChunk(chunk, n, part.dumps, sk.opts.Batch)
				}
				select {
				case dumped <- part:
				case <-ctx.Done():
					return
				}
				if part.err != nil {
					return
				}
			}
		}
	}()

	for b := range dumped {
		sk.stats.Repeated += b.repeated
		sk.stats.OtherDB += b.otherDB
		sk.stats.Pruned += b.pruned
		if b.err != nil {
			return b.err
		}
		if err := writeBatch(o, db, b, sk); err != nil {
			return err
		}
		if sk.opts.Progress != nil {
			sk.opts.Progress(*sk.stats)
		}
	}
	return ctx.Err()
}

// chunkBytes is the payload volume a DUMP pipeline aims at.
const chunkBytes = 16 << 20

// nextChunk sizes the next DUMP pipeline from the payloads of the last one
// (n keys): smaller after large values, back up to max after small ones.
func nextChunk(chunk, n int, dumps []*redis.StringCmd, limit int) int {
	total := 0
	for _, d := range dumps {
		total += len(d.Val())
	}
	switch {
	case total > chunkBytes:
		return clamp(n*chunkBytes/total, 1, limit)
	case total < chunkBytes/4 && n == chunk:
		return clamp(chunk*2, 1, limit)
	}
	return chunk
}

func clamp(v, lo, hi int) int { return min(max(v, lo), hi) }

// fetchBatch DUMPs keys with one pipeline. When the connection fails, the
// keys are fetched again one at a time (each on a sound connection), so
// that the error names the key at fault (a reply over the server's
// client-output-buffer-limit closes the connection and loses the replies
// queued before it too).
func fetchBatch(ctx context.Context, o *redis.Options, c *redis.Client, db int, keys []string, abs bool) ([]*redis.StringCmd, []*redis.IntCmd, int64, error) {
	dumps, ttls, err := dumpPipeline(ctx, c, keys, abs)
	if err != nil && isConnErr(err) {
		dumps, ttls = dumps[:0], ttls[:0]
		for _, k := range keys {
			d, tt, err := dumpPipeline(ctx, c, []string{k}, abs)
			if err != nil && isConnErr(err) {
				if c.Ping(ctx).Err() == nil {
					err = fmt.Errorf("%w (the server is up but dropped the connection on this key's reply: "+
						"larger than its client-output-buffer-limit for normal clients?)", err)
				}
				return nil, nil, 0, serverErr(o, fmt.Sprintf("DUMP (db %d)", db), []byte(k), err)
			}
			dumps, ttls = append(dumps, d...), append(ttls, tt...)
		}
	}
	now := time.Now().UnixMilli()
	for i, d := range dumps {
		if e := d.Err(); e != nil && e != redis.Nil {
			switch msg := e.Error(); {
			case strings.HasPrefix(msg, "MOVED ") || strings.HasPrefix(msg, "ASK "):
				e = fmt.Errorf("%w: the key's slot moved during the snapshot (a resharding started): "+
					"take it again once `redis-cli --cluster check` reports no open slots", e)
			case strings.HasPrefix(msg, "WRONGTYPE"):
				// redis-server's DUMP takes every type; miniredis's (and so
				// rdbtool serve's) only strings.
				e = fmt.Errorf("%w (this server's DUMP does not give Redis payloads for every type: "+
					"is it rdbtool serve or another miniredis? snapshot needs a redis-server)", e)
			}
			return nil, nil, 0, serverErr(o, fmt.Sprintf("DUMP (db %d)", db), []byte(keys[i]), e)
		}
		if e := ttls[i].Err(); e != nil && e != redis.Nil {
			return nil, nil, 0, serverErr(o, fmt.Sprintf("%s (db %d)", expiryCommand(abs), db), []byte(keys[i]), e)
		}
	}
	return dumps, ttls, now, nil
}

// writeBatch turns DUMP payloads into entries and writes them.
func writeBatch(o *redis.Options, db int, b *scanBatch, sk *sink) error {
	for i, k := range b.keys {
		payload, err := b.dumps[i].Bytes()
		if err == redis.Nil {
			sk.stats.Vanished++
			continue
		}
		ttl := b.ttls[i].Val()
		if ttl == -2 { // gone between DUMP and PTTL
			sk.stats.Vanished++
			continue
		}
		e, version, err := rdb.EntryFromDump([]byte(k), payload)
		if err != nil {
			return serverErr(o, fmt.Sprintf("DUMP (db %d)", db), []byte(k), err)
		}
		sk.stats.Bytes += int64(len(payload))
		if sk.w == nil {
			if err := sk.start("REDIS", version); err != nil {
				return err
			}
		} else if version > sk.version {
			return serverErr(o, "DUMP", []byte(k), fmt.Errorf("payload of RDB version %d in a file of version %d", version, sk.version))
		}
		e.DB = db
		switch {
		case ttl < 0: // -1: no expiry
		case b.abs:
			e.ExpireMs = ttl
		default:
			e.ExpireMs = b.at + ttl
		}
		if err := sk.entry(e); err != nil {
			return fmt.Errorf("writing the snapshot: %w", err)
		}
	}
	return nil
}

// expiryCommand is the command asking a key's expiry: PEXPIRETIME (an
// absolute time in ms) or PTTL (ms from now). Both are read as plain
// integers: a time.Duration overflows for expiries beyond 292 years.
func expiryCommand(abs bool) string {
	if abs {
		return "PEXPIRETIME"
	}
	return "PTTL"
}

func dumpPipeline(ctx context.Context, p pipeliner, keys []string, abs bool) ([]*redis.StringCmd, []*redis.IntCmd, error) {
	dumps := make([]*redis.StringCmd, len(keys))
	ttls := make([]*redis.IntCmd, len(keys))
	name := strings.ToLower(expiryCommand(abs))
	_, err := p.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			dumps[i] = p.Dump(ctx, k)
			ttls[i] = redis.NewIntCmd(ctx, name, k)
			p.Process(ctx, ttls[i])
		}
		return nil
	})
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	return dumps, ttls, err
}

type pipeliner interface {
	Pipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error)
}

// isConnErr tells a failed connection from a server's error reply.
func isConnErr(err error) bool {
	var rerr redis.Error
	return err != nil && !errors.As(err, &rerr)
}
