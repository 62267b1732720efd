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

// Function libraries are compared by name and code: a dump that differs
// only in its functions is not equal.
func TestDiffFunctions(t *testing.T) {
	key := `{"db":0,"key":"k","type":"string","expire_ms":-1,"value":"v"}`
	lib := func(name, body string) string {
		return `{"function":"#!lua name=` + name + `\nredis.register_function('` + name + `', function() return ` + body + ` end)"}`
	}
	a := dumpOf(t, lib("keep", "1"), lib("gone", "1"), lib("edit", "1"), key)
	b := dumpOf(t, lib("keep", "1"), lib("edit", "2"), lib("new", "1"), key)
	d, err := Diff(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if d.Equal() {
		t.Fatal("dumps with other functions compare equal")
	}
	f := d.Functions
	if strings.Join(f.Added, ",") != "new" || strings.Join(f.Removed, ",") != "gone" || strings.Join(f.Changed, ",") != "edit" {
		t.Fatalf("functions %+v", f)
	}
	if d.Unchanged != 1 || len(d.Changed) != 0 {
		t.Fatalf("keys: %+v", d)
	}
	var text strings.Builder
	d.WriteText(&text)
	for _, want := range []string{"+ function library new\n", "- function library gone\n", "~ function library edit: code changed\n",
		"function libraries: 1 added, 1 removed, 1 changed\n"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("no %q in\n%s", want, text.String())
		}
	}
	same, err := Diff(dumpOf(t, lib("x", "1"), key), dumpOf(t, key, lib("x", "1")))
	if err != nil || !same.Equal() {
		t.Fatalf("same functions: %+v %v", same, err)
	}
}
