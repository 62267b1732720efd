package rdb

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel error kinds. Every error the Reader returns is an *Error whose
// Err wraps one of these, so callers test the kind with errors.Is; only an
// error of the source itself (a failed read) is wrapped as it is, so
// errors.Is finds that error instead.
var (
	// ErrTruncated: the input ended before the structure being read.
	ErrTruncated = errors.New("unexpected end of input")
	// ErrMagic: the file does not start with "REDIS" or "VALKEY".
	ErrMagic = errors.New("not an RDB file (bad magic)")
	// ErrVersion: the RDB version is not one this package reads.
	ErrVersion = errors.New("unsupported RDB version")
	// ErrUnknownType: a value type byte this package does not know.
	ErrUnknownType = errors.New("unknown value type")
	// ErrUnknownOpcode: an opcode this package does not know.
	ErrUnknownOpcode = errors.New("unknown opcode")
	// ErrLength: a length that runs past the end of the input or is absurd.
	ErrLength = errors.New("bad length")
	// ErrChecksum: the CRC-64 stored in the file or payload does not match.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrCorrupt: structurally invalid content (listpack, ziplist, intset, ...).
	ErrCorrupt = errors.New("corrupt data")
	// ErrClosed: Next after Reader.Close.
	ErrClosed = errors.New("reader closed")
	// ErrAborted: a Writer call after Writer.Abort.
	ErrAborted = errors.New("rdb: write after Abort")
)

// Error is the error type of the Reader (and of callers that wrap value
// decoding errors): where in the input it happened, the key being read (nil
// when not inside a key) and the underlying error, which wraps a sentinel.
type Error struct {
	Offset int64
	Key    []byte
	Err    error
}

// Error formats the error as `offset 1234, key "foo": <underlying error>`
// (without the key part outside a key).
func (e *Error) Error() string {
	s := "offset " + strconv.FormatInt(e.Offset, 10)
	if e.Key != nil {
		s += ", key " + strconv.Quote(string(e.Key))
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error, so errors.Is(err, rdb.ErrTruncated)
// works on an *Error.
func (e *Error) Unwrap() error { return e.Err }

// kindErrorf builds an error wrapping the sentinel kind with a message.
func kindErrorf(kind error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))
}
