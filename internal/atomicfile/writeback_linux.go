package atomicfile

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks Linux to start writing out n bytes at off
// (sync_file_range SYNC_FILE_RANGE_WRITE): it does not wait, and a failure
// only means Commit's fsync does the work. unix.SyncFileRange knows each
// architecture's calling convention: 32-bit arm has the call under another
// number with the flags second (arm_sync_file_range), and on 386 each 64-bit
// argument takes two registers.
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
