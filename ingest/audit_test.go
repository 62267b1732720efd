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
