package rdb

// CRC-64 arithmetic for combining checksums without rehashing bytes: Redis's
// CRC-64 has no initial or final inversion, so for any bytes b,
// CRC64(c, b) = CRC64(0, b) ^ crcShift(c, len(b)), where crcShift multiplies
// c by x^(8*len) modulo the polynomial. In the reflected representation
// bit 63 is x^0.

// crcMulMod returns a*b modulo the Jones polynomial (reflected).
func crcMulMod(a, b uint64) uint64 {
	var p uint64
	for m := uint64(1) << 63; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
			if a&(m-1) == 0 {
				break
			}
		}
		if b&1 != 0 {
			b = b>>1 ^ jonesPoly
		} else {
			b >>= 1
		}
	}
	return p
}

// crcX2n[k] is x^(2^k) modulo the polynomial.
var crcX2n = func() (t [64]uint64) {
	t[0] = 1 << 62 // x^1
	for k := 1; k < 64; k++ {
		t[k] = crcMulMod(t[k-1], t[k-1])
	}
	return t
}()

// crcShift returns c*x^(8n) modulo the polynomial: the effect of n more
// bytes on a running CRC, apart from the bytes themselves.
func crcShift(c uint64, n int64) uint64 {
	p := uint64(1) << 63 // x^0
	for k := 3; n > 0; k++ {
		if n&1 != 0 {
			p = crcMulMod(crcX2n[k&63], p)
		}
		n >>= 1
	}
	return crcMulMod(p, c)
}
