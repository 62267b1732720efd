package rdb

import "testing"

// A hash field expiring at 0 ms (a Valkey type-22 value can hold one) is
// stored in Redis's type 24 as ttl 1 over a minimum of 0. That decodes to
// expiry 0 again: not "overflows", and not "no expiry" (a stored ttl of 0).
func TestHashMetadataExpiryZero(t *testing.T) {
	in := &Value{Kind: "hash", Hash: []HashField{
		{Field: []byte("a"), Value: []byte("1"), ExpireMs: 52983525027888},
		{Field: []byte("b"), Value: []byte("2"), ExpireMs: 0},
		{Field: []byte("c"), Value: []byte("3"), ExpireMs: -1},
	}}
	typ, raw, err := EncodeValue(in, 12)
	if err != nil || typ != TypeHashMetadata {
		t.Fatalf("EncodeValue: type %d, %v", typ, err)
	}
	if err := ValidateValue(typ, raw); err != nil {
		t.Fatalf("ValidateValue: %v", err)
	}
	out, err := DecodeValue(typ, raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Hash) != len(in.Hash) {
		t.Fatalf("%d fields, want %d", len(out.Hash), len(in.Hash))
	}
	for i, f := range out.Hash {
		if string(f.Field) != string(in.Hash[i].Field) || f.ExpireMs != in.Hash[i].ExpireMs {
			t.Errorf("field %q expiry %d, want %q %d", f.Field, f.ExpireMs, in.Hash[i].Field, in.Hash[i].ExpireMs)
		}
	}
}
