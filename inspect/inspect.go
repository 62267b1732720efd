// Package inspect computes the statistics `rdbtool inspect` shows: RDB
// version, aux fields, keys per database, counts per type and encoding,
// expiries (and how many are already past), value sizes, the largest keys,
// key counts by prefix and the checksum status. It reads one pass over the
// records with constant memory.
//
//	st, err := inspect.Read(file, inspect.Options{Top: 10})
//	st.WriteText(os.Stdout) // or json.Marshal(st)
package inspect

import (
	"bytes"
	"container/heap"
	"sort"
	"time"

	"github.com/rdbtool/rdbtool/export"
	"github.com/rdbtool/rdbtool/rdb"
)

// Options tune the statistics. The zero value lists no largest keys and the
// 20 most common prefixes, with expiries judged against the time of New.
type Options struct {
	Top      int       // how many largest keys to list (0: none)
	Prefixes int       // how many prefixes to list, most keys first (0: 20; negative: none)
	Now      time.Time // reference for "already expired" (zero: time.Now())
	// ReadValues keeps value bytes while reading; without it values are
	// skipped by length. The counts are the same either way: string
	// encodings (int, raw, lzf) are told apart by the value's first byte,
	// which the Reader notes while skipping (rdb.Entry.Encoding).
	ReadValues bool
}

// maxPrefixes bounds the distinct prefixes tracked so memory stays constant;
// keys with further new prefixes are counted under "(other)".
const maxPrefixes = 10000

// Stats is the result of one pass over a dump. Byte counts (ValueBytes,
// Key.Bytes, ...) are the sizes of the values as encoded in the file
// (rdb.Entry.ValueLen), not Redis memory use.
//
// The JSON form of Stats is stable: fields are only ever added. Key names
// and aux values are binary-safe (see export.Blob).
type Stats struct {
	Magic      string                `json:"magic"`       // "REDIS" or "VALKEY"
	Version    int                   `json:"rdb_version"` // RDB format version from the header
	SizeBytes  int64                 `json:"size_bytes"`  // bytes read, including the checksum
	Aux        []AuxField            `json:"aux"`         // in file order; empty, not nil, when there are none
	Functions  int                   `json:"functions"`   // function libraries
	ModuleAux  []string              `json:"module_aux"`  // module names with aux data
	Keys       int64                 `json:"keys"`        // entries in all databases
	Databases  []DBStats             `json:"databases"`   // databases with keys, by number
	Types      map[string]*TypeStats `json:"types"`       // by rdb.TypeName
	Expiring   int64                 `json:"expiring"`    // keys with an expiry
	Expired    int64                 `json:"expired"`     // of those, already past at Now
	Now        string                `json:"now"`         // RFC 3339, the reference for expired
	ValueBytes int64                 `json:"value_bytes"` // sum of the encoded value sizes
	Largest    *Key                  `json:"largest"`     // the largest value (ties by db, then key); null when there are no keys
	Top        []Key                 `json:"top"`         // Options.Top largest keys, largest first (ties by db, then key)
	Prefixes   []Prefix              `json:"prefixes"`    // Options.Prefixes prefixes, most keys first (ties by name)
	Checksum   Checksum              `json:"checksum"`    // the trailing CRC-64, checked but never an error
}

// AuxField is an aux record (redis-ver, ctime, used-mem, ...).
type AuxField struct {
	Key   export.Blob `json:"key"`   // aux name
	Value export.Blob `json:"value"` // aux value, as stored (numbers as text)
}

// DBStats counts one database.
type DBStats struct {
	DB         int   `json:"db"`          // database number
	Keys       int64 `json:"keys"`        // keys in the database
	Expiring   int64 `json:"expiring"`    // keys with an expiry
	Expired    int64 `json:"expired"`     // of those, already past at Stats.Now
	ValueBytes int64 `json:"value_bytes"` // sum of the encoded value sizes
}

// TypeStats counts one logical type; Encodings splits the count by
// encoding (rdb.EncodingName).
type TypeStats struct {
	Keys       int64            `json:"keys"`        // keys of this type
	ValueBytes int64            `json:"value_bytes"` // sum of their encoded value sizes
	Encodings  map[string]int64 `json:"encodings"`   // keys per encoding name
}

// Key describes one key.
type Key struct {
	DB       int         `json:"db"`       // database number
	Key      export.Blob `json:"key"`      // key name
	Type     string      `json:"type"`     // rdb.TypeName of the value
	Encoding string      `json:"encoding"` // rdb.EncodingName, e.g. "listpack", "int", "lzf"
	Bytes    int64       `json:"bytes"`    // encoded value size in the file
}

