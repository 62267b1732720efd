package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/rdbtool/rdbtool/fixture"
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
		Name:  "snapshot",
		Usage: "copy a running Redis (or Redis Cluster) into a dump file, read-only",
		UsageText: "rdbtool snapshot --from URL -o OUT [--method scan|sync] [--db N]... [--prune GLOB]... [--larger-than SIZE] [--persist] [--cluster]\n" +
			"   [--tls-ca FILE] [--tls-cert FILE --tls-key FILE] [--json]",
		Description: "URL: redis://[user:pass@]host:port[/db], rediss:// for TLS (the password is never printed).\n" +
			tlsHelp +
			"A database in the URL (/N, or ?db=N) is the same as --db N; a --db naming other databases is refused.\n" +
			"--method scan: SCAN + pipelined DUMP/PEXPIRETIME (PTTL before Redis 7.0) per database; pruned\n" +
			"keys are never fetched. SCAN may return a key twice, so a 12-byte fingerprint of every key is\n" +
			"kept: in memory for the last 1-2 million keys (at most ~45 MB), in a temp file in $TMPDIR\n" +
			"beyond that (16 bytes a key), so memory does not grow with the keyspace.\n" +
			"--method sync: act as a replica and stream the server's own RDB (one point in time; the server forks).\n" +
			"--larger-than drops keys whose RDB-encoded value is larger than SIZE (scan still transfers them once).\n" +
			"--cluster reads every master in turn; a cluster with a slot migrating (a resharding), or whose slots move\n" +
			"during the snapshot, is refused, and so is a cluster node without --cluster (it holds only its own slots).\n" +
			"No file is left at OUT unless the whole snapshot succeeds.\n" +
			"--json prints the report as one JSON object instead of the summary, on stdout (on stderr with -o -):\n" +
			"server, method, output, servers (host:port of each server read), keys, functions, pruned, too_large,\n" +
			"other_db, expired, vanished, repeated, bytes, seconds; when the snapshot fails (exit 2, nothing written)\n" +
			"also \"error\", the one-line message, with the counts so far.\n\n" +
			helpExamples("rdbtool snapshot --from redis://prod-redis:6379 -o site.rdb --prune 'fpg:*' --persist",
				"rdbtool snapshot --from redis://:PASS@host:6379 -o - --method sync | rdbtool inspect -"),
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "from", Usage: "server `URL`"},
			&cli.StringFlag{Name: "o", Aliases: []string{"output"}, Usage: "write the dump to `OUT` (- for stdout); written to a temp file and renamed, never partial"},
			&cli.StringFlag{Name: "method", Value: "scan", Usage: "`METHOD`: scan or sync"},
			&cli.IntSliceFlag{Name: "db", Usage: "keep only database `N` (repeatable)"},
			newGlobFlag("prune", "drop keys matching the Redis glob `GLOB`"),
			&cli.StringFlag{Name: "larger-than", Usage: "drop keys whose value is larger than `SIZE` (512KiB, 4MB, 1.5GiB, bytes)"},
			&cli.BoolFlag{Name: "persist", Usage: "drop every expiry"},
			&cli.BoolFlag{Name: "cluster", Usage: "snapshot every master of the Redis Cluster"},
			&cli.BoolFlag{Name: "json", Usage: "print the report as one JSON object (see above)"},
		}, tlsFlags()...),
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
	o, err := serverURL(c, "from")
	if err != nil {
		return err
	}
	opts := live.SnapshotOptions{
		Method:  live.Method(c.String("method")),
		Prune:   listValues(c, "prune"),
		Persist: c.Bool("persist"),
		Cluster: c.Bool("cluster"),
	}
	if c.IsSet("db") {
		if opts.DBs, err = dbFlag(c); err != nil {
			return err
		}
	}
	if db, ok := urlDB(c.String("from"), o); ok {
		switch {
		case opts.Cluster && db != 0:
			return cmdUsageError("snapshot", "--from names database %d, but a Redis Cluster has only database 0", db)
		case c.IsSet("db") && !(len(opts.DBs) == 1 && opts.DBs[0] == db):
			return cmdUsageError("snapshot", "--from names database %d and --db asks for %s: give the database in one place", db, joinInts(opts.DBs))
		}
		opts.DBs = []int{db}
	}
	larger, err := sizeFlag(c, "larger-than")
	if err != nil {
		return err
	}
	opts.LargerThan = int64(larger)
	if opts.Method != live.MethodScan && opts.Method != live.MethodSync {
		return cmdUsageError("snapshot", "--method %q: use scan or sync", opts.Method)
	}
	if err := refuseRDBToTerminal(c); err != nil {
		return err
	}
	target, err := outputTarget(c, "")
	if err != nil {
		return err
	}
	out, err := createOutput(c, target)
	if err != nil {
		return err
	}
	defer out.abort()
	bar := progress.New(c.App.ErrWriter, "snapshot "+o.Addr, -1)
	opts.Progress = func(s live.SnapshotStats) { bar.Set(s.Bytes) }
	start := time.Now()
	stats, err := live.Snapshot(c.Context, o, out, opts)
	elapsed := time.Since(start)
	bar.Done()
	report := func(msg string) error {
		rep := snapshotReport{Server: o.Addr, Method: string(opts.Method), Output: output, Seconds: elapsed.Seconds(), Error: msg}
		if stats != nil {
			rep.SnapshotStats = *stats
		}
		if rep.Servers == nil {
			rep.Servers = []string{}
		}
		return printJSON(c, rep, output == "-")
	}
	if err != nil {
		if c.Bool("json") { // the counts so far and the error; main prints the error line too
			if jerr := report(oneLine(err.Error())); jerr != nil {
				return jerr
			}
			return cli.Exit(err.Error(), exitError)
		}
		where := "nothing written to " + output
		if output == "-" {
			where = "the dump written to stdout is INCOMPLETE"
		}
		stderrf(c, "rdbtool: snapshot stopped: %s; %s\n", stats, where)
		return cli.Exit(err.Error(), exitError)
	}
	if err := out.commit(); err != nil {
		return err
	}
	if c.Bool("json") {
		return report("")
	}
	stderrf(c, "snapshot: %s\n", stats)
	return nil
}

