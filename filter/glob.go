package filter

import "fmt"

// Match reports whether s matches the Redis glob pattern, with exactly the
// semantics of Redis's stringmatchlen (what KEYS and SCAN MATCH use):
//
//   - any run of bytes            ?      any one byte
//     [abc]  one of a, b, c              [^abc] any byte but a, b, c
//     [a-z]  a byte in the range (ends may be given in either order)
//     \x     the byte x literally, also inside [...]
//
// Matching is on bytes, case-sensitive. An unterminated [ takes the rest of
// the pattern as its set. Like Redis, the pattern "*" is treated by callers
// (Glob) as "everything", including the empty key; Match itself follows
// stringmatchlen, where "*" does not match the empty string.
func Match(pattern, s []byte) bool {
	skip := false
	return match(pattern, s, &skip)
}

// MatchString is Match for strings.
func MatchString(pattern, s string) bool { return Match([]byte(pattern), []byte(s)) }

// match walks the pattern with the string. skip is set once a '*' has
// tried every remaining suffix without success: a longer prefix for an
// outer '*' cannot succeed either, which keeps patterns like "a*a*a*b"
// linear-ish instead of exponential.
func match(p, s []byte, skip *bool) bool {
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) >= 2 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if match(p[1:], s, skip) {
					return true
				}
				if *skip {
					return false
				}
				s = s[1:]
			}
			*skip = true
			return false
		case '?':
			s = s[1:]
		case '[':
			p = p[1:]
			negate := len(p) > 0 && p[0] == '^'
			if negate {
				p = p[1:]
			}
			found := false
			for {
				if len(p) == 0 {
					// Unterminated set: it ends with the pattern. Leave one
					// byte for the p = p[1:] below to consume, as Redis does.
					p = []byte{']'}
					break
				}
				if p[0] == '\\' && len(p) >= 2 {
					p = p[1:]
					if p[0] == s[0] {
						found = true
					}
				} else if p[0] == ']' {
					break
				} else if len(p) >= 3 && p[1] == '-' {
					lo, hi := p[0], p[2]
					if lo > hi {
						lo, hi = hi, lo
					}
					if s[0] >= lo && s[0] <= hi {
						found = true
					}
					p = p[2:]
				} else if p[0] == s[0] {
					found = true
				}
				p = p[1:]
			}
			if negate {
				found = !found
			}
			if !found {
				return false
			}
			s = s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if p[0] != s[0] {
				return false
			}
			s = s[1:]
		}
		p = p[1:]
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}

// CheckGlob reports a pattern that is almost certainly a typo: an
// unterminated [ (Redis takes the rest of the pattern as the set, so
// "[abc" matches only a single a, b or c). Match itself accepts it, as
// Redis does; commands reject it when a user types it.
func CheckGlob(pattern string) error {
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '\\':
			i++
		case '[':
			j := i + 1
			for ; j < len(pattern) && pattern[j] != ']'; j++ {
				if pattern[j] == '\\' {
					j++
				}
			}
			if j >= len(pattern) {
				return fmt.Errorf("glob %q: [ at byte %d is never closed by ] (write \\[ for a literal [)", pattern, i)
			}
			i = j
		}
	}
	return nil
}

// Glob is a compiled Redis glob pattern.
type Glob struct {
	pattern []byte
	all     bool   // "*": everything, as SCAN MATCH * and KEYS * treat it
	literal bool   // no special bytes: plain comparison
	prefix  []byte // pattern is prefix + "*" with a literal prefix
}

// NewGlob compiles pattern.
func NewGlob(pattern string) *Glob {
	g := &Glob{pattern: []byte(pattern)}
	special := func(c byte) bool { return c == '*' || c == '?' || c == '[' || c == '\\' }
	switch {
	case pattern == "*":
		g.all = true
	default:
		n := 0
		for n < len(pattern) && !special(pattern[n]) {
			n++
		}
		if n == len(pattern) {
			g.literal = true
		} else if n == len(pattern)-1 && pattern[n] == '*' {
			g.prefix = []byte(pattern[:n])
		}
	}
	return g
}

// String returns the pattern.
func (g *Glob) String() string { return string(g.pattern) }

// Match reports whether key matches.
func (g *Glob) Match(key []byte) bool {
	switch {
	case g.all:
		return true
	case g.literal:
		return string(key) == string(g.pattern)
	case g.prefix != nil:
		// A trailing '*' also matches the empty rest ("abc*" matches "abc").
		return len(key) >= len(g.prefix) && string(key[:len(g.prefix)]) == string(g.prefix)
	}
	return Match(g.pattern, key)
}

// Globs matches when any of its patterns matches; an empty Globs matches
// everything.
type Globs []*Glob

// NewGlobs compiles patterns.
func NewGlobs(patterns []string) Globs {
	gs := make(Globs, len(patterns))
	for i, p := range patterns {
		gs[i] = NewGlob(p)
	}
	return gs
}

// Match reports whether key matches any pattern (true when there are none).
func (gs Globs) Match(key []byte) bool {
	if len(gs) == 0 {
		return true
	}
	for _, g := range gs {
		if g.Match(key) {
			return true
		}
	}
	return false
}