// Prefix counts keys sharing the part before the first ':' ("(none)" for
// keys without one, "(other)" once too many prefixes were seen).
type Prefix struct {
	Prefix     export.Blob `json:"prefix"`      // the part before the first ':', or "(none)", "(other)"
	Keys       int64       `json:"keys"`        // keys with this prefix
	ValueBytes int64       `json:"value_bytes"` // sum of their encoded value sizes
}

// Checksum is the trailing CRC-64's status: "ok", "zero" (written with
// rdbchecksum no), "absent" (RDB < 5), "mismatch" (stored != computed).
type Checksum struct {
	Status   string `json:"status"`   // "ok", "zero", "absent" or "mismatch"
	Stored   string `json:"stored"`   // 16 hex digits
	Computed string `json:"computed"` // 16 hex digits
}

// Collector accumulates Stats from records, for a caller that reads the
// dump itself (Read does it for an io.Reader). A Collector is not safe for
// concurrent use. It copies the key names and aux values it keeps, so the
// records' buffers may be reused (rdb.ReuseBuffers).
type Collector struct {
	opts     Options
	nowMs    int64
	st       Stats
	dbs      []*DBStats // by database number (databases are small numbers)
	dbsHigh  map[int]*DBStats
	byType   [256]typeCount // per type byte; strings split by encoding at Finish
	prefixes map[string]*Prefix
	top      keyHeap
	largest  *Key
}

// typeCount counts one value type byte; for strings enc counts the
// encodings int, raw and lzf.
type typeCount struct {
	keys, bytes int64
	enc         map[string]int64
}

// New starts a collection with opts, filling in their defaults (Prefixes 0
// means 20, a zero Now means time.Now()).
func New(opts Options) *Collector {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.Prefixes == 0 {
		opts.Prefixes = 20
	}
	c := &Collector{opts: opts, nowMs: opts.Now.UnixMilli(), dbsHigh: map[int]*DBStats{}, prefixes: map[string]*Prefix{}}
	c.st.Types = map[string]*TypeStats{}
	c.st.Now = opts.Now.UTC().Format(time.RFC3339)
	c.st.Aux = []AuxField{}
	c.st.ModuleAux = []string{}
	c.st.Top = []Key{}
	return c
}

// Add takes one record. Headers, aux fields, function libraries, module aux
// data and entries are counted; other records are ignored.
func (c *Collector) Add(rec rdb.Record) {
	switch r := rec.(type) {
	case *rdb.Header:
		c.st.Magic, c.st.Version = r.Magic, r.Version
	case *rdb.Aux:
		c.st.Aux = append(c.st.Aux, AuxField{Key: clone(r.Key), Value: clone(r.Value)})
	case *rdb.Function:
		c.st.Functions++
	case *rdb.ModuleAux:
		c.st.ModuleAux = append(c.st.ModuleAux, r.ModuleName())
	case *rdb.Entry:
		c.entry(r)
	}
}

func clone(b []byte) export.Blob { return append(export.Blob(nil), b...) }

// dbStats returns the counters of database db.
func (c *Collector) dbStats(db int) *DBStats {
	if db >= 0 && db < 1024 {
		for len(c.dbs) <= db {
			c.dbs = append(c.dbs, nil)
		}
		if c.dbs[db] == nil {
			c.dbs[db] = &DBStats{DB: db}
		}
		return c.dbs[db]
	}
	d := c.dbsHigh[db]
	if d == nil {
		d = &DBStats{DB: db}
		c.dbsHigh[db] = d
	}
	return d
}

func (c *Collector) entry(e *rdb.Entry) {
	st := &c.st
	st.Keys++
	st.ValueBytes += e.ValueLen
	db := c.dbStats(e.DB)
	db.Keys++
	db.ValueBytes += e.ValueLen
	if e.HasExpiry() {
		st.Expiring++
		db.Expiring++
		if e.ExpireMs < c.nowMs {
			st.Expired++
			db.Expired++
		}
	}
	tc := &c.byType[e.Type]
	tc.keys++
	tc.bytes += e.ValueLen
	if e.Type == rdb.TypeString {
		enc := e.Encoding() // int, raw or lzf, also when the value was skipped
		if tc.enc == nil {
			tc.enc = map[string]int64{}
		}
		tc.enc[enc]++
	}

	// prefix: the lookup with string(bytes) does not allocate
	var p *Prefix
	if i := bytes.IndexByte(e.Key, ':'); i >= 0 {
		p = c.prefixes[string(e.Key[:i])]
		if p == nil {
			p = c.newPrefix(string(e.Key[:i]))
		}
	} else {
		p = c.prefixes["(none)"]
		if p == nil {
			p = c.newPrefix("(none)")
		}
	}
	p.Keys++
	p.ValueBytes += e.ValueLen

	// largest and top N; equal sizes rank by db, then key, so the result
	// does not depend on the order the file holds the keys in
	if c.largest == nil || entryBefore(e, c.largest) {
		c.largest = c.key(e)
	}
	if c.opts.Top > 0 {
		if len(c.top) < c.opts.Top {
			heap.Push(&c.top, *c.key(e))
		} else if entryBefore(e, &c.top[0]) {
			c.top[0] = *c.key(e)
			heap.Fix(&c.top, 0)
		}
	}
}

