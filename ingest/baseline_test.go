package ingest

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestPyFloatStr: the baseline sends spectra as psycopg does, str() of each
// Python float (CPython's repr).
func TestPyFloatStr(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{1, "1.0"},
		{float64(float32(0.1)), "0.10000000149011612"},
		{1234567.125, "1234567.125"},
		{1e-5, "1e-05"},
		{0.0001, "0.0001"},
		{1e15, "1000000000000000.0"},
		{1e16, "1e+16"},
		{-2.5e-7, "-2.5e-07"},
		{math.Copysign(0, -1), "-0.0"},
		{math.NaN(), "nan"},
		{math.Inf(-1), "-inf"},
	} {
		if got := string(appendPyFloat(nil, c.f)); got != c.want {
			t.Errorf("str(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}

// TestBaselineWritesSameRows: a pass written the baseline's way stores the
// same rows as the bulk pass (spectra compared bit for bit).
func TestBaselineWritesSameRows(t *testing.T) {
	_, rc := loadSite(t)
	ctx := context.Background()
	bulk, slow := pgfixture.DB(t), pgfixture.DB(t)
	r1, err := Run(ctx, rc, bulk, Options{Now: fixedNow, Hostname: "h"})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Run(ctx, rc, slow, Options{Now: fixedNow, Hostname: "h", perRowInserts: true})
	if err != nil {
		t.Fatal(err)
	}
	if r1.Total() != r2.Total() || r1.Total() == 0 {
		t.Fatalf("bulk wrote %d rows, baseline %d", r1.Total(), r2.Total())
	}
	for _, tb := range []string{"hera_auto_spectrum", "hera_autos", "snap_status", "antenna_status", "correlator_config_yaml"} {
		q := "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM " + tb + " t"
		var a, b *string
		if err := bulk.QueryRow(ctx, q).Scan(&a); err != nil {
			t.Fatal(err)
		}
		if err := slow.QueryRow(ctx, q).Scan(&b); err != nil {
			t.Fatal(err)
		}
		if a == nil || b == nil || *a != *b {
			t.Errorf("%s differs between bulk and baseline", tb)
		}
	}
}

// TestAutosEdgeLengths: an empty auto value is a spectrum of no channels
// (median NaN), a length that is not a whole number of float32 values is
// reported and skipped, and both writers agree.
func TestAutosEdgeLengths(t *testing.T) {
	for _, perRow := range []bool{false, true} {
		m, rc := emptyRedis(t)
		db := pgfixture.DB(t)
		m.Set("auto:timestamp", string(le64(2461000.5)))
		m.Set("auto:1e", "")
		m.Set("auto:2n", "abc")
		m.Set("auto:3e", string([]byte{0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64})) // 1, 2, 3
		rep, err := Run(context.Background(), rc, db, Options{Now: fixedNow, Only: []string{"autos"}, Hostname: "h", perRowInserts: perRow})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Skipped) != 1 || rep.Skipped[0].Key != "auto:2n" {
			t.Errorf("perRow=%v: skipped %+v, want auto:2n only", perRow, rep.Skipped)
		}
		got := rowMaps(t, db, `SELECT a.antenna_number, a.value::text AS v, s.spectrum::text AS s FROM hera_autos a
			JOIN hera_auto_spectrum s USING (time, antenna_number, antenna_feed_pol) ORDER BY 1`)
		want := "[map[antenna_number:1 s:{} v:NaN] map[antenna_number:3 s:{1,2,3} v:2]]"
		if fmt.Sprint(got) != want {
			t.Errorf("perRow=%v: rows %v, want %v", perRow, got, want)
		}
	}
}

func le64(f float64) []byte {
	return binary.LittleEndian.AppendUint64(nil, math.Float64bits(f))
}
