package filter

import (
	"testing"
)

// FuzzParsePolicy: any input gives a policy or an error, never a panic,
// and a parsed policy's sizes are not negative.
func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte("prune: [\"fpg:*\"]\nno-ttl: true\nmax-value-size: 1MiB\n"))
	f.Add([]byte("max-file-size: 99999999999999999999\n"))
	f.Add([]byte("forbid: {a: b}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		if err != nil {
			return
		}
		if p.MaxValueSize < 0 || p.MaxFileSize < 0 || p.PruneLargerThan < 0 {
			t.Fatalf("negative size from %q: %+v", data, p)
		}
		c := NewChecker(p)
		c.Finish(0)
	})
}

// FuzzParseSize: never a panic, never a negative size.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1", "1.5GiB", "4 MB", "", ".", "9e9", "0.0000001KiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := ParseSize(s); err == nil && n < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
	})
}
