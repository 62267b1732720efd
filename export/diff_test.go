package export

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// dumpOf imports JSON lines into an RDB (version 11) for Diff.
func dumpOf(t *testing.T, lines ...string) io.Reader {
	t.Helper()
	var out bytes.Buffer
	if _, err := Import(strings.NewReader(strings.Join(lines, "\n")), &out, 11); err != nil {
		t.Fatal(err)
	}
	return &out
}

// A change's detail counts in words that agree with the number.
func TestDiffDetailCounts(t *testing.T) {
	a := dumpOf(t,
		`{"db":0,"key":"s","type":"set","expire_ms":-1,"value":["a"]}`,
		`{"db":0,"key":"h","type":"hash","expire_ms":-1,"value":[{"field":"f","value":"1"},{"field":"g","value":"2"}]}`)
	b := dumpOf(t,
		`{"db":0,"key":"s","type":"set","expire_ms":-1,"value":["a","b"]}`,
		`{"db":0,"key":"h","type":"hash","expire_ms":-1,"value":[{"field":"f","value":"1"}]}`)
	d, err := Diff(a, b)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	d.WriteText(&text)
	for _, want := range []string{"(1 member -> 2 members)", "(2 fields -> 1 field)"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("no %q in\n%s", want, text.String())
		}
	}
}
