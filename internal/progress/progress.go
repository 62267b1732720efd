// Package progress draws a byte-based progress bar on stderr for long
// commands, and only when stderr is a terminal: pipes, files and CI logs get
// nothing. The bar appears once a command has run for 200 ms (quick ones
// never flash one), is redrawn at most every 200 ms, uses no escape codes
// (carriage returns and spaces only, so it works on any terminal, NO_COLOR
// or not) and is erased when done.
//
//	bar := progress.New(os.Stderr, "rewrite", size) // size <= 0: unknown
//	r := bar.Reader(input)                           // counts bytes read
//	... read r ...
//	bar.Done()
//
// Output written meanwhile to the same terminal through a writer from
// Suspend (stdout, stderr) first erases the bar, so lines never land after
// it, and no bar is drawn while such output has left a line unfinished;
// WithoutBar makes New draw nothing on a writer (--json, piped stdout).
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// interval throttles redraws; no bar is drawn before it has passed.
const interval = 200 * time.Millisecond

// active is the bar drawn on the terminal, if any: writers from Suspend
// erase it before writing.
var active atomic.Pointer[Bar]

// termMu orders draws, erases and writes through Suspend: a command may
// read (and draw) in one goroutine while it writes in another.
var termMu sync.Mutex

// ended is set by End: the program is ending, no bar is drawn any more.
var ended atomic.Bool

// midLine is true while the last write through Suspend did not end a line:
// a bar drawn then would overwrite the start of that line, so none is.
var midLine atomic.Bool

// Bar is a progress bar. The zero of a disabled Bar (nil) is valid: every
// method on a nil *Bar does nothing, so callers need no checks.
type Bar struct {
	w     io.Writer
	label string
	total int64
	done  atomic.Int64
	start time.Time
	first atomic.Int64 // unix nanos of the first bytes counted: the rate counts from there
	last  atomic.Int64 // unix nanos of the last draw (the start at first)
	width int
	ended atomic.Bool

	shown int // width of the line on the terminal, 0: nothing shown (guarded by termMu)
}

// New returns a bar writing to w when w is a terminal, else nil (a no-op
// bar). total is the expected byte count; <= 0 shows bytes only.
func New(w io.Writer, label string, total int64) *Bar {
	if !IsTerminal(w) || os.Getenv("TERM") == "dumb" {
		return nil
	}
	if s, ok := w.(suspender); ok {
		w = s.w // the bar itself must not erase itself
	}
	width := 80
	if cols, _, err := term.GetSize(int(w.(fder).Fd())); err == nil && cols > 20 {
		width = cols
	}
	return Force(w, label, total, width-1) // the last column would wrap on some terminals
}

type fder interface{ Fd() uintptr }

// IsTerminal reports whether w is a terminal (an *os.File, or a writer
// from Suspend over one).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(fder)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Force returns a bar drawing to w whatever w is (for tests), width columns
// wide.
func Force(w io.Writer, label string, total int64, width int) *Bar {
	b := &Bar{w: w, label: label, total: total, start: time.Now(), width: width}
	b.last.Store(b.start.UnixNano())
	return b
}

// Add records n more bytes and redraws at most every 200 ms.
func (b *Bar) Add(n int64) {
	if b == nil {
		return
	}
	b.done.Add(n)
	now := time.Now().UnixNano()
	if n > 0 && b.first.Load() == 0 {
		b.first.CompareAndSwap(0, now)
	}
	last := b.last.Load()
	if now-last < int64(interval) || !b.last.CompareAndSwap(last, now) {
		return
	}
	b.draw()
}

// Set records the absolute byte position (for callers that know an offset).
func (b *Bar) Set(pos int64) {
	if b == nil {
		return
	}
	b.Add(pos - b.done.Load())
}

// Done erases the bar: the command's own summary follows on a clean line.
// Further calls do nothing.
func (b *Bar) Done() {
	if b == nil || !b.ended.CompareAndSwap(false, true) {
		return
	}
	b.erase()
	active.CompareAndSwap(b, nil)
}

// Clear erases the bar (before printing a message, or on error), as Done.
func (b *Bar) Clear() { b.Done() }

