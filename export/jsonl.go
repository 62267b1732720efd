package export

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/rdbtool/rdbtool/filter"
	"github.com/rdbtool/rdbtool/rdb"
)

// Header is the first line of an export.
type Header struct {
	RDBVersion int    `json:"rdb_version"` // 1 to rdb.MaxVersion+1 with "REDIS", 80 and up with "VALKEY"
	Magic      string `json:"magic"`       // "REDIS" or "VALKEY"
}

// check refuses a header no RDB file has: the magic is REDIS with
// version 1 to rdb.MaxVersion+1, or VALKEY with 80 and up.
func (h *Header) check() error {
	switch {
	case h.Magic == "REDIS" && h.RDBVersion >= 1 && h.RDBVersion <= rdb.MaxVersion+1:
	case h.Magic == "VALKEY" && h.RDBVersion >= 80:
	case h.Magic != "REDIS" && h.Magic != "VALKEY":
		return fmt.Errorf("header: magic %q: use \"REDIS\" (rdb_version 1-%d) or \"VALKEY\" (80 and up)", h.Magic, rdb.MaxVersion+1)
	default:
		return fmt.Errorf("header: rdb_version %d with magic %q: use 1-%d with \"REDIS\", 80 and up with \"VALKEY\"", h.RDBVersion, h.Magic, rdb.MaxVersion+1)
	}
	return nil
}

// Line is one key of an export.
type Line struct {
	DB       int             `json:"db"`             // database number, 0 or more
	Key      Blob            `json:"key"`            // key name
	Type     string          `json:"type"`           // "string", "list", "set", "zset", "hash", "stream" or "module"
	ExpireMs int64           `json:"expire_ms"`      // absolute expiry in unix ms, -1 for none
	Idle     *int64          `json:"idle,omitempty"` // LRU idle seconds; nil when the dump has none
	Freq     *int            `json:"freq,omitempty"` // LFU counter; nil when the dump has none
	Value    json.RawMessage `json:"value"`          // the value in the form of its type (see the package doc)

	// warning, set by Entry: what the line holds that is kept as given
	// but is likely a mistake (a stream length other than its entries'
	// count).
	warning string
	// val is the value decoded by its type when decodeKeyLine read the
	// line (a *Blob, *[]Blob, ...; see decodeValue), else nil: Entry then
	// decodes Value.
	val any
}

// ZMember is a sorted set member in JSON.
type ZMember struct {
	Member Blob  `json:"member"` // member bytes
	Score  Score `json:"score"`  // score, ±Inf and NaN as strings
}

// Score is a float64 that writes ±Inf and NaN as strings.
type Score float64

