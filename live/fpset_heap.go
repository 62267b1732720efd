//go:build !(linux || darwin || freebsd)

package live

// allocWords returns n zeroed words on the Go heap.
func allocWords(n int) ([]uint32, func()) { return make([]uint32, n), func() {} }
