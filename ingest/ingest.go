package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// Options configure one pass.
type Options struct {
	// Now is the clock (default time.Now). Rows the reference stamps with the
	// current time (file queues, EOD, stop_timeout, daemon_status,
	// subsystem_error) use it.
	Now func() time.Time
	// Only selects groups by group name (see Groups) or set name
	// (correlator, autos, nodes, daemons). Empty means all.
	Only []string
	// Hostname is daemon_status.hostname for the pass's own rows (default
	// os.Hostname()).
	Hostname string
	// Logf, when set, receives one line per group failure (and, in Loop,
	// per pass that could not start or whose later groups were not run;
	// in ListenLog, per message not stored).
	Logf func(format string, args ...any)

	// perRowInserts makes every table write one INSERT per row (the
	// benchmark's baseline).
	perRowInserts bool
	// perRowBeside runs the baseline's autos group beside the others too
	// (the benchmark's second baseline).
	perRowBeside bool
}

// Daemon names used in daemon_status, as the original daemons call
// themselves there (their subsystem_error rows use other names: see
// errorSubsystem).
const (
	DaemonCorrelator = "mc_monitor_correlator"
	DaemonNodes      = "mc_monitor_nodes"
	DaemonDaemons    = "mc_monitor_daemons"
	DaemonLogger     = "mc_listen_to_corr_logger"

	statusGood    = "good"
	statusErrored = "errored"
)

// StatusNotRun is GroupResult.Status of a group a pass did not run because
// Redis or PostgreSQL stopped answering earlier in that pass.
const StatusNotRun = "not run"

// Group is one unit of work of a pass: it reads Redis, then writes its tables
// in one transaction. A failing group is rolled back alone.
type Group struct {
	Name   string   // e.g. "snap_status"
	Set    string   // correlator, autos, nodes, daemons
	Daemon string   // the original daemon that did this work
	Tables []string // tables it writes
	run    func(g *gctx) error
}

// Groups lists every group in the order a pass runs them (the original
// daemons' command order).
func Groups() []Group {
	return []Group{
		{"signal_source", "correlator", DaemonCorrelator, []string{"array_signal_source"}, runSignalSource},
		{"event_time", "correlator", DaemonCorrelator, []string{"correlator_component_event_time"}, runEventTime},
		{"catcher_file", "correlator", DaemonCorrelator, []string{"correlator_catcher_file"}, runCatcherFile},
		{"file_queues", "correlator", DaemonCorrelator, []string{"correlator_file_queues"}, runFileQueues},
		{"file_eod", "correlator", DaemonCorrelator, []string{"correlator_file_eod"}, runFileEOD},
		{"config", "correlator", DaemonCorrelator, configTables, runConfig},
		{"snap_status", "correlator", DaemonCorrelator, []string{"snap_status", "snap_input"}, runSnapStatus},
		{"feng_init", "correlator", DaemonCorrelator, []string{"snap_feng_init_status"}, runFengInit},
		{"versions", "correlator", DaemonCorrelator, append([]string{"correlator_software_versions", "snap_config_version"}, configTables...), runVersions},
		{"antenna_status", "correlator", DaemonCorrelator, []string{"antenna_status"}, runAntennaStatus},
		{"autos", "autos", DaemonCorrelator, []string{"hera_autos", "hera_auto_spectrum"}, runAutos},
		{"node_sensor", "nodes", DaemonNodes, []string{"node_sensor"}, runNodeSensor},
		{"node_power_status", "nodes", DaemonNodes, []string{"node_power_status"}, runNodePowerStatus},
		{"node_power_command", "nodes", DaemonNodes, []string{"node_power_command"}, runNodePowerCommand},
		{"node_white_rabbit", "nodes", DaemonNodes, []string{"node_white_rabbit_status"}, runNodeWhiteRabbit},
		{"daemons", "daemons", DaemonDaemons, []string{"daemon_status"}, runDaemons},
	}
}

