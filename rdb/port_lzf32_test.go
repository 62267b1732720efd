//go:build 386 || arm || mips || mipsle

package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
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
		lzf := lzf32(clen, ulen, body)
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

func lzf32(clen, ulen uint64, body []byte) []byte {
	b := []byte{0xC3, 0x80, 0, 0, 0, 0, 0x80, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[2:], uint32(clen))
	binary.BigEndian.PutUint32(b[7:], uint32(ulen))
	return append(b, body...)
}
