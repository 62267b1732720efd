//go:build unix

package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// keepOwner gives the temp file the owner and group of the file it will
// replace, so that root rewriting a user's dump in place does not leave a
// root-owned file behind. A user who may not do that (EPERM) gets the
// usual result of writing a new file: their own.
func keepOwner(tf *os.File, st fs.FileInfo) error {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || (int(sys.Uid) == os.Geteuid() && int(sys.Gid) == os.Getegid()) {
		return nil
	}
	err := tf.Chown(int(sys.Uid), int(sys.Gid))
	if errors.Is(err, fs.ErrPermission) {
		return nil
	}
	return err
}
