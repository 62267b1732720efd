package filter

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

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
