package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/alicebob/miniredis/v2"
	"github.com/rdbtool/rdbtool/filter"
	"github.com/rdbtool/rdbtool/fixture"
	"github.com/rdbtool/rdbtool/internal/atomicfile"
	"github.com/rdbtool/rdbtool/internal/progress"
	"github.com/rdbtool/rdbtool/live"
	"github.com/rdbtool/rdbtool/rdb"
	"github.com/redis/go-redis/v9"
	"github.com/urfave/cli/v2"
)

func init() {
	// fileCommand (files.go) lets flags follow FILE: `rdbtool load dump.rdb --to URL`
	register(fileCommand(snapshotCommand()), fileCommand(loadCommand()), fileCommand(serveCommand()))
}

// quietLog drops go-redis's own log lines (dial retries and the like): our
// errors say what failed, with the server named and no password.
type quietLog struct{}

func (quietLog) Printf(context.Context, string, ...any) {}

func snapshotCommand() *cli.Command {
	return &cli.Command{
		Name:      "snapshot",
		Usage:     "copy a running Redis (or Redis Cluster) into a dump file, read-only",
		UsageText: "rdbtool snapshot --from URL -o OUT [--method scan|sync] [--db N]... [--prune GLOB]... [--larger-than SIZE] [--persist] [--cluster]",
		Description: "URL: redis://[user:pass@]host:port[/db], rediss:// for TLS (the password is never printed).\n" +
			"--method scan: SCAN + pipelined DUMP/PTTL per database; pruned keys are never fetched.\n" +
			"--method sync: act as a replica and stream the server's own RDB (one point in time; the server forks).\n" +
			"--larger-than drops keys whose RDB-encoded value is larger than SIZE (scan still transfers them once).\n" +
			"No file is left at OUT unless the whole snapshot succeeds.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "from", Usage: "server `URL`"},
			&cli.StringFlag{Name: "o", Aliases: []string{"output"}, Usage: "output `FILE` (- for stdout); never partial"},
			&cli.StringFlag{Name: "method", Value: "scan", Usage: "scan or sync"},
			&cli.IntSliceFlag{Name: "db", Usage: "keep only database `N` (repeatable)"},
			&cli.StringSliceFlag{Name: "prune", Usage: "drop keys matching `GLOB` (repeatable)"},
			&cli.StringFlag{Name: "larger-than", Usage: "drop keys whose value is larger than `SIZE` (e.g. 1MiB)"},
			&cli.BoolFlag{Name: "persist", Usage: "drop every expiry"},
			&cli.BoolFlag{Name: "cluster", Usage: "snapshot every master of the Redis Cluster"},
		},
		Action: runSnapshot,
	}
}

func runSnapshot(c *cli.Context) error {
	redis.SetLogger(quietLog{})
	if c.NArg() > 0 {
		return cmdUsageError("snapshot", "takes no arguments (did you mean --from URL?)")
	}
	output := c.String("o")
	if c.String("from") == "" || output == "" {
		return cmdUsageError("snapshot", "--from URL and -o OUT are required")
	}
	o, err := live.ParseURL(c.String("from"))
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	opts := live.SnapshotOptions{
		Method:  live.Method(c.String("method")),
		Prune:   c.StringSlice("prune"),
		Persist: c.Bool("persist"),
		Cluster: c.Bool("cluster"),
	}
	if c.IsSet("db") {
		opts.DBs = c.IntSlice("db")
	}
	if s := c.String("larger-than"); s != "" {
		if opts.LargerThan, err = filter.ParseSize(s); err != nil {
			return cli.Exit("--larger-than: "+err.Error(), exitError)
		}
	}
	if opts.Method != live.MethodScan && opts.Method != live.MethodSync {
		return cli.Exit(fmt.Sprintf("--method %q: use scan or sync", opts.Method), exitError)
	}
	stop := atomicfile.AbortOnSignal()
	defer stop()
	out, err := atomicfile.Create(output)
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	bar := progress.New(os.Stderr, "snapshot "+o.Addr, -1)
	opts.Progress = func(s live.SnapshotStats) { bar.Set(s.Bytes) }
	stats, err := live.Snapshot(c.Context, o, out, opts)
	bar.Done()
	if err != nil {
		out.Abort()
		where := "nothing written to " + output
		if output == "-" {
			where = "the dump written to stdout is INCOMPLETE"
		}
		fmt.Fprintf(os.Stderr, "rdbtool: snapshot stopped: %s; %s\n", stats, where)
		return cli.Exit(err.Error(), exitError)
	}
	if err := out.Commit(); err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	fmt.Fprintf(os.Stderr, "snapshot: %s\n", stats)
	return nil
}

