package export

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math/rand"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/rdb"
)

// TestImportErrorAbortsWriter: an import that fails on a line after its
// output outgrew the Writer's buffer abandons the Writer: its background
// writer stops (not at a garbage collection) and the output gets no
// trailer that would make it pass for a whole file.
func TestImportErrorAbortsWriter(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // only Abort may stop it
	stack := make([]byte, 1<<20)
	sinks := func() int {
		return bytes.Count(stack[:runtime.Stack(stack, true)], []byte("rdb.(*writeSink).loop("))
	}
	big := make([]byte, 3<<20)
	rand.New(rand.NewSource(2)).Read(big) // not compressible
	in := `{"rdb_version":11,"magic":"REDIS"}` + "\n" +
		`{"db":0,"key":"big","type":"string","expire_ms":-1,"value":{"base64":"` + base64.StdEncoding.EncodeToString(big) + `"}}` + "\n" +
		`{"db":0,"key":"bad","type":"string","expire_ms":-1,"value":` + "\n"
	before := sinks()
	var out bytes.Buffer
	_, err := ImportWith(strings.NewReader(in), &out, ImportOptions{})
	var le *LineError
	if !errors.As(err, &le) || le.Line != 3 {
		t.Fatalf("import: %v, want an error on line 3", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for sinks() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d background writers 10 s after the import failed, %d before it", sinks(), before)
		}
		time.Sleep(time.Millisecond)
	}
	r := rdb.NewReader(bytes.NewReader(out.Bytes()))
	var rerr error
	for rerr == nil {
		_, rerr = r.Next()
	}
	if !errors.Is(rerr, rdb.ErrTruncated) {
		t.Errorf("the %d bytes written read as %v, want a file cut short", out.Len(), rerr)
	}
}