// snapshotReport is what snapshot --json prints.
type snapshotReport struct {
	Server string `json:"server"` // host:port of --from (the seed node with --cluster)
	Method string `json:"method"`
	Output string `json:"output"` // OUT, - for stdout
	live.SnapshotStats
	Seconds float64 `json:"seconds"`
	Error   string  `json:"error,omitempty"` // the one-line error when the snapshot failed (nothing written)
}

// urlDB returns the database a server URL names (/N, or ?db=N) and whether
// it names one at all: redis://host/0 names database 0, redis://host none.
func urlDB(raw string, o *redis.Options) (int, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return o.DB, o.DB != 0
	}
	named := u.Query().Has("db") || o.Network != "unix" && strings.Trim(u.Path, "/") != ""
	return o.DB, named || o.DB != 0
}

func joinInts(n []int) string {
	s := make([]string, len(n))
	for i, v := range n {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ", ")
}

// serverURL parses the server URL flag name (the password is never shown)
// and applies the TLS flags.
func serverURL(c *cli.Context, name string) (*redis.Options, error) {
	o, err := live.ParseURL(c.String(name))
	if err != nil {
		return nil, cmdUsageError(c.Command.Name, "--%s: %v", name, err)
	}
	if err := applyTLSFlags(c, name, o); err != nil {
		return nil, err
	}
	return o, nil
}

// tlsHelp is the help line on TLS of the commands that reach a server.
const tlsHelp = "TLS: --tls-ca for a private CA, --tls-cert and --tls-key for a client certificate, ?skip_verify=true\n" +
	"in the URL to skip checking the server's certificate.\n"

// tlsFlags are the TLS options of the commands that reach a server.
func tlsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "tls-ca", Usage: "trust the CA certificates of the PEM `FILE` (instead of the system's) for rediss://"},
		&cli.StringFlag{Name: "tls-cert", Usage: "client certificate PEM `FILE` for rediss:// (a server with tls-auth-clients yes, its default)"},
		&cli.StringFlag{Name: "tls-key", Usage: "private key PEM `FILE` of --tls-cert"},
	}
}

