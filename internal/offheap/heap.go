//go:build !(linux || darwin || freebsd)

package offheap

// mapAnon: no anonymous mappings here; Alloc uses the heap.
func mapAnon(int) ([]byte, func()) { return nil, nil }
