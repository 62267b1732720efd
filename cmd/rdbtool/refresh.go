package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/filter"
)

func init() { register(refreshCommand()) }

func refreshCommand() *cli.Command {
	return fileCommand(&cli.Command{
		Name:      "refresh",
		Usage:     "turn a site dump into a test fixture in one pass: prune, persist, check against the policy",
		ArgsUsage: "FILE",
		UsageText: "rdbtool refresh FILE (-o OUT | --in-place) [--policy FILE] [--prune GLOB]... [--larger-than SIZE]\n" +
			"                    [--drop-expired] [--now TIME]",
		Description: "Streams FILE once: removes the keys to prune (--prune globs and the policy's prune\n" +
			"list; with --larger-than only those with larger values, or alone every larger value),\n" +
			"removes every expiry (keys already past are kept unless --drop-expired), and checks\n" +
			"the result against the policy's rules (the ones rdbtool check enforces). When the\n" +
			"result breaks a rule, the violations are printed, nothing is written (the original\n" +
			"stays) and the exit code is 1. The policy is --policy FILE, or OUT.policy / .rdbpolicy\n" +
			"beside the output, else FILE.policy / .rdbpolicy beside FILE; flags add to it.\n\n" +
			policyHelp + "\n" +
			helpExamples("rdbtool refresh dump.rdb --in-place                      # uses dump.rdb.policy",
				"rdbtool refresh site.rdb -o testdata/dump.rdb --prune 'fpg:*' --drop-expired"),
		Flags: append(outputFlags(),
			policyFlag(),
			newGlobFlag("prune", "remove keys matching the Redis glob `GLOB`"),
			&cli.StringFlag{Name: "larger-than", Usage: "prune only values larger than `SIZE` (alone: prune every such value)"},
			dropExpiredFlag(),
			nowFlagDef(),
		),
		Action: runRefresh,
	})
}

func runRefresh(c *cli.Context) error {
	streamingGC()
	name, err := fileArg(c)
	if err != nil {
		return err
	}
	now, err := nowFlag(c)
	if err != nil {
		return err
	}
	// The policy lives beside the committed dump: the output (refresh
	// site.rdb -o testdata/dump.rdb), else the input.
	var dumps []string
	if out := c.String("o"); out != "" && out != "-" {
		dumps = append(dumps, out)
	}
	pol, err := loadPolicy(c, append(dumps, name)...)
	if err != nil {
		return err
	}
	larger, err := sizeFlag(c, "larger-than")
	if err != nil {
		return err
	}
	pol.Merge(&filter.Policy{Prune: listValues(c, "prune"), PruneLargerThan: larger, DropExpired: c.Bool("drop-expired")})

	var chain filter.Chain
	var prune *filter.Prune
	if len(pol.Prune) > 0 || pol.PruneLargerThan > 0 {
		prune = &filter.Prune{Select: filter.Select{Match: filter.NewGlobs(pol.Prune), LargerThan: int64(pol.PruneLargerThan)}}
		chain = append(chain, prune)
	}
	persist := &filter.Persist{DropExpired: pol.DropExpired, NowMs: now.UnixMilli()}
	chain = append(chain, persist)
	checker := filter.NewChecker(pol)
	if pol.HasRules() {
		chain = append(chain, checker)
	}
	job := rewriteJob{label: "refresh", filter: chain}
	job.beforeCommit = func(st *filter.RewriteStats, out *dstFile) error {
		if !pol.HasRules() {
			return nil
		}
		vs := checker.Finish(st.BytesOut)
		if len(vs) == 0 {
			return nil
		}
		printViolations(c, func(f string, a ...any) { stderrf(c, f, a...) }, checker, vs)
		where := "nothing was written"
		if out.name == "-" {
			where = "the output already sent to stdout breaks the policy: discard it"
		} else if out.dev != nil {
			where = "the output already written to " + out.name + " breaks the policy: discard it"
		}
		return cli.Exit(fmt.Sprintf("refresh: the result breaks the policy (%s; %s); adjust the policy or the prune options", countOf(len(vs), "violation"), where), exitFound)
	}
	st, err := runRewrite(c, name, job)
	if err != nil {
		return err
	}
	if prune != nil {
		reportPrune(c, prune)
	}
	reportPersist(c, persist)
	src := "no policy"
	if pol.Path != "" {
		src = "policy " + pol.Path
	}
	stderrf(c, "wrote %d keys, %s (%s)\n", st.KeysOut, filter.FormatSize(st.BytesOut), src)
	return nil
}
