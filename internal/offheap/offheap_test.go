package offheap

import (
	"runtime"
	"testing"
)

func TestAlloc(t *testing.T) {
	for _, n := range []int{0, 1, 1 << 20} {
		w64, free64 := Alloc[uint64](n)
		w32, free32 := Alloc[uint32](n)
		if len(w64) != n || len(w32) != n {
			t.Fatalf("n=%d: lengths %d, %d", n, len(w64), len(w32))
		}
		for i := range w64 {
			if w64[i] != 0 || w32[i] != 0 {
				t.Fatalf("n=%d: word %d not zero", n, i)
			}
			w64[i], w32[i] = uint64(i)<<33|1, uint32(i)
		}
		for i := range w64 {
			if w64[i] != uint64(i)<<33|1 || w32[i] != uint32(i) {
				t.Fatalf("n=%d: word %d lost", n, i)
			}
		}
		free64()
		free32()
	}
}

// A large table does not grow the Go heap (on the systems that map it).
func TestAllocOutsideHeap(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Log("heap fallback on", runtime.GOOS)
		return
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	w, free := Alloc[uint64](8 << 20) // 64 MiB
	w[len(w)-1] = 1
	runtime.ReadMemStats(&after)
	defer free()
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 16<<20 {
		t.Fatalf("heap grew by %d bytes for a 64 MiB table", grown)
	}
}
