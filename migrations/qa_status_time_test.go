package migrations_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/migrations"
)

// goose records tstamp as a timestamp without time zone (now() in the
// session's zone). On a server whose TimeZone is not UTC (the site's is
// SAST) Status must still give the instant the migration was applied, not
// that wall-clock time read as UTC (two hours off, labelled Z by migrate
// status).
func TestStatusAppliedAtOnNonUTCServer(t *testing.T) {
	ctx := context.Background()
	_, dsn := pgfixture.DBWithDSN(t, fstest.MapFS{})
	for _, zone := range []string{"Africa/Johannesburg", "America/Los_Angeles"} {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("timezone", zone) // the session's TimeZone, as a server default would set it
		u.RawQuery = q.Encode()
		pool, err := migrations.Connect(ctx, u.String())
		if err != nil {
			t.Fatal(err)
		}
		m, err := migrations.NewFromPool(pool)
		if err != nil {
			t.Fatal(err)
		}
		before := time.Now().Add(-time.Second)
		if _, err := m.To(ctx, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := m.To(ctx, 1); err != nil {
			t.Fatal(err)
		}
		after := time.Now().Add(time.Second)
		st, err := m.Status(ctx)
		m.Close()
		pool.Close()
		if err != nil {
			t.Fatal(err)
		}
		if at := st[0].AppliedAt; !st[0].Applied || at.Before(before) || at.After(after) {
			t.Errorf("TimeZone %s: version 1 applied at %v, want between %v and %v", zone, at.UTC(), before.UTC(), after.UTC())
		}
	}
}

// A version below the database's that was never applied (a migration
// merged after a later one had run) stops Up: goose says "missing
// (out-of-order)"; the message also says how to get out of it, and nothing
// is applied.
func TestUpWithMissingVersionSaysWhatToDo(t *testing.T) {
	ctx := context.Background()
	pool, m := emptyDB(t)
	if _, err := m.To(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "DELETE FROM goose_db_version WHERE version_id = 3"); err != nil {
		t.Fatal(err)
	}
	res, err := m.Up(ctx)
	if err == nil || !strings.Contains(err.Error(), "version 3") || !strings.Contains(err.Error(), "migrate to") ||
		!strings.Contains(err.Error(), "renumber") {
		t.Fatalf("up with version 3 missing: %v", err)
	}
	if len(res) != 0 || version(t, m) != 4 {
		t.Fatalf("up with version 3 missing applied %v, version %d", res, version(t, m))
	}
}

// Connect's sessions say they are rdbtool's (pg_stat_activity, and a
// waiting migrate naming the lock's holder), unless the DSN names itself.
func TestConnectApplicationName(t *testing.T) {
	ctx := context.Background()
	_, dsn := pgfixture.DBWithDSN(t, fstest.MapFS{})
	for suffix, want := range map[string]string{"": "rdbtool", "&application_name=mc_monitor": "mc_monitor"} {
		pool, err := migrations.Connect(ctx, dsn+suffix)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		err = pool.QueryRow(ctx, "SELECT current_setting('application_name')").Scan(&got)
		pool.Close()
		if err != nil || got != want {
			t.Errorf("DSN%s: application_name %q (%v), want %q", suffix, got, err, want)
		}
	}
}

// WithCheck sees the move under the lock and can refuse it: nothing changes.
func TestWithCheckRefusesUnchanged(t *testing.T) {
	ctx := context.Background()
	pool := pgfixture.DB(t, fstest.MapFS{})
	var seen [][2]int64
	refuse := errors.New("refused by the check")
	m, err := migrations.NewFromPool(pool, migrations.WithCheck(func(from, to int64) error {
		seen = append(seen, [2]int64{from, to})
		if to < from {
			return refuse
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.To(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := m.DownBy(ctx, 1); !errors.Is(err, refuse) {
		t.Fatalf("down by 1: %v, want the check's error", err)
	}
	if _, err := m.To(ctx, 0); !errors.Is(err, refuse) {
		t.Fatalf("to 0: %v, want the check's error", err)
	}
	if v := version(t, m); v != 3 || len(seen) != 3 || seen[0] != [2]int64{0, 3} || seen[1] != [2]int64{3, 2} || seen[2] != [2]int64{3, 0} {
		t.Fatalf("version %d, check saw %v", v, seen)
	}
}
