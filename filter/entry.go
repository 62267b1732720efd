package filter

import (
	"container/heap"
	"fmt"
	"slices"
	"strings"

	"github.com/rdbtool/rdbtool/rdb"
)

// A Filter decides about one entry of a stream. It may change the entry
// (Persist removes its expiry); keep false drops it from the output.
type Filter interface {
	// Apply decides about e, possibly changing it, and reports whether to
	// keep it. Rewrite may reuse e's buffers after Apply returns, so a
	// Filter copies any bytes it keeps.
	Apply(e *rdb.Entry) (keep bool)
}

// An UnseenDropper is a Filter that can tell before an entry's value is
// read that it will drop the entry whatever the value. Rewrite then has
// the Reader skip such values unread (rdb.SkipValueIf), so a dropped value
// costs no memory; the entry still goes through Apply, with Value nil
// (ValueSkipped) and ValueLen set, so every count is as without it.
type UnseenDropper interface {
	Filter
	// DropsUnseen reports whether Apply will certainly drop e whatever its
	// value. e has its database, key, type, expiry, idle time and LFU
	// frequency but no value yet (Value nil, ValueLen 0); DropsUnseen must
	// not change e or keep it or its Key.
	DropsUnseen(e *rdb.Entry) bool
}

// Chain applies filters in order; the first that drops an entry stops it.
type Chain []Filter

// Apply runs every filter until one drops e.
func (c Chain) Apply(e *rdb.Entry) bool {
	for _, f := range c {
		if !f.Apply(e) {
			return false
		}
	}
	return true
}

// DropsUnseen reports whether a filter of the chain certainly drops e
// whatever its value (an UnseenDropper that says so) and every filter
// before it decides, counts and leaves e exactly as it would with the
// value read (see passesUnseen), so that Apply reaches it with the same
// entry. A filter the chain knows nothing about ends the search: false.
func (c Chain) DropsUnseen(e *rdb.Entry) bool {
	drops, _ := c.unseen(e)
	return drops
}

// unseen is DropsUnseen in one walk of the chain and of the chains in it
// (Rewrite asks about every entry): drops as DropsUnseen; passes when no
// filter drops e unseen and every one passes it unseen (passesUnseen): a
// Prune keeping e does (ValueLen is all it looks at), a chain does when
// each of its filters does.
func (c Chain) unseen(e *rdb.Entry) (drops, passes bool) {
	for _, f := range c {
		switch g := f.(type) {
		case Chain:
			drops, passes = g.unseen(e)
		case *Prune:
			drops, passes = g.DropsUnseen(e), true
		default:
			d, ok := f.(UnseenDropper)
			drops = ok && d.DropsUnseen(e)
			passes = passesUnseen(f, e)
		}
		if drops {
			return true, false
		}
		if !passes {
			return false, false
		}
	}
	return false, true
}

// passesUnseen reports whether f's Apply, on e with its value skipped
// (Value nil, ValueLen set), decides and counts as with the value read and
// changes nothing in e: DropExpired, Persist when it leaves e alone (key
// not matched, or no expiry of its own or of its hash fields), Checker
// unless its no-ttl rule reads a hash's field expiries. (Prune and Chain:
// see Chain.unseen.)
func passesUnseen(f Filter, e *rdb.Entry) bool {
	switch f := f.(type) {
	case *DropExpired:
		return true
	case *Persist:
		return !f.Match.Match(e.Key) || (!e.HasExpiry() && !rdb.HasFieldExpiries(e.Type))
	case *Checker:
		return !(f.p.NoTTL && rdb.HasFieldExpiries(e.Type))
	}
	return false
}

// mayDropUnseen reports whether f's DropsUnseen can ever say true, so that
// Rewrite asks it about each entry only then: a Prune without LargerThan
// (the size of a value is known only once it is read, and a value skipped
// cannot be kept), a chain holding one, any other UnseenDropper.
func mayDropUnseen(f Filter) bool {
	switch f := f.(type) {
	case *Prune:
		return f != nil && f.LargerThan <= 0
	case Chain:
		for _, g := range f {
			if mayDropUnseen(g) {
				return true
			}
		}
		return false
	}
	_, ok := f.(UnseenDropper)
	return ok
}

// Types is a set of logical type names ("string", "list", "set", "zset",
// "hash", "stream", "module"); empty matches every type.
type Types []string

// ParseTypes checks the names and returns them as Types.
func ParseTypes(names []string) (Types, error) {
	for _, n := range names {
		if !slices.Contains(rdb.TypeNames, n) {
			return nil, fmt.Errorf("unknown type %q: use one of %s", n, strings.Join(rdb.TypeNames, ", "))
		}
	}
	return Types(names), nil
}

