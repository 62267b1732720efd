package ingest

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// poolAs opens a pool on dsn's database as a new login role that owns
// nothing (dropped after the test), after running grant (with %s for the
// role) as the fixture's superuser; extra is added to the DSN's query.
func poolAs(t *testing.T, admin *pgxpool.Pool, dsn, grant, extra string) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	role := fmt.Sprintf("ing_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE ROLE "+role+" LOGIN; "+fmt.Sprintf(grant, role)); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role) // the fixture's server trusts local connections
	db, err := pgxpool.New(ctx, u.String()+extra)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		admin.Exec(context.Background(), "DROP OWNED BY "+role+"; DROP ROLE "+role)
	})
	return db
}

// A role missing a privilege while the loop runs (revoked, or a library
// user that did not check): PostgreSQL's "permission denied for table
// hera_autos" names neither the role nor the privilege; the group's error
// now gives the GRANT. With exactly what Privileges lists, every group is
// written.
func TestQADBAPrivilegeHint(t *testing.T) {
	admin, dsn := pgfixture.DBWithDSN(t)
	_, rc := loadSite(t)
	db := poolAs(t, admin, dsn, "GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO %s", "")
	opts := Options{Now: func() time.Time { return testNow }, Only: []string{"autos", "nodes"}, Hostname: "h"}
	rep, err := Run(context.Background(), rc, db, opts)
	if err == nil {
		t.Fatal("a role without UPDATE wrote the autos and daemon_status")
	}
	role := db.Config().ConnConfig.User
	for _, g := range rep.Failed() {
		if g.Name == "autos" && !strings.Contains(g.Error, `GRANT SELECT, INSERT, UPDATE ON hera_autos TO "`+role+`"`) {
			t.Errorf("autos error names no GRANT: %s", g.Error)
		}
	}
	if !strings.Contains(err.Error(), `GRANT SELECT, INSERT, UPDATE ON daemon_status TO "`+role+`"`) {
		t.Errorf("daemon_status error names no GRANT: %v", err)
	}

	need, err := Privileges(nil)
	if err != nil {
		t.Fatal(err)
	}
	var grants []string
	for _, tp := range need {
		grants = append(grants, "GRANT "+strings.Join(tp.Privileges, ", ")+" ON "+tp.Table+" TO %[1]s")
	}
	exact := poolAs(t, admin, dsn, strings.Join(grants, "; "), "")
	opts.Only = nil
	if rep, err := Run(context.Background(), rc, exact, opts); err != nil {
		t.Fatalf("a role with exactly Privileges(nil): %v (failed %v)", err, rep.Failed())
	}
}

// A read-only session's failures say what read-only means here.
func TestQADBAReadOnlyHint(t *testing.T) {
	admin, dsn := pgfixture.DBWithDSN(t)
	_, rc := loadSite(t)
	db := poolAs(t, admin, dsn, "GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO %s",
		"&options="+url.QueryEscape("-cdefault_transaction_read_only=on"))
	_, err := Run(context.Background(), rc, db, Options{Now: func() time.Time { return testNow }, Only: []string{"nodes"}})
	if err == nil || !strings.Contains(err.Error(), "read-only: default_transaction_read_only is on") {
		t.Fatalf("error: %v", err)
	}
}

// A statement_timeout or lock_timeout a DBA set (on the role, the
// database or the server) that a group runs into (here: waiting for a lock
// another session holds on hera_autos): the error names the setting, its
// value, and how to lift it for the ingest's role alone.
func TestQADBATimeoutHint(t *testing.T) {
	ctx := context.Background()
	admin, dsn := pgfixture.DBWithDSN(t)
	_, rc := loadSite(t)
	opts := Options{Now: func() time.Time { return testNow }, Only: []string{"autos"}}
	tx, err := admin.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE hera_autos IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ option, want string }{
		{"-cstatement_timeout=50", "statement_timeout is 50ms"},
		{"-clock_timeout=50", "lock_timeout is 50ms"},
	} {
		db := poolAs(t, admin, dsn, "GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO %s",
			"&options="+url.QueryEscape(c.option))
		_, err := Run(ctx, rc, db, opts)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "ALTER ROLE") {
			t.Errorf("%s: %v", c.option, err)
		}
	}
}
