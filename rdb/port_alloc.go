package rdb

import (
	"fmt"
	"math"
	"strconv"
)

// maxAlloc bounds one allocation whose size a length in the input sets
// (checks against the input's size come first where the bytes must be
// there; an LZF string's length is only bounded by its expansion ratio).
// With 64-bit int it is all of int. With 32-bit int (386, arm, mips) a
// slice cannot hold 2 GiB and the address space has no room for much more
// than 1 GiB in one piece, so a longer string is refused with ErrLength
// instead of a makeslice panic or an out-of-memory crash. The Reader keeps a
// record (prefix, key, value) in one piece, so that is bounded too. A
// variable so that tests exercise the bound on every platform.
var maxAlloc = math.MaxInt >> ((64 - strconv.IntSize) / 32)

// errTooLarge is the error for what (n bytes) beyond maxAlloc.
func errTooLarge(what string, n uint64) error {
	return fmt.Errorf("%w: %s of %d bytes is more than this %d-bit build holds in one piece (%d bytes)",
		ErrLength, what, n, strconv.IntSize, uint64(maxAlloc))
}
