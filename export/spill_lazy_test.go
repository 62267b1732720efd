package export

import (
	"bytes"
	"fmt"
	"testing"
)

// TestSpillSortLazyPayloads: the merge holds the head record of every
// run, so each large record (textconv's text of a big key is a run of its
// own) is read only when it is returned: a dump with many big keys had
// the text of all of them in memory at once when the merge began.
func TestSpillSortLazyPayloads(t *testing.T) {
	const big = 200 << 10
	withBudget(4096, func() {
		s := newSpillSort()
		defer s.close()
		var want []string
		for i := range 20 {
			key := fmt.Appendf(nil, "k%02d", 19-i) // added in reverse order
			payload := bytes.Repeat([]byte{byte('a' + i)}, big+i)
			if err := s.add(0, key, payload); err != nil {
				t.Fatal(err)
			}
			rw := s.newRecord(1, key) // and through recordWriter, length filled in after
			rw.Write(payload)
			if err := rw.close(); err != nil {
				t.Fatal(err)
			}
			want = append(want, fmt.Sprintf("%s %c %d", key, 'a'+i, big+i))
			if err := s.add(0, fmt.Appendf(nil, "k%02d small", 19-i), []byte("x")); err != nil {
				t.Fatal(err)
			}
		}
		it, err := s.iter()
		if err != nil {
			t.Fatal(err)
		}
		held := 0
		for _, rr := range it.heap {
			held += cap(rr.cur)
		}
		if held > big {
			t.Errorf("%d runs hold %d KiB at the merge's start, want at most one record's %d KiB", len(it.heap), held>>10, big>>10)
		}
		var got []string
		n := 0
		for {
			db, key, payload, ok, err := it.next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			n++
			if bytes.HasSuffix(key, []byte("small")) {
				if string(payload) != "x" {
					t.Fatalf("%q: payload %q", key, payload)
				}
				continue
			}
			if len(payload) == 0 || bytes.Count(payload, payload[:1]) != len(payload) {
				t.Fatalf("db%d %q: payload of %d bytes not all one letter", db, key, len(payload))
			}
			if db == 0 {
				got = append(got, fmt.Sprintf("%s %c %d", key, payload[0], len(payload)))
			}
		}
		if n != 60 {
			t.Fatalf("%d records read back, want 60", n)
		}
		for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
			want[i], want[j] = want[j], want[i]
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("db0 records:\n got %v\nwant %v", got, want)
		}
	})
}
