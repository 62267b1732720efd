package live

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
	"github.com/redis/go-redis/v9"
)

// fastSync makes a server start the replication transfer at once.
var fastSync = redistest.WithArgs("--repl-diskless-sync-delay", "0")

func fill(t testing.TB, c *redis.Client, n int) {
	t.Helper()
	ctx := context.Background()
	p := c.Pipeline()
	for i := 0; i < n; i++ {
		p.Set(ctx, fmt.Sprintf("k:%d", i), strings.Repeat("v", i%300), 0)
		if i%1000 == 999 {
			if _, err := p.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSyncStreamForms(t *testing.T) {
	for _, diskless := range []string{"yes", "no"} {
		t.Run("diskless="+diskless, func(t *testing.T) {
			s := redistest.Start(t, fastSync, redistest.WithArgs("--repl-diskless-sync", diskless))
			fill(t, s.Client(t), 5000)
			o, err := ParseURL("redis://" + s.Addr)
			if err != nil {
				t.Fatal(err)
			}
			st, err := OpenSync(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if (st.Size() < 0) != (diskless == "yes") {
				t.Fatalf("size %d with diskless %s", st.Size(), diskless)
			}
			// small reads exercise the held-back end mark
			var buf bytes.Buffer
			if _, err := io.CopyBuffer(&buf, struct{ io.Reader }{st}, make([]byte, 7)); err != nil {
				t.Fatal(err)
			}
			b := buf.Bytes()
			if !bytes.HasPrefix(b, []byte("REDIS0")) || len(b) < 20 {
				t.Fatalf("stream starts %q (len %d)", b[:min(len(b), 16)], len(b))
			}
			if b[len(b)-9] != rdb.OpEOF {
				t.Fatalf("byte before the checksum is %d, want EOF opcode", b[len(b)-9])
			}
			if got, want := rdb.CRC64(0, b[:len(b)-8]), binary.LittleEndian.Uint64(b[len(b)-8:]); got != want {
				t.Fatalf("checksum %x, stored %x", got, want)
			}
			if st.Size() >= 0 && int64(len(b)) != st.Size() {
				t.Fatalf("read %d bytes, announced %d", len(b), st.Size())
			}
		})
	}
}

func TestSyncWrongPassword(t *testing.T) {
	s := withPassword(t, redistest.Start(t), "s3cret")
	o, err := ParseURL("redis://:wrongpw@" + s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenSync(context.Background(), o)
	if err == nil {
		t.Fatal("sync with a wrong password succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, s.Addr) || strings.Contains(msg, "wrongpw") || !strings.Contains(msg, "AUTH") {
		t.Fatalf("error %q: want the server address, AUTH, no password", msg)
	}
}

// withPassword sets requirepass after start (redistest pings without AUTH).
func withPassword(t testing.TB, s *redistest.Server, pw string) *redistest.Server {
	t.Helper()
	if err := s.Client(t).ConfigSet(context.Background(), "requirepass", pw).Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // so that redistest's SHUTDOWN needs no AUTH
		c := redis.NewClient(&redis.Options{Addr: s.Addr, Password: pw})
		c.ConfigSet(context.Background(), "requirepass", "")
		c.Close()
	})
	return s
}

func TestSyncWithACLUser(t *testing.T) {
	s := redistest.Start(t, fastSync)
	ctx := context.Background()
	if err := s.Client(t).Do(ctx, "ACL", "SETUSER", "snap", "on", ">p4ss", "~*", "+@all").Err(); err != nil {
		t.Fatal(err)
	}
	fill(t, s.Client(t), 100)
	for _, m := range []Method{MethodSync, MethodScan} {
		o, err := ParseURL("redis://snap:p4ss@" + s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		st, err := Snapshot(ctx, o, io.Discard, SnapshotOptions{Method: m})
		if err != nil || st.Keys != 100 {
			t.Fatalf("%s as an ACL user: %v (%v)", m, err, st)
		}
		if m == MethodScan { // and a load as that user
			f, err := os.Open(corpusAll)
			if err != nil {
				t.Fatal(err)
			}
			ls, err := Load(ctx, o, rdb.NewReader(f), LoadOptions{Match: []string{"s*"}})
			f.Close()
			if err != nil || ls.Keys == 0 {
				t.Fatalf("load as an ACL user: %v (%v)", err, ls)
			}
		}
		o.Password = "w7ongpw"
		if _, err := Snapshot(ctx, o, io.Discard, SnapshotOptions{Method: m}); err == nil || strings.Contains(err.Error(), "w7ongpw") {
			t.Fatalf("%s as an ACL user with a wrong password: %v", m, err)
		}
	}
}

// TestMarkReader: the diskless form's end mark is found however the bytes
// arrive (one at a time, in halves) and whatever the caller's buffer size,
// also when a read ends inside it.
func TestMarkReader(t *testing.T) {
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	mark := []byte(strings.Repeat("0123456789", 4))
	data := make([]byte, 100000)
	for i := range data {
		data[i] = byte("0123456789abcdef"[i%16]) // mark-like bytes, never the mark
	}
	stream := append(append([]byte{}, data...), mark...)
	for _, wrap := range []func(io.Reader) io.Reader{iotest.OneByteReader, iotest.HalfReader, func(r io.Reader) io.Reader { return r }} {
		for _, size := range []int{1, 7, 41, 160, 4096, 1 << 20} {
			m := &markReader{src: wrap(bytes.NewReader(stream)), conn: c1, mark: mark}
			got, err := io.ReadAll(struct{ io.Reader }{&sizedCalls{m, size}})
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read size %d: %d bytes, %v; want the %d data bytes", size, len(got), err, len(data))
			}
		}
	}
	m := &markReader{src: bytes.NewReader(data), conn: c1, mark: mark}
	if _, err := io.ReadAll(m); err == nil {
		t.Fatal("a stream without its end mark read cleanly")
	}
}

// sizedCalls reads with buffers of one size.
type sizedCalls struct {
	r    io.Reader
	size int
}

func (s *sizedCalls) Read(p []byte) (int, error) {
	if len(p) > s.size {
		p = p[:s.size]
	}
	return s.r.Read(p)
}
