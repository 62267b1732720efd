package ingest

import (
	"regexp"
	"testing"
)

// The hand-written scanners that replaced a regexp and a JSON decoder on
// the hot path are checked against them, exhaustively over short strings
// of the characters that matter.

var pyFloatRE = regexp.MustCompile(`^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|(?i:inf|infinity|nan))$`)

// strs calls fn with every string of up to n characters from alphabet.
func strs(alphabet string, n int, fn func(string)) {
	var rec func(prefix string, n int)
	rec = func(prefix string, n int) {
		fn(prefix)
		if n == 0 {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			rec(prefix+alphabet[i:i+1], n-1)
		}
	}
	rec("", n)
}

func TestPyFloatSyntaxIsTheRegexp(t *testing.T) {
	check := func(s string) {
		ok, nan := pyFloatSyntax(s)
		if want := pyFloatRE.MatchString(s); ok != want {
			t.Errorf("pyFloatSyntax(%q) = %v, the regexp says %v", s, ok, want)
		}
		if ok && nan != (pyFloatRE.MatchString(s) && len(s) >= 3 && (s[len(s)-1]|0x20) == 'n' && (s[len(s)-2]|0x20) == 'a') {
			t.Errorf("pyFloatSyntax(%q) nan = %v", s, nan)
		}
	}
	strs("01.eE+-x", 5, check)
	for _, s := range []string{"inf", "INF", "Infinity", "iNfInItY", "+inf", "-Infinity", "nan", "NaN", "-nan", "+NAN",
		"infinit", "infinityy", "nana", "in", "n", "++1", "1e", "1e+", ".e1", "1.e1", ".1e-1", "1..2", "١", "1e١", "ınf", "nAn "} {
		check(s)
	}
}

func TestIntListIDIsTheDecoder(t *testing.T) {
	fast := 0
	strs("[]-0, 12", 7, func(s string) {
		got, ok := intListID(s)
		if !ok {
			return
		}
		fast++
		want, parsed, err := jsonIDDecoded(s)
		if err != nil || !parsed || want == nil || *want != got {
			w := "<nil>"
			if want != nil {
				w = *want
			}
			t.Errorf("intListID(%q) = %q; the decoder gives %q, parsed %v, %v", s, got, w, parsed, err)
		}
	})
	for _, s := range []string{"[112, 217, 30, 59, 1, 0, 0, 5]", "[10, 0, 1, 2]", "[-922337203685477580]", "[123456789012345678]"} {
		got, ok := intListID(s)
		want, _, _ := jsonIDDecoded(s)
		if !ok || want == nil || got != *want {
			t.Errorf("intListID(%q) = %q, %v; want %v", s, got, ok, want)
		}
	}
	if fast < 100 {
		t.Errorf("only %d strings took the fast path", fast)
	}
}