// applyTLSFlags sets o's TLS configuration from --tls-ca, --tls-cert and
// --tls-key; they need a rediss:// URL (the flag name names it).
func applyTLSFlags(c *cli.Context, name string, o *redis.Options) error {
	ca, cert, key := c.String("tls-ca"), c.String("tls-cert"), c.String("tls-key")
	if ca == "" && cert == "" && key == "" {
		return nil
	}
	cmd := c.Command.Name
	if o.TLSConfig == nil {
		return cmdUsageError(cmd, "--tls-ca, --tls-cert and --tls-key need a rediss:// URL in --%s", name)
	}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return cmdUsageError(cmd, "--tls-ca: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return cmdUsageError(cmd, "--tls-ca %s: no PEM certificate in it", ca)
		}
		o.TLSConfig.RootCAs = pool
	}
	if (cert == "") != (key == "") {
		return cmdUsageError(cmd, "--tls-cert and --tls-key go together (a client certificate and its key)")
	}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			if pem, rerr := os.ReadFile(key); rerr == nil && strings.Contains(string(pem), "ENCRYPTED") { // PKCS#8, or Proc-Type: 4,ENCRYPTED
				return cmdUsageError(cmd, "--tls-key %s: the key is encrypted (protected by a passphrase), which rdbtool cannot read: "+
					"write it unencrypted, e.g. openssl pkey -in %s -out KEY.pem, and keep that file private", key, key)
			}
			return cmdUsageError(cmd, "--tls-cert %s, --tls-key %s: %v", cert, key, err)
		}
		o.TLSConfig.Certificates = []tls.Certificate{pair}
	}
	return nil
}

func loadCommand() *cli.Command {
	return &cli.Command{
		Name:  "load",
		Usage: "restore a dump into a running Redis or Redis Cluster",
		UsageText: "rdbtool load FILE --to URL [--replace] [--flush [--yes]] [--cluster] [--match GLOB]...\n" +
			"   [--tls-ca FILE] [--tls-cert FILE --tls-key FILE] [--json]",
		Description: "Pipelined RESTORE with the dump's raw values (ABSTTL, IDLETIME/FREQ kept) and its function libraries.\n" +
			"URL: redis://[user:pass@]host:port, rediss:// for TLS, unix:///path (the password is never printed).\n" +
			tlsHelp +
			"Keys already present are conflicts (reported, exit 1) unless --replace. Keys whose expiry has passed are skipped,\n" +
			"as a server loading the file would drop them. For a target older than the file, values are re-encoded; keys it\n" +
			"cannot take are listed. --flush empties the target first (FLUSHALL, FUNCTION FLUSH) and needs --yes for a\n" +
			"target that is not on this machine; a file that is not an RDB, or is damaged before its first key, is refused\n" +
			"before anything is flushed. Each key goes into the database the file gives it: a URL naming a database other\n" +
			"than 0 (/N or ?db=N) is refused. With --cluster, keys of databases other than 0 are not loaded (a cluster has\n" +
			"only db 0); a cluster node without --cluster is refused before anything is flushed. Exit 1 when some keys\n" +
			"were not loaded (conflicts, refused keys or libraries, keys of other databases with --cluster).\n" +
			"--json prints the report as one JSON object on stdout instead of the summary, also when the load stops\n" +
			"on an error or a signal (then with \"error\", the one-line message, and the counts so far): file, server,\n" +
			"target_version, file_version, keys (restored), functions, conflicts, unmatched, expired, other_db, converted,\n" +
			"failed, not_loaded, unconfirmed, conflict_keys, conflict_dbs, failed_keys, functions_failed, warnings,\n" +
			"warnings_total, stopped, file_error, flushed, seconds. Lists hold the first 20; exit codes are unchanged.\n\n" +
			helpExamples("rdbtool load dump.rdb --to redis://127.0.0.1:6379 --flush",
				"rdbtool load dump.rdb --to redis://node1:7000 --cluster --match 'corr:*' --replace"),
		ArgsUsage: "FILE",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "to", Usage: "server `URL`"},
			&cli.BoolFlag{Name: "replace", Usage: "overwrite keys and libraries already present"},
			&cli.BoolFlag{Name: "flush", Usage: "empty the target first"},
			&cli.BoolFlag{Name: "yes", Usage: "allow --flush of a target that is not on this machine"},
			&cli.BoolFlag{Name: "cluster", Usage: "the target is a Redis Cluster: route keys by slot"},
			newGlobFlag("match", "load only keys matching the Redis glob `GLOB`"),
			&cli.BoolFlag{Name: "json", Usage: "print the report as one JSON object on stdout (see above)"},
		}, tlsFlags()...),
		Action: runLoad,
	}
}

