package ingest

import (
	"context"
	"encoding/binary"
	"errors"
	"github.com/jackc/pgx/v5/pgconn"
	"testing"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestBatchWriteAtomic: a group's pipelined write is one transaction: a
// failing statement leaves the tables written before it untouched and
// counts nothing; a good write counts only the new rows.
func TestBatchWriteAtomic(t *testing.T) {
	db := pgfixture.DB(t)
	ctx := context.Background()
	g := &gctx{pass: &pass{ctx: ctx, db: db}, pending: map[string]int64{}}
	file := newRows("correlator_config_file", "config_hash", "filename")
	file.add("h1", "a.yaml")
	bad := newRows("correlator_config_active_snap", "config_hash", "hostname")
	bad.add("h1", nil) // NOT NULL
	err := g.writeAll(file, bad)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23502" {
		t.Fatalf("a NULL hostname gave %v, want the server's not-null violation", err)
	}
	if n := count(t, db, `SELECT count(*) FROM correlator_config_file`); n != 0 || g.pending["correlator_config_file"] != 0 {
		t.Fatalf("failed group left %d rows, counted %d", n, g.pending["correlator_config_file"])
	}
	good := newRows("correlator_config_active_snap", "config_hash", "hostname")
	good.add("h1", "snap1")
	good.add("h1", "snap2")
	for i := 0; i < 2; i++ {
		if err := g.writeAll(file, good); err != nil {
			t.Fatal(err)
		}
	}
	if g.pending["correlator_config_file"] != 1 || g.pending["correlator_config_active_snap"] != 2 {
		t.Fatalf("counted %v, want 1 file and 2 snaps (the second write is all duplicates)", g.pending)
	}
	if n := count(t, db, `SELECT count(*) FROM correlator_config_active_snap`); n != 2 {
		t.Fatalf("%d active snaps", n)
	}
}

// TestPutSpectrumRowElements checks the unrolled element loop of
// putSpectrumRow against the format, element by element, for even and odd
// channel counts: each float32 is its length (4) then its bits big-endian.
func TestPutSpectrumRowElements(t *testing.T) {
	for n := 0; n <= 9; n++ {
		spec := make([]byte, 4*n)
		for i := range spec {
			spec[i] = byte(17*i + 3)
		}
		row := make([]byte, spectrumRowSize("n", n))
		putSpectrumRow(row, 1, 2, "n", spec)
		if n == 0 {
			continue
		}
		elems := row[len(row)-8*n:]
		for i := range n {
			want := binary.LittleEndian.Uint32(spec[4*i:])
			if l, got := binary.BigEndian.Uint32(elems[8*i:]), binary.BigEndian.Uint32(elems[8*i+4:]); l != 4 || got != want {
				t.Fatalf("n=%d element %d: length %d bits %#x, want 4 and %#x", n, i, l, got, want)
			}
		}
	}
}

// TestRecordErrorNotText: a group error quoting bytes that are not UTF-8
// text (or hold a NUL) is still recorded, with those bytes replaced,
// instead of failing the subsystem_error write.
func TestRecordErrorNotText(t *testing.T) {
	ctx := context.Background()
	db := pgfixture.DB(t)
	p := &pass{ctx: ctx, db: db, rep: &Report{}}
	if err := p.recordError(DaemonCorrelator, "group x: key \"a\xff\x00b\": wrong type"); err != nil {
		t.Fatal(err)
	}
	var log string
	if err := db.QueryRow(ctx, `SELECT log FROM subsystem_error`).Scan(&log); err != nil {
		t.Fatal(err)
	}
	if want := "group x: key \"a\uFFFD\\x00b\": wrong type"; log != want {
		t.Errorf("log %q, want %q", log, want)
	}
}
