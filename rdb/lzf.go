package rdb

import "errors"

var errLZF = errors.New("corrupt LZF data")

// lzfDecompress expands LZF data (liblzf, as Redis uses it) into dst, which
// must have exactly the uncompressed length. It never reads or writes out of
// bounds, whatever the input.
func lzfDecompress(src, dst []byte) error {
	if !lzfExpand(src, dst, false) {
		return errLZF
	}
	return nil
}

// lzfPrefix expands the first len(dst) bytes of LZF data src into dst
// (to read a compressed listpack's or ziplist's header), reporting whether
// it could.
func lzfPrefix(src, dst []byte) bool { return lzfExpand(src, dst, true) }

// lzfExpand expands src into dst: all of it, to exactly len(dst) bytes, or
// with prefix only until dst is full.
func lzfExpand(src, dst []byte, prefix bool) bool {
	var ip, op int
	for ip < len(src) && (!prefix || op < len(dst)) {
		ctrl := int(src[ip])
		ip++
		if ctrl < 32 { // literal run of ctrl+1 bytes
			n := ctrl + 1
			if ip+n > len(src) || (!prefix && op+n > len(dst)) {
				return false
			}
			op += copy(dst[op:], src[ip:ip+n])
			ip += n
			continue
		}
		// back reference
		n := ctrl >> 5
		if n == 7 {
			if ip >= len(src) {
				return false
			}
			n += int(src[ip])
			ip++
		}
		if ip >= len(src) {
			return false
		}
		ref := op - ((ctrl & 0x1f) << 8) - 1 - int(src[ip])
		ip++
		n += 2
		if ref < 0 || (!prefix && op+n > len(dst)) {
			return false
		}
		// Overlapping copies are the point of LZF back references: copy byte by byte.
		for i := 0; i < n && op < len(dst); i++ {
			dst[op] = dst[ref]
			op++
			ref++
		}
	}
	return op == len(dst)
}

// lzfCompress compresses src with a simple greedy LZF encoder. It returns nil
// when the result would not be smaller than src (Redis then stores the string
// uncompressed).
func lzfCompress(src []byte) []byte {
	const (
		maxOff = 1 << 13
		maxRef = (1 << 8) + (1 << 3)
		maxLit = 1 << 5
	)
	if len(src) < 4 {
		return nil
	}
	// A table sized to the input: clearing a fixed 64 KB table per call
	// dominated the cost of encoding millions of short strings.
	hashBits := uint(8)
	for hashBits < 14 && 1<<hashBits < len(src) {
		hashBits++
	}
	htab := make([]int32, 1<<hashBits)
	out := make([]byte, 0, len(src))
	litStart := 0
	flushLit := func(end int) {
		for litStart < end {
			n := end - litStart
			if n > maxLit {
				n = maxLit
			}
			out = append(out, byte(n-1))
			out = append(out, src[litStart:litStart+n]...)
			litStart += n
		}
	}
	ip := 0
	for ip+2 < len(src) {
		h := (uint32(src[ip])<<16 | uint32(src[ip+1])<<8 | uint32(src[ip+2])) * 2654435761 >> (32 - hashBits)
		ref := int(htab[h]) - 1
		htab[h] = int32(ip + 1)
		off := ip - ref - 1
		if ref >= 0 && off < maxOff && ref < ip && src[ref] == src[ip] && src[ref+1] == src[ip+1] && src[ref+2] == src[ip+2] {
			n := 3
			for ip+n < len(src) && n < maxRef && src[ref+n] == src[ip+n] {
				n++
			}
			flushLit(ip)
			l := n - 2
			if l < 7 {
				out = append(out, byte(l<<5|off>>8))
			} else {
				out = append(out, byte(7<<5|off>>8), byte(l-7))
			}
			out = append(out, byte(off))
			ip += n
			litStart = ip
			if len(out) >= len(src) {
				return nil
			}
			continue
		}
		ip++
	}
	flushLit(len(src))
	if len(out) >= len(src) {
		return nil
	}
	return out
}
