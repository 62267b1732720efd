//go:build 386 || arm || mips || mipsle

package rdb

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// On a 32-bit build an LZF string may claim more bytes than a slice can
// hold: 24.5 MiB of compressed data passes the expansion-ratio check for
// up to 2.1 GiB. Such a claim is ErrLength, with the Reader's offset, not a
// makeslice panic (it was one, in DecodeValue and for keys, aux fields and
// functions read by the Reader) nor an out-of-memory crash.
func TestLZFTooLargeFor32Bit(t *testing.T) {
	clen := uint64(24<<20 + 1<<19)
	body := make([]byte, clen)
	for _, ulen := range []uint64{1<<30 + 1<<29, 1 << 31, 1<<31 + 7, clen * 88} {
		lzf := portLZF(clen, ulen, body)
		if _, err := DecodeValue(TypeString, lzf); !errors.Is(err, ErrLength) || !strings.Contains(err.Error(), "32-bit build") {
			t.Errorf("DecodeValue, LZF string of %d bytes: %v, want ErrLength naming the 32-bit build", ulen, err)
		}
		if err := ValidateValue(TypeString, lzf); !errors.Is(err, ErrLength) {
			t.Errorf("ValidateValue, LZF string of %d bytes: %v, want ErrLength", ulen, err)
		}
		for name, rec := range map[string][]byte{
			"key":      append(append([]byte{TypeString}, lzf...), 1, 'v'),
			"aux":      append(append([]byte{OpAux}, lzf...), 1, 'v'),
			"function": append([]byte{OpFunction2}, lzf...),
		} {
			data := append(append([]byte("REDIS0011"), rec...), OpEOF, 0, 0, 0, 0, 0, 0, 0, 0)
			for _, opts := range [][]ReaderOption{nil, {SkipValues()}} {
				r := NewReader(bytes.NewReader(data), opts...)
				var err error
				for err == nil {
					_, err = r.Next()
				}
				var re *Error
				if !errors.As(err, &re) || !errors.Is(err, ErrLength) || re.Offset < 9 || re.Offset > int64(len(data)) {
					t.Errorf("Reader, %s LZF string of %d bytes: %v, want *Error with ErrLength and an offset in the file", name, ulen, err)
				}
			}
		}
	}
}

// A 2.5 GiB string in a (sized) file of 2.5 GiB, on a 32-bit build: the
// record cannot be kept in one piece, so reading it is ErrLength naming the
// key, at once. Before, the length was truncated
// to a negative int and the capture grew until the process died.
func TestHugeRecordOn32Bit(t *testing.T) {
	const n = 5 << 29
	head := []byte{'R', 'E', 'D', 'I', 'S', '0', '0', '1', '1', TypeString, 1, 'k', 0x80, 0xA0, 0, 0, 0}
	tail := []byte{OpEOF, 0, 0, 0, 0, 0, 0, 0, 0}
	src := &genSource{parts: [][]byte{head}, zeros: n, tail: tail}
	_, err := portReadAll(src)
	var re *Error
	if !errors.As(err, &re) || !errors.Is(err, ErrLength) || string(re.Key) != "k" {
		t.Fatalf("reading a 2.5 GiB record: %v, want *Error with ErrLength for key \"k\"", err)
	}
	if src.read > 1<<24 {
		t.Errorf("read %d bytes before refusing the record", src.read)
	}
}

// genSource is a sized source of parts, then zeros zero bytes, then tail,
// made up as they are read.
type genSource struct {
	parts [][]byte
	zeros int64
	tail  []byte
	read  int64
}

func (g *genSource) RemainingSize() int64 {
	n := g.zeros + int64(len(g.tail))
	for _, p := range g.parts {
		n += int64(len(p))
	}
	return n
}

func (g *genSource) Read(b []byte) (int, error) {
	n := 0
	switch {
	case len(g.parts) > 0:
		n = copy(b, g.parts[0])
		if g.parts[0] = g.parts[0][n:]; len(g.parts[0]) == 0 {
			g.parts = g.parts[1:]
		}
	case g.zeros > 0:
		n = int(min(int64(len(b)), g.zeros))
		clear(b[:n])
		g.zeros -= int64(n)
	case len(g.tail) > 0:
		n = copy(b, g.tail)
		g.tail = g.tail[n:]
	default:
		return 0, io.EOF
	}
	g.read += int64(n)
	return n, nil
}
