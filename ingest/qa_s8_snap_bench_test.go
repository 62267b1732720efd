package ingest

import (
	"context"
	"testing"
)

// BenchmarkAntennaRows: the antenna_status conversions of the full site
// (350 antennas x 2 polarisations on 120 SNAPs), Redis and PostgreSQL left
// out: the part of the pass that is this process's CPU, which competes
// with the spectra's COPY backend on a 2-core machine.
func BenchmarkAntennaRows(b *testing.B) {
	rc := fullSite(b)
	g := &gctx{pass: &pass{ctx: context.Background(), rdb: rc, rep: &Report{}}, pending: map[string]int64{}}
	cm, err := g.loadCorrMap("antenna_status")
	if err != nil || cm == nil {
		b.Fatalf("corr:map: %v", err)
	}
	keys, err := g.scan("status:snap:*")
	if err != nil {
		b.Fatal(err)
	}
	hs, err := g.hgetallMany("antenna_status", keys)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		g.skips, g.seen = nil, nil
		n = len(antennaRows(g, cm, hs).rows)
	}
	b.StopTimer()
	if n != 700 {
		b.Fatalf("%d rows, want 700", n)
	}
}