// MarshalJSON writes the shortest exact form, or "inf"/"-inf"/"nan".
func (s Score) MarshalJSON() ([]byte, error) {
	f := float64(s)
	switch {
	case math.IsInf(f, 1):
		return []byte(`"inf"`), nil
	case math.IsInf(f, -1):
		return []byte(`"-inf"`), nil
	case math.IsNaN(f):
		return []byte(`"nan"`), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON reads a number or "inf"/"-inf"/"nan".
func (s *Score) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"inf"`, `"+inf"`:
		*s = Score(math.Inf(1))
		return nil
	case `"-inf"`:
		*s = Score(math.Inf(-1))
		return nil
	case `"nan"`:
		*s = Score(math.NaN())
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("score %s: want a number, \"inf\", \"-inf\" or \"nan\"", b)
	}
	*s = Score(f)
	return nil
}

// HashField is a hash field in JSON.
type HashField struct {
	Field    Blob   `json:"field"`               // field name
	Value    Blob   `json:"value"`               // field value
	ExpireMs *int64 `json:"expire_ms,omitempty"` // field expiry in unix ms (Redis 7.4+); nil for none
}

// StreamJSON is a stream in JSON.
type StreamJSON struct {
	Length       uint64        `json:"length"`         // entries in the stream (XLEN)
	EntriesAdded uint64        `json:"entries_added"`  // entries ever added
	LastID       ID            `json:"last_id"`        // the last ID generated
	FirstID      ID            `json:"first_id"`       // the first entry's ID
	MaxDeletedID ID            `json:"max_deleted_id"` // the largest deleted ID
	Entries      []StreamEntry `json:"entries"`        // in file (ID) order; never null
	Groups       []StreamGroup `json:"groups"`         // consumer groups; never null
}

// StreamEntry is one stream entry: fields as [name, value] pairs.
type StreamEntry struct {
	ID     ID          `json:"id"`     // entry ID
	Fields []FieldPair `json:"fields"` // [name, value] pairs in entry order
}

// FieldPair is a stream entry's field: [name, value].
type FieldPair [2]Blob

// UnmarshalJSON reads [name, value] and refuses any other length, which
// encoding/json would pad or cut without a word (a hand-written
// ["a","b","c","d"] kept a=b only).
func (p *FieldPair) UnmarshalJSON(b []byte) error {
	var bs []Blob
	if err := json.Unmarshal(b, &bs); err != nil || len(bs) != 2 {
		return fmt.Errorf("stream entry field %s: want a [name, value] pair (one array per field)", clip(b))
	}
	*p = FieldPair{bs[0], bs[1]}
	return nil
}

// clip shortens JSON text for an error message.
func clip(b []byte) string {
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}

// StreamGroup is a consumer group.
type StreamGroup struct {
	Name        Blob             `json:"name"`         // group name
	LastID      ID               `json:"last_id"`      // last delivered ID
	EntriesRead int64            `json:"entries_read"` // -1 when unknown (older RDB versions)
	Pending     []StreamPEL      `json:"pending"`      // the group's pending entries list
	Consumers   []StreamConsumer `json:"consumers"`    // its consumers
}

// UnmarshalJSON reads a group; a missing "entries_read" is -1
// (unknown), not 0, which Redis would take as "read nothing" and report
// the group's lag as every entry added.
func (g *StreamGroup) UnmarshalJSON(b []byte) error {
	type plain StreamGroup // without this method
	p := plain{EntriesRead: -1}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return jsonError(err, "value.groups")
	}
	*g = StreamGroup(p)
	return nil
}

// StreamPEL is a pending entry of a group.
type StreamPEL struct {
	ID            ID     `json:"id"`             // pending entry ID
	DeliveryTime  int64  `json:"delivery_time"`  // unix ms of the last delivery
	DeliveryCount uint64 `json:"delivery_count"` // times delivered
}

// StreamConsumer is a consumer with its pending IDs.
type StreamConsumer struct {
	Name       Blob  `json:"name"`        // consumer name
	SeenTime   int64 `json:"seen_time"`   // unix ms last seen
	ActiveTime int64 `json:"active_time"` // unix ms last active, -1 never
	Pending    []ID  `json:"pending"`     // IDs it owns; each must be in the group's Pending
}

// ModuleJSON is an opaque module value.
type ModuleJSON struct {
	Module  string `json:"module"`   // module type name (9 characters), from the module ID
	EncVer  int    `json:"encver"`   // the module's encoding version
	RDBType int    `json:"rdb_type"` // the RDB value type, 7 (module 2)
	Raw     Blob   `json:"raw"`      // the value's RDB bytes, written back as they are
}

// ID is a stream ID written "ms-seq".
type ID rdb.StreamID

// MarshalJSON writes "ms-seq".
func (id ID) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatUint(id.Ms, 10) + "-" + strconv.FormatUint(id.Seq, 10) + `"`), nil
}

// UnmarshalJSON reads "ms-seq".
func (id *ID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("stream ID %s: want \"ms-seq\"", b)
	}
	ms, seq, ok := strings.Cut(s, "-")
	a, err1 := strconv.ParseUint(ms, 10, 64)
	c, err2 := strconv.ParseUint(seq, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return fmt.Errorf("stream ID %q: want \"ms-seq\"", s)
	}
	*id = ID{Ms: a, Seq: c}
	return nil
}

// ValueJSON renders a decoded value in the export form: a Blob, []Blob,
// []ZMember, []HashField or *StreamJSON, ready for json.Marshal. Module
// values are an error here; EntryLine writes them as ModuleJSON.
func ValueJSON(v *rdb.Value) (any, error) {
	switch v.Kind {
	case "string":
		return Blob(v.String), nil
	case "list":
		return blobs(v.List), nil
	case "set":
		return blobs(v.Set), nil
	case "zset":
		out := make([]ZMember, len(v.ZSet))
		for i, m := range v.ZSet {
			out[i] = ZMember{Member: m.Member, Score: Score(m.Score)}
		}
		return out, nil
	case "hash":
		out := make([]HashField, len(v.Hash))
		for i, f := range v.Hash {
			out[i] = HashField{Field: f.Field, Value: f.Value}
			if f.ExpireMs >= 0 {
				ms := f.ExpireMs
				out[i].ExpireMs = &ms
			}
		}
		return out, nil
	case "stream":
		return streamJSON(v.Stream), nil
	}
	return nil, fmt.Errorf("cannot export a %s value", v.Kind)
}

func blobs(in [][]byte) []Blob {
	out := make([]Blob, len(in))
	for i, b := range in {
		out[i] = b
	}
	return out
}

