package filter

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeUnits maps a lower-cased unit to its multiplier. Decimal units are
// powers of 1000, binary (…iB) powers of 1024, as on disk-usage tools.
var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "kib": 1 << 10,
	"m": 1e6, "mb": 1e6, "mib": 1 << 20,
	"g": 1e9, "gb": 1e9, "gib": 1 << 30,
	"t": 1e12, "tb": 1e12, "tib": 1 << 40,
}

// ParseSize parses a byte size: a plain number of bytes ("1048576") or a
// number with a unit: B, KB/MB/GB/TB (powers of 1000; K, M, G, T alone too)
// or KiB/MiB/GiB/TiB (powers of 1024), case-insensitive, with an optional
// space and a fraction ("1.5GiB", "4 MB", "512KiB"). The result is rounded
// down to whole bytes. Negative numbers, exponents and sizes of 4 EiB or
// more are errors.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := sizeUnits[unit]
	if num == "" || !ok {
		return 0, fmt.Errorf("invalid size %q: use bytes or a number with a unit like 512KiB, 4MB, 1.5GiB", s)
	}
	if !strings.Contains(num, ".") {
		n, err := strconv.ParseInt(num, 10, 64)
		if err == nil && float64(n)*mult <= math.MaxInt64/2 {
			return n * int64(mult), nil
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f*mult > math.MaxInt64/2 {
		return 0, fmt.Errorf("invalid size %q: use bytes or a number with a unit like 512KiB, 4MB, 1.5GiB", s)
	}
	return int64(f * mult), nil
}

// FormatSize renders n for humans in binary units ("1.5 MiB", "12 B").
func FormatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
