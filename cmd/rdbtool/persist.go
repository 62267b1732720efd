package main

import (
	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/filter"
)

func init() { register(persistCommand()) }

func persistCommand() *cli.Command {
	return fileCommand(&cli.Command{
		Name:      "persist",
		Usage:     "remove expiries (TTLs) from the keys of an RDB file",
		ArgsUsage: "FILE",
		UsageText: "rdbtool persist FILE (-o OUT | --in-place) [--match GLOB]... [--drop-expired] [--now TIME] [--json]",
		Description: "Removes the expiry of every key of FILE (- for stdin), or of the keys matching any\n" +
			"--match glob, like PERSIST on each key, without a server, and the field expiries of\n" +
			"hashes (Redis 7.4+), like HPERSIST on each field, so nothing in the file expires.\n" +
			"Keys whose expiry is already past (a real Redis would silently drop them on load)\n" +
			"are kept without expiry and listed on stderr, unless --drop-expired removes them\n" +
			"(and hash fields already past). Everything else is copied byte for byte.\n" + inputHelp +
			"--json prints the report as one JSON object instead (on stderr with -o -):\n" +
			persistJSONHelp + " and the fields of rewrite --json:\n" + rewriteJSONHelp + "\n" +
			helpExamples("rdbtool persist dump.rdb --in-place",
				"rdbtool persist dump.rdb -o fixed.rdb --match 'session:*' --drop-expired"),
		Flags: append(outputFlags(),
			newGlobFlag("match", "only keys matching the Redis glob `GLOB`"),
			dropExpiredFlag(),
			nowFlagDef(),
			jsonFlag(),
		),
		Action: runPersist,
	})
}

func runPersist(c *cli.Context) error {
	streamingGC()
	name, err := fileArg(c)
	if err != nil {
		return err
	}
	now, err := nowFlag(c)
	if err != nil {
		return err
	}
	p := &filter.Persist{Match: filter.NewGlobs(listValues(c, "match")), DropExpired: c.Bool("drop-expired"), NowMs: now.UnixMilli()}
	st, err := runRewrite(c, name, rewriteJob{label: "persist", filter: p})
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c, struct {
			rewriteJSON
			persistJSON
		}{newRewriteJSON(c, name, st), newPersistJSON(p)}, c.String("o") == "-")
	}
	reportPersist(c, p)
	return nil
}

// persistJSONHelp lists the fields of persistJSON.
const persistJSONHelp = "  {\"persisted\" (live keys whose expiry was removed),\"past_kept\" (keys already expired,\n" +
	"  kept without expiry),\"past\":[{\"db\",\"key\"}] (the first 100 of them),\"dropped\",\n" +
	"  \"fields_persisted\",\"fields_dropped\",\"drop_expired\",\"now_ms\"}"

// persistJSON is what a Persist filter did, for --json: filter.Persist
// with the keys in readable form.
type persistJSON struct {
	*filter.Persist
	Past []keyRefJSON `json:"past"` // shadows Persist.Past
}

func newPersistJSON(p *filter.Persist) persistJSON {
	return persistJSON{Persist: p, Past: keyRefsJSON(p.Past)}
}

// dropExpiredFlag is --drop-expired for persist and refresh.
func dropExpiredFlag() cli.Flag {
	return &cli.BoolFlag{Name: "drop-expired", Usage: "remove keys whose expiry is already past (default: keep them, without expiry)"}
}

// reportPersist says what a Persist filter did.
func reportPersist(c *cli.Context, p *filter.Persist) {
	stderrf(c, "removed the expiry of %d keys\n", p.Persisted+p.PastKept)
	if p.Fields > 0 {
		stderrf(c, "removed the expiry of %d hash fields\n", p.Fields)
	}
	if p.FieldsGone > 0 {
		stderrf(c, "dropped %d hash fields whose expiry had already passed (--drop-expired)\n", p.FieldsGone)
	}
	if p.Dropped > 0 {
		stderrf(c, "dropped %d keys whose expiry had already passed (--drop-expired)\n", p.Dropped)
	}
	if p.PastKept > 0 {
		stderrf(c, "kept %d keys whose expiry had already passed (a server would have dropped them on load; --drop-expired removes them):\n", p.PastKept)
		for _, k := range p.Past {
			stderrf(c, "  %s\n", k)
		}
		if more := p.PastKept - len(p.Past); more > 0 {
			stderrf(c, "  ... and %d more\n", more)
		}
	}
}