// SelectGroups returns the groups named by only (group or set names).
func SelectGroups(only []string) ([]Group, error) {
	all := Groups()
	if len(only) == 0 {
		return all, nil
	}
	want := map[string]bool{}
	for _, o := range only {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		found := false
		for _, g := range all {
			if g.Name == o || g.Set == o {
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown group %q (groups: %s)", o, strings.Join(groupNames(), ", "))
		}
		want[o] = true
	}
	var out []Group
	for _, g := range all {
		if want[g.Name] || want[g.Set] {
			out = append(out, g)
		}
	}
	return out, nil
}

func groupNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, g := range Groups() {
		for _, n := range []string{g.Set, g.Name} {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// pass holds what every group of one pass shares.
type pass struct {
	ctx      context.Context
	rdb      redis.UniversalClient
	db       *pgxpool.Pool
	opts     Options
	now      time.Time
	nowGPS   int64   // floor(gps(now))
	nowGPSF  float64 // gps(now), unfloored
	hostname string
	rep      *Report

	corrMap     *corrMap
	corrMapDone bool
	snapHashes  map[string]map[string]string // status:snap:* hashes read by snap_status
}

// Run does one ingest pass: every selected group in order (the autos group
// beside the others, see below), each in its own transaction, then the
// daemon_status rows of the daemons it stood in for.
// The report is returned whenever the pass ran, with or without error; the
// error joins the failed groups' errors. Before the pass starts, an unknown
// name in opts.Only or an opts.Now outside the leap-second table gives a
// nil report and an error, and nothing is written.
// When a group fails and Redis or PostgreSQL then does not answer a ping,
// the later groups are not run (GroupResult.Status StatusNotRun, their
// daemons recorded errored) and the error also wraps ErrConnection.
func Run(ctx context.Context, rdb redis.UniversalClient, db *pgxpool.Pool, opts Options) (*Report, error) {
	groups, err := SelectGroups(opts.Only)
	if err != nil {
		return nil, err
	}
	p := &pass{ctx: ctx, rdb: rdb, db: db, opts: opts, rep: &Report{}}
	if err := p.setClock(opts); err != nil {
		return nil, err
	}
	p.rep.Start = p.now
	started := time.Now()

	// The autos group reads only auto:* keys and writes only its own two
	// tables, and storing the spectra is most of a pass's work, all in one
	// backend (one transaction). So it runs beside the other groups, on its
	// own connection; they keep the original order. The baseline
	// (perRowInserts) keeps the original's single sequence unless
	// perRowBeside.
	outcomes := make([]*groupOutcome, len(groups))
	aside := -1
	if (!opts.perRowInserts || opts.perRowBeside) && len(groups) > 1 {
		aside = slices.IndexFunc(groups, func(gr Group) bool { return gr.Set == "autos" })
	}
	asideDone := make(chan struct{})
	if aside < 0 {
		close(asideDone)
	} else {
		go func() {
			defer close(asideDone)
			if ctx.Err() == nil {
				outcomes[aside] = p.runGroup(groups[aside])
			}
		}()
	}
	// A group that fails because Redis or PostgreSQL stopped answering
	// would be followed by every later group failing the same way, each
	// recorded on its own and each waiting out a dial timeout: once a
	// failed group leaves a server that does not answer a ping, the rest of
	// the pass is not run (Loop retries with backoff).
	var lost error
	notRun := make([]bool, len(groups))
	nNotRun := 0
	for i, gr := range groups {
		if i == aside {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		if lost != nil {
			notRun[i] = true
			nNotRun++
			continue
		}
		outcomes[i] = p.runGroup(gr)
		if outcomes[i].err != nil {
			lost = p.unreachable()
		}
	}
	<-asideDone

	var errs []error
	daemonOK := map[string]bool{}
	var daemons []string
	cancelled := false
	for i, gr := range groups {
		o := outcomes[i]
		if o == nil && notRun[i] {
			if _, seen := daemonOK[gr.Daemon]; !seen {
				daemons = append(daemons, gr.Daemon)
			}
			daemonOK[gr.Daemon] = false
			p.rep.Groups = append(p.rep.Groups, GroupResult{Name: gr.Name, Daemon: gr.Daemon, Status: StatusNotRun, Error: lost.Error()})
			continue
		}
		if o == nil { // not started: the pass was cancelled
			cancelled = true
			p.rep.Groups = append(p.rep.Groups, GroupResult{Name: gr.Name, Daemon: gr.Daemon, Status: StatusNotRun, Error: "pass " + context.Cause(ctx).Error()})
			continue
		}
		if _, seen := daemonOK[gr.Daemon]; !seen {
			daemonOK[gr.Daemon] = true
			daemons = append(daemons, gr.Daemon)
		}
		res := o.res
		if o.err != nil && o.cut {
			// Cut short: rolled back, not a failure to record (nor can
			// it be, with ctx done).
			cancelled = true
			res.Error = "pass " + context.Cause(ctx).Error() + "; rolled back: " + res.Error
		} else if o.err != nil {
			daemonOK[gr.Daemon] = false
			errs = append(errs, fmt.Errorf("%s: %w", gr.Name, o.err))
			if opts.Logf != nil {
				opts.Logf("ingest: group %s failed: %v", gr.Name, o.err)
			}
			if e := p.recordError(gr.Daemon, fmt.Sprintf("group %s: %v", gr.Name, o.err)); e != nil {
				errs = append(errs, fmt.Errorf("%s: recording the error: %w", gr.Name, p.withPrivilegeHint(e)))
			}
		} else {
			for _, t := range gr.Tables {
				p.rep.add(t, o.g.pending[t])
			}
			p.rep.Skipped = append(p.rep.Skipped, o.g.skips...)
		}
		p.rep.Groups = append(p.rep.Groups, res)
	}
	if nNotRun > 0 {
		errs = append(errs, fmt.Errorf("%w: %d group(s) not run: %v", ErrConnection, nNotRun, lost))
	}
	if cancelled {
		errs = append(errs, context.Cause(ctx))
		p.rep.Duration = time.Since(started)
		return p.rep, errors.Join(errs...)
	}
	for _, d := range daemons {
		st := statusGood
		if !daemonOK[d] {
			st = statusErrored
		}
		n, err := p.upsertDaemonStatus([]daemonRow{{d, p.hostname, st}})
		if err != nil {
			errs = append(errs, fmt.Errorf("daemon_status: %w", p.withPrivilegeHint(err)))
		}
		p.rep.add("daemon_status", n)
	}
	p.rep.Duration = time.Since(started)
	return p.rep, errors.Join(errs...)
}

// unreachable checks, after a group failed, that Redis and PostgreSQL
// still answer; it returns which does not, and why.
func (p *pass) unreachable() error {
	redisErr, pgErr := pingBoth(p.ctx, p.rdb, p.db)
	if redisErr != nil {
		return fmt.Errorf("Redis does not answer: %v", redisErr)
	}
	if pgErr != nil {
		return fmt.Errorf("PostgreSQL does not answer: %v", pgErr)
	}
	return nil
}

// groupOutcome is what one group's run left for the report.
type groupOutcome struct {
	g   *gctx
	res GroupResult
	err error
	cut bool // the pass's ctx was done when the group ended (a stop, PassTimeout)
}

// runGroup runs one group; its rows and skips reach the report only if it
// committed.
func (p *pass) runGroup(gr Group) *groupOutcome {
	g := &gctx{pass: p, group: gr, pending: map[string]int64{}}
	for _, t := range gr.Tables {
		g.pending[t] += 0
	}
	start := time.Now()
	err := p.withPrivilegeHint(withSchemaHint(gr.run(g)))
	res := GroupResult{Name: gr.Name, Daemon: gr.Daemon, Status: statusGood, Duration: time.Since(start), WriteTime: g.txTime}
	if err != nil {
		res.Status, res.Error = statusErrored, err.Error()
	}
	return &groupOutcome{g: g, res: res, err: err, cut: p.ctx.Err() != nil}
}

// setClock reads the clock and the hostname once for the pass.
func (p *pass) setClock(opts Options) error {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p.now = opts.Now()
	var err error
	if p.nowGPSF, err = gpsFromTime(p.now); err != nil {
		return fmt.Errorf("clock: %w", err)
	}
	p.nowGPS, _ = FloorGPSTime(p.now)
	p.hostname = opts.Hostname
	if p.hostname == "" {
		p.hostname, _ = os.Hostname()
	}
	p.hostname = truncate32(p.hostname)
	if p.rep == nil {
		p.rep = &Report{}
	}
	return nil
}

// gctx is one group's working state: skips and row counts are only merged
// into the report when the group's transaction commits.
type gctx struct {
	*pass
	group   Group
	skips   []Skip
	seen    map[Skip]bool
	pending map[string]int64
	txTime  time.Duration
}

func (g *gctx) skip(table, key, field, reason string) {
	g.note(Skip{Group: g.group.Name, Table: table, Key: key, Field: field, Action: "skipped", Reason: reason})
}

func (g *gctx) null(table, key, field, reason string) {
	g.note(Skip{Group: g.group.Name, Table: table, Key: key, Field: field, Action: "null", Reason: reason})
}

// note records a skip once: a field read for several rows (a FEM id shared
// by two polarisations) is reported one time.
func (g *gctx) note(s Skip) {
	if g.seen == nil {
		g.seen = map[Skip]bool{}
	}
	if !g.seen[s] {
		g.seen[s] = true
		g.skips = append(g.skips, s)
	}
}

// tx runs fn in one transaction, rolled back on any error.
func (g *gctx) tx(fn func(tx pgx.Tx) error) error {
	start := time.Now()
	defer func() { g.txTime += time.Since(start) }()
	tx, err := g.db.Begin(g.ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(g.ctx))
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(g.ctx)
}

// write inserts rows (insert-ignore) and counts the new ones.
func (g *gctx) write(tx pgx.Tx, ts ...*tableRows) error {
	for _, t := range ts {
		var n int64
		var err error
		if g.opts.perRowInserts {
			n, err = insertEachRow(g.ctx, tx, t)
		} else {
			n, err = insertIgnore(g.ctx, tx, t)
		}
		if err != nil {
			return err
		}
		g.pending[t.table] += n
	}
	return nil
}

// writeAll is a group's whole write: all tables in one transaction (one
// pipelined round trip, see batchWrite; the baseline's statements one by
// one).
func (g *gctx) writeAll(ts ...*tableRows) error {
	if !g.opts.perRowInserts {
		return g.batchWrite(ts...)
	}
	return g.tx(func(tx pgx.Tx) error { return g.write(tx, ts...) })
}

// ---------------------------------------------------------------------------
// Redis reading. A key of the wrong type is a bad record (reported, nil
// result); any other Redis error fails the group.

func isWrongType(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE")
}

// hgetall reads a hash; missing keys give an empty map. ok is false when the
// key has the wrong type (already reported).
func (g *gctx) hgetall(table, key string) (h map[string]string, ok bool, err error) {
	h, err = g.rdb.HGetAll(g.ctx, key).Result()
	if isWrongType(err) {
		g.skip(table, key, "", "wrong Redis type: "+g.keyType(key)+", want hash")
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("HGETALL %s: %w", key, err)
	}
	return h, true, nil
}

// requireHash reads a hash that a record needs whole: a missing key, or
// the first of fields that is missing, is reported and ok is false.
func (g *gctx) requireHash(table, key string, fields ...string) (h map[string]string, ok bool, err error) {
	h, ok, err = g.hgetall(table, key)
	if err != nil || !ok {
		return nil, false, err
	}
	if len(h) == 0 {
		g.skip(table, key, "", "key missing")
		return nil, false, nil
	}
	for _, f := range fields {
		if _, has := h[f]; !has {
			g.skip(table, key, f, "field missing")
			return nil, false, nil
		}
	}
	return h, true, nil
}

// get reads a string key; exists is false for a missing key, ok false for a
// wrong type (reported).
func (g *gctx) get(table, key string) (v string, exists, ok bool, err error) {
	v, err = g.rdb.Get(g.ctx, key).Result()
	if err == redis.Nil {
		return "", false, true, nil
	}
	if isWrongType(err) {
		g.skip(table, key, "", "wrong Redis type: "+g.keyType(key)+", want string")
		return "", false, false, nil
	}
	if err != nil {
		return "", false, false, fmt.Errorf("GET %s: %w", key, err)
	}
	return v, true, true, nil
}

func (g *gctx) keyType(key string) string {
	t, err := g.rdb.Type(g.ctx, key).Result()
	if err != nil {
		return "unknown"
	}
	return t
}

// scan returns the keys matching pattern, sorted.
func (g *gctx) scan(pattern string) ([]string, error) {
	var keys []string
	var cursor uint64
	seen := map[string]bool{}
	for {
		ks, next, err := g.rdb.Scan(g.ctx, cursor, pattern, 1000).Result()
		if err != nil {
			return nil, fmt.Errorf("SCAN %s: %w", pattern, err)
		}
		for _, k := range ks {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	sort.Strings(keys)
	return keys, nil
}

// hgetallMany reads many hashes in one pipeline. Wrong-type keys are reported
// and left out of the result.
func (g *gctx) hgetallMany(table string, keys []string) (map[string]map[string]string, error) {
	out := make(map[string]map[string]string, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	pipe := g.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.HGetAll(g.ctx, k)
	}
	pipe.Exec(g.ctx) // per-command errors are looked at below
	for i, c := range cmds {
		if err := c.Err(); err != nil && !isWrongType(err) {
			return nil, fmt.Errorf("HGETALL %s: %w", keys[i], err)
		}
	}
	for i, c := range cmds {
		if isWrongType(c.Err()) {
			g.skip(table, keys[i], "", "wrong Redis type: "+g.keyType(keys[i])+", want hash")
			continue
		}
		out[keys[i]] = c.Val()
	}
	return out, nil
}

// truncate32 cuts s to the 32 characters a varchar(32) holds (PostgreSQL
// counts characters, not bytes, and refuses a cut inside one).
func truncate32(s string) string {
	n := 0
	for i := range s {
		if n == 32 {
			return s[:i]
		}
		n++
	}
	return s
}

// notText is the reason given for a value PostgreSQL would refuse as text.
const notText = "not UTF-8 text (or holds a NUL byte)"

// isText reports whether s can be stored in a text column: PostgreSQL
// refuses invalid UTF-8 and NUL bytes, and such a value would fail its
// whole group's write.
func isText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// silentNull reports values the writers use for "no value": converting them
// gives NULL without a report.
func silentNull(s string) bool {
	switch strings.TrimSpace(s) {
	case "", "None", "none", "null", "NULL", "Null", "UNKNOWN":
		return true
	}
	return false
}

// schemaError is a table or column the ingest writes that the database
// does not have.
type schemaError string

func (e schemaError) Error() string { return string(e) }

// withSchemaHint adds what to do to an error that comes from a missing
// table or column (a database migrated down, or restored from an older
// dump, under the running loop): the same words the command's start-up
// check uses.
func withSchemaHint(err error) error {
	var se schemaError
	var pe *pgconn.PgError
	if errors.As(err, &se) || (errors.As(err, &pe) && (pe.Code == "42P01" || pe.Code == "42703")) { // undefined table, column
		return fmt.Errorf("%w (the hera_mc schema is missing or older than this rdbtool: run rdbtool migrate up)", err)
	}
	return err
}

// extraPrivileges is what the ingest does to a table beyond SELECT and
// INSERT, which it needs on every table it writes: upserts (UPDATE), the
// autos' LOCK TABLE ... IN SHARE ROW EXCLUSIVE MODE (which PostgreSQL
// allows with UPDATE, DELETE or TRUNCATE), the stop_timeout clean-up
// (DELETE). It takes no sequence values, creates nothing (no temporary
// tables) and sets only default_toast_compression, for its own
// transaction.
var extraPrivileges = map[string][]string{
	"daemon_status":                   {"UPDATE"},
	"correlator_file_eod":             {"UPDATE"},
	"hera_autos":                      {"UPDATE"},
	"hera_auto_spectrum":              {"UPDATE"},
	"correlator_component_event_time": {"DELETE"},
}

// tablePrivileges is what the ingest needs on table t.
func tablePrivileges(t string) []string {
	return append([]string{"SELECT", "INSERT"}, extraPrivileges[t]...)
}

// TablePrivilege is a table and the privileges the ingest needs on it.
type TablePrivilege struct {
	Table      string
	Privileges []string // SELECT, INSERT, and UPDATE or DELETE where needed
}

// Privileges lists the table privileges a pass of the groups only selects
// (see Options.Only) needs, and ListenLog's too: daemon_status and
// subsystem_error are written by every pass.
func Privileges(only []string) ([]TablePrivilege, error) {
	groups, err := SelectGroups(only)
	if err != nil {
		return nil, err
	}
	tables := []string{"daemon_status", "subsystem_error"}
	for _, g := range groups {
		for _, t := range g.Tables {
			if !slices.Contains(tables, t) {
				tables = append(tables, t)
			}
		}
	}
	out := make([]TablePrivilege, len(tables))
	for i, t := range tables {
		out[i] = TablePrivilege{t, tablePrivileges(t)}
	}
	return out, nil
}

// withPrivilegeHint adds to a refused statement what to grant, or why the
// session cannot write: PostgreSQL's "permission denied for table X"
// names neither the role nor the privilege; and to one a statement_timeout
// or lock_timeout ended, its value and how to lift it for the ingest.
func (p *pass) withPrivilegeHint(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	user := p.db.Config().ConnConfig.User
	switch {
	case pe.Code == "42501" && strings.HasPrefix(pe.Message, "permission denied for table "):
		table := strings.TrimPrefix(pe.Message, "permission denied for table ")
		privs := strings.Join(tablePrivileges(table), ", ")
		return fmt.Errorf("%w (the ingest's role %s needs %s on %s: GRANT %s ON %s TO %s)", err, user, privs, table,
			privs, table, pgx.Identifier{user}.Sanitize())
	case pe.Code == "25006":
		return fmt.Errorf("%w (the session is read-only: default_transaction_read_only is on, or the server is a hot standby; "+
			"the ingest needs the primary and a role that may write)", err)
	case pe.Code == "57014" && strings.Contains(pe.Message, "statement timeout"),
		pe.Code == "55P03" && strings.Contains(pe.Message, "lock timeout"):
		// A limit the DBA set for the role, the database or the server:
		// say which, its value, and how to lift it for the ingest alone.
		name := "statement_timeout"
		if pe.Code == "55P03" {
			name = "lock_timeout"
		}
		var v string
		if e := p.db.QueryRow(context.WithoutCancel(p.ctx), "SELECT current_setting($1)", name).Scan(&v); e != nil {
			v = "set"
		}
		return fmt.Errorf("%w (%s is %s for this session; for the ingest's role alone: ALTER ROLE %s SET %s = 0, or a value "+
			"longer than a pass's longest group)", err, name, v, pgx.Identifier{user}.Sanitize(), name)
	}
	return err
}
