package export

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// TestImportDuplicateKey: Redis will not start from a dump holding a key
// twice in one database, so import refuses the second line for it, naming
// both lines; the same name in another database, or a binary name that
// differs in one byte, is a different key.
func TestImportDuplicateKey(t *testing.T) {
	line := func(db, key string) string {
		return `{"db":` + db + `,"key":` + key + `,"type":"string","expire_ms":-1,"value":"v"}` + "\n"
	}
	hdr := `{"rdb_version":10,"magic":"REDIS"}` + "\n"
	in := hdr + line("0", `"a"`) + line("1", `"a"`) + line("0", `{"base64":"/wA="}`) + line("0", `{"base64":"/wE="}`) + line("2", `"b"`)
	if n, err := Import(strings.NewReader(in), io.Discard, 0); err != nil || n != 5 {
		t.Fatalf("distinct keys: %d %v", n, err)
	}
	_, err := Import(strings.NewReader(in+line("0", `{"base64":"/wA="}`)), io.Discard, 0)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 7 || !strings.Contains(err.Error(), `key "\xff\x00": duplicate of line 4 in db 0`) {
		t.Fatalf("duplicate: %v", err)
	}
}

// TestKeySetGrows: through several doublings of the table every key is
// found again with the line that added it, and none is taken for another.
func TestKeySetGrows(t *testing.T) {
	s := newKeySet()
	defer s.release()
	const n = 200_000 // the table starts with 65536 slots
	key := func(i int) []byte { return []byte("key:" + strconv.Itoa(i)) }
	for i := 1; i <= n; i++ {
		if first := s.add(i%3, key(i), i); first != 0 {
			t.Fatalf("key %d: taken for line %d's", i, first)
		}
	}
	for i := 1; i <= n; i += 997 {
		if first := s.add(i%3, key(i), n+i); first != i {
			t.Fatalf("key %d: first line %d", i, first)
		}
		if first := s.add(i%3+3, key(i), n+i); first != 0 {
			t.Fatalf("key %d in another db: line %d", i, first)
		}
	}
}

// TestImportEmptyAggregate: an empty list, set, zset or hash would load as
// no key at all (Redis drops them), so import refuses it; an empty string
// or stream is a real value.
func TestImportEmptyAggregate(t *testing.T) {
	for _, typ := range []string{"list", "set", "zset", "hash"} {
		in := `{"db":0,"key":"a","type":"` + typ + `","expire_ms":-1,"value":[]}`
		_, err := Import(strings.NewReader(in), io.Discard, 10)
		if err == nil || !strings.Contains(err.Error(), `line 1: key "a": an empty `+typ+": Redis drops empty keys") {
			t.Errorf("%s: %v", typ, err)
		}
	}
	for _, in := range []string{
		`{"db":0,"key":"a","type":"string","expire_ms":-1,"value":""}`,
		`{"db":0,"key":"a","type":"stream","expire_ms":-1,"value":{"entries":[],"groups":[]}}`,
	} {
		if _, err := Import(strings.NewReader(in), io.Discard, 10); err != nil {
			t.Errorf("%s: %v", in, err)
		}
	}
}

// TestImportHeaderChecked: a header no RDB file has (a negative or zero
// version, an unknown magic, VALKEY below 80) is an error, not a file
// silently written as REDIS 12; the headers export writes are accepted.
func TestImportHeaderChecked(t *testing.T) {
	key := "\n" + `{"db":0,"key":"a","type":"string","expire_ms":-1,"value":"x"}`
	for _, h := range []string{
		`{"rdb_version":0,"magic":"REDIS"}`,
		`{"rdb_version":-3,"magic":"REDIS"}`,
		`{"rdb_version":50,"magic":"REDIS"}`,
		`{"rdb_version":10,"magic":"FOO"}`,
		`{"rdb_version":10}`,
		`{"rdb_version":10,"magic":"VALKEY"}`,
		`{"rdb_version":80,"magic":"REDIS"}`,
	} {
		_, err := Import(strings.NewReader(h+key), io.Discard, 0)
		var le *LineError
		if !errors.As(err, &le) || le.Line != 1 || !strings.Contains(err.Error(), "header: ") {
			t.Errorf("%s: %v", h, err)
		}
	}
	for _, h := range []string{`{"rdb_version":1,"magic":"REDIS"}`, `{"rdb_version":13,"magic":"REDIS"}`, `{"rdb_version":80,"magic":"VALKEY"}`} {
		if _, err := Import(strings.NewReader(h+key), io.Discard, 0); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
}

// TestImportRequiredFields: a key line lacking a field is an error naming
// it; a missing expire_ms used to read as 0 (1970: Redis drops the key on
// load) and a missing key as the empty name. A database number past what
// an RDB file holds is refused too (the file could not be read back).
func TestImportRequiredFields(t *testing.T) {
	full := map[string]string{"db": `0`, "key": `"a"`, "type": `"string"`, "expire_ms": `-1`, "value": `"x"`}
	for _, drop := range []string{"db", "key", "type", "expire_ms", "value"} {
		var parts []string
		for _, f := range []string{"db", "key", "type", "expire_ms", "value"} {
			if f != drop {
				parts = append(parts, `"`+f+`":`+full[f])
			}
		}
		in := "{" + strings.Join(parts, ",") + "}"
		_, err := Import(strings.NewReader(in), io.Discard, 10)
		if err == nil || !strings.Contains(err.Error(), `line 1: missing "`+drop+`"`) {
			t.Errorf("without %s: %v", drop, err)
		}
	}
	_, err := Import(strings.NewReader(`{"db":99999999999,"key":"a","type":"string","expire_ms":-1,"value":"x"}`), io.Discard, 10)
	if err == nil || !strings.Contains(err.Error(), "db 99999999999") {
		t.Errorf("db 99999999999: %v", err)
	}
}

// TestImportNullAndPartial: null stands for a missing field (an expiry of
// null is not 1970), and a hash field or zset member lacking its name or
// value (or a zset member its score) is an error, not an empty string or a
// score of 0; "" stays a real empty value.
func TestImportNullAndPartial(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"db":0,"key":"a","type":"string","expire_ms":null,"value":"x"}`, `missing "expire_ms"`},
		{`{"db":null,"key":"a","type":"string","expire_ms":-1,"value":"x"}`, `missing "db"`},
		{`{"db":0,"key":"a","type":"hash","expire_ms":-1,"value":[{"field":"f"}]}`, `hash field 0`},
		{`{"db":0,"key":"a","type":"hash","expire_ms":-1,"value":[{"field":"f","value":"v"},{"value":"v"}]}`, `hash field 1`},
		{`{"db":0,"key":"a","type":"zset","expire_ms":-1,"value":[{"score":1}]}`, `zset member 0`},
		{`{"db":0,"key":"a","type":"zset","expire_ms":-1,"value":[{"member":"m","score":1},{"member":"n"}]}`, `zset member 1`},
		{`{"db":0,"key":"a","type":"zset","expire_ms":-1,"value":[{"member":"m","score":null}]}`, `zset member 0`},
	} {
		_, err := Import(strings.NewReader(c.in), io.Discard, 10)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.in, err, c.want)
		}
	}
	ok := `{"db":0,"key":"a","type":"hash","expire_ms":-1,"value":[{"field":"","value":""}]}` + "\n" +
		`{"db":0,"key":"z","type":"zset","expire_ms":-1,"value":[{"member":"","score":0}]}`
	if _, err := Import(strings.NewReader(ok), io.Discard, 10); err != nil {
		t.Errorf("empty names and values: %v", err)
	}
}