func streamJSON(s *rdb.Stream) *StreamJSON {
	out := &StreamJSON{Length: s.Length, EntriesAdded: s.EntriesAdded, LastID: ID(s.LastID), FirstID: ID(s.FirstID),
		MaxDeletedID: ID(s.MaxDeletedID), Entries: []StreamEntry{}, Groups: []StreamGroup{}}
	for _, e := range s.Entries {
		se := StreamEntry{ID: ID(e.ID), Fields: make([]FieldPair, len(e.Fields))}
		for i, f := range e.Fields {
			se.Fields[i] = FieldPair{f.Name, f.Value}
		}
		out.Entries = append(out.Entries, se)
	}
	for _, g := range s.Groups {
		sg := StreamGroup{Name: g.Name, LastID: ID(g.LastID), EntriesRead: g.EntriesRead, Pending: []StreamPEL{}, Consumers: []StreamConsumer{}}
		for _, p := range g.Pending {
			sg.Pending = append(sg.Pending, StreamPEL{ID: ID(p.ID), DeliveryTime: p.DeliveryTime, DeliveryCount: p.DeliveryCount})
		}
		for _, c := range g.Consumers {
			sc := StreamConsumer{Name: c.Name, SeenTime: c.SeenTime, ActiveTime: c.ActiveTime, Pending: []ID{}}
			for _, id := range c.Pending {
				sc.Pending = append(sc.Pending, ID(id))
			}
			sg.Consumers = append(sg.Consumers, sc)
		}
		out.Groups = append(out.Groups, sg)
	}
	return out
}

// EntryLine renders one entry as an export line (without the newline).
func EntryLine(e *rdb.Entry) ([]byte, error) {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	if bad, _ := writeEntryLine(w, e); bad != nil {
		return nil, bad
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Export writes the JSON-lines form of the RDB stream r to w, one key at a
// time, and returns the number of keys written. A key that cannot be
// rendered gives an *rdb.Error naming it; on any error w holds a partial
// export. ropts are passed to rdb.NewReader.
func Export(r io.Reader, w io.Writer, ropts ...rdb.ReaderOption) (keys int64, err error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	rd := rdb.NewReader(r, append([]rdb.ReaderOption{rdb.ReuseBuffers()}, ropts...)...) // each line is written before the next read
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return keys, err
		}
		var line []byte
		switch x := rec.(type) {
		case *rdb.Header:
			line, err = marshalText(Header{RDBVersion: x.Version, Magic: x.Magic})
		case *rdb.Function:
			line, err = marshalText(struct {
				Function Blob `json:"function"`
			}{FunctionCode(x)})
		case *rdb.ModuleAux:
			line, err = marshalText(moduleAuxLine{ModuleAux: moduleAuxJSON{Module: x.ModuleName(), ID: x.ModuleID, Data: x.Raw}})
		case *rdb.Entry:
			keys++
			// written as it is rendered, not built whole: one line holds
			// a whole value
			bad, err := writeEntryLine(bw, x)
			if bad != nil {
				return keys, &rdb.Error{Offset: x.Offset(), Key: x.Key, Err: bad}
			}
			if err != nil {
				return keys, err
			}
			if err := bw.WriteByte('\n'); err != nil {
				return keys, err
			}
			continue
		default:
			continue
		}
		if err != nil {
			return keys, err
		}
		bw.Write(line)
		if err := bw.WriteByte('\n'); err != nil {
			return keys, err
		}
	}
	return keys, bw.Flush()
}

