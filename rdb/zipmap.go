package rdb

import "encoding/binary"

// A zipmap (zipmap.c, Redis <= 2.4 hashes) is: zmlen (1 byte, the pair
// count when < 254), then per pair: key length, key, value length, a
// "free" byte, value, free unused bytes; then 0xFF. Lengths are 1 byte
// when < 254, else 254 followed by a uint32 LE.

const zmEnd = 0xFF

// zmLen reads a zipmap length at b[p:].
func zmLen(b []byte, p int) (n, next int, err error) {
	if p >= len(b) {
		return 0, 0, errCorrupt("zipmap: length runs past the end")
	}
	switch c := b[p]; {
	case c < 254:
		return int(c), p + 1, nil
	default:
		if p+5 > len(b) {
			return 0, 0, errCorrupt("zipmap: 32-bit length runs past the end")
		}
		l := binary.LittleEndian.Uint32(b[p+1:])
		if uint64(l) > uint64(len(b)) {
			return 0, 0, errCorrupt("zipmap: length %d runs past the end", l)
		}
		return int(l), p + 5, nil
	}
}

// zmWalk decodes (v != nil) or checks a zipmap.
func zmWalk(b []byte, v *Value, dups *dupSet) error {
	if len(b) < 2 {
		return errCorrupt("zipmap: %d bytes, too short", len(b))
	}
	if b[len(b)-1] != zmEnd {
		return errCorrupt("zipmap: missing 0xFF terminator")
	}
	zmlen := int(b[0])
	dups.reset()
	p, n := 1, 0
	for {
		if p >= len(b) {
			return errCorrupt("zipmap: runs past the end")
		}
		if b[p] == zmEnd {
			if p != len(b)-1 {
				return errCorrupt("zipmap: terminator at byte %d of %d", p, len(b))
			}
			break
		}
		kl, q, err := zmLen(b, p)
		if err != nil {
			return err
		}
		if kl > len(b)-q {
			return errCorrupt("zipmap: pair %d: key runs past the end", n)
		}
		key := b[q : q+kl : q+kl]
		q += kl
		vl, q, err := zmLen(b, q)
		if err != nil {
			return err
		}
		if q >= len(b) {
			return errCorrupt("zipmap: pair %d: free byte runs past the end", n)
		}
		free := int(b[q])
		q++
		if vl+free > len(b)-1-q {
			return errCorrupt("zipmap: pair %d: value runs past the end", n)
		}
		if !dups.add(key) {
			return errCorrupt("zipmap: pair %d: duplicate key %q", n, trimQ(key))
		}
		val := b[q : q+vl : q+vl]
		p = q + vl + free
		n++
		if v != nil {
			v.Hash = append(v.Hash, HashField{Field: key, Value: val, ExpireMs: -1})
		}
	}
	if n == 0 {
		return errCorrupt("zipmap: empty")
	}
	if zmlen < 254 && zmlen != n { // 254 and up: count unknown (old files have 255)
		return errCorrupt("zipmap: header counts %d pairs, found %d", zmlen, n)
	}
	return nil
}
