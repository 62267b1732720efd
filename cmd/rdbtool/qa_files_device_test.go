package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestQAFilesOutputNotRegular: -o naming a device, a FIFO or a link to
// one (-o /dev/null, -o /dev/stdout, -o >(gzip > x)) writes to it; the
// temp-file-and-rename that protects a regular file replaced /dev/null by
// a regular file when run as root. --in-place on such a FILE is refused.
func TestQAFilesOutputNotRegular(t *testing.T) {
	dir, dump, _ := qaDump(t)
	want := filepath.Join(dir, "want.rdb")
	mustRun(t, 0, nil, "persist", dump, "-o", want)
	wantBytes, _ := os.ReadFile(want)

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink("fifo", link)
	for _, target := range []string{fifo, link} {
		got := make(chan []byte, 1)
		go func() {
			f, err := os.Open(fifo) // blocks until rdbtool opens it to write
			if err != nil {
				got <- nil
				return
			}
			b, _ := io.ReadAll(f)
			f.Close()
			got <- b
		}()
		mustRun(t, 0, nil, "persist", dump, "-o", target)
		if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
			t.Fatalf("-o %s: the FIFO was replaced (%v, %v)", target, st.Mode(), err)
		}
		if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("-o %s: the link was replaced", target)
		}
		if b := <-got; !bytes.Equal(b, wantBytes) {
			t.Fatalf("-o %s: the FIFO's reader got %d bytes, want %d", target, len(b), len(wantBytes))
		}
	}
	assertOnly(t, dir, "dump.rdb", "fifo", "link", "want.rdb")

	r := mustRun(t, 2, nil, "persist", fifo, "--in-place")
	qaOneLine(t, []string{"persist", "FIFO", "--in-place"}, r.err, "--in-place", "regular file")
	if st, _ := os.Lstat(fifo); st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatal("--in-place replaced the FIFO")
	}
}

// TestQAFilesRefreshDeviceVeto: when the result breaks the policy and -o is
// a FIFO (written as it goes), refresh does not claim nothing was written.
func TestQAFilesRefreshDeviceVeto(t *testing.T) {
	dir, dump, _ := qaDump(t)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if f, err := os.Open(fifo); err == nil {
			io.Copy(io.Discard, f)
			f.Close()
		}
	}()
	r := mustRun(t, 1, nil, "refresh", dump, "-o", fifo, "--policy", writePolicy(t, dir, "forbid: [\"*\"]\n"))
	<-done
	qaOneLine(t, []string{"refresh", "-o", "FIFO"}, r.err, "already written to "+fifo, "discard it")
}
