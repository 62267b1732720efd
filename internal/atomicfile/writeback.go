package atomicfile

import "os"

// StartWriteback asks the kernel to start writing n bytes of f at off to
// disk without waiting (Linux; elsewhere it does nothing). A writer that
// bypasses File.Write, such as a kernel copy into File.File, calls it after
// each chunk so that the disk works while the rest is copied and Commit's
// fsync finds little left to do.
func StartWriteback(f *os.File, off, n int64) { startWriteback(f, off, n) }
