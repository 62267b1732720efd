package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/alicebob/miniredis/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/ingest"
	"github.com/rdbtool/rdbtool/live"
	"github.com/rdbtool/rdbtool/migrations"
)

func init() { register(ingestCommand()) }

func ingestCommand() *cli.Command {
	return &cli.Command{
		Name:  "ingest",
		Usage: "copy the telescope's state from Redis (or a dump) into the hera_mc PostgreSQL tables",
		UsageText: "rdbtool ingest (--redis URL | --rdb FILE) [--db DSN] [--migrate] [--only GROUPS] [--hostname NAME]\n" +
			"     [--every DURATION [--passes N] [--stop-grace DURATION]] [--listen-log] [--json]",
		Description: "One pass reads the site's keys (corr:*, status:snap:*, auto:*, status:node:*, ...) and writes\n" +
			"the hera_mc tables, group by group, each group in one transaction. Bad records (a field that\n" +
			"does not parse, a key of the wrong type, malformed JSON or YAML) are skipped and reported with\n" +
			"key, field and reason; the rest is written. A second pass over unchanged Redis adds no rows\n" +
			"except those stamped with the current time (correlator_file_queues; daemon_status is updated).\n\n" +
			"--rdb FILE replays a dump in-process: no Redis server needed. The database is --db, else\n" +
			"$DATABASE_URL, else libpq's environment when PGHOST, PGHOSTADDR, PGPORT, PGDATABASE or PGSERVICE\n" +
			"is set (what a DSN leaves out comes from the PG* variables and ~/.pgpass, as for psql), except\n" +
			"for one pass of --rdb: that needs --db '' to use the environment. With none of these a throwaway\n" +
			"PostgreSQL is started, migrated, used for the pass and removed (needs the PostgreSQL server\n" +
			"binaries). The ingest's role needs SELECT and INSERT on the tables the groups write, UPDATE\n" +
			"on daemon_status, correlator_file_eod, hera_autos and hera_auto_spectrum, DELETE on\n" +
			"correlator_component_event_time, and SELECT on goose_db_version; the command checks at start\n" +
			"and prints the GRANTs missing.\n" +
			"--every runs the monitor loop of the original daemons; lost connections are retried with\n" +
			"backoff (said once when lost and once when back); passes keep their cadence and never overlap\n" +
			"(after a pass longer than --every the next starts at once). SIGINT/SIGTERM let the running\n" +
			"pass finish, then end the command (the loop with status 0); a pass still running after\n" +
			"--stop-grace is cut short (its running group rolled back; a single pass then exits\n" +
			"128+signal); a second signal stops at once.\n" +
			"Before the first pass they stop it at once (a single pass exits 128+signal). A single pass\n" +
			"stops when Redis or PostgreSQL stops answering:\n" +
			"the groups after that point are reported as not run.\n\n" +
			"Groups (--only, comma-separated): " + strings.Join(groupHelp(), ", ") + ".\n" +
			"The report (rows per table, skipped records) goes to stderr; in the loop a skipped record the\n" +
			"previous pass also had is counted, not listed again. --json prints one JSON object per pass on\n" +
			"stdout instead (each one whole). The text-mode loop ends with a line naming the signal.\n" +
			"Exit code 0 when every group was written (skipped records included), 1 when a group failed\n" +
			"(its transaction was rolled back), 2 when the pass could not start.\n\n" +
			helpExamples("rdbtool ingest --rdb testdata/dump.rdb",
				"rdbtool ingest --redis redis://redishost:6379 --db postgres:///hera_mc --every 60s --listen-log",
				"rdbtool ingest --rdb site.rdb --only correlator,autos --json"),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "redis", Usage: "read a live Redis at `URL` (redis://[user:pass@]host:port/db)"},
			&cli.StringFlag{Name: "rdb", Usage: "replay the dump `FILE` in-process instead"},
			&cli.StringFlag{Name: "db", Usage: "PostgreSQL `DSN` (default $DATABASE_URL, else PGHOST/PGDATABASE/PGSERVICE as psql reads them; none: a throwaway server)"},
			&cli.BoolFlag{Name: "migrate", Usage: "apply pending schema migrations to --db first"},
			&cli.StringFlag{Name: "only", Usage: "run only these `GROUPS` (comma-separated group or set names)"},
			&cli.DurationFlag{Name: "every", Usage: "run a pass every `DURATION` until interrupted (the monitor loop)"},
			&cli.IntFlag{Name: "passes", Usage: "with --every: stop after `N` passes (default: run until SIGINT or SIGTERM)"},
			&cli.BoolFlag{Name: "listen-log", Usage: "with --every: also store mc-log-channel messages in subsystem_error"},
			&cli.StringFlag{Name: "hostname", Usage: "record the pass's own daemon_status rows under host `NAME` (default: this host)"},
			&cli.BoolFlag{Name: "json", Usage: "print each pass's report as JSON on stdout"},
			&cli.DurationFlag{Name: "stop-grace", Value: 5 * time.Second, Usage: "after SIGINT/SIGTERM, let the running pass go on for at most `DURATION`, then cut it short (its running group rolled back)"},
		},
		Action: runIngest,
	}
}

