package rdb

import (
	"encoding/binary"
	"hash/crc64"
)

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
	crc, p = crc64Fast(crc, p)
	// Long inputs are hashed as four interleaved lanes (slicing-by-8 is
	// bound by the latency of each step, so independent lanes run in
	// parallel in the CPU) and the lanes combined by the CRC shift.
	for len(p) >= 4*crcLane {
		crc = crc64Lanes(crc, p[:4*crcLane])
		p = p[4*crcLane:]
	}
	return crc64Serial(crc, p)
}

func crc64Serial(crc uint64, p []byte) uint64 {
	t := crcTables
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
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

// crcLane is the length of one lane of crc64Lanes.
const crcLane = 4096

// crcLaneShift[j][b] is (b << 8j) * x^(8*crcLane) modulo the polynomial:
// the shift of a CRC over one lane, byte by byte (the shift is linear).
var crcLaneShift = func() *[8][256]uint64 {
	var t [8][256]uint64
	for j := 0; j < 8; j++ {
		for b := 0; b < 256; b++ {
			t[j][b] = crcShift(uint64(b)<<(8*j), crcLane)
		}
	}
	return &t
}()

func crcShiftLane(c uint64) uint64 {
	t := crcLaneShift
	return t[0][c&0xff] ^ t[1][(c>>8)&0xff] ^ t[2][(c>>16)&0xff] ^ t[3][(c>>24)&0xff] ^
		t[4][(c>>32)&0xff] ^ t[5][(c>>40)&0xff] ^ t[6][(c>>48)&0xff] ^ t[7][c>>56]
}

// crc64Lanes hashes exactly 4*crcLane bytes as four lanes.
func crc64Lanes(crc uint64, p []byte) uint64 {
	t := crcTables
	p0 := p[:crcLane:crcLane]
	p1 := p[crcLane : 2*crcLane : 2*crcLane]
	p2 := p[2*crcLane : 3*crcLane : 3*crcLane]
	p3 := p[3*crcLane : 4*crcLane : 4*crcLane]
	c0, c1, c2, c3 := crc, uint64(0), uint64(0), uint64(0)
	for i := 0; i+8 <= crcLane; i += 8 {
		c0 ^= binary.LittleEndian.Uint64(p0[i:])
		c1 ^= binary.LittleEndian.Uint64(p1[i:])
		c2 ^= binary.LittleEndian.Uint64(p2[i:])
		c3 ^= binary.LittleEndian.Uint64(p3[i:])
		c0 = t[7][c0&0xff] ^ t[6][(c0>>8)&0xff] ^ t[5][(c0>>16)&0xff] ^ t[4][(c0>>24)&0xff] ^
			t[3][(c0>>32)&0xff] ^ t[2][(c0>>40)&0xff] ^ t[1][(c0>>48)&0xff] ^ t[0][c0>>56]
		c1 = t[7][c1&0xff] ^ t[6][(c1>>8)&0xff] ^ t[5][(c1>>16)&0xff] ^ t[4][(c1>>24)&0xff] ^
			t[3][(c1>>32)&0xff] ^ t[2][(c1>>40)&0xff] ^ t[1][(c1>>48)&0xff] ^ t[0][c1>>56]
		c2 = t[7][c2&0xff] ^ t[6][(c2>>8)&0xff] ^ t[5][(c2>>16)&0xff] ^ t[4][(c2>>24)&0xff] ^
			t[3][(c2>>32)&0xff] ^ t[2][(c2>>40)&0xff] ^ t[1][(c2>>48)&0xff] ^ t[0][c2>>56]
		c3 = t[7][c3&0xff] ^ t[6][(c3>>8)&0xff] ^ t[5][(c3>>16)&0xff] ^ t[4][(c3>>24)&0xff] ^
			t[3][(c3>>32)&0xff] ^ t[2][(c3>>40)&0xff] ^ t[1][(c3>>48)&0xff] ^ t[0][c3>>56]
	}
	c := crcShiftLane(c0) ^ c1
	c = crcShiftLane(c) ^ c2
	return crcShiftLane(c) ^ c3
}
