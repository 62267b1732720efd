package filter

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"gopkg.in/yaml.v3"
)

// Policy is the refresh recipe and the rules a committed dump must obey,
// kept in a small YAML file beside the dump (dump.rdb.policy, or
// .rdbpolicy in the same directory). Every field is optional:
//
//	# dump.rdb.policy: what `rdbtool refresh` does and `rdbtool check` enforces
//	prune:                  # refresh removes keys matching any of these globs
//	  - "fpg:*"
//	prune-larger-than: 1MiB # ... only those larger than this (with prune: both must hold)
//	drop-expired: true      # refresh drops keys whose TTL is already past
//	no-ttl: true            # check: no key (and no hash field) may have an expiry
//	max-value-size: 1MiB    # check: no value larger than this
//	max-file-size: 50MB     # check: the whole file no larger than this
//	forbid:                 # check: no key may match these
//	  - "fpg:*"
//	require:                # check: each glob must match at least one key
//	  - "corr:*"
//
// Sizes take the forms ParseSize accepts (bytes, 512KiB, 4MB, 1.5GiB).
type Policy struct {
	Prune           []string `yaml:"prune"`             // refresh: globs of keys to remove
	PruneLargerThan Size     `yaml:"prune-larger-than"` // refresh: remove only values above this many bytes (0: any size)
	DropExpired     bool     `yaml:"drop-expired"`      // refresh: drop keys whose expiry is already past
	NoTTL           bool     `yaml:"no-ttl"`            // check: no key or hash field may have an expiry
	MaxValueSize    Size     `yaml:"max-value-size"`    // check: encoded value bytes allowed per key (0: no limit)
	MaxFileSize     Size     `yaml:"max-file-size"`     // check: file bytes allowed (0: no limit)
	Forbid          []string `yaml:"forbid"`            // check: globs no key may match
	Require         []string `yaml:"require"`           // check: globs each matched by at least one key

	// Path is where the policy was read from ("" when built in code).
	Path string `yaml:"-"`
}

// Size is a byte count that reads from YAML as a number or a size string.
type Size int64

// UnmarshalYAML accepts 1048576 or "1MiB".
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a size must be a number or a string like 4MB", n.Line)
	}
	if v, err := strconv.ParseInt(n.Value, 10, 64); err == nil && v >= 0 {
		*s = Size(v)
		return nil
	}
	v, err := ParseSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %v", n.Line, err)
	}
	*s = Size(v)
	return nil
}

// DirPolicyName is the policy FindPolicy looks for in the dump's directory
// when there is no DUMP.policy beside the dump.
const DirPolicyName = ".rdbpolicy"

// ParsePolicy reads a policy from YAML. Unknown fields are errors, so a
// typo cannot silently disable a rule. Errors say the line and the field in
// the policy's own terms ("line 2: unknown field ...", "line 1: no-ttl:
// give true or false"), not YAML's or Go's.
func ParsePolicy(data []byte) (*Policy, error) {
	p := &Policy{}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return p, nil // empty, or only comments
	}
	if err := checkPolicyNode(doc.Content[0]); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil && !errors.Is(err, io.EOF) {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	for _, l := range []struct {
		name  string
		globs []string
	}{{"prune", p.Prune}, {"forbid", p.Forbid}, {"require", p.Require}} {
		for _, g := range l.globs {
			if err := CheckGlob(g); err != nil {
				return nil, fmt.Errorf("%s: %v", l.name, err)
			}
		}
	}
	return p, nil
}

// policyFields are the fields of a policy file and the kind of value each
// takes.
var policyFields = []struct{ name, kind string }{
	{"prune", "globs"}, {"prune-larger-than", "size"}, {"drop-expired", "bool"},
	{"no-ttl", "bool"}, {"max-value-size", "size"}, {"max-file-size", "size"},
	{"forbid", "globs"}, {"require", "globs"},
}

// checkPolicyNode checks the shape of a policy document: a mapping of
// known fields, each with a value of its kind.
func checkPolicyNode(n *yaml.Node) error {
	var names []string
	for _, f := range policyFields {
		names = append(names, f.name)
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a policy is a list of fields (%s), one per line as name: value", n.Line, strings.Join(names, ", "))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kind := ""
		for _, f := range policyFields {
			if f.name == k.Value {
				kind = f.kind
			}
		}
		switch kind {
		case "":
			return fmt.Errorf("line %d: unknown field %q (the fields are %s)", k.Line, k.Value, strings.Join(names, ", "))
		case "bool":
			var b bool
			if v.Kind != yaml.ScalarNode || v.Decode(&b) != nil {
				return fmt.Errorf("line %d: %s: give true or false", v.Line, k.Value)
			}
		case "size":
			var s Size
			if err := v.Decode(&s); err != nil {
				msg := err.Error()
				if _, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "line ") {
					msg = rest
				}
				return fmt.Errorf("line %d: %s: %s", v.Line, k.Value, msg)
			}
		case "globs":
			ok := v.Kind == yaml.SequenceNode
			for _, g := range v.Content {
				ok = ok && g.Kind == yaml.ScalarNode
			}
			if !ok && !(v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
				return fmt.Errorf("line %d: %s: give a list of globs, e.g. %s: [\"fpg:*\"]", v.Line, k.Value, k.Value)
			}
		}
	}
	return nil
}

// LoadPolicy reads a policy file. Its errors start "policy PATH: "; a
// missing file is fs.ErrNotExist.
func LoadPolicy(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		if errors.Is(err, syscall.EISDIR) {
			return nil, fmt.Errorf("policy %s: is a directory, not a policy file", path)
		}
		return nil, fmt.Errorf("policy %s: %w", path, err)
	}
	p, err := ParsePolicy(data)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %v", path, err)
	}
	p.Path = path
	return p, nil
}

// FindPolicy looks for the policy of the dump at dumpPath: dumpPath +
// ".policy", then .rdbpolicy in the same directory. It returns nil, nil
// when there is none (and for stdin, "-").
func FindPolicy(dumpPath string) (*Policy, error) {
	if dumpPath == "-" || dumpPath == "" {
		return nil, nil
	}
	for _, cand := range []string{dumpPath + ".policy", filepath.Join(filepath.Dir(dumpPath), DirPolicyName)} {
		p, err := LoadPolicy(cand)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return nil, nil
}

// Merge adds the rules of o to p (globs are unioned, booleans or'ed, a
// size set in o replaces p's).
func (p *Policy) Merge(o *Policy) {
	if o == nil {
		return
	}
	p.Prune = append(p.Prune, o.Prune...)
	if o.PruneLargerThan > 0 {
		p.PruneLargerThan = o.PruneLargerThan
	}
	p.DropExpired = p.DropExpired || o.DropExpired
	p.NoTTL = p.NoTTL || o.NoTTL
	if o.MaxValueSize > 0 {
		p.MaxValueSize = o.MaxValueSize
	}
	if o.MaxFileSize > 0 {
		p.MaxFileSize = o.MaxFileSize
	}
	p.Forbid = append(p.Forbid, o.Forbid...)
	p.Require = append(p.Require, o.Require...)
}

// HasRules reports whether the policy has any check rule.
func (p *Policy) HasRules() bool {
	return p.NoTTL || p.MaxValueSize > 0 || p.MaxFileSize > 0 || len(p.Forbid) > 0 || len(p.Require) > 0
}
