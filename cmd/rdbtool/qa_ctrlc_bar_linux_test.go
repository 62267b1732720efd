package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/progress/ptytest"
)

// TestCtrlCErasesBar: Ctrl-C in the middle of a command with its progress
// bar on the terminal erases the bar before the program ends, by SIGINT
// (the shell shows 130, and a script stops rather than going on), so the
// shell's prompt does not land on the bar's line. Before, the
// writing commands removed their temp files and exited without erasing it,
// and the commands that only read died by the default SIGINT.
func TestCtrlCErasesBar(t *testing.T) {
	in, err := os.ReadFile("../../testdata/corpus/all.rdb")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"verify", "-"},
		{"keys", "-"},
		{"textconv", "-"},
		{"diff", "-", "../../testdata/corpus/all.rdb"},
		{"refresh", "-", "-o", filepath.Join(dir, "out.rdb"), "--prune", "fpg:*"},
	} {
		term, died := interruptOnTerminal(t, in, args...)
		if !died {
			t.Errorf("%v: did not die by SIGINT (a script would go on); terminal: %q", args, term)
		}
		if !strings.Contains(term, "\r"+strings.Fields(labelOf(args))[0]) {
			t.Errorf("%v: no bar was drawn before the signal: %q", args, term)
		}
		if s := screen(term); s != "" {
			t.Errorf("%v: left on the terminal after Ctrl-C: %q", args, s)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left: %v", ents)
	}
}

// labelOf is the start of the bar's label for args.
func labelOf(args []string) string {
	if args[0] == "diff" {
		return "diff A"
	}
	return args[0]
}

// interruptOnTerminal runs rdbtool args as a process with stderr a
// pseudo-terminal and stdin a pipe that delivers in slowly; once the
// terminal shows the bar it sends SIGINT, and returns what the terminal
// received and whether the process died by SIGINT.
func interruptOnTerminal(t *testing.T, in []byte, args ...string) (string, bool) {
	t.Helper()
	master, tty := ptytest.Open(t)
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), "RDBTOOL_TEST_MAIN=1", "TERM=xterm")
	cmd.Stderr = tty
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close() // the child holds its own copy
	seen := make(chan struct{})
	got := make(chan string, 1)
	go func() {
		var all []byte
		buf := make([]byte, 4096)
		once := false
		for {
			n, err := master.Read(buf)
			all = append(all, buf[:n]...)
			if !once && strings.Contains(string(all), "\r") {
				once = true
				close(seen)
			}
			if err != nil { // EIO once the child has exited
				got <- string(all)
				return
			}
		}
	}()
	// Feed small pieces until the bar shows (it is drawn on a read 200 ms
	// or more after the start), keeping the rest of the dump back so the
	// command is still running at the signal.
	fed := 0
	deadline := time.After(10 * time.Second)
feed:
	for fed < len(in)/2 {
		select {
		case <-seen:
			break feed
		case <-deadline:
			t.Fatalf("%v: no progress bar on the terminal within 10 s", args)
		case <-time.After(20 * time.Millisecond):
			n := min(512, len(in)/2-fed)
			stdin.Write(in[fed : fed+n])
			fed += n
		}
	}
	select {
	case <-seen:
	case <-deadline:
		t.Fatalf("%v: no progress bar on the terminal within 10 s", args)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err = cmd.Wait()
	stdin.Close()
	ee, ok := err.(*exec.ExitError)
	died := ok && diedBy(ee, syscall.SIGINT)
	select {
	case s := <-got:
		return s, died
	case <-time.After(10 * time.Second):
		t.Fatalf("%v: the terminal was not closed", args)
	}
	return "", false
}
