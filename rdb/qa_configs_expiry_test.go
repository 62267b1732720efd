package rdb_test

import (
	"errors"
	"math"
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

// Redis 7.0 accepts `PEXPIREAT key 9223372036854775807` (an absolute time
// is only checked for overflow when a base time is added) and saves that
// expiry in its dump. Converting such a key for a version that stores
// expiries in seconds must call it unconvertible, as it does any expiry
// after 2038, not round it up past the int64 range into a negative expiry
// the Writer then refuses (the whole rewrite failed, blaming the output).
func TestQAConfigsConversionHugeExpiry(t *testing.T) {
	for _, ms := range []int64{math.MaxInt64, math.MaxInt64 - 998, math.MaxInt64 - 1000, 253402300800000} {
		for _, v := range []int{1, 2} {
			e, err := rdb.NewEntry(0, []byte("k"), &rdb.Value{Kind: "string", String: []byte("v")}, 10)
			if err != nil {
				t.Fatal(err)
			}
			e.ExpireMs = ms
			c := rdb.NewConversion(v)
			_, err = c.Entry(e)
			if !errors.Is(err, rdb.ErrUnconvertible) {
				t.Errorf("expiry %d ms to RDB %d: err %v, want ErrUnconvertible (expiry after 2038)", ms, v, err)
			}
		}
	}
	// The last expiry the seconds form holds still converts, unchanged.
	e, err := rdb.NewEntry(0, []byte("k"), &rdb.Value{Kind: "string", String: []byte("v")}, 10)
	if err != nil {
		t.Fatal(err)
	}
	e.ExpireMs = math.MaxInt32 * 1000
	if _, err := rdb.NewConversion(2).Entry(e); err != nil || e.ExpireMs != math.MaxInt32*1000 || !e.ExpireSeconds {
		t.Errorf("expiry at 2038-01-19 03:14:07: err %v, expiry %d (seconds %v)", err, e.ExpireMs, e.ExpireSeconds)
	}
}
