package live

import (
	"strconv"
	"testing"
)

func TestFPSet(t *testing.T) {
	s := newFPSet()
	defer s.release()
	const n = 300000
	for i := range n {
		if !s.add(i%3, "k:"+strconv.Itoa(i)) {
			t.Fatalf("key %d (db %d) reported as seen on first add", i, i%3)
		}
	}
	// again, after all the segments have grown several times
	for i := range n {
		if s.add(i%3, "k:"+strconv.Itoa(i)) {
			t.Fatalf("key %d (db %d) not remembered", i, i%3)
		}
	}
	// the same names in another database are other keys
	for i := range 1000 {
		if !s.add(i%3+1, "k:"+strconv.Itoa(i)) {
			t.Fatalf("key %d in db %d taken for the one in db %d", i, i%3+1, i%3)
		}
	}
	if s.n != n+1000 {
		t.Fatalf("%d fingerprints, want %d", s.n, n+1000)
	}
	slots := 0
	for i := range s.segs {
		slots += len(s.segs[i].slots) / 3
		if g := &s.segs[i]; g.n*100 > len(g.slots)/3*86 {
			t.Fatalf("segment %d is %d/%d full", i, g.n, len(g.slots)/3)
		}
	}
	if perKey := float64(slots*12) / float64(s.n); perKey > 22 {
		t.Fatalf("%.1f bytes a key", perKey)
	}
	s.release()
	if !s.add(0, "k:1") {
		t.Fatal("a released set still holds keys")
	}
}

func BenchmarkFPSetAdd(b *testing.B) {
	keys := make([]string, 1<<20)
	for i := range keys {
		keys[i] = "key:" + strconv.Itoa(i)
	}
	s := newFPSet()
	defer s.release()
	b.ResetTimer()
	for i := range b.N {
		if i%len(keys) == 0 && i > 0 {
			s.release()
		}
		s.add(0, keys[i%len(keys)])
	}
}