func groupHelp() []string {
	seen := map[string]bool{}
	var sets, names []string
	for _, g := range ingest.Groups() {
		if !seen[g.Set] {
			seen[g.Set] = true
			sets = append(sets, g.Set)
		}
		if g.Name != g.Set { // a group that is its own set is listed once
			names = append(names, g.Name)
		}
	}
	return append(sets, names...)
}

func runIngest(c *cli.Context) error {
	if c.NArg() > 0 {
		return cmdUsageError("ingest", "unexpected argument %q", c.Args().First())
	}
	redisURL, rdbFile := c.String("redis"), c.String("rdb")
	if (redisURL == "") == (rdbFile == "") {
		return cmdUsageError("ingest", "give exactly one of --redis URL or --rdb FILE")
	}
	var only []string
	if c.IsSet("only") {
		only = strings.Split(c.String("only"), ",")
		gs, err := ingest.SelectGroups(only)
		if err != nil {
			return cmdUsageError("ingest", "--only: %v", err)
		}
		if len(gs) == 0 { // only empty names: "," or ""
			return cmdUsageError("ingest", "--only names no group (groups: %s)", strings.Join(groupHelp(), ", "))
		}
	}
	every := c.Duration("every")
	if every < 0 || (c.IsSet("every") && every == 0) {
		return cmdUsageError("ingest", "--every must be a positive duration")
	}
	grace := c.Duration("stop-grace")
	if grace <= 0 {
		return cmdUsageError("ingest", "--stop-grace must be a positive duration")
	}
	if every == 0 && (c.Bool("listen-log") || c.IsSet("passes")) {
		return cmdUsageError("ingest", "--listen-log and --passes need --every")
	}

	redis.SetLogger(quietLog{}) // our errors say what failed, with the server named
	sig := catchSignals(c.Context, c.App.ErrWriter)
	defer sig.stop()
	ctx := sig.ctx
	// An interrupt before the first pass (a dump still loading, a throwaway
	// PostgreSQL starting, a database waited for) ends the command at once.
	interrupted := func() error {
		msg := fmt.Sprintf("ingest: interrupted (%s) before the first pass; nothing was written", signalName(sig.received()))
		if every > 0 {
			fmt.Fprintln(c.App.ErrWriter, msg)
			return nil // the monitor loop ends on a signal with status 0
		}
		return cli.Exit(msg, sig.exitCode())
	}

	rc, closeRedis, err := openRedis(ctx, c, redisURL, rdbFile)
	if err == nil {
		defer closeRedis()
	}
	if ctx.Err() != nil {
		return interrupted()
	}
	if err != nil {
		return err
	}
	if redisURL != "" {
		// A Redis that refuses us (a wrong password, say) ends the command
		// in both modes, as a refusing PostgreSQL does: waiting cannot fix
		// it. One that does not answer ends a single pass; the loop waits
		// for it with backoff.
		if err := pingRedis(ctx, rc); err != nil {
			if ctx.Err() != nil {
				return interrupted()
			}
			var refused redis.Error
			if notReady(err) {
				// Loading its dump, a busy script, a replica without its
				// master: it will answer. The loop waits for it.
				if every == 0 {
					return cli.Exit(fmt.Sprintf("ingest: --redis %s: Redis is not ready (still loading its data, or busy): %s", live.Redact(redisURL), oneLine(err.Error())), exitError)
				}
			} else if errors.As(err, &refused) {
				return cli.Exit(fmt.Sprintf("ingest: --redis %s: Redis refused: %s", live.Redact(redisURL), oneLine(err.Error())), exitError)
			}
			if every == 0 {
				return cli.Exit(fmt.Sprintf("ingest: --redis %s: Redis does not answer: %s", live.Redact(redisURL), oneLine(err.Error())), exitError)
			}
		}
	}

	db, closeDB, err := openIngestDB(ctx, c, every > 0, only)
	if db == nil && (err == nil || ctx.Err() != nil) {
		return interrupted()
	}
	if err != nil {
		return err
	}
	defer closeDB()
	sig.passing(every == 0, grace)

	opts := ingest.Options{Only: only, Hostname: c.String("hostname"),
		Logf: func(format string, args ...any) { fmt.Fprintln(c.App.ErrWriter, oneLine(fmt.Sprintf(format, args...))) }}
	jsonOut := c.Bool("json")
	failed := false
	print := func(rep *ingest.Report) {
		if jsonOut {
			rep.WriteJSON(c.App.Writer)
		} else {
			rep.WriteText(c.App.ErrWriter)
		}
	}

	if every == 0 {
		// As in the loop, a signal lets the pass finish (each group is one
		// transaction) for --stop-grace; a second one ends the command at
		// once.
		pctx, stop := ingest.StopContext(ctx, grace)
		rep, err := ingest.Run(pctx, rc, db, opts)
		stop()
		if rep == nil {
			return cli.Exit(fmt.Sprintf("ingest: %v", err), exitError)
		}
		print(rep)
		if errors.Is(err, ingest.ErrCutShort) {
			return cli.Exit(fmt.Sprintf("ingest: %s: %s", signalName(sig.received()), cutShortLine(grace)), sig.exitCode())
		}
		if err != nil {
			return cli.Exit("ingest: "+failureSummary(rep, err), exitFound)
		}
		return nil
	}

	if c.Bool("listen-log") {
		lctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		defer func() { cancel(); <-done }() // before the connections close
		go func() {
			defer close(done)
			for lctx.Err() == nil {
				if err := ingest.ListenLog(lctx, rc, db, opts); err != nil {
					opts.Logf("ingest: %v", err)
				}
				if sleepOrDone(lctx, 5*time.Second) {
					return
				}
			}
		}()
	}
	// The text report of a pass lists only the skipped records the pass
	// before did not have: the same bad records every minute are listed
	// once. --json documents stay whole.
	var prev *ingest.Report
	passes, cut := 0, false
	lo := ingest.LoopOptions{Options: opts, Every: every, Passes: c.Int("passes"), StopGrace: grace,
		OnPass: func(n int, rep *ingest.Report, err error) {
			if rep != nil {
				passes = n
				cut = errors.Is(err, ingest.ErrCutShort)
				if jsonOut {
					rep.WriteJSON(c.App.Writer)
				} else {
					rep.WriteTextAfter(c.App.ErrWriter, prev)
				}
				prev = rep
				if err != nil {
					failed = true
				}
			}
		}}
	if err := ingest.Loop(ctx, rc, db, lo); err != nil {
		return cli.Exit(fmt.Sprintf("ingest: %v", err), exitError)
	}
	if _, signalled := sig.first.Load().(os.Signal); signalled && (cut || !jsonOut) {
		// The journal says why the passes ended (a --json run keeps
		// stderr empty, its reports being on stdout, unless a pass was
		// cut short).
		last := "none was cut short"
		if cut {
			last = "the last " + cutShortLine(grace)
		}
		fmt.Fprintf(c.App.ErrWriter, "ingest: stopped on %s after %d pass(es); %s\n", signalName(sig.received()), passes, last)
	}
	if failed && lo.Passes > 0 {
		return cli.Exit("ingest: some passes had failed groups", exitFound)
	}
	return nil
}

