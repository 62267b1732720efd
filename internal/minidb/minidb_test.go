package minidb

import (
	"slices"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// TestDBs: the sizes agree with what the dataset holds for databases
// never used, created, emptied, and holding TTLs and hash field TTLs; a
// layout change in miniredis fails here (ok false).
func TestDBs(t *testing.T) {
	m := miniredis.NewMiniRedis()
	if dbs, ok := DBs(m); !ok || len(dbs) != 0 {
		t.Fatalf("fresh miniredis: %v, ok %v; want no databases", dbs, ok)
	}
	m.DB(0).Set("a", "1")
	m.DB(0).Set("b", "2")
	m.DB(0).SetTTL("b", time.Minute)
	m.DB(3).HSetEX("h", time.Minute, "f", "v")
	m.DB(3).HSet("h2", "g", "w")
	m.DB(5).Set("gone", "x")
	m.DB(5).Del("gone")
	m.DB(7) // created, never used
	dbs, ok := DBs(m)
	want := []DB{{ID: 0, Keys: 2, Expires: 1}, {ID: 3, Keys: 2, FieldTTLs: 1}, {ID: 5}, {ID: 7}}
	if !ok || !slices.Equal(dbs, want) {
		t.Fatalf("DBs = %+v, ok %v; want %+v", dbs, ok, want)
	}
}
