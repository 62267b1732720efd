//go:build !(linux || darwin || freebsd)

package export

// allocWords returns n zeroed words on the heap (no mmap here).
func allocWords(n int) ([]uint64, func()) { return make([]uint64, n), func() {} }
