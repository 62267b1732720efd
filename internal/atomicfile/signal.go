package atomicfile

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// AbortOnSignal makes SIGINT and SIGTERM remove every uncommitted temp file
// and then exit with status 130 (SIGINT) or 143 (SIGTERM), so Ctrl-C never
// leaves a temp file beside the target. Call it once at program start; the
// returned function stops the handling (it may be called more than once).
func AbortOnSignal() (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			AbortAll()
			code := 130
			if sig == syscall.SIGTERM {
				code = 143
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
