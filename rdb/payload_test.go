package rdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// TestPayloadRealRedis: DUMP of every kind of key from a real server ->
// EntryFromDump -> DumpPayload gives the same payload, RESTORE accepts it
// and the restored value has the same digest; and entries read from the
// server's own RDB file make the same payloads.
func TestPayloadRealRedis(t *testing.T) {
	s := redistest.Start(t)
	c := s.Client(t)
	wtFill(t, c)
	ctx := context.Background()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil || len(keys) < 10 {
		t.Fatalf("keys %v %v", keys, err)
	}
	dumps := map[string][]byte{}
	for _, k := range keys {
		p, err := c.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		e, ver, err := EntryFromDump([]byte(k), []byte(p))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if ver != 10 || string(e.Key) != k || e.ExpireMs != -1 || e.Idle != -1 || e.Freq != -1 || e.ValueLen != int64(len(e.Value)) {
			t.Fatalf("%s: version %d entry %+v", k, ver, e)
		}
		back := e.DumpPayload(ver)
		if !bytes.Equal(back, []byte(p)) {
			t.Fatalf("%s: payload round trip differs", k)
		}
		dumps[k] = back
		if err := c.RestoreReplace(ctx, "restored:"+k, 0, string(back)).Err(); err != nil {
			t.Fatalf("RESTORE %s: %v", k, err)
		}
		d1, _ := c.Do(ctx, "DEBUG", "DIGEST-VALUE", k).Slice()
		d2, _ := c.Do(ctx, "DEBUG", "DIGEST-VALUE", "restored:"+k).Slice()
		if fmt.Sprint(d1) != fmt.Sprint(d2) {
			// the digest includes the expiry: compare without it
			c.Persist(ctx, k)
			d1, _ = c.Do(ctx, "DEBUG", "DIGEST-VALUE", k).Slice()
			if fmt.Sprint(d1) != fmt.Sprint(d2) {
				t.Fatalf("%s: restored value differs", k)
			}
		}
	}
	// the same values read from the server's RDB make the same payloads
	for _, k := range keys {
		c.Del(ctx, "restored:"+k)
	}
	in, err := os.ReadFile(s.Save(t))
	if err != nil {
		t.Fatal(err)
	}
	recs, _, err := rcReadAll(t, bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, rec := range recs {
		e, ok := rec.(*Entry)
		if !ok || e.DB != 0 {
			continue
		}
		n++
		if want, ok := dumps[string(e.Key)]; !ok || !bytes.Equal(e.DumpPayload(10), want) {
			t.Fatalf("%s: file entry payload differs from DUMP", e.Key)
		}
	}
	if n != len(keys) {
		t.Fatalf("%d entries in db 0, %d keys", n, len(keys))
	}
}

func TestPayloadErrors(t *testing.T) {
	e := &Entry{Type: TypeSet, Value: rcCat(rcLen(2), rcStr("a"), rcStr("b"))}
	good := e.DumpPayload(10)
	if len(good) != 1+len(e.Value)+10 || good[0] != TypeSet || binary.LittleEndian.Uint16(good[len(good)-10:]) != 10 {
		t.Fatalf("payload %x", good)
	}
	resign := func(p []byte) []byte {
		p = append([]byte{}, p[:len(p)-8]...)
		return binary.LittleEndian.AppendUint64(p, CRC64(0, p))
	}
	bad := append([]byte{}, good...)
	bad[3] ^= 1
	cases := []struct {
		name string
		in   []byte
		kind error
	}{
		{"short", good[:10], ErrTruncated},
		{"checksum", bad, ErrChecksum},
		{"unknown type", resign(append([]byte{42}, good[1:]...)), ErrUnknownType},
		{"trailing", resign(rcCat(good[:len(good)-10], []byte{0}, good[len(good)-10:])), ErrCorrupt},
		{"value cut", resign(rcCat(good[:len(good)-12], good[len(good)-10:])), ErrTruncated},
	}
	for _, c := range cases {
		_, _, err := EntryFromDump([]byte("k"), c.in)
		var re *Error
		if !errors.Is(err, c.kind) || !errors.As(err, &re) || string(re.Key) != "k" {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	if _, _, err := EntryFromDump([]byte("k"), good); err != nil {
		t.Fatal(err)
	}
	// every value of the hand-built table round-trips
	for _, v := range rcValues() {
		e := &Entry{Type: v.typ, Value: v.value}
		got, ver, err := EntryFromDump([]byte("x"), e.DumpPayload(12))
		if err != nil || ver != 12 || !bytes.Equal(got.Value, v.value) || got.Type != v.typ {
			t.Fatalf("%s: %v", v.name, err)
		}
	}
}