func cutShortLine(grace time.Duration) string {
	return fmt.Sprintf("pass did not end within --stop-grace %v: cut short, its running group rolled back, the groups after it not run", grace)
}

func sleepOrDone(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return true
	case <-t.C:
		return false
	}
}

// failureSummary is the one line that ends a pass with failed groups: which
// failed, which were not run, and the first error; the report printed
// before it has every group's error.
func failureSummary(rep *ingest.Report, err error) string {
	var failed, notRun []string
	first, firstNotRun := "", ""
	for _, g := range rep.Failed() {
		if g.Status == ingest.StatusNotRun {
			if len(notRun) == 0 {
				firstNotRun = g.Error
			}
			notRun = append(notRun, g.Name)
			continue
		}
		failed = append(failed, g.Name)
		if first == "" {
			first = g.Error
			if !strings.HasPrefix(first, g.Name+":") {
				first = g.Name + ": " + first
			}
		}
	}
	msg := fmt.Sprintf("%d group(s) failed and were rolled back (%s)", len(failed), strings.Join(failed, ", "))
	if len(notRun) > 0 {
		names := notRun
		if len(names) > 4 {
			names = append(names[:3:3], fmt.Sprintf("and %d more", len(notRun)-3))
		}
		msg += fmt.Sprintf("; %d not run (%s)", len(notRun), strings.Join(names, ", "))
		first += "; not run: " + firstNotRun
	}
	if first == "" {
		first = err.Error()
	}
	return clipLine(msg+": "+oneLine(first), 400)
}