// Match reports whether typ (a value type byte) is one of the types.
func (ts Types) Match(typ byte) bool {
	if len(ts) == 0 {
		return true
	}
	name := rdb.TypeName(typ)
	for _, t := range ts {
		if t == name {
			return true
		}
	}
	return false
}

// DBs is a set of database numbers; empty matches every database.
type DBs []int

// Match reports whether db is in the set.
func (ds DBs) Match(db int) bool {
	if len(ds) == 0 {
		return true
	}
	for _, d := range ds {
		if d == db {
			return true
		}
	}
	return false
}

// Select is the key selection shared by keys, prune and persist: an entry
// is selected when it satisfies every condition given (within one
// condition, any of the listed globs, types or databases will do).
type Select struct {
	Match      Globs // key patterns; empty: any key
	Types      Types // logical types; empty: any type
	DBs        DBs   // database numbers; empty: any database
	LargerThan int64 // encoded value bytes (rdb.Entry.ValueLen > this); 0 or less = no condition
}

// Selects reports whether e satisfies every condition.
func (s *Select) Selects(e *rdb.Entry) bool {
	return s.DBs.Match(e.DB) && s.Types.Match(e.Type) &&
		(s.LargerThan <= 0 || e.ValueLen > s.LargerThan) && s.Match.Match(e.Key)
}

// Empty reports whether no condition is set (every key is selected).
func (s *Select) Empty() bool {
	return len(s.Match) == 0 && len(s.Types) == 0 && len(s.DBs) == 0 && s.LargerThan <= 0
}

// Prune drops the selected entries, except those in Spare (see
// KeepNewest). It counts what it removed.
//
// The json tags are the field names of rdbtool prune --json (and of
// "prune" in refresh --json).
type Prune struct {
	Select `json:"-"`
	Spare  *Spare `json:"-"` // may be nil

	Removed      int   `json:"removed"`             // entries dropped
	RemovedBytes int64 `json:"removed_value_bytes"` // their value bytes
	Spared       int   `json:"spared"`              // selected entries kept because of Spare
}

// Apply drops e when it is selected and not spared.
func (p *Prune) Apply(e *rdb.Entry) bool {
	if !p.Selects(e) {
		return true
	}
	if p.Spare.Has(e.DB, e.Key) {
		p.Spared++
		return true
	}
	p.Removed++
	p.RemovedBytes += e.ValueLen
	return false
}

// DropsUnseen reports whether Apply will drop e whatever its value: e is
// selected and not spared, and no LargerThan condition needs the value's
// size (see UnseenDropper).
func (p *Prune) DropsUnseen(e *rdb.Entry) bool {
	return p.LargerThan <= 0 && p.Selects(e) && !p.Spare.Has(e.DB, e.Key)
}

// Spare is the set of keys KeepNewest chose to keep.
type Spare struct {
	keys map[spareKey]struct{}
}

type spareKey struct {
	db  int
	key string
}

// Has reports whether (db, key) is spared. A nil Spare spares nothing.
func (s *Spare) Has(db int, key []byte) bool {
	if s == nil {
		return false
	}
	_, ok := s.keys[spareKey{db, string(key)}]
	return ok
}

// Len is the number of spared keys.
func (s *Spare) Len() int {
	if s == nil {
		return 0
	}
	return len(s.keys)
}

// KeepNewest collects, from the keys offered to it, the n whose names sort
// last in natural order (ties between databases: the higher database
// last). Memory is O(n): a heap of the best n so far. Use it in a first
// pass over the file (values skipped), then hand Spare() to Prune.
type KeepNewest struct {
	n int
	h keyHeap
}

// NewKeepNewest keeps the n newest names.
func NewKeepNewest(n int) *KeepNewest { return &KeepNewest{n: n} }

// Offer considers one selected key.
func (k *KeepNewest) Offer(db int, key []byte) {
	if k.n <= 0 {
		return
	}
	item := spareKey{db, string(key)}
	if len(k.h) < k.n {
		heap.Push(&k.h, item)
		return
	}
	if keyLess(k.h[0], item) {
		k.h[0] = item
		heap.Fix(&k.h, 0)
	}
}

// Spare returns the chosen keys.
func (k *KeepNewest) Spare() *Spare {
	s := &Spare{keys: make(map[spareKey]struct{}, len(k.h))}
	for _, it := range k.h {
		s.keys[it] = struct{}{}
	}
	return s
}

