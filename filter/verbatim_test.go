package filter

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/rdb"
)

// copyVerifiedFile runs CopyVerified from a file holding data into a new
// file and returns what it wrote.
func copyVerifiedFile(t *testing.T, data []byte) ([]byte, *RewriteStats, error) {
	t.Helper()
	dir := t.TempDir()
	srcPath := filepath.Join(dir, "in.rdb")
	if err := os.WriteFile(srcPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(srcPath)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(filepath.Join(dir, "out.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	st, err := CopyVerified(src, dst, int64(len(data)), nil, RewriteOptions{})
	out, rerr := os.ReadFile(dst.Name())
	if rerr != nil {
		t.Fatal(rerr)
	}
	return out, st, err
}

func TestCopyVerifiedMatchesRewrite(t *testing.T) {
	for _, f := range corpus(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		wst, err := Rewrite(bytes.NewReader(data), &want, nil, RewriteOptions{})
		if err != nil {
			t.Fatalf("%s: Rewrite: %v", f, err)
		}
		got, st, err := copyVerifiedFile(t, data)
		if err != nil {
			t.Fatalf("%s: CopyVerified: %v", f, err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("%s: CopyVerified output differs from Rewrite's", f)
		}
		if st.KeysIn != wst.KeysIn || st.KeysOut != wst.KeysOut || st.BytesOut != wst.BytesOut || st.Checksum.Status != wst.Checksum.Status {
			t.Fatalf("%s: stats %+v, Rewrite's %+v", f, st, wst)
		}
	}
}

func TestCopyVerifiedDropsTrailingBytes(t *testing.T) {
	data, err := os.ReadFile("../testdata/dump.rdb")
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := copyVerifiedFile(t, append(append([]byte{}, data...), "trailing junk"...))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("output is %d bytes, want the %d bytes of the RDB", len(got), len(data))
	}
}

func TestCopyVerifiedRejectsDamage(t *testing.T) {
	data, err := os.ReadFile("../testdata/dump.rdb")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := copyVerifiedFile(t, data[:len(data)/2]); !errors.Is(err, rdb.ErrTruncated) {
		t.Fatalf("truncated input: got %v, want ErrTruncated", err)
	}
	bad := append([]byte{}, data...)
	bad[len(bad)-1] ^= 0xff // the checksum's last byte
	if _, _, err := copyVerifiedFile(t, bad); !errors.Is(err, rdb.ErrChecksum) {
		t.Fatalf("bad checksum: got %v, want ErrChecksum", err)
	}
}

// TestCopyVerifiedManyChunks: a dump several copy chunks long (the copy goes
// chunk by chunk, each handed to writeback) comes out byte for byte.
func TestCopyVerifiedManyChunks(t *testing.T) {
	var keys []rdbtest.Key
	for i := range 5 {
		v := make([]byte, copyChunk/2+12345)
		x := uint64(i + 1)
		for j := range v { // xorshift: nothing for LZF to compress
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			v[j] = byte(x)
		}
		keys = append(keys, rdbtest.Key{Name: fmt.Sprintf("blob:%d", i), Value: &rdb.Value{Kind: "string", String: v}})
	}
	data := rdbtest.Dump(t, 10, keys...)
	if len(data) < 2*copyChunk+1 {
		t.Fatalf("dump is %d bytes, want more than two chunks", len(data))
	}
	got, st, err := copyVerifiedFile(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) || st.KeysOut != 5 {
		t.Fatalf("output %d bytes, %d keys; want the %d input bytes and 5 keys", len(got), st.KeysOut, len(data))
	}
}
