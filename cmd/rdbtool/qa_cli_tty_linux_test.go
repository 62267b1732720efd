package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/progress/ptytest"
)

// slowDump is the test dump arriving in 64 KiB pieces over about 0.6 s, so
// that a progress bar (drawn from 200 ms on) appears.
type slowDump struct{ rest []byte }

func (s *slowDump) Read(p []byte) (int, error) {
	if len(s.rest) == 0 {
		return 0, io.EOF
	}
	time.Sleep(40 * time.Millisecond)
	n := copy(p[:min(len(p), 64<<10)], s.rest)
	s.rest = s.rest[n:]
	return n, nil
}

// screen is what a terminal shows for out: a carriage return goes back to
// the line's start, later characters overwrite earlier ones; trailing
// blanks are dropped.
func screen(out string) string {
	var lines []string
	var line []byte
	col := 0
	flush := func() { lines = append(lines, strings.TrimRight(string(line), " ")) }
	for i := 0; i < len(out); i++ {
		switch c := out[i]; c {
		case '\r':
			col = 0
		case '\n':
			flush()
			line, col = line[:0], 0
		default:
			if col < len(line) {
				line[col] = c
			} else {
				line = append(line, c)
			}
			col++
		}
	}
	flush()
	return strings.Join(lines, "\n")
}

// runOnTerminal runs rdbtool in-process with stderr (and stdout when it is
// nil) the terminal of a new pseudo-terminal and stdin a slow copy of the
// test dump; it returns everything the terminal received.
func runOnTerminal(t *testing.T, stdout io.Writer, args ...string) (string, runResult) {
	t.Helper()
	t.Setenv("TERM", "xterm")
	master, tty := ptytest.Open(t)
	got := make(chan string, 1)
	go func() {
		all, _ := io.ReadAll(master) // ends with EIO once tty is closed
		got <- string(all)
	}()
	dump, err := os.ReadFile(testDump)
	if err != nil {
		t.Fatal(err)
	}
	app := newApp()
	app.Writer, app.ErrWriter, app.Reader = stdout, tty, &slowDump{dump}
	if stdout == nil {
		app.Writer = tty
	}
	err = app.Run(append([]string{"rdbtool"}, args...))
	_, code := exitStatus(err)
	tty.Close()
	select {
	case out := <-got:
		return out, runResult{code: code, err: err}
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal was not closed")
	}
	return "", runResult{}
}

// TestQACLIProgressBar: the bar shows on a terminal stderr, with no escape
// codes, and is gone when the command ends; never with --json, nor when
// stdout goes to another program through a pipe.
func TestQACLIProgressBar(t *testing.T) {
	plain := mustRun(t, 0, nil, "keys", testDump).stdout

	f, err := os.Create(filepath.Join(t.TempDir(), "keys.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	term, r := runOnTerminal(t, f, "keys", "-")
	if r.code != 0 {
		t.Fatalf("keys - > file: %v", r.err)
	}
	if !strings.Contains(term, "\rkeys ") || !strings.Contains(term, "KiB") {
		t.Errorf("no progress bar on the terminal: %q", term)
	}
	if strings.ContainsRune(term, 0x1b) {
		t.Errorf("escape codes on the terminal: %q", term)
	}
	if s := screen(term); s != "" {
		t.Errorf("the bar is left on the terminal: %q", s)
	}
	if got, _ := os.ReadFile(f.Name()); string(got) != plain {
		t.Errorf("keys - > file wrote %d bytes, want %d", len(got), len(plain))
	}

	var out bytes.Buffer
	if term, r := runOnTerminal(t, &out, "keys", "-", "--json"); r.code != 0 || term != "" {
		t.Errorf("keys --json: exit %d, the terminal got %q", r.code, term)
	}

	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	piped := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(pr); piped <- b }()
	term, r = runOnTerminal(t, pw, "keys", "-")
	pw.Close()
	if r.code != 0 || term != "" {
		t.Errorf("keys | program: exit %d, the terminal got %q", r.code, term)
	}
	if got := <-piped; string(got) != plain {
		t.Errorf("keys | program: %d bytes, want %d", len(got), len(plain))
	}
}

// TestQACLIProgressBarAndOutput: with stdout and stderr the same terminal,
// the output never lands on the bar's line, nor the bar on an unfinished
// line of output (export's long lines): the terminal shows exactly the
// lines of a run without a terminal.
func TestQACLIProgressBarAndOutput(t *testing.T) {
	for _, args := range [][]string{{"keys", "-"}, {"export", "-"}, {"verify", "-"}} {
		want := mustRun(t, 0, mustOpen(t, testDump), args...).stdout
		term, r := runOnTerminal(t, nil, args...)
		if r.code != 0 {
			t.Fatalf("%v: %v", args, r.err)
		}
		if args[0] != "export" && !strings.Contains(term, "\r"+args[0]+" ") {
			t.Errorf("%v: no bar on the terminal", args)
		}
		got, want := strings.TrimRight(screen(term), "\n"), strings.TrimRight(want, "\n")
		if got != want {
			i := 0
			for i < min(len(got), len(want)) && got[i] == want[i] {
				i++
			}
			from := max(i-200, 0)
			t.Errorf("%v: the terminal shows, from byte %d\n%.400q\nwant\n%.400q", args, from, got[from:], want[from:])
		}
	}
}

func mustOpen(t *testing.T, name string) io.Reader {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}
