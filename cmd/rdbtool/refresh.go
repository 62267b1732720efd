package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/export"
	"github.com/rdbtool/rdbtool/filter"
)

func init() { register(refreshCommand()) }

func refreshCommand() *cli.Command {
	return fileCommand(&cli.Command{
		Name:      "refresh",
		Usage:     "turn a site dump into a test fixture in one pass: prune, persist, check against the policy",
		ArgsUsage: "FILE",
		UsageText: "rdbtool refresh FILE (-o OUT | --in-place) [--policy FILE] [--prune GLOB]... [--larger-than SIZE]\n" +
			"                    [--drop-expired] [--now TIME] [--json]",
		Description: "Streams FILE (- for stdin) once: removes the keys to prune (--prune globs and the\n" +
			"policy's prune list; with --larger-than only those with larger values, or alone every\n" +
			"larger value), removes every expiry (keys already past are kept unless\n" +
			"--drop-expired), and checks the result against the policy's rules (the ones rdbtool\n" +
			"check enforces). When the result breaks a rule, the violations are printed, nothing\n" +
			"is written (the original stays) and the exit code is 1. The policy is --policy FILE,\n" +
			"or OUT.policy / .rdbpolicy beside the output, else FILE.policy / .rdbpolicy beside\n" +
			"FILE; flags add to it.\n" +
			inputHelp +
			"--json prints the report as one JSON object instead (on stderr with -o -), also when\n" +
			"the policy is broken (exit 1): {\"ok\" (false: the result breaks the policy and was not\n" +
			"written),\"policy\" (its path, \"\" for none),\"violations\":[{\"rule\",\"db\",\"key\",\n" +
			"\"message\"}],\"omitted\":{rule:count} (as check --json),\"prune\":{\"removed\",\n" +
			"\"removed_value_bytes\",\"spared\"},\"persist\":\n" + persistJSONHelp + "} and the fields of rewrite --json:\n" +
			rewriteJSONHelp + "\n" +
			policyHelp + "\n" +
			helpExamples("rdbtool refresh dump.rdb --in-place                      # uses dump.rdb.policy",
				"rdbtool refresh site.rdb -o testdata/dump.rdb --prune 'fpg:*' --drop-expired"),
		Flags: append(outputFlags(),
			policyFlag(),
			newGlobFlag("prune", "remove keys matching the Redis glob `GLOB`"),
			&cli.StringFlag{Name: "larger-than", Usage: "prune only values larger than `SIZE` (alone: prune every such value)"},
			dropExpiredFlag(),
			nowFlagDef(),
			jsonFlag(),
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
	jsonOut := c.Bool("json")
	var vs []filter.Violation // the policy's verdict, when it has rules
	job.beforeCommit = func(st *passStats, out *dstFile) error {
		if !pol.HasRules() {
			return nil
		}
		vs = checker.Finish(st.BytesOut)
		if len(vs) == 0 {
			return nil
		}
		if jsonOut {
			if err := printJSON(c, newRefreshJSON(c, name, st, pol, prune, persist, checker, vs), c.String("o") == "-"); err != nil {
				return err
			}
		} else {
			printViolations(c, func(f string, a ...any) { stderrf(c, f, a...) }, checker, vs)
		}
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
	if jsonOut {
		return printJSON(c, newRefreshJSON(c, name, st, pol, prune, persist, checker, vs), c.String("o") == "-")
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

// refreshJSON is refresh --json: the pass, what pruning and persisting
// did, and the policy's verdict in check --json's form.
type refreshJSON struct {
	rewriteJSON
	OK         bool            `json:"ok"`     // the result obeys the policy (exit 0)
	Policy     string          `json:"policy"` // the policy file, "" for none
	Violations []violationJSON `json:"violations"`
	Omitted    map[string]int  `json:"omitted"` // violations beyond those listed, per rule
	Prune      *filter.Prune   `json:"prune"`   // zeros when nothing was to be pruned
	Persist    persistJSON     `json:"persist"`
}

func newRefreshJSON(c *cli.Context, name string, st *passStats, pol *filter.Policy, prune *filter.Prune, persist *filter.Persist, ck *filter.Checker, vs []filter.Violation) refreshJSON {
	if prune == nil {
		prune = &filter.Prune{}
	}
	r := refreshJSON{rewriteJSON: newRewriteJSON(c, name, st), OK: len(vs) == 0, Policy: pol.Path,
		Violations: violationsJSON(vs), Omitted: map[string]int{}, Prune: prune, Persist: newPersistJSON(persist)}
	if len(vs) > 0 {
		for rule, n := range ck.Omitted {
			r.Omitted[rule] = n
		}
	}
	return r
}

// violationsJSON is vs as check --json writes them; never nil.
func violationsJSON(vs []filter.Violation) []violationJSON {
	out := make([]violationJSON, 0, len(vs))
	for _, v := range vs {
		j := violationJSON{Rule: v.Rule, Message: v.Msg}
		if v.Key != nil {
			db, key := v.Key.DB, export.Blob(v.Key.Key)
			j.DB, j.Key = &db, &key
		}
		out = append(out, j)
	}
	return out
}