func runLoad(c *cli.Context) error {
	redis.SetLogger(quietLog{})
	path, err := fileArg(c)
	if err != nil {
		return err
	}
	if c.String("to") == "" {
		return cmdUsageError("load", "--to URL is required")
	}
	o, err := serverURL(c, "to")
	if err != nil {
		return err
	}
	if err := live.CheckDB(o); err != nil {
		return cmdUsageError("load", "--to: %v", err)
	}
	opts := live.LoadOptions{
		Replace: c.Bool("replace"), Flush: c.Bool("flush"), Yes: c.Bool("yes"),
		Cluster: c.Bool("cluster"), Match: listValues(c, "match"),
	}
	if err := live.CheckFlush(o, opts); err != nil { // before anything is opened or dialled
		return cmdUsageError("load", "%v", err)
	}
	in, err := openInput(c, path, "load into "+o.Addr)
	if err != nil {
		return err
	}
	defer in.Close()
	ctx, sig, stop := interruptible(c.Context)
	defer stop()
	start := time.Now()
	stats, err := live.Load(ctx, o, rdb.NewReader(in), opts)
	report := func(msg string) error {
		return printJSON(c, newLoadReport(path, stats, time.Since(start), msg), false)
	}
	if err != nil {
		in.fail()
		note := ""
		if opts.Flush && !stats.Flushed {
			note = "; nothing was flushed"
		}
		if s := sig(); s != nil {
			if c.Bool("json") {
				msg := fmt.Sprintf("load interrupted (%s)", signalName(s))
				stderrf(c, "rdbtool: %s%s\n", msg, note)
				report(msg) // the exit status says more than a failed write of the report
				return cli.Exit("", exitCodeFor(s))
			}
			stderrf(c, "rdbtool: load interrupted (%s): %s%s\n", signalName(s), stats, note)
			return cli.Exit("", exitCodeFor(s))
		}
		var re *rdb.Error
		var fail error = cli.Exit(err.Error(), exitError)
		if strings.HasPrefix(err.Error(), "reading the dump") && errors.As(err, &re) {
			fail = rdbInputError(path, re)
		}
		if c.Bool("json") {
			msg, _ := exitStatus(fail)
			report(msg)
			return fail
		}
		stderrf(c, "rdbtool: load stopped: %s%s\n", stats, note)
		return fail
	}
	in.Close()
	if c.Bool("json") {
		if err := report(""); err != nil {
			return err
		}
	} else {
		stderrf(c, "load: %s\n", stats)
	}
	if stats.Conflicts > 0 || stats.Failed > 0 || len(stats.FunctionsFailed) > 0 || stats.OtherDB > 0 {
		return cli.Exit("", exitFound)
	}
	return nil
}

// loadReport is what load --json prints.
type loadReport struct {
	File string `json:"file"` // FILE, - for stdin
	live.LoadStats
	Seconds float64 `json:"seconds"`
	Error   string  `json:"error,omitempty"` // why the load stopped (an error or a signal)
}

// newLoadReport is load's report with every list [] rather than null.
func newLoadReport(path string, stats *live.LoadStats, elapsed time.Duration, msg string) loadReport {
	r := loadReport{File: path, LoadStats: *stats, Seconds: elapsed.Seconds(), Error: msg}
	for _, l := range []*[]string{&r.ConflictKeys, &r.FailedKeys, &r.FunctionsFailed, &r.Warnings} {
		if *l == nil {
			*l = []string{}
		}
	}
	if r.ConflictDBs == nil {
		r.ConflictDBs = []int{}
	}
	return r
}

// interruptible returns a context that SIGINT, SIGTERM or SIGHUP cancels,
// the signal received (nil until then), and stop, which ends the catching.
// Only the first signal is caught: a second one ends the process at once.
func interruptible(parent context.Context) (context.Context, func() os.Signal, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, handledSignals(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)...) // nohup / & keep theirs
	var mu sync.Mutex
	var got os.Signal
	go func() {
		select {
		case s := <-ch:
			mu.Lock()
			got = s
			mu.Unlock()
			signal.Stop(ch)
			cancel()
		case <-ctx.Done():
			signal.Stop(ch)
		}
	}()
	return ctx, func() os.Signal {
		mu.Lock()
		defer mu.Unlock()
		return got
	}, cancel
}

// loadDump loads the dump in into m (serve, ingest --rdb); a damaged dump
// is reported as every command reports one.
func loadDump(m *miniredis.Miniredis, in *srcFile, opts ...fixture.Option) (*fixture.LoadReport, error) {
	rep, err := fixture.LoadInto(m, in, opts...)
	if err != nil {
		in.fail()
		var re *rdb.Error
		if errors.As(err, &re) {
			return nil, rdbInputError(in.name, re)
		}
		return nil, cli.Exit(fmt.Sprintf("%s: %v", srcName(in.name), err), exitError)
	}
	return rep, nil
}
