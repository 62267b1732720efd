package progress

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rateOf reads the rate at the end of a bar's line, in bytes per second.
func rateOf(t *testing.T, line string) float64 {
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasSuffix(f[len(f)-1], "/s") {
		t.Fatalf("no rate in %q", line)
	}
	v, err := strconv.ParseFloat(f[len(f)-2], 64)
	if err != nil {
		t.Fatalf("rate in %q: %v", line, err)
	}
	mult := map[string]float64{"B/s": 1, "KiB/s": 1 << 10, "MiB/s": 1 << 20, "GiB/s": 1 << 30}[f[len(f)-1]]
	if mult == 0 {
		t.Fatalf("rate unit in %q", line)
	}
	return v * mult
}

// TestScaleRateFromFirstByte: the rate counts from the first byte read,
// not from when the bar was made: diff makes the bar of its second file
// at the start and reads that file only after the first one, which on a
// 4 GiB dump took seconds (shown: 120 KiB/s for a file read at 400 MiB/s).
func TestScaleRateFromFirstByte(t *testing.T) {
	var buf bytes.Buffer
	b := Force(&buf, "diff B", 1<<30, 80)
	b.start = b.start.Add(-10 * time.Second) // made 10 s ago, while A was read
	b.last.Store(b.start.UnixNano())
	b.Add(50 << 20)
	time.Sleep(20 * time.Millisecond)
	b.Add(50 << 20)
	// 100 MiB in about 20 ms; at least 20 MiB/s unless this test stalled
	// 5 s (a busy CI machine may stall it a second); counted from the
	// bar's making it would be under 10 MiB/s
	if r := rateOf(t, b.line()); r < 20<<20 {
		t.Errorf("rate %.0f MiB/s, want at least 20: %q", r/(1<<20), b.line())
	}
	b.Done()
}
