package atomicfile

import (
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range des {
		names = append(names, d.Name())
	}
	return names
}

func TestCommitReplacesAndKeepsMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "dump.rdb")
	if err := os.WriteFile(p, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	f, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(f.TempPath()) != dir {
		t.Fatalf("temp %s not beside %s", f.TempPath(), p)
	}
	if _, err := f.WriteString("new content"); err != nil {
		t.Fatal(err)
	}
	// Before Commit the original is untouched.
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("original changed before commit: %q", b)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "new content" {
		t.Fatalf("after commit: %q %v", b, err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, want 0640", st.Mode().Perm())
	}
	if n := entries(t, dir); len(n) != 1 {
		t.Fatalf("leftover files: %v", n)
	}
	if err := f.Abort(); err != nil {
		t.Fatalf("Abort after Commit: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new content" {
		t.Fatal("Abort after Commit changed the file")
	}
}

func TestAbortLeavesOriginal(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "dump.rdb")
	os.WriteFile(p, []byte("old"), 0o644)
	f, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("partial")
	if err := f.Abort(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("original changed: %q", b)
	}
	if n := entries(t, dir); len(n) != 1 {
		t.Fatalf("leftover files: %v", n)
	}
	if err := f.Commit(); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
}

func TestNewFileAndSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.rdb")
	os.WriteFile(real, []byte("x"), 0o600)
	link := filepath.Join(dir, "link.rdb")
	if err := os.Symlink("real.rdb", link); err != nil {
		t.Skip("no symlinks:", err)
	}
	f, err := Create(link)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("y")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("symlink replaced by a file")
	}
	if b, _ := os.ReadFile(real); string(b) != "y" {
		t.Fatalf("target = %q", b)
	}

	nf := filepath.Join(dir, "new.rdb")
	f, err = Create(nf)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("z")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(nf); string(b) != "z" {
		t.Fatalf("new file = %q", b)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Create(dir); err == nil {
		t.Fatal("Create on a directory succeeded")
	}
	if _, err := Create(filepath.Join(dir, "missing", "x.rdb")); err == nil {
		t.Fatal("Create in a missing directory succeeded")
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		if _, err := Create(filepath.Join(ro, "x.rdb")); err == nil {
			t.Fatal("Create in a read-only directory succeeded")
		}
	}
	if _, err := Create(""); err == nil {
		t.Fatal("Create(\"\") succeeded")
	}
}

func TestStdout(t *testing.T) {
	f, err := Create("-")
	if err != nil {
		t.Fatal(err)
	}
	if f.File != os.Stdout || f.TempPath() != "" {
		t.Fatal("- is not stdout")
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := f.Abort(); err != nil {
		t.Fatal(err)
	}
}

// TestSignal runs a child process that creates a file and a scratch file,
// then sends it each signal that ends a program (Ctrl-C, kill, a closed
// terminal, Ctrl-\\) and checks that the temp and scratch files are gone,
// the original untouched and the exit status 128 + the signal's number.
func TestSignal(t *testing.T) {
	if p := os.Getenv("ATOMICFILE_CHILD"); p != "" {
		AbortOnSignal(AbortSignals...)
		f, err := Create(p)
		if err != nil {
			os.Exit(3)
		}
		f.WriteString("partial")
		if _, _, err := Scratch(filepath.Dir(p), "spool-*.rdb"); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("ready\n")
		time.Sleep(30 * time.Second)
		os.Exit(4)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		dir := t.TempDir()
		p := filepath.Join(dir, "dump.rdb")
		os.WriteFile(p, []byte("old"), 0o644)
		cmd := exec.Command(os.Args[0], "-test.run=^TestSignal$")
		cmd.Env = append(os.Environ(), "ATOMICFILE_CHILD="+p)
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 6)
		if _, err := out.Read(buf); err != nil || !strings.HasPrefix(string(buf), "ready") {
			t.Fatalf("%v: child not ready: %q %v", sig, buf, err)
		}
		if n := entries(t, dir); len(n) != 3 {
			t.Fatalf("%v: expected a temp and a scratch file while writing, have %v", sig, n)
		}
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 128+int(sig) {
			t.Fatalf("%v: child exit: %v, want %d", sig, err, 128+int(sig))
		}
		if n := entries(t, dir); len(n) != 1 {
			t.Fatalf("%v: files left after the signal: %v", sig, n)
		}
		if b, _ := os.ReadFile(p); string(b) != "old" {
			t.Fatalf("%v: original changed: %q", sig, b)
		}
	}
}

// TestScratch: a scratch file is new, named by the pattern, and gone after
// remove or AbortAll.
func TestScratch(t *testing.T) {
	dir := t.TempDir()
	f, remove, err := Scratch(dir, "spool-*.rdb")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	base := filepath.Base(f.Name())
	if !strings.HasPrefix(base, "spool-") || !strings.HasSuffix(base, ".rdb") || len(base) <= len("spool-.rdb") {
		t.Errorf("name %q", base)
	}
	remove()
	if n := entries(t, dir); len(n) != 0 {
		t.Errorf("left after remove: %v", n)
	}
	if _, _, err := Scratch(dir, "a-*"); err != nil {
		t.Fatal(err)
	}
	AbortAll()
	if n := entries(t, dir); len(n) != 0 {
		t.Errorf("left after AbortAll: %v", n)
	}
}

// TestAbortOnNoSignals: AbortOnSignal given no signals handles none: a
// caller that left every signal out (all ignored by its own caller) must
// not have them taken over by a default list, nor by signal.Notify given
// none (every signal). Here SIGHUP, ignored as under nohup, must leave the
// child running, not end it with 128+1.
func TestAbortOnNoSignals(t *testing.T) {
	if os.Getenv("ATOMICFILE_NONE_CHILD") != "" {
		signal.Ignore(syscall.SIGHUP)
		AbortOnSignal()
		os.Stdout.WriteString("ready\n")
		io.ReadAll(os.Stdin)
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAbortOnNoSignals$")
	cmd.Env = append(os.Environ(), "ATOMICFILE_NONE_CHILD=1")
	out, _ := cmd.StdoutPipe()
	in, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := out.Read(buf); err != nil || !strings.HasPrefix(string(buf), "ready") {
		t.Fatalf("child not ready: %q %v", buf, err)
	}
	cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(200 * time.Millisecond) // a handler, had there been one, has run
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v, want exit 0 (the ignored SIGHUP left alone)", err)
	}
}
