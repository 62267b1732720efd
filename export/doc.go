// Package export converts RDB files to and from text: the JSON-lines form
// of `rdbtool export` / `rdbtool import`, the sorted readable text of
// `rdbtool textconv` (for git diff), and the content comparison of
// `rdbtool diff`.
//
// # JSON lines
//
// One JSON object per line. The first line is the header, then one line per
// record in file order: function libraries, module aux data (opaque) and
// keys:
//
//	{"rdb_version":10,"magic":"REDIS"}
//	{"function":"#!lua name=mylib\n..."}
//	{"module_aux":{"module":"name","id":n,"data":bytes}}
//	{"db":0,"key":"user:1","type":"hash","expire_ms":-1,"value":[{"field":"name","value":"ada"}]}
//
// Bytes (keys, strings, members, fields, names) are JSON strings when they
// are valid UTF-8, else {"base64":"..."}. expire_ms is the absolute expiry
// in unix milliseconds or -1; "idle" (LRU seconds) and "freq" (LFU counter)
// appear when the dump has them. "value" by type:
//
//	string  bytes
//	list    [bytes, ...]                       in order
//	set     [bytes, ...]                       in file order
//	zset    [{"member":bytes,"score":number}]  score may be "inf", "-inf", "nan"
//	hash    [{"field":bytes,"value":bytes,"expire_ms":n}]  expire_ms only for field expiries
//	stream  {"length","entries_added","last_id","first_id","max_deleted_id",
//	         "entries":[{"id":"ms-seq","fields":[[name,value],...]}],
//	         "groups":[{"name","last_id","entries_read",
//	                    "pending":[{"id","delivery_time","delivery_count"}],
//	                    "consumers":[{"name","seen_time","active_time","pending":["ms-seq",...]}]}]}
//	module  {"module":"name","encver":n,"rdb_type":7,"raw":bytes}  the value's RDB bytes, opaque
//
// Import accepts exactly this; unknown fields are errors, and a key line
// must have all of db, key, type, expire_ms and value. Without a header
// line Import writes rdb.MaxVersion (or the version asked for). Blank
// lines, CRLF line ends and a UTF-8 byte order mark at the start are
// accepted, and so is a later header equal to the first (exports
// concatenated), or any later header when the version is chosen.
// Errors are *LineError; a value no Redis loads (a member given twice, a
// NaN score, ...) wraps rdb.ErrInvalidValue, and keys the version cannot
// express make ImportWith fail with rdb.ErrUnconvertible (unless
// ImportOptions.SkipUnconvertible).
//
//	n, err := export.Export(rdbFile, os.Stdout)                         // RDB -> JSON lines
//	st, err := export.ImportWith(jsonFile, out, export.ImportOptions{}) // and back
package export
