package main

import (
	"strings"
	"testing"
)

// TestDBNumberAsDSN: --db is a Redis database number in keys, prune and
// snapshot, but a PostgreSQL DSN in ingest and migrate; a number given
// there says so instead of only pgx's "invalid keyword/value".
func TestDBNumberAsDSN(t *testing.T) {
	for _, args := range [][]string{
		{"ingest", "--rdb", testDump, "--db", "0"},
		{"migrate", "status", "--db", "3"},
	} {
		r := run(t, nil, args...)
		if r.code != exitError || r.err == nil || !strings.Contains(r.err.Error(), "not a Redis database number") ||
			!strings.Contains(r.err.Error(), "postgres://") {
			t.Errorf("%v: exit %d: %v", args, r.code, r.err)
		}
	}
	// a DSN that is wrong in another way gets no such hint
	r := run(t, nil, "migrate", "status", "--db", "host=x port=abc")
	if r.code != exitError || r.err == nil || strings.Contains(r.err.Error(), "Redis database number") {
		t.Errorf("bad port: exit %d: %v", r.code, r.err)
	}
}