func keyLess(a, b spareKey) bool {
	if c := NaturalCompare([]byte(a.key), []byte(b.key)); c != 0 {
		return c < 0
	}
	return a.db < b.db
}

// keyHeap is a min-heap: the oldest of the kept names on top.
type keyHeap []spareKey

func (h keyHeap) Len() int           { return len(h) }
func (h keyHeap) Less(i, j int) bool { return keyLess(h[i], h[j]) }
func (h keyHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *keyHeap) Push(x any)        { *h = append(*h, x.(spareKey)) }
func (h *keyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Persist removes the expiry of the entries whose key matches (all keys
// when Match is empty). An entry whose expiry is already past (before
// NowMs: a real Redis would drop it on load) is dropped when DropExpired is
// set, otherwise kept without expiry and recorded in Past.
//
// The json tags are the field names of rdbtool persist --json (and of
// "persist" in refresh --json).
type Persist struct {
	Match       Globs `json:"-"`            // keys to persist; empty: every key
	DropExpired bool  `json:"drop_expired"` // drop entries (and hash fields) already past instead of keeping them
	NowMs       int64 `json:"now_ms"`       // unix ms; the reference for "already past"

	Persisted   int      `json:"persisted"`        // expiries removed from keys still live
	Fields      int      `json:"fields_persisted"` // hash field expiries removed (HPERSIST)
	FieldsGone  int      `json:"fields_dropped"`   // hash fields already past, dropped (DropExpired)
	Dropped     int      `json:"dropped"`          // expired entries dropped (DropExpired)
	PastKept    int      `json:"past_kept"`        // expired entries kept (and persisted)
	Past        []KeyRef `json:"past"`             // the first MaxPastList expired entries kept
	MaxPastList int      `json:"-"`                // how many Past entries to record (0 = 100)
}

// KeyRef names one key. (The --json reports write the key as rdbtool
// export does: a string, or {"base64": ...} when not UTF-8.)
type KeyRef struct {
	DB  int    `json:"db"`  // database number
	Key []byte `json:"key"` // key name, a copy owned by the KeyRef
}

// String renders the key as "db0 user:1", the key quoted by Quote.
func (k KeyRef) String() string { return fmt.Sprintf("db%d %s", k.DB, Quote(k.Key)) }

// Apply removes e's expiry, or drops e when expired and DropExpired.
func (p *Persist) Apply(e *rdb.Entry) bool {
	if !p.Match.Match(e.Key) {
		return true
	}
	if rdb.HasFieldExpiries(e.Type) && e.Value != nil {
		// Field expiries expire fields as key expiries expire keys: a
		// fixture keeps its fields too. A value that does not decode is
		// left for the checks that report it.
		now := int64(-1)
		if p.DropExpired {
			now = p.NowMs
		}
		if n, gone, left, err := rdb.PersistFields(e, now); err == nil {
			p.Fields += n
			p.FieldsGone += gone
			if left == 0 { // every field was past: the server drops the key
				p.Dropped++
				return false
			}
		}
	}
	if !e.HasExpiry() {
		return true
	}
	if Expired(e, p.NowMs) {
		if p.DropExpired {
			p.Dropped++
			return false
		}
		p.PastKept++
		max := p.MaxPastList
		if max == 0 {
			max = 100
		}
		if len(p.Past) < max {
			p.Past = append(p.Past, KeyRef{e.DB, append([]byte(nil), e.Key...)})
		}
	} else {
		p.Persisted++
	}
	e.ExpireMs = -1
	e.ExpireSeconds = false
	return true
}

// DropExpired drops every entry whose expiry is already past, as a Redis
// master does on load, and leaves the others alone.
type DropExpired struct {
	NowMs   int64 // unix ms; entries with an expiry strictly before this are dropped
	Dropped int   // entries dropped so far
}

// Apply drops e when it has expired.
func (d *DropExpired) Apply(e *rdb.Entry) bool {
	if Expired(e, d.NowMs) {
		d.Dropped++
		return false
	}
	return true
}

// Expired reports whether e's expiry is before nowMs. Redis drops a key on
// load when its expiry is strictly earlier than the load time.
func Expired(e *rdb.Entry, nowMs int64) bool {
	return e.HasExpiry() && e.ExpireMs < nowMs
}

// Quote renders a key for one-line output: as is when it is printable
// ASCII without spaces, quotes or backslashes, else as a Go-style quoted
// string ("a b", "\xff").
func Quote(key []byte) string {
	plain := len(key) > 0
	for _, c := range key {
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '\'' {
			plain = false
			break
		}
	}
	if plain {
		return string(key)
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range key {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < ' ' || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