func (b *Bar) draw() {
	termMu.Lock()
	defer termMu.Unlock()
	if b.ended.Load() || midLine.Load() || ended.Load() {
		return
	}
	line := b.line()
	pad := max(b.shown-len(line), 0)
	fmt.Fprint(b.w, "\r"+line+strings.Repeat(" ", pad))
	b.shown = len(line)
	active.Store(b)
}

// erase blanks the bar's line and puts the cursor at its start.
func (b *Bar) erase() {
	termMu.Lock()
	defer termMu.Unlock()
	b.eraseLocked()
}

func (b *Bar) eraseLocked() {
	if b.shown > 0 {
		fmt.Fprint(b.w, "\r"+strings.Repeat(" ", b.shown)+"\r")
		b.shown = 0
	}
}

// Hide erases the bar on the terminal, if one is shown; the next update
// draws it again. main calls it before printing an error.
func Hide() {
	if b := active.Load(); b != nil {
		b.erase()
	}
}

// End erases the bar on the terminal, if one is shown, and draws none
// after it: for a program about to die by a signal, whose other goroutines
// may still be counting bytes (Hide's next update would draw the bar again
// under the shell's prompt).
func End() {
	termMu.Lock()
	defer termMu.Unlock()
	ended.Store(true)
	if b := active.Load(); b != nil {
		b.eraseLocked()
	}
}

// line renders the bar.
func (b *Bar) line() string {
	done := b.done.Load()
	// from the first byte, not from New: diff makes its bar for B when it
	// starts, and reads B only after A (a rate over both gave 120 KiB/s
	// for a B read at 400 MiB/s)
	since := b.start
	if f := b.first.Load(); f != 0 {
		since = time.Unix(0, f)
	}
	elapsed := time.Since(since).Seconds()
	rate := ""
	if elapsed > 0 {
		rate = " " + Bytes(int64(float64(done)/elapsed)) + "/s"
	}
	if b.total <= 0 {
		return fmt.Sprintf("%s %s%s", b.label, Bytes(done), rate)
	}
	frac := float64(done) / float64(b.total)
	if frac > 1 {
		frac = 1
	}
	right := fmt.Sprintf(" %3.0f%% %s/%s%s", frac*100, Bytes(done), Bytes(b.total), rate)
	barw := b.width - len(b.label) - len(right) - 3
	if barw < 10 {
		return b.label + right
	}
	fill := int(frac * float64(barw))
	return b.label + " [" + strings.Repeat("=", fill) + strings.Repeat(" ", barw-fill) + "]" + right
}

// suspender erases the bar before each write to the terminal it shares
// with the bar.
type suspender struct{ w io.Writer }

// Suspend returns w erasing any bar shown before each write: wrap the
// stdout and stderr a command prints to when they are terminals. It keeps
// w's Fd, so IsTerminal and New see the terminal through it.
func Suspend(w io.Writer) io.Writer {
	switch w.(type) {
	case suspender, plain:
		return w
	}
	if _, ok := w.(fder); !ok {
		return w
	}
	return suspender{w}
}

func (s suspender) Write(p []byte) (int, error) {
	termMu.Lock()
	defer termMu.Unlock()
	if b := active.Load(); b != nil {
		b.eraseLocked()
	}
	n, err := s.w.Write(p)
	if n > 0 {
		midLine.Store(p[n-1] != '\n')
	}
	return n, err
}

func (s suspender) Fd() uintptr { return s.w.(fder).Fd() }

// plain hides its writer's Fd: New draws no bar on it.
type plain struct{ io.Writer }

// WithoutBar returns w on which New draws no bar (output that must stay
// clean: --json, stdout piped to another program).
func WithoutBar(w io.Writer) io.Writer {
	if s, ok := w.(suspender); ok {
		w = s.w
	}
	if _, ok := w.(plain); ok {
		return w
	}
	return plain{w}
}

// Bytes formats n in binary units ("1.5 MiB").
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Reader returns r counting the bytes read into the bar. With a nil bar it
// returns r itself, adding no cost.
func (b *Bar) Reader(r io.Reader) io.Reader {
	if b == nil {
		return r
	}
	return &reader{r: r, b: b}
}

type reader struct {
	r io.Reader
	b *Bar
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.b.Add(int64(n))
	return n, err
}
