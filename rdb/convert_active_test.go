package rdb

import (
	"strings"
	"testing"
)

// Converting a stream below RDB 11 warns about consumer active times only
// when one is lost: Redis loads an older stream's active time as its seen
// time, so a consumer whose two times agree loses nothing.
func TestConvertActiveTimeWarning(t *testing.T) {
	stream := func(active int64) *Value {
		id := StreamID{Ms: 1700000000000, Seq: 0}
		return &Value{Kind: "stream", Stream: &Stream{
			Entries: []StreamEntry{{ID: id, Fields: []StreamField{{Name: []byte("f"), Value: []byte("v")}}}},
			Length:  1, LastID: id, FirstID: id, EntriesAdded: 1,
			Groups: []StreamGroup{{Name: []byte("g"), LastID: id, EntriesRead: 1,
				Consumers: []StreamConsumer{{Name: []byte("c"), SeenTime: 1700000000500, ActiveTime: active}}}},
		}}
	}
	for _, c := range []struct {
		active int64
		warn   bool
	}{{1700000000500, false}, {1700000000400, true}, {-1, true}} {
		e, err := NewEntry(0, []byte("s"), stream(c.active), 11)
		if err != nil {
			t.Fatal(err)
		}
		if e.Type != TypeStreamListpacks3 {
			t.Fatalf("type %d, want a stream of type 3", e.Type)
		}
		warnings, err := ConvertEntry(e, 10)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(strings.Join(warnings, "\n"), "active times dropped")
		if got != c.warn {
			t.Errorf("active %d: warnings %q, want the active-time warning: %v", c.active, warnings, c.warn)
		}
	}
}