// marshalText is json.Marshal without the HTML escapes (\u003c for <):
// an export line is text to read and edit, as jq prints it.
func marshalText(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// moduleAuxLine is a module's aux data (opcode 247), kept opaque: the
// record's bytes (module id first), with the module's name and id
// alongside for readers.
type moduleAuxLine struct {
	ModuleAux moduleAuxJSON `json:"module_aux"`
}

type moduleAuxJSON struct {
	Module string `json:"module"` // for readers: Data is what is written back
	ID     uint64 `json:"id"`
	Data   Blob   `json:"data"`
}

// FunctionCode is a library's code as FUNCTION LOAD takes it. A 7.0
// release-candidate library (opcode 246) stores name and engine apart from
// a code without the "#!engine name=lib" line; it is added back.
func FunctionCode(f *rdb.Function) []byte { return rdb.FunctionLoadCode(f) }

// LineError is an import error on a given line.
type LineError struct {
	Line int   // 1-based line number in the input
	Err  error // what is wrong with the line
}

// Error is "line N: " and Err.
func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns Err.
func (e *LineError) Unwrap() error { return e.Err }

// Import reads the JSON-lines form from r and writes an RDB file of the
// given version to w (0: the header line's version, else rdb.MaxVersion).
// Keys the version cannot express make it fail; ImportWith can skip them
// and reports what the conversion dropped.
func Import(r io.Reader, w io.Writer, version int) (keys int64, err error) {
	st, err := ImportWith(r, w, ImportOptions{Version: version})
	return st.Keys, err
}

// ImportOptions tune ImportWith.
type ImportOptions struct {
	// Version is the RDB version to write; 0: the header line's, else
	// rdb.MaxVersion. The data is fitted to it by the same rules as
	// rewrite --rdb-version (rdb.Conversion).
	Version int
	// SkipUnconvertible leaves out keys the version cannot express
	// (module values before 8, streams before 9, expiries past 2038 before
	// 3) instead of failing.
	SkipUnconvertible bool
	// MaxWarnings bounds ImportStats.Warnings (0: 1000); the rest are
	// counted in WarningsOmitted.
	MaxWarnings int
}

// ImportStats says what an import did.
//
// The json tags are the field names of rdbtool import --json.
type ImportStats struct {
	Version int   `json:"rdb_version"` // the RDB version written
	Keys    int64 `json:"keys"`        // keys written
	// What fitting to Version did, as rewrite reports it; Unconvertible
	// keys are left out with SkipUnconvertible.
	filter.ConversionReport
}

// ImportWith is Import with options and a report of what was converted.
// A key given twice in one database is an error (Redis refuses such a
// dump); to find it, ImportWith keeps a 16-byte fingerprint per key
// (outside the Go heap).
// With unconvertible keys and no SkipUnconvertible it returns an error
// wrapping rdb.ErrUnconvertible, after reading the whole input so that
// ImportStats.Unconvertible lists them all; the output is then incomplete.
func ImportWith(r io.Reader, w io.Writer, opt ImportOptions) (*ImportStats, error) {
	im := &importer{w: w, version: opt.Version, requested: opt.Version > 0, st: &ImportStats{ConversionReport: filter.ConversionReport{MaxWarnings: opt.MaxWarnings}}}
	defer func() {
		im.seen.release()
		if im.wr != nil {
			im.wr.Abort() // cut short: no trailer, and its background writer stops now (after Close: nothing)
		}
	}()
	br := bufio.NewReaderSize(r, 256<<10)
	for n := 1; ; n++ {
		im.lineNo = n
		line, rerr := br.ReadBytes('\n')
		if rerr != nil && rerr != io.EOF {
			return im.st, rerr
		}
		if n == 1 {
			// a UTF-8 byte order mark, as Windows editors save
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
		}
		// leading blanks are kept, so that a syntax error's column is
		// the one an editor shows
		line = bytes.TrimRight(line, " \t\r\n\v\f")
		if len(bytes.TrimSpace(line)) > 0 {
			if err := im.line(line); err != nil {
				return im.st, &LineError{Line: n, Err: err}
			}
		}
		if rerr == io.EOF {
			break
		}
	}
	im.start(0)
	im.st.Finish(im.conv)
	if n := len(im.st.Unconvertible); n > 0 && !opt.SkipUnconvertible {
		return im.st, fmt.Errorf("%w: %d keys cannot be written as RDB version %d (use --skip-unconvertible to leave them out)",
			rdb.ErrUnconvertible, n, im.version)
	}
	return im.st, im.wr.Close()
}

type importer struct {
	w       io.Writer
	wr      *rdb.Writer
	conv    *rdb.Conversion
	version int // requested, then actual
	st      *ImportStats
	lineNo  int
	seen    *keySet // the keys written, to refuse a key given twice

	header     *Header // the first header line, and its number
	headerLine int
	requested  bool           // the version to write was given (ImportOptions.Version)
	libs       map[string]int // function library name -> its line
}

func (im *importer) start(v int) {
	if im.wr != nil {
		return
	}
	if im.version <= 0 {
		im.version = v
	}
	if im.version <= 0 {
		im.version = rdb.MaxVersion
	}
	magic := "REDIS"
	if im.version >= 80 {
		magic = "VALKEY"
	}
	im.st.Version = im.version
	im.wr = rdb.NewWriter(im.w, im.version, rdb.WithMagic(magic))
	im.conv = rdb.NewConversion(im.version)
}

func (im *importer) line(line []byte) error {
	if l, ok := decodeKeyLine(line); fastKeyLines && ok {
		im.start(0)
		return im.key(l)
	}
	// Any other line, or a key line decodeKeyLine does not take: the
	// general path, which says what is wrong.
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(line, &probe); err != nil {
		return lineJSONError(line, err)
	}
	if _, ok := probe["rdb_version"]; ok {
		var h Header
		if err := strictUnmarshal(line, &h); err != nil {
			return err
		}
		if err := h.check(); err != nil {
			return err
		}
		switch {
		case im.header != nil && (h == *im.header || im.requested):
			// exports concatenated: the same header again, or any when
			// the version to write was chosen
			return nil
		case im.header != nil:
			return fmt.Errorf("a second header (rdb_version %d, magic %q) unlike line %d's (rdb_version %d, magic %q): one file has one version; leave the later headers out (jq -c 'select(has(\"rdb_version\") | not)') or choose the version with --rdb-version",
				h.RDBVersion, h.Magic, im.headerLine, im.header.RDBVersion, im.header.Magic)
		case im.wr != nil:
			return errors.New("a header after the first key: the header line comes first (or leave it out and choose the version with --rdb-version)")
		}
		im.header, im.headerLine = &h, im.lineNo
		im.start(h.RDBVersion)
		return nil
	}
	im.start(0)
	if _, ok := probe["function"]; ok {
		var f struct {
			Function Blob `json:"function"`
		}
		if err := strictUnmarshal(line, &f); err != nil {
			return err
		}
		rec := &rdb.Function{Opcode: rdb.OpFunction2, Code: f.Function}
		// Redis aborts the whole load on a library without its name
		// line, or one given twice.
		name := rec.Library()
		if name == "" {
			return errors.New(`function: the code must start with a line "#!lua name=LIBRARY" (Redis refuses to load a library without it)`)
		}
		if first, ok := im.libs[name]; ok {
			return fmt.Errorf("function: library %q is also on line %d (#!lua name=%s): Redis refuses to load a dump holding a library twice", name, first, name)
		}
		if im.libs == nil {
			im.libs = map[string]int{}
		}
		im.libs[name] = im.lineNo
		if !im.conv.Keep(rec) {
			return nil // servers before 7.0 (RDB 10) have no functions
		}
		return im.wr.Write(rec)
	}
	if _, ok := probe["module_aux"]; ok {
		// The id is for readers: any number is taken (a float64 JSON
		// tool rounds a 64-bit id, some print it as 1.25e+19); data,
		// which starts with the id, is what is written.
		var m struct {
			ModuleAux struct {
				Module string          `json:"module"`
				ID     json.RawMessage `json:"id"`
				Data   Blob            `json:"data"`
			} `json:"module_aux"`
		}
		if err := strictUnmarshal(line, &m); err != nil {
			return err
		}
		if _, err := strconv.ParseFloat(string(m.ModuleAux.ID), 64); err != nil && !errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf(`module_aux: "id" %s: want a number (import writes "data", which starts with the id)`, clip(m.ModuleAux.ID))
		}
		if len(m.ModuleAux.Data) == 0 {
			return errors.New(`module_aux: "data" is missing: it holds the record's bytes`)
		}
		if err := checkModuleAux(m.ModuleAux.Data); err != nil {
			return err
		}
		rec := &rdb.ModuleAux{Raw: m.ModuleAux.Data}
		if !im.conv.Keep(rec) {
			return nil // no module aux data before RDB 9
		}
		return im.wr.Write(rec)
	}
	// Every field of a key line is required: a missing expire_ms would
	// read as 0, an expiry in 1970 that makes Redis drop the key on load.
	for _, f := range []string{"db", "key", "type", "expire_ms", "value"} {
		if v, ok := probe[f]; !ok || string(bytes.TrimSpace(v)) == "null" {
			hint := ""
			if f == "expire_ms" {
				hint = " (-1 for no expiry)"
			}
			return fmt.Errorf("missing %q%s: a key line has db, key, type, expire_ms and value", f, hint)
		}
	}
	var l Line
	if err := strictUnmarshal(line, &l); err != nil {
		return err
	}
	return im.key(&l)
}

