package ingest

import (
	"encoding/binary"
	"math"
	"math/rand"
	"slices"
	"testing"
)

// TestS9MedianLEClustered: medianLE (the median the streaming pass
// stores) agrees with sorting on spectra whose values share most of their
// bits, so that the selection goes down to its last level and the lower
// middle value of an even count comes from each of its branches (same
// key, a lower last-level bucket, a lower middle bucket, a lower top
// bucket), with ties and the scratch slices reused from one spectrum to
// the next as rawMedians does. The keys it fills are those of the values.
func TestS9MedianLEClustered(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	var keys, tmp []uint32
	base := []uint32{math.Float32bits(1), math.Float32bits(-1), math.Float32bits(1e-40), 0, math.Float32bits(3e38)}
	for trial := range 4000 {
		n := 1 + r.Intn(40)
		if trial%500 == 0 {
			n = 6144 + trial%2
		}
		b0 := base[r.Intn(len(base))]
		spread := []uint32{1, 4, 1 << 10, 1 << 12, 1 << 21, 1 << 23}[r.Intn(6)]
		v := make([]float32, n)
		b := make([]byte, 4*n)
		for i := range v {
			bits := b0 + uint32(r.Intn(int(spread)))
			if r.Intn(4) == 0 {
				bits ^= 1 << 31 // the other sign
			}
			if math.IsNaN(float64(math.Float32frombits(bits))) {
				bits = b0
			}
			v[i] = math.Float32frombits(bits)
			binary.LittleEndian.PutUint32(b[4*i:], bits)
		}
		keys = slices.Grow(keys[:0], n)[:n]
		tmp = slices.Grow(tmp[:0], n)[:n]
		want := sortedMedian(v)
		got := medianLE(b, keys, tmp)
		if got != want && !(math.IsNaN(float64(got)) && math.IsNaN(float64(want))) {
			t.Fatalf("trial %d: medianLE(%v) = %v, want %v", trial, v, got, want)
		}
		for i, x := range v {
			if keyFloat(keys[i]) != x && !math.IsNaN(float64(x)) {
				t.Fatalf("trial %d: key %d is %v's, want %v's", trial, i, keyFloat(keys[i]), x)
			}
		}
	}
}
