package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/filter"
)

// policyFlag is --policy for refresh and check.
func policyFlag() cli.Flag {
	return &cli.StringFlag{Name: "policy", Usage: "read rules from the policy `FILE` (default: FILE.policy or .rdbpolicy beside the dump, when present)"}
}

// loadPolicy reads --policy or finds the policy beside the first of dumps
// that has one; it returns an empty policy when there is none.
func loadPolicy(c *cli.Context, dumps ...string) (*filter.Policy, error) {
	if path := c.String("policy"); path != "" {
		p, err := filter.LoadPolicy(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, cli.Exit(fmt.Sprintf("policy %s: no such file", path), exitError)
		}
		if err != nil {
			return nil, cli.Exit(fmt.Sprintf("%v (see the policy format in rdbtool refresh --help)", err), exitError)
		}
		return p, nil
	}
	for _, dump := range dumps {
		p, err := filter.FindPolicy(dump)
		if err != nil {
			return nil, cli.Exit(fmt.Sprintf("%v (see the policy format in rdbtool refresh --help)", err), exitError)
		}
		if p != nil {
			return p, nil
		}
	}
	return &filter.Policy{}, nil
}

// sizeFlag parses a size flag when set.
func sizeFlag(c *cli.Context, name string) (filter.Size, error) {
	if !c.IsSet(name) {
		return 0, nil
	}
	n, err := filter.ParseSize(c.String(name))
	if err != nil {
		return 0, cmdUsageError(c.Command.Name, "--%s: %v", name, err)
	}
	if n == 0 {
		// 0 is "no limit" inside: the flag would silently do nothing.
		return 0, cmdUsageError(c.Command.Name, "--%s %s: give a size above 0", name, c.String(name))
	}
	return filter.Size(n), nil
}

// printViolations prints one line per violation (and the omitted counts).
func printViolations(c *cli.Context, w func(string, ...any), ck *filter.Checker, vs []filter.Violation) {
	for _, v := range vs {
		w("%s\n", v)
	}
	for rule, n := range ck.Omitted {
		w("%s: ... and %d more\n", rule, n)
	}
}

const policyHelp = "Policy file (YAML; every field optional; unknown fields are errors):\n" +
	"  prune: [\"fpg:*\"]         # refresh removes keys matching any of these Redis globs\n" +
	"  prune-larger-than: 1MiB  # ... only those with larger values (alone: all larger values)\n" +
	"  drop-expired: true       # refresh drops keys whose expiry is already past\n" +
	"  no-ttl: true             # check: no key (and no hash field) may have an expiry\n" +
	"  max-value-size: 1MiB     # check: no value larger than this\n" +
	"  max-file-size: 50MB      # check: the file no larger than this\n" +
	"  forbid: [\"fpg:*\"]        # check: no key may match these\n" +
	"  require: [\"corr:*\"]      # check: each must match at least one key\n"
