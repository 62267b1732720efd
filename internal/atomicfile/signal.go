package atomicfile

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// AbortSignals end the program: Ctrl-C, kill, a closed terminal or SSH
// session, Ctrl-\.
var AbortSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// AbortOnSignal makes sigs (usually AbortSignals) remove every
// uncommitted temp file and scratch file and then exit with status 128 +
// the signal's number (130 for SIGINT, 143 for SIGTERM), so neither Ctrl-C
// nor a closed terminal leaves a temp file beside the target. Install it
// before creating the files; the returned function stops the handling (it
// may be called more than once). A caller that wants a signal its own
// caller ignored (nohup's SIGHUP) to stay ignored leaves it out of sigs:
// once notified, a signal is no longer ignored.
func AbortOnSignal(sigs ...os.Signal) (stop func()) {
	return AbortOnSignalAfter(nil, sigs...)
}

// AbortOnSignalAfter is AbortOnSignal also calling before (when not nil)
// on the signal: a program erases what it shows on the terminal (a
// progress bar) there, so the shell's prompt does not land on its line.
// The files go first, and before is given half a second at most: an
// erase may wait for a write to a terminal stopped by Ctrl-S, and the
// program must end on the signal all the same.
func AbortOnSignalAfter(before func(), sigs ...os.Signal) (stop func()) {
	return onSignal(before, false, sigs)
}

// DieOnSignalAfter is AbortOnSignalAfter ending the program by the signal
// itself, as its default action does, where AbortOnSignal exits with
// status 128 + its number: a shell script stops on Ctrl-C only when the
// program it runs died by SIGINT (bash goes on with the next command after
// one that exited with 130, so Ctrl-C in a loop over files only skipped
// to the next file). (SIGQUIT still
// exits with 131: by the Go runtime's default it would dump the stacks.)
func DieOnSignalAfter(before func(), sigs ...os.Signal) (stop func()) {
	return onSignal(before, true, sigs)
}

func onSignal(before func(), die bool, sigs []os.Signal) (stop func()) {
	if len(sigs) == 0 {
		// signal.Notify with none would take every signal over.
		return func() {}
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			AbortAll()
			if before != nil {
				hidden := make(chan struct{})
				go func() {
					before()
					close(hidden)
				}()
				select {
				case <-hidden:
				case <-time.After(500 * time.Millisecond):
				}
			}
			code := 128 + 2
			if n, ok := sig.(syscall.Signal); ok {
				code = 128 + int(n)
				if die && n != syscall.SIGQUIT {
					// handled by no one, the signal ends the program
					signal.Reset(n)
					if self, err := os.FindProcess(os.Getpid()); err == nil && self.Signal(n) == nil {
						time.Sleep(time.Second)
					}
				}
			}
			os.Exit(code)
		case <-done:
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
		})
	}
}