// clipLine shortens s to about n bytes on a rune boundary.
func clipLine(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + " ..."
}

// notReady tells the errors of a Redis that will answer once it is done
// (loading its dump, running a long script, a replica whose master is
// down, a cluster not settled) from one that refuses us.
func notReady(err error) bool {
	var re redis.Error
	if !errors.As(err, &re) {
		return false
	}
	for _, p := range []string{"LOADING ", "BUSY ", "MASTERDOWN ", "TRYAGAIN ", "CLUSTERDOWN "} {
		if strings.HasPrefix(re.Error(), p) {
			return true
		}
	}
	return false
}

func pingRedis(ctx context.Context, rc redis.UniversalClient) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return rc.Ping(ctx).Err()
}

// signals is SIGINT/SIGTERM handling for ingest: the first signal cancels
// ctx (the loop, or the single pass, then ends after the running pass,
// which has --stop-grace to end; the start-up stops at once); a second
// one during a pass exits at once with status 128+n.
type signals struct {
	ctx      context.Context
	cancel   context.CancelFunc
	ch       chan os.Signal
	done     chan struct{}
	first    atomic.Value // os.Signal
	running  atomic.Bool
	announce atomic.Bool
	grace    time.Duration // set by passing, before running is
}

func catchSignals(parent context.Context, w io.Writer) *signals {
	ctx, cancel := context.WithCancel(parent)
	s := &signals{ctx: ctx, cancel: cancel, ch: make(chan os.Signal, 2), done: make(chan struct{})}
	signal.Notify(s.ch, handledSignals(os.Interrupt, syscall.SIGTERM)...) // nohup / & keep theirs
	go func() {
		for {
			select {
			case <-s.done:
				return
			case sg := <-s.ch:
				if s.first.CompareAndSwap(nil, sg) {
					if s.announce.Load() {
						fmt.Fprintf(w, "ingest: %s: stopping after the current pass (at most %v more; again to stop at once)\n", signalName(sg), s.grace)
					}
					s.cancel()
					continue
				}
				if s.running.Load() {
					fmt.Fprintf(w, "ingest: %s again: stopping now; the running group's transaction is not committed\n", signalName(sg))
					os.Exit(exitCodeFor(sg))
				}
			}
		}
	}()
	return s
}

