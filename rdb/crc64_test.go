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
