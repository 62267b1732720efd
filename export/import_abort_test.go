package export

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/rdb"
)

// TestImportErrorAbortsWriter: an import that fails on a line after its
// output outgrew the Writer's buffer abandons the Writer: its background
// writer stops (not at a garbage collection) and the output gets no
// trailer that would make it pass for a whole file.
func TestImportErrorAbortsWriter(t *testing.T) {
	big := make([]byte, 3<<20)
	rand.New(rand.NewSource(2)).Read(big) // not compressible
	in := `{"rdb_version":11,"magic":"REDIS"}` + "\n" +
		`{"db":0,"key":"big","type":"string","expire_ms":-1,"value":{"base64":"` + base64.StdEncoding.EncodeToString(big) + `"}}` + "\n" +
		`{"db":0,"key":"bad","type":"string","expire_ms":-1,"value":` + "\n"
	waitStopped := rdbtest.WriterStopCheck(t)
	var out bytes.Buffer
	_, err := ImportWith(strings.NewReader(in), &out, ImportOptions{})
	var le *LineError
	if !errors.As(err, &le) || le.Line != 3 {
		t.Fatalf("import: %v, want an error on line 3", err)
	}
	waitStopped("the failed import")
	rerr := rdbtest.ReadError(out.Bytes())
	if !errors.Is(rerr, rdb.ErrTruncated) {
		t.Errorf("the %d bytes written read as %v, want a file cut short", out.Len(), rerr)
	}
}
