package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestEndDrawsNoMore: End erases the bar for good. Hide's bar comes back
// at the next update, which on the way to a signal's death left the bar on
// the line the shell's prompt then took (TestCtrlCErasesBar, now and then
// on a busy machine: the reading goroutine counted bytes after the erase).
func TestEndDrawsNoMore(t *testing.T) {
	t.Cleanup(func() { ended.Store(false); active.Store(nil) })
	var buf bytes.Buffer
	b := Force(&buf, "keys", 0, 60)
	time.Sleep(interval + 10*time.Millisecond)
	b.Add(10)
	if !strings.HasPrefix(buf.String(), "\rkeys") {
		t.Fatalf("no bar drawn: %q", buf.String())
	}
	drawn := buf.String()
	End()
	erased := buf.Len()
	if want := drawn + "\r" + strings.Repeat(" ", len(drawn)-1) + "\r"; buf.String() != want {
		t.Fatalf("End did not erase the bar:\n got %q\nwant %q", buf.String(), want)
	}
	time.Sleep(interval + 10*time.Millisecond)
	b.Add(10)
	if buf.Len() != erased {
		t.Fatalf("the bar was drawn again after End: %q", buf.String()[erased:])
	}
}
