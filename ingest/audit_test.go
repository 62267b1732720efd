package ingest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestSubsystemTruncatedByCharacter: varchar(32) counts characters
// (hera-mc.md §3.19, §3.20), so a subsystem of up to 32 non-ASCII
// characters is stored whole, and a longer one is cut to 32 characters,
// never inside a character (which PostgreSQL would refuse, losing the
// message).
func TestSubsystemTruncatedByCharacter(t *testing.T) {
	db := pgfixture.DB(t)
	ctx := context.Background()
	whole := "a" + strings.Repeat("é", 20) // 21 characters, 41 bytes
	long := strings.Repeat("é", 40)        // 40 characters
	for i, sub := range []string{whole, long} {
		msg := fmt.Sprintf(`{"subsystem": %q, "levelno": 40, "severity": 2, "message": "m%d", "logtime": 1700000000}`, sub, i)
		if stored, err := HandleLogMessage(ctx, db, msg, Options{Hostname: "h"}); err != nil || !stored {
			t.Fatalf("message %d: stored %v, %v", i, stored, err)
		}
	}
	rows := rowMaps(t, db, `SELECT subsystem FROM subsystem_error ORDER BY log`)
	if len(rows) != 2 || rows[0]["subsystem"] != whole || rows[1]["subsystem"] != strings.Repeat("é", 32) {
		t.Errorf("subsystems %v, want %q and 32 × é", rows, whole)
	}
}

// TestLogMessageMissingField: mc_listen_to_corr_logger indexes levelno,
// logtime, subsystem, severity and message (hera-mc.md §3.20); a message
// without one of them (or with null) is malformed and stores nothing,
// instead of a row at Unix time 0 or with an empty subsystem.
func TestLogMessageMissingField(t *testing.T) {
	db := pgfixture.DB(t)
	ctx := context.Background()
	full := map[string]string{"subsystem": `"correlator"`, "levelno": "40", "severity": "2", "message": `"m"`, "logtime": "1700000000"}
	for _, drop := range []string{"subsystem", "levelno", "severity", "message", "logtime"} {
		for _, null := range []bool{false, true} {
			var parts []string
			for k, v := range full {
				if k == drop {
					if !null {
						continue
					}
					v = "null"
				}
				parts = append(parts, fmt.Sprintf("%q: %s", k, v))
			}
			msg := "{" + strings.Join(parts, ", ") + "}"
			stored, err := HandleLogMessage(ctx, db, msg, Options{Hostname: "h"})
			if stored || err == nil || !strings.Contains(err.Error(), drop) {
				t.Errorf("%s: stored %v, error %v; want an error naming %s", msg, stored, err, drop)
			}
		}
	}
	if n := count(t, db, `SELECT count(*) FROM subsystem_error`); n != 0 {
		t.Errorf("%d rows stored from malformed messages", n)
	}
}
