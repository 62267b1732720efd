package filter

import "cmp"

// NaturalLess orders byte strings the way people read them: runs of digits
// compare as numbers, everything else byte by byte. So "snap_9" < "snap_10",
// and date-stamped names ("fpg:snap_2020-07-16_1253.fpg") sort by date.
// Equal numbers with more leading zeros sort after ("a01" > "a1"), so the
// order is total and deterministic.
func NaturalLess(a, b []byte) bool { return NaturalCompare(a, b) < 0 }

// NaturalCompare returns -1, 0 or +1 in natural order.
func NaturalCompare(a, b []byte) int {
	zeroTie := 0 // first difference in leading zeros, used only if all else is equal
	for len(a) > 0 && len(b) > 0 {
		if isDigit(a[0]) && isDigit(b[0]) {
			da, db := digitRun(a), digitRun(b)
			na, nb := trimZeros(a[:da]), trimZeros(b[:db])
			if len(na) != len(nb) {
				return cmp.Compare(len(na), len(nb))
			}
			if c := compareBytes(na, nb); c != 0 {
				return c
			}
			if zeroTie == 0 && da != db {
				zeroTie = cmp.Compare(da, db)
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(int(a[0]), int(b[0]))
		}
		a, b = a[1:], b[1:]
	}
	if len(a) != len(b) {
		return cmp.Compare(len(a), len(b))
	}
	return zeroTie
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digitRun(s []byte) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

func trimZeros(s []byte) []byte {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

func compareBytes(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return cmp.Compare(int(a[i]), int(b[i]))
		}
	}
	return cmp.Compare(len(a), len(b))
}
