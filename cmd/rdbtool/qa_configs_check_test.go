package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A dump followed by other bytes (an appendonly.aof of Redis 4-6 with
// aof-use-rdb-preamble yes: the RDB, then AOF commands; a dump copied over
// a longer file without truncating) loads in Redis, which stops at the
// checksum. The file is still as large as it is: check --max-file-size,
// which keeps a committed fixture small, must weigh the whole file, from a
// path and from a pipe alike.
func TestQAConfigsCheckMaxFileSizeCountsTrailingBytes(t *testing.T) {
	dump, err := os.ReadFile("../../testdata/corpus/strings.rdb")
	if err != nil {
		t.Fatal(err)
	}
	tail := bytes.Repeat([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"), 200)
	data := append(append([]byte{}, dump...), tail...)
	f := filepath.Join(t.TempDir(), "appendonly.aof")
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	limit := strconv.Itoa(len(dump) + len(tail)/2) // above the dump, below the file
	for _, in := range []string{f, "-"} {
		r := run(t, bytes.NewReader(data), "check", in, "--max-file-size", limit)
		if r.code != 1 || !strings.Contains(r.stdout, "max-file-size") || !strings.Contains(r.stdout, strconv.Itoa(len(data))+" bytes") {
			t.Errorf("check %s --max-file-size %s (dump %d bytes, file %d): exit %d\n%s%v", in, limit, len(dump), len(data), r.code, r.stdout, r.err)
		}
		r = run(t, bytes.NewReader(data), "check", in, "--max-file-size", limit, "--json")
		var ck struct {
			SizeBytes int64 `json:"size_bytes"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &ck); err != nil || ck.SizeBytes != int64(len(data)) {
			t.Errorf("check %s --json: size_bytes %d (%v), the file has %d", in, ck.SizeBytes, err, len(data))
		}
		// the limit above the file: no violation
		mustRun(t, 0, bytes.NewReader(data), "check", in, "--max-file-size", strconv.Itoa(len(data)))
	}
}
