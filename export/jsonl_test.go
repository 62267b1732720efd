package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

// TestRoundTripCorpus: export then import of every corpus file gives the
// same content per key (Diff finds nothing), with version 12 so every type
// can be expressed.
func TestRoundTripCorpus(t *testing.T) {
	files, _ := filepath.Glob("../testdata/corpus/*.rdb")
	if len(files) == 0 {
		t.Fatal("no corpus")
	}
	for _, f := range files {
		in, _ := os.ReadFile(f)
		var jl, out bytes.Buffer
		n, err := Export(bytes.NewReader(in), &jl)
		if err != nil {
			t.Errorf("%s: export: %v", f, err)
			continue
		}
		m, err := Import(&jl, &out, 12)
		if err != nil {
			t.Errorf("%s: import: %v", f, err)
			continue
		}
		if n != m {
			t.Errorf("%s: exported %d keys, imported %d", f, n, m)
		}
		d, err := Diff(bytes.NewReader(in), bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if !d.Equal() {
			var b strings.Builder
			d.WriteText(&b)
			t.Errorf("%s: round trip differs:\n%s", f, b.String())
		}
	}
}

func TestValuesBinaryAndSpecial(t *testing.T) {
	vals := []struct {
		key string
		v   rdb.Value
	}{
		{"s\xff", rdb.Value{Kind: "string", String: []byte("\x00\xfe binary")}},
		{"z", rdb.Value{Kind: "zset", ZSet: []rdb.ZMember{{Member: []byte("a"), Score: math.Inf(1)}, {Member: []byte("b"), Score: math.Inf(-1)}, {Member: []byte("c"), Score: 0.1}}}},
		{"h", rdb.Value{Kind: "hash", Hash: []rdb.HashField{{Field: []byte("f"), Value: []byte("v"), ExpireMs: 4102444800000}, {Field: []byte("g"), Value: []byte("\xff"), ExpireMs: -1}}}},
		{"st", rdb.Value{Kind: "stream", Stream: &rdb.Stream{
			Entries: []rdb.StreamEntry{{ID: rdb.StreamID{Ms: 1, Seq: 1}, Fields: []rdb.StreamField{{Name: []byte("a"), Value: []byte("1")}}}},
			Length:  1, LastID: rdb.StreamID{Ms: 1, Seq: 1}, FirstID: rdb.StreamID{Ms: 1, Seq: 1}, EntriesAdded: 1,
			Groups: []rdb.StreamGroup{{Name: []byte("g"), LastID: rdb.StreamID{Ms: 1, Seq: 1}, EntriesRead: 1,
				Pending:   []rdb.StreamPEL{{ID: rdb.StreamID{Ms: 1, Seq: 1}, DeliveryTime: 5, DeliveryCount: 2}},
				Consumers: []rdb.StreamConsumer{{Name: []byte("c"), SeenTime: 5, ActiveTime: 5, Pending: []rdb.StreamID{{Ms: 1, Seq: 1}}}}}},
		}}},
	}
	var src bytes.Buffer
	w := rdb.NewWriter(&src, 12)
	for _, v := range vals {
		e, err := rdb.NewEntry(0, []byte(v.key), &v.v, 12)
		if err != nil {
			t.Fatal(err)
		}
		if v.key == "z" {
			e.ExpireMs = 123456
		}
		w.WriteEntry(e)
	}
	w.Close()
	var jl bytes.Buffer
	if _, err := Export(bytes.NewReader(src.Bytes()), &jl); err != nil {
		t.Fatal(err)
	}
	text := jl.String()
	for _, want := range []string{`"key":{"base64":"c/8="}`, `"score":"inf"`, `"score":"-inf"`, `"score":0.1`, `"expire_ms":4102444800000`, `"id":"1-1"`, `"delivery_count":2`, `"expire_ms":123456`} {
		if !strings.Contains(text, want) {
			t.Errorf("export lacks %s:\n%s", want, text)
		}
	}
	var out bytes.Buffer
	if _, err := Import(strings.NewReader(text), &out, 0); err != nil {
		t.Fatal(err)
	}
	d, err := Diff(bytes.NewReader(src.Bytes()), bytes.NewReader(out.Bytes()))
	if err != nil || !d.Equal() {
		t.Fatalf("%v %+v", err, d)
	}
}

func TestImportErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"db":0,"key":"a","type":"string","expire_ms":-1,"value":5}`, "line 1"},
		{"\n" + `{"db":0,"key":"a","type":"nope","expire_ms":-1,"value":"x"}`, `line 2: key "a": unknown type "nope"`},
		{`{"db":0,"key":"a","type":"string","expire_ms":-1,"value":"x","extra":1}`, "unknown field"},
		{`{"db":0,"key":"a","type":"zset","expire_ms":-1,"value":[{"member":"m","score":"lots"}]}`, "score"},
		{`{"db":-1,"key":"a","type":"string","expire_ms":-1,"value":"x"}`, "negative db"},
		{`{"db":0,"key":"a","type":"string","expire_ms":-5,"value":"x"}`, "expire_ms"},
		{`{"db":0,"key":"a","type":"stream","expire_ms":-1,"value":{"entries":[{"id":"x","fields":[]}]}}`, "stream ID"},
		{`not json`, "line 1"},
		{`{"db":0,"key":"a","type":"string","expire_ms":-1,"value":"x"}` + "\n" + `{"rdb_version":10,"magic":"REDIS"}`, "header line"},
	} {
		_, err := Import(strings.NewReader(c.in), io.Discard, 0)
		var le *LineError
		if err == nil || !errors.As(err, &le) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
	}
	// an empty input is an empty RDB file
	var out bytes.Buffer
	if n, err := Import(strings.NewReader(""), &out, 10); err != nil || n != 0 || !bytes.HasPrefix(out.Bytes(), []byte("REDIS0010")) {
		t.Fatalf("%d %v %q", n, err, out.Bytes())
	}
	var s Score
	if json.Unmarshal([]byte(`"nan"`), &s) != nil || !math.IsNaN(float64(s)) {
		t.Fatal("nan")
	}
}
