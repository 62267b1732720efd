package export

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

// TestImportInvalidValueKind: a key line whose value no Redis loads is an
// error on that line wrapping rdb.ErrInvalidValue, never
// rdb.ErrUnconvertible (not listed, not skipped by SkipUnconvertible, at
// any target version), so a caller can tell wrong data from an old
// target with errors.Is. Import used to turn rdb's error into a bare
// string to hide ErrUnconvertible, which also hid what kind of error it
// was.
func TestImportInvalidValueKind(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{`{"db":0,"key":"s","type":"set","expire_ms":-1,"value":["a","a"]}`, `set member 1 ("a") given twice`},
		{`{"db":0,"key":"z","type":"zset","expire_ms":-1,"value":[{"member":"m","score":"nan"}]}`, "NaN score"},
		{`{"db":0,"key":"z","type":"zset","expire_ms":-1,"value":[{"member":"m","score":1},{"member":"m","score":2}]}`, `zset member 1 ("m") given twice`},
		{`{"db":0,"key":"h","type":"hash","expire_ms":-1,"value":[{"field":"f","value":"1"},{"field":"f","value":"2"}]}`, `hash field 1 ("f") given twice`},
		{`{"db":0,"key":"x","type":"stream","expire_ms":-1,"value":{"entries":[{"id":"2-0","fields":[["a","b"]]},{"id":"1-0","fields":[["a","b"]]}]}}`, "stream entry IDs not increasing"},
	} {
		for _, opt := range []ImportOptions{{}, {Version: 7}, {Version: 8, SkipUnconvertible: true}, {Version: 80}} {
			st, err := ImportWith(strings.NewReader("{\"rdb_version\":12,\"magic\":\"REDIS\"}\n"+c.line+"\n"), io.Discard, opt)
			var le *LineError
			if !errors.As(err, &le) || le.Line != 2 || !errors.Is(err, rdb.ErrInvalidValue) || errors.Is(err, rdb.ErrUnconvertible) ||
				!strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "target RDB version") {
				t.Errorf("%s %+v: %v; want a line 2 error wrapping ErrInvalidValue alone, saying %q", c.line, opt, err, c.want)
			}
			if st == nil || len(st.Unconvertible) != 0 || st.Keys != 0 {
				t.Errorf("%s %+v: stats %+v; want no key written or listed", c.line, opt, st)
			}
		}
	}
	// a key the target cannot hold is still unconvertible, not invalid
	line := `{"db":0,"key":"x","type":"stream","expire_ms":-1,"value":{"entries":[{"id":"1-0","fields":[["a","b"]]}]}}`
	st, err := ImportWith(strings.NewReader(line+"\n"), &bytes.Buffer{}, ImportOptions{Version: 8})
	if !errors.Is(err, rdb.ErrUnconvertible) || errors.Is(err, rdb.ErrInvalidValue) || len(st.Unconvertible) != 1 {
		t.Errorf("stream to RDB 8: %v, unconvertible %v; want ErrUnconvertible listing the key", err, st.Unconvertible)
	}
}
