package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestServeJSONOneLine: serve --json prints its report as one line, the
// readiness line a script waits for (`read -r line`, readline()): serve
// goes on running, so stdout never ends and a reader cannot wait for the
// end of the output. It used to be indented over many lines, the first
// one "{".
func TestServeJSONOneLine(t *testing.T) {
	line, c := serveURL(t, testDump, "--addr", "127.0.0.1:0", "--json")
	var rep serveReport
	if err := json.Unmarshal([]byte(line), &rep); err != nil || !strings.HasPrefix(rep.URL, "redis://127.0.0.1:") || rep.Keys == 0 {
		t.Fatalf("serve --json: first line %q (%v), want the whole report\nstdout %q", line, err, c.stdout.String())
	}
	if out := c.stdout.String(); out != line+"\n" {
		t.Fatalf("serve --json: stdout %q, want one line", out)
	}
}
