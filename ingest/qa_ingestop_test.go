package ingest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestQAOpSchemaGoneMidLoop: a table that disappears from under the
// running daemon (a migrate down, a restore of an older dump) fails its
// group with an error that says what to run, and the loop says so once
// per pass, not once per group and again for the pass.
func TestQAOpSchemaGoneMidLoop(t *testing.T) {
	ctx := context.Background()
	_, rc := loadSite(t)
	db := pgfixture.DB(t)
	if _, err := db.Exec(ctx, `ALTER TABLE node_sensor RENAME TO node_sensor_old`); err != nil {
		t.Fatal(err)
	}
	var lines []string
	var groupErrs []string
	err := Loop(ctx, rc, db, LoopOptions{Every: time.Millisecond, Passes: 2,
		Options: Options{Now: func() time.Time { return testNow }, Only: []string{"node_sensor"},
			Logf: func(f string, a ...any) { lines = append(lines, f) }},
		OnPass: func(_ int, rep *Report, _ error) {
			for _, g := range rep.Failed() {
				groupErrs = append(groupErrs, g.Error)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(groupErrs) != 2 {
		t.Fatalf("failed groups %q, want node_sensor in both passes", groupErrs)
	}
	for _, e := range groupErrs {
		if !strings.Contains(e, "rdbtool migrate up") || !strings.Contains(e, "node_sensor") {
			t.Errorf("group error does not say what to run: %s", e)
		}
	}
	if len(lines) != 2 {
		t.Errorf("%d log lines for 2 failed passes, want 2: %q", len(lines), lines)
	}
}

// TestQAOpLoopCadence: passes start every Every on a fixed schedule: a
// timer that wakes late does not push every later pass later (the drift
// adds up over a day of 1440 passes), and a pass longer than Every is
// followed by one pass at once, not by a burst catching up the missed
// ones, and never overlaps the next.
func TestQAOpLoopCadence(t *testing.T) {
	_, rc := loadSite(t)
	db := pgfixture.DB(t)
	const every, late, slow = time.Second, 100 * time.Millisecond, 2500 * time.Millisecond
	now := testNow
	var starts, ends []time.Time
	err := Loop(context.Background(), rc, db, LoopOptions{Every: every, Passes: 5,
		Options: Options{Now: func() time.Time { return now }, Only: []string{"daemons"}},
		clock:   func() time.Time { return now },
		Sleep: func(_ context.Context, d time.Duration) error {
			if d > 0 {
				now = now.Add(d + late) // every timer wakes late
			}
			return nil
		},
		BeforePass: func(int) { starts = append(starts, now) },
		OnPass: func(n int, _ *Report, _ error) {
			if n == 2 {
				now = now.Add(slow)
			}
			ends = append(ends, now)
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(starts) != 5 {
		t.Fatalf("%d passes, want 5", len(starts))
	}
	for i := 1; i < len(starts); i++ {
		if starts[i].Before(ends[i-1]) {
			t.Errorf("pass %d started before pass %d ended", i+1, i)
		}
	}
	if !starts[2].Equal(ends[1]) {
		t.Errorf("the pass after the slow one started %v after it, want at once", starts[2].Sub(ends[1]))
	}
	// After the slow pass the schedule restarts at pass 3: passes 4 and 5
	// are due 1 s and 2 s later and may each be late by one wake-up.
	for i, want := range []time.Duration{every, 2 * every} {
		if got := starts[3+i].Sub(starts[2]); got < want || got > want+late {
			t.Errorf("pass %d started %v after pass 3, want %v (+ at most %v)", 4+i, got, want, late)
		}
	}
}

// TestQAOpStopContext: the pass's context outlives the stop request by
// the grace, then ends with ErrCutShort; with no grace, or once the work
// is done, it does not end with the request.
func TestQAOpStopContext(t *testing.T) {
	parent, stopReq := context.WithCancel(context.Background())
	// A grace no scheduling delay between stopReq and the first check
	// outlasts, even with -race on a loaded CI machine (50 ms could).
	ctx, done := StopContext(parent, 500*time.Millisecond)
	defer done()
	never, doneNever := StopContext(parent, 0)
	defer doneNever()
	stopReq()
	if ctx.Err() != nil {
		t.Fatal("cancelled with the stop request, before the grace")
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("not cancelled after the grace")
	}
	if c := context.Cause(ctx); c != ErrCutShort {
		t.Errorf("cause %v, want ErrCutShort", c)
	}
	if never.Err() != nil {
		t.Error("a grace of 0 cancelled the work")
	}
}

// TestQAOpCorrMapRemembered: the decoded corr:map is reused only for the
// same text, and its problems are reported again on every use.
func TestQAOpCorrMapRemembered(t *testing.T) {
	m1, n1 := cachedCorrMap(`{"1": {"e": {"host": "h", "channel": 0}}}`, "", false)
	m2, n2 := cachedCorrMap(`{"1": {"e": {"host": "h", "channel": 9}}}`, `{"h": "s1"}`, true)
	m3, n3 := cachedCorrMap(`{"1": {"e": {"host": "h", "channel": 9}}}`, `{"h": "s1"}`, true)
	if len(m1.ants) != 1 || len(n1) != 0 {
		t.Errorf("first map: %d ants, notes %v", len(m1.ants), n1)
	}
	if len(m2.ants) != 0 || len(n2) != 1 || m2.hostSerial["h"] != "s1" {
		t.Errorf("changed map: %d ants, notes %v, serials %v", len(m2.ants), n2, m2.hostSerial)
	}
	if m3 != m2 || len(n3) != 1 || n3[0] != n2[0] {
		t.Errorf("same map again: not reused (%p, %p) or notes %v", m3, m2, n3)
	}
}
