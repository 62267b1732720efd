package ingest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestAutosRunBeside: the autos group runs beside the other groups. While
// its spectra wait on a lock the test holds, the groups listed after it
// (the node groups) still commit; when it then fails, the others' rows
// stay, the failure is recorded, and the report keeps the groups' order.
func TestAutosRunBeside(t *testing.T) {
	_, rc := loadSite(t)
	db := pgfixture.DB(t)
	ctx := context.Background()
	for _, sql := range []string{
		`CREATE FUNCTION hold_spectra() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			PERFORM pg_advisory_xact_lock_shared(4242);
			RAISE EXCEPTION 'spectra refused by the test';
		END $$`,
		`CREATE TRIGGER hold BEFORE INSERT ON hera_auto_spectrum
			FOR EACH STATEMENT EXECUTE FUNCTION hold_spectra()`,
	} {
		if _, err := db.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	holder, err := db.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Release()
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock(4242)`); err != nil {
		t.Fatal(err)
	}
	released := false
	release := func() {
		if !released {
			released = true
			holder.Exec(ctx, `SELECT pg_advisory_unlock(4242)`)
		}
	}
	defer release()

	type result struct {
		rep *Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := Run(ctx, rc, db, Options{Now: fixedNow, Hostname: "h"})
		done <- result{rep, err}
	}()

	// The node groups come after autos in the original order: their rows
	// appear only if autos did not hold them up.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM node_white_rabbit_status`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			release()
			<-done
			t.Fatal("the node groups did not commit while the autos group was held: autos does not run beside them")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var spectra int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM hera_auto_spectrum`).Scan(&spectra); err != nil {
		t.Fatal(err)
	}
	if spectra != 0 {
		t.Fatalf("%d spectra visible while their transaction was held", spectra)
	}
	release()
	r := <-done

	if r.err == nil || !strings.Contains(r.err.Error(), "spectra refused by the test") {
		t.Fatalf("pass error %v, want the autos failure", r.err)
	}
	var names, want []string
	for _, g := range r.rep.Groups {
		names = append(names, g.Name)
		if (g.Status == statusErrored) != (g.Name == "autos") {
			t.Errorf("group %s: status %s (%s)", g.Name, g.Status, g.Error)
		}
	}
	for _, g := range Groups() {
		want = append(want, g.Name)
	}
	if !slices.Equal(names, want) {
		t.Errorf("report groups %v, want the original order %v", names, want)
	}
	for _, table := range []string{"hera_autos", "hera_auto_spectrum"} {
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: %d rows after the group failed", table, n)
		}
	}
	var antennas, errorsLogged int
	var status string
	db.QueryRow(ctx, `SELECT count(*) FROM antenna_status`).Scan(&antennas)
	db.QueryRow(ctx, `SELECT count(*) FROM subsystem_error WHERE log LIKE '%group autos%spectra refused%'`).Scan(&errorsLogged)
	db.QueryRow(ctx, `SELECT status FROM daemon_status WHERE name = $1`, DaemonCorrelator).Scan(&status)
	if antennas == 0 || errorsLogged != 1 || status != statusErrored {
		t.Errorf("antenna_status rows %d, autos errors logged %d, correlator status %q", antennas, errorsLogged, status)
	}
}
