// Package progress draws a byte-based progress bar on stderr for long
// commands, and only when stderr is a terminal: pipes, files and CI logs get
// nothing.
//
//	bar := progress.New(os.Stderr, "rewrite", size) // size <= 0: unknown
//	r := bar.Reader(input)                           // counts bytes read
//	... read r ...
//	bar.Done()
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// interval throttles redraws.
const interval = 200 * time.Millisecond

// Bar is a progress bar. The zero of a disabled Bar (nil) is valid: every
// method on a nil *Bar does nothing, so callers need no checks.
type Bar struct {
	w     io.Writer
	label string
	total int64
	done  atomic.Int64
	start time.Time
	last  atomic.Int64 // unix nanos of the last draw
	width int
	ended atomic.Bool
}

// New returns a bar writing to w when w is a terminal, else nil (a no-op
// bar). total is the expected byte count; <= 0 shows bytes only.
func New(w io.Writer, label string, total int64) *Bar {
	if !IsTerminal(w) {
		return nil
	}
	width := 80
	if cols, _, err := term.GetSize(int(w.(*os.File).Fd())); err == nil && cols > 20 {
		width = cols
	}
	return Force(w, label, total, width)
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Force returns a bar drawing to w whatever w is (for tests), width columns
// wide.
func Force(w io.Writer, label string, total int64, width int) *Bar {
	return &Bar{w: w, label: label, total: total, start: time.Now(), width: width}
}

// Add records n more bytes and redraws at most every 200 ms.
func (b *Bar) Add(n int64) {
	if b == nil {
		return
	}
	b.done.Add(n)
	now := time.Now().UnixNano()
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

// Done draws the final state and ends the line. Further calls do nothing.
func (b *Bar) Done() {
	if b == nil || !b.ended.CompareAndSwap(false, true) {
		return
	}
	b.draw()
	fmt.Fprint(b.w, "\n")
}

// Clear erases the bar's line without a final draw (before printing a
// message, or on error).
func (b *Bar) Clear() {
	if b == nil || !b.ended.CompareAndSwap(false, true) {
		return
	}
	fmt.Fprint(b.w, "\r\x1b[K")
}

func (b *Bar) draw() {
	fmt.Fprint(b.w, "\r"+b.line())
}

// line renders the bar.
func (b *Bar) line() string {
	done := b.done.Load()
	elapsed := time.Since(b.start).Seconds()
	rate := ""
	if elapsed > 0 {
		rate = " " + Bytes(int64(float64(done)/elapsed)) + "/s"
	}
	if b.total <= 0 {
		return fmt.Sprintf("%s %s%s\x1b[K", b.label, Bytes(done), rate)
	}
	frac := float64(done) / float64(b.total)
	if frac > 1 {
		frac = 1
	}
	right := fmt.Sprintf(" %3.0f%% %s/%s%s", frac*100, Bytes(done), Bytes(b.total), rate)
	barw := b.width - len(b.label) - len(right) - 4
	if barw < 10 {
		return b.label + right + "\x1b[K"
	}
	fill := int(frac * float64(barw))
	return b.label + " [" + strings.Repeat("=", fill) + strings.Repeat(" ", barw-fill) + "]" + right + "\x1b[K"
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
