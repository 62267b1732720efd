package rdb

import (
	"bytes"
	"testing"
)

func hashEntry(t *testing.T, fields ...HashField) *Entry {
	t.Helper()
	e, err := NewEntry(0, []byte("h"), &Value{Kind: "hash", Hash: fields}, MaxVersion)
	if err != nil {
		t.Fatal(err)
	}
	if !HasFieldExpiries(e.Type) {
		t.Fatalf("type %d for a hash with field expiries", e.Type)
	}
	return e
}

// TestPersistFields: HPERSIST on every field, or the past ones removed,
// and a hash with none left reported as empty.
func TestPersistFields(t *testing.T) {
	e := hashEntry(t, HashField{[]byte("a"), []byte("1"), 1000}, HashField{[]byte("b"), []byte("2"), -1}, HashField{[]byte("c"), []byte("3"), 5000})
	n, gone, left, err := PersistFields(e, -1)
	if err != nil || n != 2 || gone != 0 || left != 3 || HasFieldExpiries(e.Type) {
		t.Fatalf("persist: %d %d %d %v, type %d", n, gone, left, err, e.Type)
	}
	v, _ := e.Decode()
	for _, f := range v.Hash {
		if f.ExpireMs != -1 {
			t.Errorf("field %s still expires", f.Field)
		}
	}

	e = hashEntry(t, HashField{[]byte("a"), []byte("1"), 1000}, HashField{[]byte("b"), []byte("2"), -1}, HashField{[]byte("c"), []byte("3"), 5000})
	n, gone, left, err = PersistFields(e, 2000)
	if err != nil || n != 1 || gone != 1 || left != 2 {
		t.Fatalf("drop past: %d %d %d %v", n, gone, left, err)
	}
	v, _ = e.Decode()
	if len(v.Hash) != 2 || !bytes.Equal(v.Hash[0].Field, []byte("b")) || !bytes.Equal(v.Hash[1].Field, []byte("c")) {
		t.Errorf("fields after dropping the past one: %+v", v.Hash)
	}

	e = hashEntry(t, HashField{[]byte("a"), []byte("1"), 1000})
	if _, gone, left, _ = PersistFields(e, 2000); gone != 1 || left != 0 {
		t.Errorf("all past: gone %d left %d", gone, left)
	}

	plain, _ := NewEntry(0, []byte("s"), &Value{Kind: "string", String: []byte("x")}, MaxVersion)
	before := append([]byte(nil), plain.Value...)
	if n, gone, _, err := PersistFields(plain, 0); n != 0 || gone != 0 || err != nil || !bytes.Equal(plain.Value, before) {
		t.Error("a string was touched")
	}
}
