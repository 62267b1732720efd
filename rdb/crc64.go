package rdb

import "hash/crc64"

// Redis checksums files and DUMP payloads with CRC-64/Jones (reflected,
// polynomial 0xad93d23594c935a9, reflected form 0x95ac9329ac4bc9b5), no
// initial or final inversion. The standard library's table code is slow for
// custom polynomials (one byte at a time), so this file keeps its own
// slicing-by-8 tables.
const jonesPoly = 0x95ac9329ac4bc9b5

var crcTables = makeSlicing8(jonesPoly)

func makeSlicing8(poly uint64) *[8][256]uint64 {
	var t [8][256]uint64
	base := crc64.MakeTable(poly)
	t[0] = *base
	for i := 0; i < 256; i++ {
		crc := t[0][i]
		for j := 1; j < 8; j++ {
			crc = t[0][crc&0xff] ^ (crc >> 8)
			t[j][i] = crc
		}
	}
	return &t
}

// CRC64 continues the Redis CRC-64 of the bytes before p, given as crc
// (0 for the first chunk).
func CRC64(crc uint64, p []byte) uint64 {
	t := crcTables
	for len(p) >= 8 {
		crc ^= uint64(p[0]) | uint64(p[1])<<8 | uint64(p[2])<<16 | uint64(p[3])<<24 |
			uint64(p[4])<<32 | uint64(p[5])<<40 | uint64(p[6])<<48 | uint64(p[7])<<56
		crc = t[7][crc&0xff] ^
			t[6][(crc>>8)&0xff] ^
			t[5][(crc>>16)&0xff] ^
			t[4][(crc>>24)&0xff] ^
			t[3][(crc>>32)&0xff] ^
			t[2][(crc>>40)&0xff] ^
			t[1][(crc>>48)&0xff] ^
			t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ (crc >> 8)
	}
	return crc
}
