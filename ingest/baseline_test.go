package ingest

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
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
// same rows as the bulk pass, in every table (spectra compared bit for
// bit), on the site and on the site with the records the audits fixed
// (Unicode digits, corr:files:jds spellings and huge statuses, a YAML key
// given twice, a lower-case serial, a SNAP channel two antennas claim, an
// antenna spelled twice, times on a leap-second day); a second pass of either changes nothing.
func TestBaselineWritesSameRows(t *testing.T) {
	for _, c := range []struct {
		name  string
		audit bool
	}{{"site", false}, {"audit", true}} {
		t.Run(c.name, func(t *testing.T) {
			m, rc := loadSite(t)
			if c.audit {
				auditRecords(t, m)
			}
			ctx := context.Background()
			var dumps [2]map[string]string
			var reps [2]*Report
			for i, perRow := range []bool{false, true} {
				db := pgfixture.DB(t)
				opts := Options{Now: fixedNow, Hostname: "h", perRowInserts: perRow}
				rep, err := Run(ctx, rc, db, opts)
				if err != nil {
					t.Fatal(err)
				}
				if f := rep.Failed(); len(f) > 0 {
					t.Fatalf("perRow=%v: failed groups %+v", perRow, f)
				}
				dumps[i], reps[i] = dumpTables(t, db), rep
				if _, err := Run(ctx, rc, db, opts); err != nil {
					t.Fatal(err)
				}
				again := dumpTables(t, db)
				for tb, rows := range dumps[i] {
					if again[tb] != rows {
						t.Errorf("perRow=%v: a second pass changed %s:\n%s", perRow, tb, firstDiff(rows, again[tb]))
					}
				}
			}
			if reps[0].Total() != reps[1].Total() || reps[0].Total() == 0 {
				t.Fatalf("bulk wrote %d rows, baseline %d", reps[0].Total(), reps[1].Total())
			}
			for tb, rows := range dumps[0] {
				if dumps[1][tb] != rows {
					t.Errorf("%s differs between bulk and baseline:\n%s", tb, firstDiff(rows, dumps[1][tb]))
				}
			}
			if a, b := sortedSkips(reps[0]), sortedSkips(reps[1]); a != b {
				t.Errorf("bulk and baseline report different skips:\n%s", firstDiff(a, b))
			}
			if c.audit {
				for _, tb := range []string{"correlator_file_eod", "correlator_config_params", "snap_feng_init_status", "correlator_software_versions"} {
					if dumps[0][tb] == "" {
						t.Errorf("%s: no rows, the audit records are not exercised", tb)
					}
				}
			}
		})
	}
}

// auditRecords adds to the site the records the session's audits changed
// the handling of.
func auditRecords(t *testing.T, m *miniredis.Miniredis) {
	t.Helper()
	var s2s map[string]string
	if err := json.Unmarshal([]byte(m.HGet("corr:map", "snap_to_serial")), &s2s); err != nil || len(s2s) == 0 {
		t.Fatalf("site corr:map snap_to_serial: %v", err)
	}
	hosts := make([]string, 0, len(s2s))
	for h := range s2s {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	host := hosts[0]
	m.HSet("status:snap:"+host, "serial", strings.ToLower(s2s[host]), "temp", "\u0663\u0662.\u0665", "pps_count", "\u0661\u0662")
	var a2s map[string]map[string]map[string]any
	if err := json.Unmarshal([]byte(m.HGet("corr:map", "ant_to_snap")), &a2s); err != nil {
		t.Fatalf("site corr:map ant_to_snap: %v", err)
	}
	a2s["9999"] = map[string]map[string]any{"e": {"host": host, "channel": 0}}
	ants := make([]string, 0, len(a2s))
	for a := range a2s {
		ants = append(ants, a)
	}
	sort.Strings(ants)
	// An antenna spelled twice, on another SNAP channel: "0<ant>" sorts first.
	a2s["0"+ants[0]] = map[string]map[string]any{"e": {"host": hosts[1], "channel": 3}}
	b, _ := json.Marshal(a2s)
	m.HSet("corr:map", "ant_to_snap", string(b))
	m.HSet("corr:files:jds", "2461001", "1", "+2461001", "2", " 2461002", "99999999999999999999", "2461003", "7",
		"\u0662\u0664\u0666\u0661\u0660\u0660\u0664", "0")
	m.HSet("snap_configuration", "config", testConfig+"fft_shift: 1\nfengines:\n  heraNode1Snap0: {ants: [7], phase_switch_index: [1, 2]}\n",
		"md5", "dupkeys", "upload_time", fmt.Sprint(testNow.Add(-time.Hour).Unix()))
	m.HSet("version:hera_corr_f:leap.py", "version", "1.0", "timestamp", "2016-12-31T23:59:59.5")
	m.HSet("snap_log", "log_time_start", "2016-12-31T23:00:00", "log_time_stop", "2016-12-31T23:59:59.75", "working", "heraNode1Snap0")
}

// dumpTables returns every table's rows as text, one line each, sorted.
func dumpTables(t *testing.T, db *pgxpool.Pool) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'goose_db_version'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) < 10 {
		t.Fatalf("tables %v: %v", tables, err)
	}
	out := map[string]string{}
	for _, tb := range tables {
		var s *string
		q := "SELECT string_agg(t::text, E'\\n' ORDER BY t::text) FROM " + pgx.Identifier{tb}.Sanitize() + " t"
		if err := db.QueryRow(ctx, q).Scan(&s); err != nil {
			t.Fatal(err)
		}
		if s != nil {
			out[tb] = *s
		} else {
			out[tb] = ""
		}
	}
	return out
}

func sortedSkips(r *Report) string {
	l := make([]string, len(r.Skipped))
	for i, s := range r.Skipped {
		l[i] = fmt.Sprintf("%+v", s)
	}
	sort.Strings(l)
	return strings.Join(l, "\n")
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("line %d: %q\n     vs %q", i+1, clip(x), clip(y))
		}
	}
	return "(same)"
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
