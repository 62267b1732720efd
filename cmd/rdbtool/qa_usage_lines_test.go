package main

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestUsageLinesNameFlags: every command's and subcommand's usage line
// names each of its flags, so `rdbtool X --help`'s first lines show the
// whole shape of the command (urfave/cli's default is "[command options]",
// which migrate's subcommands printed; textconv's lacked --inline-errors).
func TestUsageLinesNameFlags(t *testing.T) {
	var check func(path string, cmds []*cli.Command)
	check = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := strings.TrimSpace(path + " " + c.Name)
			if len(c.Subcommands) > 0 {
				check(name, c.Subcommands)
				continue
			}
			if c.Name == "help" || c.Name == "completion" {
				continue
			}
			if c.UsageText == "" || strings.Contains(c.UsageText, "[command options]") {
				t.Errorf("%s: usage line %q", name, c.UsageText)
				continue
			}
			for _, f := range c.Flags {
				n := f.Names()[0]
				if n == "help" {
					continue
				}
				found := false
				for _, alias := range f.Names() {
					if strings.Contains(c.UsageText, "--"+alias) || (len(alias) == 1 && strings.Contains(c.UsageText, "-"+alias+" ")) {
						found = true
					}
				}
				if !found {
					t.Errorf("%s: usage line %q does not name --%s", name, c.UsageText, n)
				}
			}
		}
	}
	check("", newApp().Commands)
}
