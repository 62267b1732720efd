// Package offheap allocates large tables of words outside the Go heap, so
// that a program with a small heap does not make the garbage collector
// run, and scan, for tables that hold no pointers (the fingerprint sets of
// snapshot and import).
package offheap

import "unsafe"

// Word is what a table holds.
type Word interface{ ~uint32 | ~uint64 }

// Alloc returns n zeroed words and the function that gives them back. The
// words are mapped outside the Go heap where the OS allows, else (or when
// mapping fails) made on the heap. The slice must not be used after free.
func Alloc[T Word](n int) (words []T, free func()) {
	size := n * int(unsafe.Sizeof(T(0)))
	if mem, unmap := mapAnon(size); mem != nil {
		return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(mem))), n), unmap
	}
	return make([]T, n), func() {}
}
