package export

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// importBothWays imports in with key lines read by decodeKeyLine and by
// the general path only, and fails when the file, the stats or the error
// differ: the one-pass decoding must change nothing but the speed.
func importBothWays(t *testing.T, in []byte, opt ImportOptions) {
	t.Helper()
	run := func(fast bool) (string, *ImportStats, string) {
		defer func(old bool) { fastKeyLines = old }(fastKeyLines)
		fastKeyLines = fast
		var out bytes.Buffer
		st, err := ImportWith(bytes.NewReader(in), &out, opt)
		return out.String(), st, fmt.Sprint(err)
	}
	fo, fst, ferr := run(true)
	go_, gst, gerr := run(false)
	if ferr != gerr || fo != go_ || !reflect.DeepEqual(fst, gst) {
		t.Fatalf("input %q:\none pass: error %s, stats %+v, %d bytes\ngeneral:  error %s, stats %+v, %d bytes", in, ferr, fst, len(fo), gerr, gst, len(go_))
	}
}

// keyLineSeeds are key lines as export writes them and as hands and jq
// change them: fields out of order, spelt otherwise, repeated, null,
// missing or of the wrong type, escapes, base64 with spaces, bad JSON.
var keyLineSeeds = []string{
	`{"db":0,"key":"k","type":"string","expire_ms":-1,"value":"v"}`,
	`{"db":3,"key":{"base64":"AP8="},"type":"string","expire_ms":4102444800000,"idle":5,"freq":7,"value":{"base64":"AAEC"}}`,
	`{"db":0,"key":"l","type":"list","expire_ms":-1,"value":["a","b\u00e9","\\n",""]}`,
	`{"db":0,"key":"s","type":"set","expire_ms":-1,"value":["a","b",{"base64":"/w=="}]}`,
	`{"db":0,"key":"z","type":"zset","expire_ms":-1,"value":[{"member":"a","score":1.5},{"member":"b","score":"-inf"}]}`,
	`{"db":0,"key":"h","type":"hash","expire_ms":-1,"value":[{"field":"f","value":"v","expire_ms":4102444800000},{"field":"g","value":""}]}`,
	`{"db":0,"key":"x","type":"stream","expire_ms":-1,"value":{"length":1,"last_id":"1-1","entries":[{"id":"1-1","fields":[["f","v"]]}],"groups":[{"name":"g","last_id":"1-1","pending":[{"id":"1-1","delivery_time":5,"delivery_count":1}],"consumers":[{"name":"c","seen_time":5,"pending":["1-1"]}]}]}}`,
	`{"value":"v","expire_ms":-1,"type":"string","key":"a","db":0}`,
	`{"db":0,"key":"k","value":["a"],"type":"list","expire_ms":-1}`,
	` { "db" : 0 , "key" : "k" , "type" : "string" , "expire_ms" : -1 , "value" : "v" } `,
	`{"DB":0,"key":"k","type":"string","expire_ms":-1,"value":"v"}`,
	`{"db":0,"Key":"k","type":"string","expire_ms":-1,"value":"v"}`,
	`{"db":0,"key":"k","type":"string","EXPIRE_MS":-1,"value":"v"}`,
	`{"db":0,"key":"k","type":"string","expire_ms":-1,"Value":"v"}`,
	`{"db":0,"\u006bey":"k","type":"string","expire_ms":-1,"value":"v"}`,
	`{"db":0,"db":null,"key":"k","type":"string","expire_ms":-1,"value":"v"}`,
	`{"db":0,"key":"k","type":"string","type":null,"expire_ms":-1,"value":"v"}`,
	`{"db":0,"key":"k","type":"string","expire_ms":-1,"value":"v","value":"w"}`,
	`{"db":null,"key":"k","type":"string","expire_ms":-1,"value":"v"}`,
	`{"db":0,"key":null,"type":"string","expire_ms":-1,"value":"v"}`,
	`{"db":0,"key":"k","type":"string","expire_ms":null,"value":"v"}`,
	`{"db":0,"key":"k","type":"list","expire_ms":-1,"value":null}`,
	`{"db":0,"key":"k","type":"string","expire_ms":-1}`,
	`{"db":0,"key":"k","type":"string","expire_ms":-1,"value":"v","idle":null,"freq":null}`,
	`{"db":0,"key":"k","type":"string","expire_ms":-1,"value":"v","extra":1}`,
	`{"db":0,"key":"k","type":"string","expire_ms":-1,"value":"v","rdb_version":10}`,
	`{"db":"0","key":"k","type":"string","expire_ms":-1,"value":"v"}`,
	`{"db":1.5,"key":"k","type":"string","expire_ms":-1,"value":"v"}`,
	`{"db":-1,"key":"k","type":"string","expire_ms":-1,"value":"v"}`,
	`{"db":0,"key":5,"type":"string","expire_ms":-1,"value":"v"}`,
	`{"db":0,"key":"k","type":"list","expire_ms":-1,"value":"v"}`,
	`{"db":0,"key":"k","type":"list","expire_ms":-1,"value":[]}`,
	`{"db":0,"key":"k","type":"zset","expire_ms":-1,"value":[{"member":"a"}]}`,
	`{"db":0,"key":"k","type":"zset","expire_ms":-1,"value":[{"member":"a","score":1,"rank":2}]}`,
	`{"db":0,"key":"k","type":"hash","expire_ms":-1,"value":[{"field":"f","value":"v","Expire_ms":5}]}`,
	`{"db":0,"key":"k","type":"bitmap","expire_ms":-1,"value":"v"}`,
	`{"db":0,"key":"k","type":"set","expire_ms":-1,"value":["a","a"]}`,
	`{"db":0,"key":{"base64":"AP8"},"type":"string","expire_ms":-1,"value":"v"}`,
	`{"db":0,"key":{ "base64" : "AP8=" },"type":"string","expire_ms":-1,"value":"v"}`,
	`{"db":0,"key":{"base64":"A\/8="},"type":"string","expire_ms":-1,"value":"v"}`,
	`{"db":0,"key":{"base64":"AP8=","x":1},"type":"string","expire_ms":-1,"value":"v"}`,
	`{"db":0,"key":"k","type":"string","expire_ms":-1,"value":"v",}`,
	`{"db":0,"key":"k","type":"string","expire_ms":-1,"value":"v"} x`,
	`{"db":0,"key":"k","type":"string","expire_ms":-1,"value":"v"}{}`,
	`{"db":0,"key":"k","type":"string","expire_ms":-1,"value":"v"`,
	`{"db":0 "key":"k","type":"string","expire_ms":-1,"value":"v"}`,
	"{\"db\":0,\"key\":\"k\xff\",\"type\":\"string\",\"expire_ms\":-1,\"value\":\"v\"}",
	"{\"db\":0,\"key\":\"k\",\"type\":\"string\",\"expire_ms\":-1,\"value\":\"a\tb\"}",
	`["db",0]`,
	`{"rdb_version":10,"magic":"REDIS"}`,
	`{"function":"#!lua name=lib\nredis.register_function('f', function() return 1 end)"}`,
}

func TestImportOnePassSameAsGeneral(t *testing.T) {
	for _, line := range keyLineSeeds {
		for _, opt := range []ImportOptions{{}, {Version: 8, SkipUnconvertible: true}} {
			importBothWays(t, []byte(line+"\n"), opt)
		}
	}
	// all of them in one file: the first error ends both the same way
	importBothWays(t, []byte(strings.Join(keyLineSeeds, "\n")), ImportOptions{})
	// the first ten are good lines, every type and form: the one pass
	// takes them (else the comparison above tests nothing)
	for _, line := range keyLineSeeds[:10] {
		if _, taken := decodeKeyLine([]byte(line)); !taken {
			t.Errorf("not taken in one pass: %s", line)
		}
		if _, err := Import(strings.NewReader(line), io.Discard, 0); err != nil {
			t.Errorf("%s: %v", line, err)
		}
	}
}

func FuzzImportOnePass(f *testing.F) {
	for _, line := range keyLineSeeds {
		f.Add([]byte(line + "\n"))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		importBothWays(t, in, ImportOptions{})
	})
}
