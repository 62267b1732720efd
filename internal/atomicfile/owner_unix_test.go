//go:build unix

package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Rewriting another user's file (root running rdbtool --in-place on a
// user's dump) keeps its owner, group and mode; a user who may not give a
// file away gets their own file, as any new file.
func TestCommitKeepsOwner(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "dump.rdb")
	if err := os.WriteFile(p, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	wantUID, wantGID := os.Geteuid(), os.Getegid()
	if os.Geteuid() == 0 {
		wantUID, wantGID = 65534, 65533
		if err := os.Chown(p, wantUID, wantGID); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o640|os.ModeSetgid); err != nil { // a chown would clear it
			t.Fatal(err)
		}
	}
	f, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("new")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	if int(sys.Uid) != wantUID || int(sys.Gid) != wantGID {
		t.Fatalf("owner %d:%d, want %d:%d", sys.Uid, sys.Gid, wantUID, wantGID)
	}
	want := os.FileMode(0o640)
	if os.Geteuid() == 0 {
		want |= os.ModeSetgid
	}
	if got := st.Mode() & (os.ModePerm | os.ModeSetgid); got != want {
		t.Fatalf("mode %v, want %v", got, want)
	}
}
