package export

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"testing"
)

// TestTempFileErrorIs: a failure of the sort's temporary file is
// ErrTempFile for TextConv and Diff, so textconv does not report it as
// a dump it cannot read; an input's damage is not.
func TestTempFileErrorIs(t *testing.T) {
	data := genDump(t, 200, 0)
	t.Run("missing TMPDIR", func(t *testing.T) {
		t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
		withBudget(512, func() {
			if err := TextConv(bytes.NewReader(data), io.Discard); !errors.Is(err, ErrTempFile) {
				t.Errorf("TextConv: %v, want ErrTempFile", err)
			}
			if _, err := Diff(bytes.NewReader(data), bytes.NewReader(data)); !errors.Is(err, ErrTempFile) {
				t.Errorf("Diff: %v, want ErrTempFile", err)
			}
		})
	})
	t.Run("damaged dump", func(t *testing.T) {
		if err := TextConv(bytes.NewReader(data[:len(data)/2]), io.Discard); err == nil || errors.Is(err, ErrTempFile) {
			t.Errorf("TextConv of half a dump: %v, want an input error", err)
		}
	})
}
