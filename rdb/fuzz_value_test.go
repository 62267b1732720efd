package rdb

import (
	"errors"
	"path/filepath"
	"testing"
)

// FuzzDecodeValue feeds arbitrary type bytes and value bytes to
// DecodeValue and ValidateValue: neither may panic, they must agree on
// whether the value is sound, errors must carry a sentinel kind, and a
// sound value must survive re-encoding.
func FuzzDecodeValue(f *testing.F) {
	// Seeds beyond testdata/fuzz/FuzzDecodeValue: every key of the corpus.
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "corpus", "*.rdb"))
	for _, file := range files {
		for _, e := range readEntriesF(f, file) {
			if len(e.Value) <= 4096 {
				f.Add(e.Type, e.Value)
			}
		}
	}
	f.Fuzz(func(t *testing.T, typ byte, raw []byte) {
		errV := ValidateValue(typ, raw)
		v, errD := DecodeValue(typ, raw)
		if (errV == nil) != (errD == nil) {
			t.Fatalf("type %d: ValidateValue %v, DecodeValue %v", typ, errV, errD)
		}
		if errD != nil {
			if !errors.Is(errD, ErrCorrupt) && !errors.Is(errD, ErrTruncated) && !errors.Is(errD, ErrLength) && !errors.Is(errD, ErrUnknownType) {
				t.Fatalf("type %d: error without a sentinel kind: %v", typ, errD)
			}
			return
		}
		if v.Kind != TypeName(typ) {
			t.Fatalf("type %d: kind %s", typ, v.Kind)
		}
		if v.Kind == "module" {
			return
		}
		for _, version := range []int{9, 12} {
			et, raw2, err := EncodeValue(v, version)
			if err != nil {
				// a stream whose entry IDs do not increase (nodes
				// stored out of order), or a Valkey hash (type 22)
				// with a field expiry past Redis's 2^48-1 ms, decodes
				// but is no valid Value
				if errors.Is(err, ErrUnconvertible) || errors.Is(err, ErrInvalidValue) && (v.Kind == "stream" || hashExpiryPastMax(v)) {
					continue
				}
				t.Fatalf("type %d: EncodeValue(v%d): %v", typ, version, err)
			}
			if err := ValidateValue(et, raw2); err != nil {
				t.Fatalf("type %d: re-encoded as type %d for v%d does not validate: %v", typ, et, version, err)
			}
		}
	})
}

// hashExpiryPastMax reports whether v is a hash with a field expiry
// EncodeValue refuses at every version.
func hashExpiryPastMax(v *Value) bool {
	for _, f := range v.Hash {
		if f.ExpireMs > ebExpireTimeMax {
			return true
		}
	}
	return false
}

// readEntriesF is readEntries for a fuzz target's setup.
func readEntriesF(f *testing.F, path string) []*Entry {
	f.Helper()
	return readEntriesTB(f, path)
}
