package filter

import (
	"fmt"

	"time"

	"github.com/rdbtool/rdbtool/rdb"
)

// Violation is one broken rule.
type Violation struct {
	Rule string  // "no-ttl", "max-value-size", "max-file-size", "forbid", "require"
	Key  *KeyRef // the offending key; nil for file-wide rules (max-file-size, require)
	Msg  string  // what is wrong, without the rule and key
}

// String is the one-line form check prints: "no-ttl: db0 session:1: has an
// expiry (2026-01-02T03:04:05Z)".
func (v Violation) String() string {
	if v.Key != nil {
		return fmt.Sprintf("%s: %s: %s", v.Rule, v.Key, v.Msg)
	}
	return fmt.Sprintf("%s: %s", v.Rule, v.Msg)
}

// maxPerRule bounds the violations kept per rule; the rest are counted.
const maxPerRule = 1000

// Checker checks a stream of entries against a policy's rules:
//
//	c := filter.NewChecker(policy)
//	for each entry: c.Observe(e)
//	violations := c.Finish(fileSize)
//
// At most 1000 violations are kept per rule; the rest are counted in
// Omitted. A Checker is not safe for concurrent use.
type Checker struct {
	p        *Policy
	forbid   []*Glob
	require  []*Glob
	found    []bool
	list     []Violation
	perRule  map[string]int
	Omitted  map[string]int // violations beyond maxPerRule, per rule
	Keys     int            // entries observed
	finished bool
}

// NewChecker prepares a check of p's rules.
func NewChecker(p *Policy) *Checker {
	c := &Checker{p: p, perRule: map[string]int{}, Omitted: map[string]int{}}
	for _, g := range p.Forbid {
		c.forbid = append(c.forbid, NewGlob(g))
	}
	for _, g := range p.Require {
		c.require = append(c.require, NewGlob(g))
	}
	c.found = make([]bool, len(c.require))
	return c
}

func (c *Checker) add(v Violation) {
	if c.perRule[v.Rule] >= maxPerRule {
		c.Omitted[v.Rule]++
		return
	}
	c.perRule[v.Rule]++
	c.list = append(c.list, v)
}

func ref(e *rdb.Entry) *KeyRef {
	return &KeyRef{DB: e.DB, Key: append([]byte(nil), e.Key...)}
}

// Observe checks one entry. Its value may have been skipped (only ValueLen
// is used) except for no-ttl, which reads the field expiries of hashes that
// can have them.
func (c *Checker) Observe(e *rdb.Entry) {
	c.Keys++
	if c.p.NoTTL && e.HasExpiry() {
		c.add(Violation{Rule: "no-ttl", Key: ref(e), Msg: "has an expiry (" +
			time.UnixMilli(e.ExpireMs).UTC().Format(time.RFC3339) + ")"})
	}
	if c.p.NoTTL && rdb.HasFieldExpiries(e.Type) && e.Value != nil {
		if v, err := e.Decode(); err == nil {
			n, first := 0, int64(-1)
			for _, f := range v.Hash {
				if f.ExpireMs >= 0 {
					n++
					if first < 0 || f.ExpireMs < first {
						first = f.ExpireMs
					}
				}
			}
			if n > 0 {
				c.add(Violation{Rule: "no-ttl", Key: ref(e), Msg: fmt.Sprintf("has %d hash fields with an expiry (the first %s)",
					n, time.UnixMilli(first).UTC().Format(time.RFC3339))})
			}
		}
	}
	if c.p.MaxValueSize > 0 && e.ValueLen > int64(c.p.MaxValueSize) {
		c.add(Violation{Rule: "max-value-size", Key: ref(e), Msg: fmt.Sprintf("value is %d bytes (%s), more than %s",
			e.ValueLen, FormatSize(e.ValueLen), FormatSize(int64(c.p.MaxValueSize)))})
	}
	for _, g := range c.forbid {
		if g.Match(e.Key) {
			c.add(Violation{Rule: "forbid", Key: ref(e), Msg: fmt.Sprintf("matches forbidden pattern %q", g)})
			break
		}
	}
	for i, g := range c.require {
		if !c.found[i] && g.Match(e.Key) {
			c.found[i] = true
		}
	}
}

// Finish ends the check: the file-size rule (fileSize < 0 skips it) and the
// required patterns. It returns every violation in file order, then the
// file-wide ones; nil when there are none. Later calls return the same list.
func (c *Checker) Finish(fileSize int64) []Violation {
	if c.finished {
		return c.list
	}
	c.finished = true
	if c.p.MaxFileSize > 0 && fileSize > int64(c.p.MaxFileSize) {
		c.add(Violation{Rule: "max-file-size", Msg: fmt.Sprintf("file is %d bytes (%s), more than %s",
			fileSize, FormatSize(fileSize), FormatSize(int64(c.p.MaxFileSize)))})
	}
	for i, g := range c.require {
		if !c.found[i] {
			c.add(Violation{Rule: "require", Msg: fmt.Sprintf("no key matches required pattern %q", g)})
		}
	}
	return c.list
}

// Apply observes e and keeps it, so a Checker can end a Chain and check
// what a rewrite writes.
func (c *Checker) Apply(e *rdb.Entry) bool {
	c.Observe(e)
	return true
}
