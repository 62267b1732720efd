package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// TestServeRedisCLIFromPipe: `printf 'PING\nDBSIZE\n' | redis-cli -u URL`,
// the usual way a script sends a few commands, works against serve.
// redis-cli reading a pipe asks COMMAND DOCS first; miniredis answered it
// with the COMMAND list, and redis-cli aborted on an assertion.
func TestServeRedisCLIFromPipe(t *testing.T) {
	cli := redistest.Binary(t, "redis-cli")
	url, _ := serveURL(t, "../../testdata/dump.rdb", "--addr", "127.0.0.1:0")
	cmd := exec.Command(cli, "-u", url)
	cmd.Stdin = strings.NewReader("PING\nDBSIZE\n")
	out, err := cmd.CombinedOutput()
	lines := strings.Fields(string(out))
	if err != nil || len(lines) != 2 || lines[0] != "PONG" || lines[1] == "0" {
		t.Fatalf("redis-cli with commands on stdin: %v\n%s", err, out)
	}
}
