package rdb

import "testing"

func TestCRC64KnownValue(t *testing.T) {
	// The check value Redis's own crc64 test uses (crc64.c).
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("CRC64(123456789) = %#x, want 0xe9c6d914c4b8d9ca", got)
	}
}

func TestCRC64Chunked(t *testing.T) {
	data := make([]byte, 1000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	whole := CRC64(0, data)
	for split := 0; split <= len(data); split += 37 {
		if got := CRC64(CRC64(0, data[:split]), data[split:]); got != whole {
			t.Fatalf("split at %d: %#x != %#x", split, got, whole)
		}
	}
}

func BenchmarkCRC64(b *testing.B) {
	data := make([]byte, 1<<20)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		CRC64(0, data)
	}
}

// TestCRC64Lanes: the four-lane path agrees with the serial one for every
// length around the lane sizes and every starting CRC.
func TestCRC64Lanes(t *testing.T) {
	data := xorshiftBytes(9*4*crcLane+123, 0x9e3779b97f4a7c15)
	for _, n := range []int{0, 1, 4*crcLane - 1, 4 * crcLane, 4*crcLane + 1, 4*crcLane + 8, 8*crcLane + 77, len(data)} {
		for _, start := range []uint64{0, 1, 0xe9c6d914c4b8d9ca, ^uint64(0)} {
			if got, want := CRC64(start, data[:n]), crc64Serial(start, data[:n]); got != want {
				t.Fatalf("length %d from %#x: %#x, serial %#x", n, start, got, want)
			}
		}
	}
}

// TestCRC64Fold: the folding path (where the CPU has it) agrees with the
// tables for every length from 0 to 300 and every starting CRC.
func TestCRC64Fold(t *testing.T) {
	t.Logf("carry-less multiplication: %v", crcFolding())
	data := xorshiftBytes(300, 0x2545f4914f6cdd1d)
	for n := 0; n <= len(data); n++ {
		for _, start := range []uint64{0, 1, 0xe9c6d914c4b8d9ca, ^uint64(0)} {
			if got, want := CRC64(start, data[:n]), crc64Serial(start, data[:n]); got != want {
				t.Fatalf("length %d from %#x: %#x, tables %#x", n, start, got, want)
			}
		}
	}
}

// xorshiftBytes returns n pseudo-random (incompressible) bytes from a
// non-zero seed, by xorshift64.
func xorshiftBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	x := seed
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}
