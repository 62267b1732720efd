package rdb

// On amd64 with PCLMULQDQ, long inputs are folded 16 bytes at a time by
// carry-less multiplication (crc64_amd64.s) and the 16-byte remainder
// hashed by the tables.

func cpuHasPCLMUL() bool

//go:noescape
func crcFold(crc uint64, p []byte, k *[4]uint64, out *[16]byte)

// crcFolding reports whether CRC64 uses crcFold (tests).
func crcFolding() bool { return hasPCLMUL }

var hasPCLMUL = cpuHasPCLMUL()

// crcFoldK holds x^575, x^511, x^191 and x^127 modulo the polynomial
// (reflected): the factors that move the two halves of a 16-byte block
// over the next 64 or 16 bytes (one less than 576, 512, 192, 128: a
// reflected carry-less product comes out shifted by one bit).
var crcFoldK = [4]uint64{crcXPow(575), crcXPow(511), crcXPow(191), crcXPow(127)}

// crcXPow returns x^n modulo the polynomial, reflected (bit 63 is x^0).
func crcXPow(n uint) uint64 {
	p := uint64(1) << 63
	for k := 0; n > 0; k++ {
		if n&1 != 0 {
			p = crcMulMod(crcX2n[k], p)
		}
		n >>= 1
	}
	return p
}

// crc64Fast hashes the longest multiple of 16 bytes of p by folding and
// returns the CRC and what is left.
func crc64Fast(crc uint64, p []byte) (uint64, []byte) {
	if !hasPCLMUL || len(p) < crcFoldMin {
		return crc, p
	}
	n := len(p) &^ 15
	var acc [16]byte
	crcFold(crc, p[:n], &crcFoldK, &acc)
	return crc64Serial(0, acc[:]), p[n:]
}

const crcFoldMin = 64