// key writes the entry of a decoded key line.
func (im *importer) key(l *Line) error {
	// The value is built in the newest form the target's family loads,
	// then fitted to the target by the rules rewrite uses: the same data
	// is dropped, with the same warnings, and the same keys are refused.
	e, err := l.Entry(fullVersion(im.version))
	if err == nil {
		var keep bool
		if keep, err = im.st.Fit(im.conv, e); err == nil && !keep {
			return nil // listed in Unconvertible
		}
	}
	if err == nil {
		// A value Redis would refuse on load (say, a stream consumer
		// owning an entry its group does not list as pending) is an input
		// error here, not a file that fails later.
		err = rdb.ValidateValue(e.Type, e.Value)
	}
	if err != nil {
		return fmt.Errorf("key %q: %w", []byte(l.Key), err)
	}
	if im.seen == nil {
		im.seen = newKeySet()
	}
	if first := im.seen.add(e.DB, e.Key, im.lineNo); first > 0 {
		return fmt.Errorf("key %q: duplicate of line %d in db %d (a dump holds each key once; Redis refuses to load it)", []byte(l.Key), first, e.DB)
	}
	if l.warning != "" {
		im.st.Warn(fmt.Sprintf("line %d: key %q: %s", im.lineNo, []byte(l.Key), l.warning))
	}
	im.st.Keys++
	return im.wr.WriteEntry(e)
}

// fastKeyLines lets importer.line take key lines from decodeKeyLine; tests
// turn it off to compare with the general path.
var fastKeyLines = true

// keyLineFields are the fields of a key line, by their exact names.
var keyLineFields = []string{"db", "key", "type", "expire_ms", "value", "idle", "freq"}