// passing marks the end of the start-up: from now on a first signal lets
// the running pass finish, and a second one exits at once. announce: say so
// on the first signal (a single pass; the loop's stderr stays quiet, as
// its --json runs expect).
func (s *signals) passing(announce bool, grace time.Duration) {
	s.grace = grace
	s.announce.Store(announce)
	s.running.Store(true)
}

func (s *signals) stop() {
	signal.Stop(s.ch)
	close(s.done)
	s.cancel()
}

func (s *signals) received() os.Signal {
	if sg, ok := s.first.Load().(os.Signal); ok {
		return sg
	}
	return os.Interrupt
}

func (s *signals) exitCode() int { return exitCodeFor(s.received()) }

// openRedis connects to a live Redis, or loads a dump into an in-process
// miniredis.
func openRedis(ctx context.Context, c *cli.Context, url, file string) (redis.UniversalClient, func(), error) {
	if url != "" {
		o, err := live.ParseURL(url)
		if err != nil {
			return nil, nil, cli.Exit(fmt.Sprintf("ingest: --redis %s: %v", live.Redact(url), err), exitError)
		}
		rc := redis.NewClient(o)
		return rc, func() { rc.Close() }, nil
	}
	m := miniredis.NewMiniRedis()
	if err := m.Start(); err != nil {
		return nil, nil, cli.Exit(fmt.Sprintf("ingest: in-process redis: %v", err), exitError)
	}
	// Opening and reading the dump can block (a pipe, stdin): done in a
	// goroutine so that an interrupt still ends the command.
	loaded := make(chan error, 1)
	go func() {
		in, err := openInput(c, file, "ingest: load")
		if err == nil {
			_, err = loadDump(m, in)
			in.Close()
		}
		loaded <- err
	}()
	select {
	case err := <-loaded:
		if err != nil {
			m.Close()
			return nil, nil, err
		}
	case <-ctx.Done():
		return nil, nil, ctx.Err() // the loader is left blocked; the command ends
	}
	rc := redis.NewClient(&redis.Options{Addr: m.Addr()})
	return rc, func() { rc.Close(); m.Close() }, nil
}

