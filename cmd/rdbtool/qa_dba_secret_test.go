package main

import (
	"strings"
	"testing"
)

// A URL whose password holds an unescaped @ (postgres://mc:Zq@Wx@host/db):
// pgx takes "Wx@host" for the host, and every message naming the server
// printed that part of the password ("on host Wx@127.0.0.1:1"), as did
// the redaction of a DSN that did not parse ("mc:xxxxx@Wx@..."). Neither
// part of it is printed now, by migrate or ingest, in text or --json.
func TestQADBAPasswordWithAt(t *testing.T) {
	for _, dsn := range []string{
		"postgres://mc:Zq@Wx@127.0.0.1:1/db?connect_timeout=1",
		"postgres://mc:Zq@Wx@localhost:99999/db",
	} {
		for _, args := range [][]string{
			{"migrate", "version", "--db", dsn},
			{"migrate", "status", "--json", "--db", dsn},
			{"ingest", "--rdb", siteDump, "--db", dsn},
		} {
			r := run(t, nil, args...)
			msg, _ := exitStatus(r.err)
			out := r.stdout + r.stderr + msg
			if r.code != exitError || strings.Contains(out, "Zq") || strings.Contains(out, "Wx") {
				t.Errorf("%v: exit %d, output shows the password or part of it:\n%s", args, r.code, out)
			}
		}
	}
}
