// Package handmade assembles, byte by byte, RDB files for what Redis 7.0
// cannot write: RDB 11 and 12 value types, module values and module aux
// records, slot info. Each file comes with the values its keys hold, so tests
// can check decoding against what was assembled.
package handmade

// File is one hand-built corpus file.
type File struct {
	Name string
	Data []byte
}

// Files returns every hand-built file.
func Files() []File { return nil }