// openIngestDB connects to --db / $DATABASE_URL, or starts a throwaway
// cluster with a migrated database. In loop mode a PostgreSQL that does not
// answer yet is waited for with backoff, as the loop does for a lost one,
// so a service manager never sees a crash loop; a nil pool with no error
// means the wait was interrupted. only (--only's groups, nil: all) sets
// the privileges checked.
func openIngestDB(ctx context.Context, c *cli.Context, loop bool, only []string) (*pgxpool.Pool, func(), error) {
	dsn := c.String("db")
	if dsn == "" {
		dsn = os.Getenv("DATABASE_URL")
	}
	// Neither: libpq's environment, as psql and migrate read it, when it
	// names a server or database; a throwaway PostgreSQL only when it
	// does not (a loop writing into a throwaway database loses it all).
	//
	// Except for one pass replaying a dump (make run, a developer trying
	// the ingest): a shell that sets PGHOST for psql's convenience must not
	// get the test site's rows written into the real database. --db ''
	// asks for the environment there.
	env := migrations.LibpqEnv()
	fromEnv := dsn == "" && env != ""
	if fromEnv && c.String("rdb") != "" && !loop && !c.IsSet("db") {
		fromEnv = false
		fmt.Fprintf(c.App.ErrWriter, "ingest: %s set, but one pass replaying a dump writes to a throwaway "+
			"PostgreSQL unless --db or $DATABASE_URL names a database (--db '' uses libpq's environment)\n", env)
	}
	migrate := c.Bool("migrate")
	var cleanup []func()
	done := func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}
	if dsn == "" && !fromEnv {
		cl, err := pgfixture.StartCluster(ctx, "")
		if err != nil {
			if errors.Is(err, pgfixture.ErrNoServer) {
				return nil, nil, cli.Exit("ingest: no --db, no $DATABASE_URL and no PostgreSQL server binaries "+
					"to start a throwaway one (apt-get install postgresql)", exitError)
			}
			return nil, nil, cli.Exit(fmt.Sprintf("ingest: throwaway PostgreSQL: %v", err), exitError)
		}
		cleanup = append(cleanup, func() { cl.Stop() })
		if err := cl.CreateDatabase(ctx, "hera_mc"); err != nil {
			done()
			return nil, nil, cli.Exit(fmt.Sprintf("ingest: throwaway PostgreSQL: %v", err), exitError)
		}
		dsn = cl.DSN("hera_mc")
		migrate = true
		fmt.Fprintln(c.App.ErrWriter, "ingest: using a throwaway PostgreSQL (removed on exit)")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		done()
		return nil, nil, cli.Exit(fmt.Sprintf("ingest: --db: invalid DSN: %s%s", migrations.Redact(err.Error(), dsn), migrations.NumberDSNHint(dsn)), exitError)
	}
	if err := migrations.CheckHosts(&cfg.ConnConfig.Config); err != nil {
		done()
		return nil, nil, cli.Exit("ingest: --db: "+err.Error(), exitError)
	}
	if cfg.ConnConfig.ConnectTimeout <= 0 {
		cfg.ConnConfig.ConnectTimeout = migrations.DefaultConnectTimeout
	}
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" { // as migrate's: the DSN's or PGAPPNAME wins
		cfg.ConnConfig.RuntimeParams["application_name"] = "rdbtool"
	}
	where := dbWhere(cfg)
	db, err := pgxpool.NewWithConfig(ctx, cfg) // connects lazily
	if err != nil {
		done()
		return nil, nil, cli.Exit(fmt.Sprintf("ingest: --db %s: %s", where, migrations.Redact(err.Error(), dsn)), exitError)
	}
	cleanup = append(cleanup, db.Close)
	waits, waitStart := 0, time.Time{}
	for backoff := time.Second; ; backoff = min(2*backoff, time.Minute) {
		var err error
		if migrate { // the tables first, then what the role may do with them
			if err = prepareIngestDB(ctx, db, true); err == nil {
				err = checkIngestRole(ctx, db, only)
			}
		} else if err = checkIngestRole(ctx, db, only); err == nil { // the schema check reads goose_db_version
			err = prepareIngestDB(ctx, db, false)
		}
		if err == nil {
			if waits > 0 {
				fmt.Fprintf(c.App.ErrWriter, "ingest: PostgreSQL %s answers after %v and %d failed attempt(s)\n",
					where, time.Since(waitStart).Round(time.Second), waits)
			}
			return db, done, nil
		}
		msg := migrations.RedactConfig(dbCause(err), dsn, &cfg.ConnConfig.Config)
		var ns *noSchemaError
		if errors.As(err, &ns) {
			done()
			return nil, nil, cli.Exit(fmt.Sprintf("ingest: %s has no hera_mc schema%s", migrations.Where(&cfg.ConnConfig.Config), ns.hint), exitError)
		}
		var re *roleError
		if errors.As(err, &re) {
			done()
			return nil, nil, cli.Exit(fmt.Sprintf("ingest: %s: %s (nothing was written)", migrations.Where(&cfg.ConnConfig.Config), re.msg), exitError)
		}
		var old *oldSchemaError
		if errors.As(err, &old) {
			done()
			return nil, nil, cli.Exit(fmt.Sprintf("ingest: %s has the hera_mc schema at version %d; this rdbtool writes version %d: "+
				"run rdbtool migrate up, or pass --migrate (nothing was written)", migrations.Where(&cfg.ConnConfig.Config), old.have, old.want), exitError)
		}
		if !loop || !unreachable(err) {
			done()
			if migrate {
				msg += migrateHint(err, dsn) // --migrate refused: the same advice as migrate up
			}
			return nil, nil, cli.Exit(fmt.Sprintf("ingest: --db %s: %s", where, msg), exitError)
		}
		if waits == 0 { // said once, not once per retry; its end is said too
			waitStart = time.Now()
			fmt.Fprintf(c.App.ErrWriter, "ingest: PostgreSQL %s not reachable (%s); retrying in %v, then with backoff up to 1m0s (not logged again until it answers)\n", where, msg, backoff)
		}
		waits++
		if sleepOrDone(ctx, backoff) {
			done()
			return nil, nil, nil
		}
	}
}