// decodeKeyLine decodes line in one pass when it is a key line
// with each field once, by its exact name, and no null where a value is
// required, as export writes them; false for anything else (another kind
// of line, a field unknown, repeated, misspelt or of the wrong type, bad
// JSON), which the general path in importer.line then reads, with its
// messages. What it takes, the general path would decode the same way.
func decodeKeyLine(line []byte) (*Line, bool) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields() // in the value, as valueUnmarshal
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	var (
		l        Line
		db       *int
		key      *Blob
		typ      *string
		expireMs *int64
		seen     uint8
	)
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false
		}
		name, _ := t.(string)
		f := slices.Index(keyLineFields, name)
		if f < 0 || seen&(1<<f) != 0 {
			return nil, false // another kind of line, a field unknown, misspelt or repeated
		}
		seen |= 1 << f
		switch name {
		case "db":
			err = dec.Decode(&db)
		case "key":
			err = dec.Decode(&key)
		case "type":
			err = dec.Decode(&typ)
		case "expire_ms":
			err = dec.Decode(&expireMs)
		case "idle":
			err = dec.Decode(&l.Idle)
		case "freq":
			err = dec.Decode(&l.Freq)
		case "value":
			if typ == nil {
				err = dec.Decode(&l.Value) // Entry decodes it by the type
			} else if l.val = decodeValue(dec, *typ); l.val == nil {
				// the type came first, as export writes it: the value is
				// decoded by it, not kept as bytes to decode again
				return nil, false
			}
		}
		if err != nil {
			return nil, false
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false // more after the object
	}
	// a null required field reads as nil (the value as "null")
	if db == nil || key == nil || typ == nil || expireMs == nil || l.val == nil && (l.Value == nil || string(l.Value) == "null") {
		return nil, false
	}
	l.DB, l.Key, l.Type, l.ExpireMs = *db, *key, *typ, *expireMs
	return &l, true
}

// decodeValue decodes the next JSON value of dec as a value of type typ,
// as a pointer to what Entry decodes Line.Value into (valueAs); nil for a
// null, an error or an unknown type.
func decodeValue(dec *json.Decoder, typ string) any {
	switch typ {
	case "string":
		return decodePtr[Blob](dec)
	case "list", "set":
		return decodePtr[[]Blob](dec)
	case "zset":
		return decodePtr[[]zsetMemberJSON](dec)
	case "hash":
		return decodePtr[[]HashField](dec)
	case "stream":
		return decodePtr[StreamJSON](dec)
	case "module":
		return decodePtr[ModuleJSON](dec)
	}
	return nil
}

func decodePtr[T any](dec *json.Decoder) any {
	var p *T // stays nil for a null
	if err := dec.Decode(&p); err != nil || p == nil {
		return nil
	}
	return p
}

// valueAs returns l's value as a T: the one decodeKeyLine decoded, or
// Value decoded now.
func valueAs[T any](l *Line) (T, error) {
	if p, ok := l.val.(*T); ok {
		return *p, nil
	}
	var v T
	err := valueUnmarshal(l.Value, &v)
	return v, err
}

// zsetMemberJSON is ZMember with the score optional, so that a missing
// one is an error rather than a silent 0.
type zsetMemberJSON struct {
	Member Blob   `json:"member"`
	Score  *Score `json:"score"`
}

// checkModuleAux reads data as the record it is written as (opcode 247
// and data, in a file of its own), so that data export did not give is an
// input error rather than a file Redis refuses.
func checkModuleAux(data []byte) error {
	buf := append([]byte("REDIS0010\xf7"), data...)
	buf = append(buf, 0xff, 0, 0, 0, 0, 0, 0, 0, 0) // checksum 0: not checked
	rd := rdb.NewReader(bytes.NewReader(buf))
	n := 0
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf(`module_aux: "data" is not a module aux record (%v): it is written as it is, so it must be the bytes rdbtool export gave`, err)
		}
		if m, ok := rec.(*rdb.ModuleAux); ok && len(m.Raw) == len(data) {
			n++
		} else if _, ok := rec.(*rdb.Header); !ok {
			n += 2
		}
	}
	if n != 1 {
		return errors.New(`module_aux: "data" is not one module aux record: it is written as it is, so it must be the bytes rdbtool export gave`)
	}
	return nil
}

// fullVersion is the newest version of target's family (Redis or Valkey),
// in which every value of an export can be encoded.
func fullVersion(target int) int {
	if target >= 80 {
		return target
	}
	return rdb.MaxVersion
}

// strictUnmarshal decodes a line into v, refusing unknown fields; errors
// name the field in the terms of the format.
func strictUnmarshal(b []byte, v any) error { return strictAt(b, v, "") }

// valueUnmarshal decodes a key line's value into v, as strictUnmarshal.
func valueUnmarshal(b []byte, v any) error { return strictAt(b, v, "value") }

func strictAt(b []byte, v any, path string) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, path)
	}
	return nil
}