func loadCommand() *cli.Command {
	return &cli.Command{
		Name:      "load",
		Usage:     "restore a dump into a running Redis or Redis Cluster",
		UsageText: "rdbtool load FILE --to URL [--replace] [--flush] [--yes] [--cluster] [--match GLOB]...",
		Description: "Pipelined RESTORE with the dump's raw values (ABSTTL, IDLETIME/FREQ kept) and its function libraries.\n" +
			"Keys already present are conflicts (reported, exit 1) unless --replace. Keys whose expiry has passed are skipped,\n" +
			"as a server loading the file would drop them. For a target older than the file, values are re-encoded; keys it\n" +
			"cannot take are listed. --flush empties the target first (FLUSHALL, FUNCTION FLUSH) and needs --yes for a\n" +
			"target that is not on this machine. Exit 1 when some keys were not loaded.",
		ArgsUsage: "FILE",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "to", Usage: "server `URL`"},
			&cli.BoolFlag{Name: "replace", Usage: "overwrite keys and libraries already present"},
			&cli.BoolFlag{Name: "flush", Usage: "empty the target first"},
			&cli.BoolFlag{Name: "yes", Usage: "allow --flush of a target that is not on this machine"},
			&cli.BoolFlag{Name: "cluster", Usage: "the target is a Redis Cluster: route keys by slot"},
			&cli.StringSliceFlag{Name: "match", Usage: "load only keys matching `GLOB` (repeatable)"},
		},
		Action: runLoad,
	}
}

func runLoad(c *cli.Context) error {
	redis.SetLogger(quietLog{})
	if c.NArg() != 1 {
		return cmdUsageError("load", "takes one FILE (- for stdin)")
	}
	if c.String("to") == "" {
		return cmdUsageError("load", "--to URL is required")
	}
	o, err := live.ParseURL(c.String("to"))
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	opts := live.LoadOptions{
		Replace: c.Bool("replace"), Flush: c.Bool("flush"), Yes: c.Bool("yes"),
		Cluster: c.Bool("cluster"), Match: c.StringSlice("match"),
	}
	if err := live.CheckFlush(o, opts); err != nil { // before anything is opened or dialled
		return cli.Exit(err.Error(), exitError)
	}
	path := c.Args().First()
	in := os.Stdin
	size := int64(-1)
	if path != "-" {
		if in, err = os.Open(path); err != nil {
			return cli.Exit(err.Error(), exitError)
		}
		defer in.Close()
		if st, err := in.Stat(); err == nil {
			size = st.Size()
		}
	}
	bar := progress.New(os.Stderr, "load into "+o.Addr, size)
	stats, err := live.Load(c.Context, o, rdb.NewReader(bar.Reader(in)), opts)
	bar.Done()
	if err != nil {
		fmt.Fprintf(os.Stderr, "rdbtool: load stopped: %s\n", stats)
		if strings.HasPrefix(err.Error(), "reading the dump") {
			err = fmt.Errorf("%s: %w", path, err)
		}
		return cli.Exit(err.Error(), exitError)
	}
	fmt.Fprintf(os.Stderr, "load: %s\n", stats)
	if stats.Conflicts > 0 || stats.Failed > 0 || len(stats.FunctionsFailed) > 0 {
		return cli.Exit("", exitFound)
	}
	return nil
}

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:      "serve",
		Usage:     "serve a dump from an in-process fake Redis (miniredis) until interrupted",
		UsageText: "rdbtool serve FILE [--addr 127.0.0.1:6379] [--expiry relative|wallclock|persist]",
		Description: "Any Redis client can then use the dump with no redis-server. --expiry relative (default) counts TTLs\n" +
			"from the dump's ctime, wallclock treats expiries as absolute times, persist drops them.",
		ArgsUsage: "FILE",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:6379", Usage: "listen `ADDRESS`"},
			&cli.StringFlag{Name: "expiry", Value: "relative", Usage: "relative, wallclock or persist"},
		},
		Action: runServe,
	}
}

func runServe(c *cli.Context) error {
	if c.NArg() != 1 {
		return cmdUsageError("serve", "takes one FILE")
	}
	var policy fixture.Option
	switch c.String("expiry") {
	case "relative":
		policy = fixture.Relative
	case "wallclock":
		policy = fixture.Wallclock
	case "persist":
		policy = fixture.Persist
	default:
		return cli.Exit(fmt.Sprintf("--expiry %q: use relative, wallclock or persist", c.String("expiry")), exitError)
	}
	ctx, stop := signal.NotifyContext(c.Context, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return serve(ctx, c.Args().First(), c.String("addr"), policy)
}

// serve runs miniredis with the dump at path until ctx ends.
func serve(ctx context.Context, path, addr string, policy fixture.Option) error {
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr(addr); err != nil {
		return cli.Exit(fmt.Sprintf("serve: listening on %s: %v", addr, err), exitError)
	}
	defer m.Close()
	rep, err := fixture.LoadFile(m, path, policy)
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	fmt.Fprintf(os.Stderr, "serving %s: %d keys (expiry %s)", path, rep.Total(), rep.Policy)
	if len(rep.Skipped) > 0 {
		fmt.Fprintf(os.Stderr, ", %d items skipped", len(rep.Skipped))
	}
	fmt.Fprintln(os.Stderr)
	fmt.Printf("redis://%s\n", m.Addr())
	<-ctx.Done()
	if errors.Is(context.Cause(ctx), context.Canceled) {
		fmt.Fprintln(os.Stderr, "serve: stopped")
	}
	return nil
}
