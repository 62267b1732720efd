package rdb

import "encoding/binary"

// An intset (intset.c) is: encoding (uint32 LE: 2, 4 or 8 bytes per
// element), length (uint32 LE), then the elements, little endian, sorted
// ascending without duplicates.

// isWalk decodes (v != nil) or checks an intset.
func isWalk(b []byte, v *Value, a *arena) error {
	if len(b) < 8 {
		return errCorrupt("intset: %d bytes, too short for its header", len(b))
	}
	enc := binary.LittleEndian.Uint32(b)
	if enc != 2 && enc != 4 && enc != 8 {
		return errCorrupt("intset: invalid encoding %d", enc)
	}
	n := binary.LittleEndian.Uint32(b[4:])
	if uint64(n)*uint64(enc)+8 != uint64(len(b)) {
		return errCorrupt("intset: %d elements of %d bytes do not fill %d bytes", n, enc, len(b))
	}
	if n == 0 {
		return errCorrupt("intset: empty")
	}
	if v != nil {
		v.Set = make([][]byte, 0, n)
	}
	var prev int64
	for i := 0; i < int(n); i++ {
		var x int64
		d := b[8+i*int(enc):]
		switch enc {
		case 2:
			x = int64(int16(binary.LittleEndian.Uint16(d)))
		case 4:
			x = int64(int32(binary.LittleEndian.Uint32(d)))
		default:
			x = int64(binary.LittleEndian.Uint64(d))
		}
		if i > 0 && x <= prev {
			return errCorrupt("intset: element %d (%d) not greater than the previous (%d)", i, x, prev)
		}
		prev = x
		if v != nil {
			v.Set = append(v.Set, a.int(x))
		}
	}
	return nil
}
