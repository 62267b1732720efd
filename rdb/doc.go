// Package rdb reads, writes and converts Redis (and Valkey) RDB files and
// the values they hold.
//
// Errors have kinds, tested with errors.Is on the sentinels. Reading: the
// Reader's errors are *Error (offset, key) wrapping ErrTruncated, ErrMagic,
// ErrVersion, ErrUnknownType, ErrUnknownOpcode, ErrLength, ErrChecksum or
// ErrCorrupt (damaged input); the value decoders return the same kinds.
// Writing and converting: ErrUnconvertible is a value the target RDB
// version cannot express but another version (or its module) can: module
// values, streams before version 9, hash field expiries before 12, an
// expiry after 2038 before 3. ErrInvalidValue is a Value no version can
// hold because no Redis loads it, or that is no value at all: a set or
// zset member or a hash field given twice, a NaN score, a hash field
// expiry past 2^48-1 ms, stream entry IDs that do not increase,
// inconsistent stream groups, a nil value, an unknown Kind (ConvertEntry,
// whose values come from a file, wraps it in an *Error as damaged input).
// The two never meet in one error, so a caller can skip or list
// unconvertible keys and report invalid ones as bad input.
package rdb
