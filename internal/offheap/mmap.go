//go:build linux || darwin || freebsd

package offheap

import "syscall"

// mapAnon maps size zeroed bytes; nil if the OS refuses.
func mapAnon(size int) ([]byte, func()) {
	if size <= 0 {
		return nil, nil
	}
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil
	}
	return mem, func() { _ = syscall.Munmap(mem) }
}