// lineJSONError explains why a line is not a JSON object: a comment, a
// syntax error (with its column), another kind of JSON value.
func lineJSONError(line []byte, err error) error {
	if t := bytes.TrimSpace(line); bytes.HasPrefix(t, []byte("#")) || bytes.HasPrefix(t, []byte("//")) {
		return errors.New("a comment: import reads one JSON object per line and has no comments (leave the line out)")
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field == "" {
		return fmt.Errorf("%s, not an object: import reads one JSON object per line (the header, a function, module_aux or a key)", jsonKind(te.Value))
	}
	return jsonError(err, "")
}

// jsonError rewrites encoding/json's errors, which speak of Go types
// ("Go struct field Line.db of type int"), in the terms of the format:
// the field (under path), what it holds and what it wants; a syntax
// error gets its column.
func jsonError(err error, path string) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("column %d: %v", se.Offset, se)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if path != "" && field != "" {
			field = path + "." + field
		} else if field == "" {
			field = path
		}
		want := jsonWant(te.Type)
		if field == "" {
			return fmt.Errorf("got %s, want %s", jsonKind(te.Value), want)
		}
		return fmt.Errorf("%q: got %s, want %s", field, jsonKind(te.Value), want)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if path != "" && strings.HasPrefix(msg, "unknown field ") && !strings.Contains(msg, " in ") {
		msg += " in " + path
	}
	return errors.New(msg)
}

// jsonKind is UnmarshalTypeError.Value ("string", "number 1.5") with an
// article.
func jsonKind(v string) string {
	switch {
	case v == "array", v == "object":
		return "an " + v
	case v == "string":
		return "a string"
	case v == "bool":
		return "true or false"
	case strings.HasPrefix(v, "number"):
		return "the " + v
	}
	return v
}

