package live

import (
	"fmt"
	"os"
	"testing"
)

// The scan's spill file of key fingerprints lives in $TMPDIR only as an
// open file: a snapshot ended by a signal with no handler (-o -, -o
// /dev/null) or by SIGKILL leaves nothing behind, and the merge at the end
// still reads every run.
func TestDedupSpillLeavesNothingInTMPDIR(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	defer func(b int64) { dedupBudget = b }(dedupBudget)
	dedupBudget = 1000
	d := newKeyDedup()
	defer d.release()
	for i := 0; i < 5000; i++ {
		if first, err := d.add(0, fmt.Sprint("k", i)); !first || err != nil {
			t.Fatalf("key %d: first %v, %v", i, first, err)
		}
	}
	if d.spill == nil {
		t.Fatal("no run was spilled")
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("%s holds %s while the scan runs: a killed snapshot would leave it there", tmp, ents[0].Name())
	}
	// a key of the first run, long out of the in-memory window: only the
	// merge of the runs sees it twice
	if first, err := d.add(0, "k1"); !first || err != nil {
		t.Fatalf("k1 again: first %v, %v (the window should have forgotten it)", first, err)
	}
	if err := d.finish(); err == nil {
		t.Error("the merge of the spilled runs did not find k1 twice")
	}
}
