package atomicfile

import (
	"os"
	"syscall"
)

// startWriteback asks Linux to start writing out n bytes at off
// (sync_file_range SYNC_FILE_RANGE_WRITE): it does not wait, and a failure
// only means Commit's fsync does the work.
func startWriteback(f *os.File, off, n int64) {
	const syncFileRangeWrite = 2
	syscall.Syscall6(syscall.SYS_SYNC_FILE_RANGE, f.Fd(), uintptr(off), uintptr(n), syncFileRangeWrite, 0, 0)
}
