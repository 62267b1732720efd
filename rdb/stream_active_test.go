package rdb

import "testing"

// streams decodes every stream of an RDB file.
func streams(t *testing.T, path string) []*Value {
	t.Helper()
	var out []*Value
	for _, e := range readEntries(t, path) {
		if TypeName(e.Type) == "stream" {
			v, err := e.Decode()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
	}
	return out
}

// TestConsumerActiveTime: a consumer that was never active (-1, stream
// type 3) stays so through encoding; before type 3 the active time is the
// seen time, as Redis loads it.
func TestConsumerActiveTime(t *testing.T) {
	never := 0
	for _, v := range streams(t, "../testdata/corpus/hand_v11_stream3.rdb") {
		typ, raw, err := EncodeValue(v, 11)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeValue(typ, raw)
		if err != nil {
			t.Fatal(err)
		}
		for gi, g := range v.Stream.Groups {
			for ci, c := range g.Consumers {
				if c.ActiveTime == -1 {
					never++
				}
				if got := back.Stream.Groups[gi].Consumers[ci].ActiveTime; got != c.ActiveTime {
					t.Errorf("consumer %s: active time %d after encoding, want %d", c.Name, got, c.ActiveTime)
				}
			}
		}
	}
	if never == 0 {
		t.Fatal("the corpus file has no never-active consumer")
	}
	seen := 0
	for _, v := range streams(t, "../testdata/corpus/all.rdb") {
		for _, g := range v.Stream.Groups {
			for _, c := range g.Consumers {
				seen++
				if c.ActiveTime != c.SeenTime {
					t.Errorf("type-2 consumer %s: active %d, seen %d", c.Name, c.ActiveTime, c.SeenTime)
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("no consumers in all.rdb")
	}
}