// noSchemaError: the database has no hera_mc tables the session can see;
// hint says where they are if elsewhere, else to migrate.
type noSchemaError struct{ hint string }

func (e *noSchemaError) Error() string { return "no hera_mc schema" + e.hint }

// schemaHint says why daemon_status is not found through the search_path:
// it is in a schema the role may not use, or one not on its search_path,
// or nowhere (then: migrate).
func schemaHint(ctx context.Context, db *pgxpool.Pool) string {
	var schema string
	var usable bool
	err := db.QueryRow(ctx, `SELECT n.nspname, has_schema_privilege(n.oid, 'USAGE') FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'daemon_status' AND c.relkind IN ('r', 'p')
		ORDER BY 2 DESC, 1 LIMIT 1`).Scan(&schema, &usable)
	if err != nil { // none: not migrated
		return ": run rdbtool migrate up, or pass --migrate"
	}
	var user, path string
	db.QueryRow(ctx, "SELECT current_user, current_setting('search_path')").Scan(&user, &path)
	if !usable {
		return fmt.Sprintf(" it may use: the tables are in schema %s, on which role %s lacks USAGE (GRANT USAGE ON SCHEMA %s TO %s)",
			schema, user, pgIdent(schema), pgIdent(user))
	}
	return fmt.Sprintf(" on its search_path (%s): the tables are in schema %s; add options=-csearch_path=%s to the DSN, "+
		"or ALTER ROLE %s SET search_path = %s", path, schema, schema, pgIdent(user), pgIdent(schema))
}

// pgIdent quotes a PostgreSQL identifier only when it must be, so a
// GRANT line reads as a DBA would type it.
func pgIdent(s string) string {
	if simpleIdent.MatchString(s) {
		return s
	}
	return pgx.Identifier{s}.Sanitize()
}

var simpleIdent = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// roleError: the session cannot write what the ingest writes (a read-only
// session, a missing privilege); waiting does not fix it.
type roleError struct{ msg string }

func (e *roleError) Error() string { return e.msg }

