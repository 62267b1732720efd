package rdb_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

// qaNegExpiryFile writes a file with key "k" expiring (ms form at RDB 10,
// seconds form at RDB 2) and key "plain", then stores expiry in k's
// expiry bytes and fixes the checksum.
func qaNegExpiryFile(t *testing.T, version int, expiry int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, version)
	for _, k := range []string{"k", "plain"} {
		e, err := rdb.NewEntry(0, []byte(k), &rdb.Value{Kind: "string", String: []byte("v")}, version)
		if err != nil {
			t.Fatal(err)
		}
		if k == "k" {
			e.ExpireMs = 2000000000000 // 2033, a whole second
		}
		if err := w.WriteEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if version >= 3 {
		at := bytes.IndexByte(data, rdb.OpExpireTimeMs)
		binary.LittleEndian.PutUint64(data[at+1:], uint64(expiry))
	} else {
		at := bytes.IndexByte(data, rdb.OpExpireTime)
		binary.LittleEndian.PutUint32(data[at+1:], uint32(int32(expiry/1000)))
	}
	if version >= 5 {
		binary.LittleEndian.PutUint64(data[len(data)-8:], rdb.CRC64(0, data[:len(data)-8]))
	}
	return data
}

// An expiry stored as a negative number (a damaged file Redis still loads:
// with rdbchecksum no nothing else catches a flipped sign bit; the 4-byte
// seconds form of old files is signed) is a time before 1970. Redis reads
// it as such and drops the key on load, as any key whose expiry has
// passed; redis-check-rdb counts it "already expired". The Reader must not
// call it "no expiry" (ExpireMs -1 or any other negative: HasExpiry false),
// or persist leaves it in place while saying it removed none, check
// --no-ttl passes, export writes an expire_ms import refuses, and rewrite
// --rdb-version 2 fails on it. It reads as an expiry in the past, and a
// file read and written unchanged stays byte-identical.
//
// The one exception is -1 stored in the 8-byte ms form: Redis takes it as
// "no expiry" (its own marker for none, compared before the time is), so
// it loads the key without a TTL and redis-check-rdb counts no expire; the
// Reader must say the same. redis-check-rdb's count is the reference.
func TestQAConfigsNegativeExpiryIsPast(t *testing.T) {
	checker := redistest.Binary(t, "redis-check-rdb")
	dir := t.TempDir()
	for _, c := range []struct {
		version int
		expiry  int64
	}{{10, -1}, {10, -5000}, {10, -9223370241132254902}, {2, -1000}, {2, -2147483648000}} {
		data := qaNegExpiryFile(t, c.version, c.expiry)
		wantExpiry := qaCheckRDBExpires(t, checker, filepath.Join(dir, "neg.rdb"), data) == 1
		if wantExpiry != (c.expiry != -1 || c.version < 3) {
			t.Fatalf("RDB %d, stored expiry %d: redis-check-rdb says expiry %v", c.version, c.expiry, wantExpiry)
		}
		r := rdb.NewReader(bytes.NewReader(data))
		var out bytes.Buffer
		var w *rdb.Writer
		found := false
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("RDB %d, expiry %d: %v", c.version, c.expiry, err)
			}
			if h, ok := rec.(*rdb.Header); ok {
				w = rdb.NewWriter(&out, h.Version)
			}
			if e, ok := rec.(*rdb.Entry); ok && string(e.Key) == "k" {
				found = true
				if e.HasExpiry() != wantExpiry || e.ExpireMs > 0 {
					t.Errorf("RDB %d, stored expiry %d: read as ExpireMs %d (HasExpiry %v), want HasExpiry %v (as redis-check-rdb) and no expiry after 1970",
						c.version, c.expiry, e.ExpireMs, e.HasExpiry(), wantExpiry)
				}
			}
			if err := w.Write(rec); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !found {
			t.Fatal("key k not read")
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Errorf("RDB %d, expiry %d: read and written unchanged, the file differs", c.version, c.expiry)
		}
		// converted to seconds (RDB 2), it stays in the past
		r = rdb.NewReader(bytes.NewReader(data))
		conv := rdb.NewConversion(2)
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if e, ok := rec.(*rdb.Entry); ok && string(e.Key) == "k" {
				if _, err := conv.Entry(e); err != nil || e.HasExpiry() != wantExpiry || e.ExpireMs > 0 {
					t.Errorf("RDB %d, expiry %d: converted to RDB 2: %v, ExpireMs %d", c.version, c.expiry, err, e.ExpireMs)
				}
				var b bytes.Buffer
				w := rdb.NewWriter(&b, 2)
				if err := w.WriteEntry(e); err != nil {
					t.Errorf("RDB %d, expiry %d: writing it as RDB 2: %v", c.version, c.expiry, err)
				}
			}
		}
	}
}

var qaExpiresLine = regexp.MustCompile(`(?m)^\[info\] (\d+) expires$`)

// qaCheckRDBExpires writes data to path and returns how many keys with an
// expiry redis-check-rdb counts in it.
func qaCheckRDBExpires(t *testing.T, checker, path string, data []byte) int {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(checker, path).CombinedOutput()
	m := qaExpiresLine.FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("redis-check-rdb: %v\n%s", err, out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}