// jsonWant names what a Go type takes in JSON.
func jsonWant(t reflect.Type) string {
	if t == nil {
		return "another kind of value"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another kind of value"
}

// oldestExpiry is 2001-09-09 in unix ms: an expiry before it comes from
// no Redis dump (Redis 1.0 is from 2009), but from seconds written for
// milliseconds, or 0 meant as "none".
const oldestExpiry = 1e12

// warn adds a note on what the line holds that is kept but likely a
// mistake.
func (l *Line) warn(s string) {
	if l.warning != "" {
		l.warning += "; "
	}
	l.warning += s
}

// trimField shortens a field name for a message.
func trimField(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// Entry builds the RDB entry of a line for the given version. A value no
// Redis loads (a set member given twice, a NaN score, ...) gives an error
// wrapping rdb.ErrInvalidValue; one version cannot hold (a stream before
// 9), rdb.ErrUnconvertible.
func (l *Line) Entry(version int) (*rdb.Entry, error) {
	l.warning = ""
	if l.DB < 0 {
		return nil, fmt.Errorf("negative db %d", l.DB)
	}
	if l.DB > math.MaxInt32 {
		return nil, fmt.Errorf("db %d: an RDB file numbers databases up to %d", l.DB, math.MaxInt32)
	}
	if l.ExpireMs < -1 {
		return nil, fmt.Errorf("expire_ms %d: use -1 for none", l.ExpireMs)
	}
	v := &rdb.Value{Kind: l.Type}
	var e *rdb.Entry
	switch l.Type {
	case "string":
		s, err := valueAs[Blob](l)
		if err != nil {
			return nil, err
		}
		v.String = []byte(s)
	case "list", "set":
		items, err := valueAs[[]Blob](l)
		if err != nil {
			return nil, err
		}
		out := make([][]byte, len(items))
		for i, b := range items {
			out[i] = b
		}
		if l.Type == "list" {
			v.List = out
		} else {
			v.Set = out
		}
	case "zset":
		ms, err := valueAs[[]zsetMemberJSON](l)
		if err != nil {
			return nil, err
		}
		for i, m := range ms {
			if m.Member == nil || m.Score == nil {
				return nil, fmt.Errorf("zset member %d: a member has \"member\" and \"score\"", i)
			}
			v.ZSet = append(v.ZSet, rdb.ZMember{Member: m.Member, Score: float64(*m.Score)})
		}
	case "hash":
		fs, err := valueAs[[]HashField](l)
		if err != nil {
			return nil, err
		}
		for i, f := range fs {
			if f.Field == nil || f.Value == nil {
				return nil, fmt.Errorf("hash field %d: a field has \"field\" and \"value\"", i)
			}
			hf := rdb.HashField{Field: f.Field, Value: f.Value, ExpireMs: -1}
			if f.ExpireMs != nil {
				if *f.ExpireMs < -1 {
					return nil, fmt.Errorf("hash field %q: expire_ms %d: use -1 (or leave it out) for no expiry", trimField(f.Field), *f.ExpireMs)
				}
				hf.ExpireMs = *f.ExpireMs
				if hf.ExpireMs >= 0 && hf.ExpireMs < oldestExpiry {
					l.warn(fmt.Sprintf("field %q: expire_ms %d is %s, before any Redis dump: Redis drops the field when it loads the file (seconds given for milliseconds?)",
						trimField(f.Field), hf.ExpireMs, formatMs(hf.ExpireMs)))
				}
			}
			v.Hash = append(v.Hash, hf)
		}
	case "stream":
		s, err := valueAs[StreamJSON](l)
		if err != nil {
			return nil, err
		}
		v.Stream = s.stream()
		if n := uint64(len(s.Entries)); s.Length != 0 && n != 0 && s.Length != n {
			// Kept: a Redis 5 dump can hold such a length (after XTRIM).
			// But Redis loads it as XLEN, so after entries were removed
			// by hand it is wrong.
			l.warn(fmt.Sprintf("stream length %d kept, but it has %d entries: XLEN will say %d (after removing entries, set \"length\" to their count, or to 0 to have them counted)", s.Length, n, s.Length))
		}
	case "module":
		m, err := valueAs[ModuleJSON](l)
		if err != nil {
			return nil, err
		}
		if m.RDBType != rdb.TypeModule2 {
			return nil, fmt.Errorf("module value with rdb_type %d: only 7 is supported", m.RDBType)
		}
		e = &rdb.Entry{DB: l.DB, Key: l.Key, Type: rdb.TypeModule2, Value: m.Raw, ValueLen: int64(len(m.Raw)), ExpireMs: -1, Idle: -1, Freq: -1}
		if err := rdb.ValidateValue(e.Type, e.Value); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown type %q", l.Type)
	}
	if len(v.List)+len(v.Set)+len(v.ZSet)+len(v.Hash) == 0 && l.Type != "string" && l.Type != "stream" && l.Type != "module" {
		// Redis never saves one and drops it on load without a word.
		return nil, fmt.Errorf("an empty %s: Redis drops empty keys when it loads a dump (leave the line out)", l.Type)
	}
	if e == nil {
		var err error
		// Built at the newest version of the family: what fails here
		// (a member given twice, a NaN score, stream IDs out of order)
		// is wrong data, rdb.ErrInvalidValue, never rdb.ErrUnconvertible,
		// so it is not reported (or skipped) as unconvertible.
		e, err = rdb.NewEntry(l.DB, l.Key, v, version)
		if err != nil {
			return nil, err
		}
	}
	e.ExpireMs = l.ExpireMs
	if l.ExpireMs >= 0 && l.ExpireMs < oldestExpiry {
		l.warn(fmt.Sprintf("expire_ms %d is %s, before any Redis dump: Redis drops the key when it loads the file (seconds given for milliseconds? -1 for no expiry)",
			l.ExpireMs, formatMs(l.ExpireMs)))
	}
	if l.Idle != nil {
		if *l.Idle < 0 {
			return nil, fmt.Errorf("idle %d: LRU idle seconds are 0 or more (leave idle out for none)", *l.Idle)
		}
		e.Idle = *l.Idle
	}
	if l.Freq != nil {
		if *l.Freq < 0 || *l.Freq > 255 {
			return nil, fmt.Errorf("freq %d out of 0..255", *l.Freq)
		}
		e.Freq = *l.Freq
	}
	return e, nil
}

func (s *StreamJSON) stream() *rdb.Stream {
	out := &rdb.Stream{Length: s.Length, EntriesAdded: s.EntriesAdded, LastID: rdb.StreamID(s.LastID),
		FirstID: rdb.StreamID(s.FirstID), MaxDeletedID: rdb.StreamID(s.MaxDeletedID)}
	for _, e := range s.Entries {
		se := rdb.StreamEntry{ID: rdb.StreamID(e.ID)}
		for _, f := range e.Fields {
			se.Fields = append(se.Fields, rdb.StreamField{Name: f[0], Value: f[1]})
		}
		out.Entries = append(out.Entries, se)
	}
	for _, g := range s.Groups {
		sg := rdb.StreamGroup{Name: g.Name, LastID: rdb.StreamID(g.LastID), EntriesRead: g.EntriesRead}
		for _, p := range g.Pending {
			sg.Pending = append(sg.Pending, rdb.StreamPEL{ID: rdb.StreamID(p.ID), DeliveryTime: p.DeliveryTime, DeliveryCount: p.DeliveryCount})
		}
		for _, c := range g.Consumers {
			sc := rdb.StreamConsumer{Name: c.Name, SeenTime: c.SeenTime, ActiveTime: c.ActiveTime}
			for _, id := range c.Pending {
				sc.Pending = append(sc.Pending, rdb.StreamID(id))
			}
			sg.Consumers = append(sg.Consumers, sc)
		}
		out.Groups = append(out.Groups, sg)
	}
	return out
}
