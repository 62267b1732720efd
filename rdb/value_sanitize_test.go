package rdb

import (
	"context"
	"fmt"
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// TestValidateRefusesWhatRedisRefuses mutates every corpus value at random
// (deterministically) and offers each mutant both to ValidateValue and to
// a real redis-server's RESTORE with deep sanitization: whatever Redis
// refuses, ValidateValue must refuse too. (ValidateValue is stricter in
// places: it also checks that the value ends exactly where it should,
// which RESTORE cannot see, that scores parse completely, and listpack
// header counts inside streams.)
func TestValidateRefusesWhatRedisRefuses(t *testing.T) {
	srv := redistest.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	if err := c.Do(ctx, "CONFIG", "SET", "sanitize-dump-payload", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(7))
	weStricter, redisStricter, agree := 0, 0, 0
	shown := map[string]int{}
	for _, f := range corpusFiles(t) {
		for _, e := range readEntries(t, f) {
			if !TypeSupported(e.Type, 10) || e.Type == TypeModule2 || len(e.Value) == 0 {
				continue
			}
			for k := 0; k < 40; k++ {
				raw := append([]byte(nil), e.Value...)
				n := 1 + rng.Intn(2)
				for j := 0; j < n; j++ {
					i := rng.Intn(len(raw))
					switch rng.Intn(3) {
					case 0:
						raw[i] ^= byte(1 << rng.Intn(8))
					case 1:
						raw[i] = byte(rng.Intn(256))
					default:
						raw[i]++
					}
				}
				ours := ValidateValue(e.Type, raw)
				pe := &Entry{Type: e.Type, Value: raw}
				theirs := c.Do(ctx, "RESTORE", "k", 0, pe.DumpPayload(10), "REPLACE").Err()
				if (ours != nil) == (theirs != nil) {
					agree++
					continue
				}
				kind := fmt.Sprintf("type %d ours=%v", e.Type, ours != nil)
				if ours != nil {
					weStricter++
				} else {
					redisStricter++
				}
				if ours == nil && shown[kind] < 4 {
					shown[kind]++
					msg := "nil"
					if ours != nil {
						msg = ours.Error()
					}
					t.Errorf("%s %s: ours %s; redis %v; raw %q", filepath.Base(f), kind, msg, theirs, trunc(raw))
				}
			}
		}
	}
	t.Logf("agree %d, ValidateValue stricter %d, Redis stricter %d", agree, weStricter, redisStricter)
	if redisStricter > 0 {
		t.Errorf("%d mutants refused by Redis pass ValidateValue", redisStricter)
	}
	if agree < 1000 {
		t.Errorf("only %d mutants compared", agree)
	}
}
