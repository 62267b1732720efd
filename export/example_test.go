package export_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/rdbtool/rdbtool/export"
)

// Blob writes valid UTF-8 as a JSON string and anything else as base64,
// and reads both forms back to the same bytes.
func ExampleBlob() {
	for _, b := range []export.Blob{export.Blob("user:1"), {0xff, 0x00, 'k'}} {
		j, _ := json.Marshal(b)
		var back export.Blob
		if err := json.Unmarshal(j, &back); err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(j), bytes.Equal(back, b))
	}
	// Output:
	// "user:1" true
	// {"base64":"/wBr"} true
}

// ImportWith builds an RDB file from JSON lines; Export turns it back into
// JSON lines.
func ExampleImportWith() {
	in := strings.Join([]string{
		`{"rdb_version":10,"magic":"REDIS"}`,
		`{"db":0,"key":"greeting","type":"string","expire_ms":-1,"value":"hello"}`,
		`{"db":0,"key":"board","type":"zset","expire_ms":4102444800000,"value":[{"member":"ada","score":1.5},{"member":"bob","score":"inf"}]}`,
		`{"db":1,"key":"tags","type":"set","expire_ms":-1,"value":["a","b"]}`,
	}, "\n")

	var dump bytes.Buffer
	st, err := export.ImportWith(strings.NewReader(in), &dump, export.ImportOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("imported", st.Keys, "keys as RDB version", st.Version)

	if _, err := export.Export(&dump, os.Stdout); err != nil {
		log.Fatal(err)
	}
	// Output:
	// imported 3 keys as RDB version 10
	// {"rdb_version":10,"magic":"REDIS"}
	// {"db":0,"key":"greeting","type":"string","expire_ms":-1,"value":"hello"}
	// {"db":0,"key":"board","type":"zset","expire_ms":4102444800000,"value":[{"member":"ada","score":1.5},{"member":"bob","score":"inf"}]}
	// {"db":1,"key":"tags","type":"set","expire_ms":-1,"value":["a","b"]}
}

// A bad line is reported with its number.
func ExampleImport_lineError() {
	in := `{"rdb_version":10,"magic":"REDIS"}
{"db":0,"key":"k","type":"string","value":"v"}`
	_, err := export.Import(strings.NewReader(in), new(bytes.Buffer), 0)
	fmt.Println(err)
	// Output:
	// line 2: missing "expire_ms" (-1 for no expiry): a key line has db, key, type, expire_ms and value
}

// Diff compares two dumps by content, not encoding.
func ExampleDiff() {
	dump := func(lines ...string) *bytes.Buffer {
		var b bytes.Buffer
		in := `{"rdb_version":10,"magic":"REDIS"}` + "\n" + strings.Join(lines, "\n")
		if _, err := export.Import(strings.NewReader(in), &b, 0); err != nil {
			log.Fatal(err)
		}
		return &b
	}
	a := dump(
		`{"db":0,"key":"kept","type":"set","expire_ms":-1,"value":["1","2"]}`,
		`{"db":0,"key":"gone","type":"string","expire_ms":-1,"value":"x"}`,
		`{"db":0,"key":"edited","type":"string","expire_ms":-1,"value":"old"}`,
	)
	b := dump(
		`{"db":0,"key":"kept","type":"set","expire_ms":-1,"value":["2","1"]}`,
		`{"db":0,"key":"edited","type":"string","expire_ms":-1,"value":"new"}`,
		`{"db":0,"key":"fresh","type":"list","expire_ms":-1,"value":["a"]}`,
	)
	d, err := export.Diff(a, b)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("equal:", d.Equal(), "unchanged:", d.Unchanged)
	d.WriteText(os.Stdout)
	// Output:
	// equal: false unchanged: 1
	// - db0 gone (string)
	// + db0 fresh (list)
	// ~ db0 edited: string value changed ("old" -> "new")
	// 1 added, 1 removed, 1 changed, 1 unchanged
}
