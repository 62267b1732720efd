package export

import (
	"bytes"
	"os"
	"testing"

	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/rdb"
)

// moduleAuxes returns the module aux records of an RDB file.
func moduleAuxes(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for _, rec := range rdbtest.Records(t, b) {
		if m, ok := rec.(*rdb.ModuleAux); ok {
			out = append(out, m.Raw)
		}
	}
	return out
}

// TestModuleAuxRoundTrip: a module's aux data survives export and import,
// byte for byte, and is dropped (not refused) below RDB 9.
func TestModuleAuxRoundTrip(t *testing.T) {
	orig, err := os.ReadFile("../testdata/corpus/hand_v10_module.rdb")
	if err != nil {
		t.Fatal(err)
	}
	want := moduleAuxes(t, orig)
	if len(want) == 0 {
		t.Fatal("the corpus file has no module aux data")
	}
	var lines, out bytes.Buffer
	if _, err := Export(bytes.NewReader(orig), &lines); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(lines.Bytes(), []byte(`"module_aux"`)) {
		t.Fatalf("no module_aux line:\n%s", lines.String())
	}
	if _, err := ImportWith(bytes.NewReader(lines.Bytes()), &out, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	got := moduleAuxes(t, out.Bytes())
	if len(got) != len(want) {
		t.Fatalf("%d module aux records after import, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("module aux %d: %x, want %x", i, got[i], want[i])
		}
	}
}
