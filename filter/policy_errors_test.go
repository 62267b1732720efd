package filter

import (
	"strings"
	"testing"
)

// TestPolicyErrorText: policy errors name the line and the field in the
// policy's terms, never YAML tags or Go types.
func TestPolicyErrorText(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"no-ttl: true\nmax_value_size: 1MiB\n", `line 2: unknown field "max_value_size" (the fields are prune, prune-larger-than`},
		{"no-ttl: yes please\n", "line 1: no-ttl: give true or false"},
		{"drop-expired: [1]\n", "line 1: drop-expired: give true or false"},
		{"forbid: fpg\n", `line 1: forbid: give a list of globs`},
		{"require: [[a]]\n", `line 1: require: give a list of globs`},
		{"max-file-size: 4XB\n", `line 1: max-file-size: invalid size "4XB"`},
		{"max-value-size: [1]\n", `line 1: max-value-size: a size must be`},
		{"- prune\n", "line 1: a policy is a list of fields"},
		{"no-ttl: [\n", "did not find expected node content"},
		{"prune: [\"a[b\"]\n", `prune: glob "a[b"`},
	} {
		_, err := ParsePolicy([]byte(c.text))
		if err == nil {
			t.Errorf("%q: accepted", c.text)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, c.want) || strings.Contains(msg, "filter.") || strings.Contains(msg, "!!") || strings.Contains(msg, "yaml:") || strings.Contains(msg, "\n") {
			t.Errorf("%q: %q, want %q", c.text, msg, c.want)
		}
	}
	for _, ok := range []string{"", "# only a comment\n", "prune:\n", "prune: []\nno-ttl: false\nmax-file-size: 10\n"} {
		if _, err := ParsePolicy([]byte(ok)); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}