// checkIngestRole refuses, before the first pass, a session that cannot
// write: read-only (default_transaction_read_only, a hot standby), or a
// role missing a privilege on a table the selected groups (and every pass:
// daemon_status, subsystem_error) use, or SELECT on goose_db_version, which
// the start-up schema check reads. The message gives the GRANTs.
func checkIngestRole(ctx context.Context, db *pgxpool.Pool, only []string) error {
	var readOnly, standby bool
	var user string
	if err := db.QueryRow(ctx, "SELECT current_setting('transaction_read_only') = 'on', pg_is_in_recovery(), current_user").
		Scan(&readOnly, &standby, &user); err != nil {
		return err
	}
	if standby {
		return &roleError{"the server is a hot standby (read-only): the ingest writes; give the primary's DSN " +
			"(with several hosts, target_session_attrs=read-write picks it)"}
	}
	if readOnly {
		return &roleError{fmt.Sprintf("sessions of role %s are read-only (default_transaction_read_only is on for the role, "+
			"the database or the server): the ingest writes; ALTER ROLE %s SET default_transaction_read_only = off, "+
			"or use a role that may write", user, pgIdent(user))}
	}
	need, err := ingest.Privileges(only)
	if err != nil {
		return err
	}
	// The start-up schema check reads the migration version.
	need = append(need, ingest.TablePrivilege{Table: migrations.VersionTable, Privileges: []string{"SELECT"}})
	var ts, ps []string
	for _, tp := range need {
		for _, p := range tp.Privileges {
			ts, ps = append(ts, tp.Table), append(ps, p)
		}
	}
	rows, err := db.Query(ctx, `SELECT t, p FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(t, p, i)
		WHERE to_regclass(quote_ident(t)) IS NOT NULL AND NOT has_table_privilege(to_regclass(quote_ident(t)), p) ORDER BY i`, ts, ps)
	if err != nil {
		return err
	}
	missing := map[string][]string{} // table -> privileges
	var order []string
	for rows.Next() {
		var t, p string
		if err := rows.Scan(&t, &p); err != nil {
			rows.Close()
			return err
		}
		if missing[t] == nil {
			order = append(order, t)
		}
		missing[t] = append(missing[t], p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(order) == 0 {
		return nil
	}
	// One GRANT per set of privileges, naming its tables.
	var grants []string
	bySet := map[string][]string{}
	for _, t := range order {
		k := strings.Join(missing[t], ", ")
		if bySet[k] == nil {
			grants = append(grants, k)
		}
		bySet[k] = append(bySet[k], t)
	}
	for i, k := range grants {
		grants[i] = fmt.Sprintf("GRANT %s ON %s TO %s;", k, strings.Join(bySet[k], ", "), pgIdent(user))
	}
	return &roleError{fmt.Sprintf("role %s lacks privileges the ingest needs on %d table(s); as the tables' owner run: %s",
		user, len(order), strings.Join(grants, " "))}
}

// oldSchemaError: the database records an older migration version than the
// latest this binary knows (a pass would fail on the missing tables).
type oldSchemaError struct{ have, want int64 }

func (e *oldSchemaError) Error() string {
	return fmt.Sprintf("schema at version %d, want %d", e.have, e.want)
}

// prepareIngestDB migrates the database, or checks that it has the schema:
// the tables, and, when it records its migration version (a database
// adopted from hera_mc without `migrate stamp` does not), not an older one.
func prepareIngestDB(ctx context.Context, db *pgxpool.Pool, migrate bool) error {
	m, err := migrations.NewFromPool(db)
	if err != nil {
		return err
	}
	defer m.Close()
	if migrate {
		_, err = m.Up(ctx)
		return err
	}
	var reg, versions *string
	if err := db.QueryRow(ctx, `SELECT to_regclass('daemon_status')::text, to_regclass($1)::text`,
		migrations.VersionTable).Scan(&reg, &versions); err != nil {
		return err
	}
	if reg == nil {
		return &noSchemaError{schemaHint(ctx, db)}
	}
	if versions != nil {
		v, err := m.Version(ctx)
		if err != nil {
			return err
		}
		if v < m.Latest() {
			return &oldSchemaError{v, m.Latest()}
		}
	}
	return nil
}

// unreachable tells a server that does not answer (or is starting, shutting
// down, or full) from one that refuses us for a reason waiting cannot fix:
// a wrong password, a missing database, an SQL error.
func unreachable(err error) bool {
	if errors.Is(err, migrations.ErrDatabaseNewer) { // it answered: a newer rdbtool migrated it
		return false
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return true
	}
	switch pe.Code[:2] {
	case "08", "53", "57": // connection exception, insufficient resources, operator intervention
		return true
	}
	return false
}

// dbCause is err without pgconn's wrapper (whose text repeats the settings),
// on one line.
func dbCause(err error) string { return oneLine(migrations.ConnectCause(err)) }

// dbWhere names the database and server of cfg, never the password.
func dbWhere(cfg *pgxpool.Config) string { return "(" + migrations.Where(&cfg.ConnConfig.Config) + ")" }
