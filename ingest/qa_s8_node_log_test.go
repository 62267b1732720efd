package ingest

import (
	"context"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestQAS8NodeLogSeverityRange: subsystem_error.severity is an integer
// (int4) column. mc_listen_to_corr_logger binds the JSON number as it is,
// so a severity outside int4 fails its insert (hera-mc.md §3.20, §1.2:
// integer overflow raises): nothing is stored. It must not be wrapped
// into int32 (4294967298 stored as 2).
func TestQAS8NodeLogSeverityRange(t *testing.T) {
	db := pgfixture.DB(t)
	ctx := context.Background()
	opts := Options{Hostname: "logger", Now: fixedNow}
	for _, sev := range []string{"4294967298", "-4294967295", "2147483648"} {
		payload := `{"subsystem": "correlator", "levelno": 40, "severity": ` + sev + `, "message": "m", "logtime": 1700000000}`
		stored, err := HandleLogMessage(ctx, db, payload, opts)
		if stored || err == nil {
			t.Errorf("severity %s: stored %v, err %v; want an error and nothing stored", sev, stored, err)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM subsystem_error`); n != 0 {
		t.Errorf("%d rows stored for out-of-range severities: %v", n, rowMaps(t, db, `SELECT severity, log FROM subsystem_error`))
	}
	// The int4 limits themselves are stored.
	for _, sev := range []string{"2147483647", "-2147483648"} {
		payload := `{"subsystem": "correlator", "levelno": 40, "severity": ` + sev + `, "message": "m", "logtime": 1700000000}`
		if stored, err := HandleLogMessage(ctx, db, payload, opts); !stored || err != nil {
			t.Errorf("severity %s: stored %v, err %v", sev, stored, err)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM subsystem_error WHERE severity IN (2147483647, -2147483648)`); n != 2 {
		t.Errorf("%d rows at the int4 limits, want 2", n)
	}
}

// TestQAS8NodeLogExactKeys: the listener indexes the decoded dict with
// the exact keys (message_dict["message"] and so on). Go's encoding/json
// matches struct fields ignoring case, so "MESSAGE" after "message"
// replaced the message, and a payload with only "Message" was stored
// where Python raises KeyError.
func TestQAS8NodeLogExactKeys(t *testing.T) {
	db := pgfixture.DB(t)
	ctx := context.Background()
	opts := Options{Hostname: "logger", Now: fixedNow}
	stored, err := HandleLogMessage(ctx, db,
		`{"subsystem": "correlator", "levelno": 40, "severity": 2, "message": "real", "MESSAGE": "other", "Severity": 9, "LOGTIME": 1, "logtime": 1700000000}`, opts)
	if !stored || err != nil {
		t.Fatalf("stored %v, err %v", stored, err)
	}
	rows := rowMaps(t, db, `SELECT time, severity, log FROM subsystem_error`)
	if len(rows) != 1 || rows[0]["log"] != "real" || rows[0]["severity"] != int32(2) || rows[0]["time"] != int64(1700000000-315964782) {
		t.Errorf("rows %v, want log 'real', severity 2, time %d", rows, 1700000000-315964782)
	}
	for _, p := range []string{
		`{"Subsystem": "correlator", "levelno": 40, "severity": 2, "message": "m", "logtime": 1700000000}`,
		`{"subsystem": "correlator", "LevelNo": 40, "severity": 2, "message": "m", "logtime": 1700000000}`,
		`{"subsystem": "correlator", "levelno": 40, "SEVERITY": 2, "message": "m", "logtime": 1700000000}`,
		`{"subsystem": "correlator", "levelno": 40, "severity": 2, "Message": "m", "logtime": 1700000000}`,
		`{"subsystem": "correlator", "levelno": 40, "severity": 2, "message": "m", "logTime": 1700000000}`,
	} {
		if stored, err := HandleLogMessage(ctx, db, p, opts); stored || err == nil {
			t.Errorf("%s: stored %v, err %v; want a missing-field error", p, stored, err)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM subsystem_error`); n != 1 {
		t.Errorf("%d rows, want 1", n)
	}
}

// TestQAS8NodeLogBelowLevelMarksGood: mc_listen_to_corr_logger upserts
// its daemon_status 'good' for every message it decodes, whether or not
// the level lets it into subsystem_error (hera-mc.md §3.20: "It then
// upserts daemon_status ... 'good' and commits", outside the levelno
// test in the script). A message below NOTIFY stores no subsystem_error
// row but still marks the listener good; the ignored 'UnicodeDecodeError
// on emit!' marks nothing. Below NOTIFY the original reads no key but
// levelno, so a message holding only that marks the listener good too.
func TestQAS8NodeLogBelowLevelMarksGood(t *testing.T) {
	db := pgfixture.DB(t)
	ctx := context.Background()
	opts := Options{Hostname: "logger", Now: func() time.Time { return testNow }}
	if stored, err := HandleLogMessage(ctx, db, `UnicodeDecodeError on emit!`, opts); stored || err != nil {
		t.Fatalf("ignored message: stored %v, err %v", stored, err)
	}
	if n := count(t, db, `SELECT count(*) FROM daemon_status`); n != 0 {
		t.Errorf("the ignored message wrote %d daemon_status rows", n)
	}
	stored, err := HandleLogMessage(ctx, db, `{"subsystem": "correlator", "levelno": 20, "severity": 5, "message": "info", "logtime": 1700000000}`, opts)
	if stored || err != nil {
		t.Fatalf("below NOTIFY: stored %v, err %v", stored, err)
	}
	if n := count(t, db, `SELECT count(*) FROM subsystem_error`); n != 0 {
		t.Errorf("below NOTIFY: %d subsystem_error rows", n)
	}
	// Below the level the original looks at no other key.
	if stored, err := HandleLogMessage(ctx, db, `{"levelno": 10}`, opts); stored || err != nil {
		t.Errorf("levelno only, below NOTIFY: stored %v, err %v", stored, err)
	}
	want, _ := FloorGPSTime(testNow)
	rows := rowMaps(t, db, `SELECT name, hostname, jd, time, status FROM daemon_status`)
	if len(rows) != 1 || rows[0]["name"] != DaemonLogger || rows[0]["hostname"] != "logger" || rows[0]["status"] != "good" ||
		rows[0]["time"] != want || rows[0]["jd"] != JDDay(testNow) {
		t.Errorf("daemon_status %v, want one 'good' row for %s on logger at %d", rows, DaemonLogger, want)
	}
}