// entryBefore is keyBefore for an entry not yet copied into a Key.
func entryBefore(e *rdb.Entry, k *Key) bool {
	if e.ValueLen != k.Bytes {
		return e.ValueLen > k.Bytes
	}
	if e.DB != k.DB {
		return e.DB < k.DB
	}
	return string(e.Key) < string(k.Key)
}

func (c *Collector) key(e *rdb.Entry) *Key {
	return &Key{DB: e.DB, Key: clone(e.Key), Type: rdb.TypeName(e.Type), Encoding: e.Encoding(), Bytes: e.ValueLen}
}

// newPrefix adds a prefix, or returns "(other)" once maxPrefixes are
// tracked.
func (c *Collector) newPrefix(name string) *Prefix {
	if len(c.prefixes) >= maxPrefixes {
		name = "(other)"
		if p := c.prefixes[name]; p != nil {
			return p
		}
	}
	p := &Prefix{Prefix: export.Blob(name)}
	c.prefixes[name] = p
	return p
}

// Finish returns the statistics. sum is the reader's checksum result
// (rdb.Reader.Checksum) and size the number of bytes read, which becomes
// Stats.SizeBytes. The Collector should not be used after Finish.
func (c *Collector) Finish(sum rdb.ChecksumInfo, size int64) *Stats {
	st := c.st
	st.SizeBytes = size
	st.Checksum = Checksum{Status: checksumStatus(sum.Status), Stored: hex16(sum.Stored), Computed: hex16(sum.Computed)}
	st.Databases = []DBStats{}
	for _, d := range c.dbs {
		if d != nil {
			st.Databases = append(st.Databases, *d)
		}
	}
	for _, d := range c.dbsHigh {
		st.Databases = append(st.Databases, *d)
	}
	st.Types = map[string]*TypeStats{}
	for typ := range c.byType {
		tc := &c.byType[typ]
		if tc.keys == 0 {
			continue
		}
		name := rdb.TypeName(byte(typ))
		ts := st.Types[name]
		if ts == nil {
			ts = &TypeStats{Encodings: map[string]int64{}}
			st.Types[name] = ts
		}
		ts.Keys += tc.keys
		ts.ValueBytes += tc.bytes
		if tc.enc != nil {
			for enc, n := range tc.enc {
				ts.Encodings[enc] += n
			}
		} else {
			ts.Encodings[rdb.EncodingName(byte(typ), nil)] += tc.keys
		}
	}
	sort.Slice(st.Databases, func(i, j int) bool { return st.Databases[i].DB < st.Databases[j].DB })
	st.Largest = c.largest
	st.Top = append([]Key{}, c.top...)
	// Largest first; equal sizes by db then key, so the order is stable.
	sort.Slice(st.Top, func(i, j int) bool { return keyBefore(st.Top[i], st.Top[j]) })
	st.Prefixes = []Prefix{}
	for _, p := range c.prefixes {
		st.Prefixes = append(st.Prefixes, *p)
	}
	sort.Slice(st.Prefixes, func(i, j int) bool {
		a, b := st.Prefixes[i], st.Prefixes[j]
		if a.Keys != b.Keys {
			return a.Keys > b.Keys
		}
		return string(a.Prefix) < string(b.Prefix)
	})
	if len(st.Prefixes) > max(c.opts.Prefixes, 0) {
		st.Prefixes = st.Prefixes[:max(c.opts.Prefixes, 0)]
	}
	return &st
}

func keyBefore(a, b Key) bool {
	if a.Bytes != b.Bytes {
		return a.Bytes > b.Bytes
	}
	if a.DB != b.DB {
		return a.DB < b.DB
	}
	return string(a.Key) < string(b.Key)
}

// keyHeap keeps the N largest keys; the smallest of them on top.
type keyHeap []Key

func (h keyHeap) Len() int           { return len(h) }
func (h keyHeap) Less(i, j int) bool { return keyBefore(h[j], h[i]) }
func (h keyHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *keyHeap) Push(x any)        { *h = append(*h, x.(Key)) }
func (h *keyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func checksumStatus(s rdb.ChecksumStatus) string {
	switch s {
	case rdb.ChecksumOK:
		return "ok"
	case rdb.ChecksumZero:
		return "zero"
	case rdb.ChecksumAbsent:
		return "absent"
	case rdb.ChecksumMismatch:
		return "mismatch"
	}
	return "unknown"
}

func hex16(v uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[v&15]
		v >>= 4
	}
	return string(b[:])
}
