package main

import (
	"strings"
	"testing"
)

// TestQAS8ReadmeMigrateUsageNamesHelp: the README's conventions say every
// usage error names the command and its help ("rdbtool: keys: unknown flag
// --frob (see rdbtool keys --help)"), and migrate's unknown flags do
// ("migrate up: unknown flag --frob (see rdbtool migrate up --help)"). A
// missing or bad VERSION, NAME or --steps did not: "migrate: to takes one
// VERSION (a number, 0 for none)" left a newcomer to find the help alone.
// Every case here fails before any database is needed.
func TestQAS8ReadmeMigrateUsageNamesHelp(t *testing.T) {
	for _, tc := range []struct {
		sub  string
		args []string
	}{
		{"to", []string{"migrate", "to"}},
		{"to", []string{"migrate", "to", "x"}},
		{"stamp", []string{"migrate", "stamp"}},
		{"stamp", []string{"migrate", "stamp", "-1"}},
		{"down", []string{"migrate", "down", "--steps", "0"}},
		{"create", []string{"migrate", "create"}},
		{"create", []string{"migrate", "create", "a", "b"}},
	} {
		r := mustRun(t, 2, nil, tc.args...)
		msg, _ := exitStatus(r.err)
		if want := "(see rdbtool migrate " + tc.sub + " --help)"; !strings.HasPrefix(msg, "migrate ") || !strings.HasSuffix(msg, want) {
			t.Errorf("rdbtool %s: %q, want a usage error naming the subcommand and ending %q",
				strings.Join(tc.args, " "), msg, want)
		}
	}
}
