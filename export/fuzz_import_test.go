package export

import (
	"bytes"
	"io"
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

// FuzzImport feeds arbitrary JSON lines to Import. It must never panic, and
// whatever it accepts must be a sound RDB file whose export imports back to
// the same bytes (the JSON form is lossless for what Import writes).
func FuzzImport(f *testing.F) {
	f.Add([]byte(`{"rdb_version":10,"magic":"REDIS"}` + "\n" +
		`{"db":0,"key":"k","type":"string","expire_ms":-1,"value":"v"}` + "\n"))
	f.Add([]byte(`{"db":1,"key":{"base64":"AP8="},"type":"zset","expire_ms":1767225600000,"value":[{"member":"a","score":"inf"}]}` + "\n"))
	f.Add([]byte(`{"db":0,"key":"s","type":"stream","expire_ms":-1,"value":{"length":1,"last_id":"1-1","entries":[{"id":"1-1","fields":[["f","v"]]}],"groups":[{"name":"g","last_id":"1-1","pending":[{"id":"1-1","delivery_time":5,"delivery_count":1}],"consumers":[{"name":"c","seen_time":5,"pending":["1-1"]}]}]}}` + "\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var first bytes.Buffer
		if _, err := Import(bytes.NewReader(in), &first, 10); err != nil {
			return
		}
		r := rdb.NewReader(bytes.NewReader(first.Bytes()))
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("Import wrote a file the reader rejects: %v", err)
			}
			if e, ok := rec.(*rdb.Entry); ok {
				if err := rdb.ValidateValue(e.Type, e.Value); err != nil {
					t.Fatalf("Import wrote an invalid value for %q: %v", e.Key, err)
				}
			}
		}
		var lines, second bytes.Buffer
		if _, err := Export(bytes.NewReader(first.Bytes()), &lines); err != nil {
			t.Fatalf("export of an imported file: %v", err)
		}
		if _, err := Import(bytes.NewReader(lines.Bytes()), &second, 10); err != nil {
			t.Fatalf("import of an export: %v\n%s", err, lines.Bytes())
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("import(export(import(x))) differs from import(x)")
		}
	})
}
