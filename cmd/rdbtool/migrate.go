package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/migrations"
)

func init() { register(migrateCommand()) }

func migrateCommand() *cli.Command {
	// Fresh flag values per command: urfave/cli keeps state in them.
	dbFlag := func() cli.Flag {
		return &cli.StringFlag{Name: "db", Usage: "PostgreSQL `DSN` (URL or key=value form; default $DATABASE_URL, else the PG* variables as psql reads them)"}
	}
	yesFlag := func() cli.Flag {
		return &cli.BoolFlag{Name: "yes", Usage: "confirm a rollback to version 0, or any rollback on a server that is not this machine"}
	}
	dirFlag := func(usage string) cli.Flag { return &cli.StringFlag{Name: "dir", Usage: usage} }
	jsonFlag := func() cli.Flag {
		return &cli.BoolFlag{Name: "json", Usage: "print the report as one JSON object on stdout (see above)"}
	}
	sub := func(name, args, usage string, action cli.ActionFunc, flags ...cli.Flag) *cli.Command {
		if args == "" {
			action = noArguments(name, action)
		}
		// fileCommand (files.go): flags before or after the argument, `migrate to 3 --db DSN`
		return fileCommand(&cli.Command{Name: name, ArgsUsage: args, Usage: usage, Action: action, Flags: flags,
			UsageText: migrateUsage(name, args, flags), Description: migrateHelp[name], HideHelpCommand: true})
	}
	return &cli.Command{
		Name:            "migrate",
		Usage:           "create, upgrade, roll back and inspect the PostgreSQL schema the ingest writes",
		UsageText:       "rdbtool migrate up|down|to|status|version|stamp|create|lint [--db DSN] [ARG]",
		HideHelpCommand: true,
		Description: "The schema (hera_mc's 25 tables and correlator_config_yaml) is built into rdbtool as\n" +
			"numbered SQL migrations; the database records its version in goose_db_version.\n" +
			"Every migration runs in a transaction, and concurrent runs on one database take turns.\n" +
			"Rolling back to version 0, or rolling back at all on a server other than this machine\n" +
			"(not localhost, not a unix socket), needs --yes; without it nothing changes (exit 2).\n\n" +
			"The database: --db DSN, else $DATABASE_URL, else libpq's environment alone when PGHOST,\n" +
			"PGHOSTADDR, PGPORT, PGDATABASE or PGSERVICE is set. As with psql, what the DSN leaves out\n" +
			"comes from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSERVICE (PGSERVICEFILE),\n" +
			"PGSSLMODE, PGAPPNAME, PGCONNECT_TIMEOUT, ..., and a password from PGPASSFILE or ~/.pgpass;\n" +
			"what the DSN says wins. A unix socket: host=/var/run/postgresql, or\n" +
			"postgres://%2Fvar%2Frun%2Fpostgresql/hera_mc.\n" +
			"The tables and goose_db_version go to the first schema on the session's search_path\n" +
			"(another than public: options=-csearch_path=mc in the DSN, or ALTER ROLE ... SET search_path).\n\n" +
			"Examples:\n" +
			"  rdbtool migrate up --db postgres://mc@localhost/hera_mc\n" +
			"  DATABASE_URL=postgres:///hera_mc rdbtool migrate status\n" +
			"  rdbtool migrate down --steps 2\n" +
			"  rdbtool migrate stamp 5     # adopt a database built by hand at version 5\n" +
			"  rdbtool migrate create add_node_humidity --dir migrations/sql\n" +
			"  rdbtool migrate lint --dir migrations/sql",
		Flags: []cli.Flag{dbFlag()},
		Subcommands: []*cli.Command{
			sub("up", "", "apply every pending migration", migrateUp, dbFlag(), jsonFlag()),
			sub("down", "", "roll back the last migration, or the last N with --steps", migrateDown, dbFlag(), yesFlag(),
				&cli.IntFlag{Name: "steps", Value: 1, Usage: "roll back `N` migrations"}, jsonFlag()),
			sub("to", "VERSION", "migrate up or down to VERSION (0 = nothing applied)", migrateTo, dbFlag(), yesFlag(), jsonFlag()),
			sub("status", "", "list the migrations, applied (with when) and pending", migrateStatus, dbFlag(), jsonFlag()),
			sub("version", "", "print the database's current version", migrateVersion, dbFlag(), jsonFlag()),
			sub("stamp", "VERSION", "record VERSION as applied without running anything (adopt an existing database)", migrateStamp,
				dbFlag(), jsonFlag()),
			sub("create", "NAME", "write the next numbered migration file, with empty up and down sections", migrateCreate,
				dirFlag("write into `DIR` (default migrations/sql)")),
			sub("lint", "", "check migrations: numbering, up and down sections, and no drop without -- "+migrations.AllowDropMarker,
				migrateLint, dirFlag("lint the files in `DIR` instead of those built into rdbtool"), jsonFlag()),
		},
	}
}

// migrateUsage is a subcommand's usage line with its own flags
// ("rdbtool migrate down [--db DSN] [--yes] [--steps N] [--json]"), where
// urfave/cli prints only "[command options]".
func migrateUsage(name, args string, flags []cli.Flag) string {
	u := "rdbtool migrate " + name
	if args != "" {
		u += " " + args
	}
	for _, f := range flags {
		flag := "--" + f.Names()[0]
		if df, ok := f.(cli.DocGenerationFlag); ok && df.TakesValue() {
			// the value's name is the usage's `quoted` word, as in the flag list
			if _, rest, ok := strings.Cut(df.GetUsage(), "`"); ok {
				if v, _, ok := strings.Cut(rest, "`"); ok {
					flag += " " + v
				}
			}
		}
		u += " [" + flag + "]"
	}
	return u
}

// migrateHelp is each subcommand's --help text: what it does, with examples.
var migrateHelp = map[string]string{
	"up": "Applies every migration the database has not had yet, each in its own transaction,\n" +
		"and prints the version reached. A database already at the latest version is left as it is.\n" +
		jsonMoveHelp("applied") + "\n\n" +
		"Examples:\n" +
		"  rdbtool migrate up --db postgres://mc@localhost/hera_mc\n" +
		"  DATABASE_URL=postgres:///hera_mc rdbtool migrate up",
	"down": "Rolls back the last migration (or the last N with --steps) by running its down section.\n" +
		"Rolling back to version 0, or rolling back on a server that is not this machine, needs --yes.\n" +
		jsonMoveHelp("rolled_back") + "\n\n" +
		"Examples:\n" +
		"  rdbtool migrate down --db postgres:///hera_mc\n" +
		"  rdbtool migrate down --steps 2 --db postgres://mc@dbhost/hera_mc --yes",
	"to": "Migrates up or down until the database is at VERSION; 0 means no migration applied\n" +
		"(every table dropped, so it needs --yes).\n" +
		"--json prints {\"database\",\"from\",\"to\",\"applied\":[{\"version\",\"name\",\"seconds\"}],\"rolled_back\":[...]}:\n" +
		"the migrations run up, or rolled back, in the order they ran; the other list is [].\n\n" +
		"Examples:\n" +
		"  rdbtool migrate to 4 --db postgres:///hera_mc\n" +
		"  rdbtool migrate to 0 --db postgres:///scratch --yes",
	"status": "Lists every migration built into rdbtool, applied (with when) or pending. Read-only.\n" +
		"Exit 0 whether or not migrations are pending (2 when the database is newer than this rdbtool).\n" +
		"A database with no version recorded but with tables of these migrations (made by hera_mc's\n" +
		"alembic, or by hand) gets a note saying which version to adopt with rdbtool migrate stamp.\n" +
		"--json prints {\"database\",\"version\",\"migrations\":[{\"version\",\"name\",\"applied\",\"applied_at\"}]},\n" +
		"applied_at in RFC 3339 (UTC), null when pending. A script's \"nothing pending\" test:\n" +
		"  rdbtool migrate status --json | jq -e 'all(.migrations[]; .applied)'\n\n" +
		"Example:\n" +
		"  rdbtool migrate status --db postgres:///hera_mc",
	"version": "Prints the database's current version (0 when nothing is applied). Read-only.\n" +
		"--json prints {\"database\",\"version\"}.\n\n" +
		"Example:\n" +
		"  rdbtool migrate version --db postgres:///hera_mc",
	"stamp": "Records VERSION as applied without running anything: adopts a database whose tables\n" +
		"were made by hand or by hera_mc's alembic. Check the tables match before stamping: a VERSION\n" +
		"whose tables are not all there is refused, naming them (columns and types are not compared).\n" +
		"migrate up and status on such a database say which VERSION its tables match.\n" +
		jsonMoveHelp("applied") + " \"applied\" is always [] here.\n\n" +
		"Example:\n" +
		"  rdbtool migrate stamp 5 --db postgres:///hera_mc",
	"create": "Writes NNNNN_NAME.sql, numbered after the last file in the directory, with empty\n" +
		"up and down sections to fill in; rdbtool migrate lint then checks it.\n\n" +
		"Example:\n" +
		"  rdbtool migrate create add_node_humidity --dir migrations/sql",
	"lint": "Checks migration files without a database: numbering, a non-empty up and down section in each,\n" +
		"and no DROP without a -- " + migrations.AllowDropMarker + " comment. Exit 1 when it finds problems.\n" +
		"--json prints {\"files\":N,\"problems\":[{\"file\",\"line\",\"message\"}]}; line 0 is about the whole file.\n\n" +
		"Examples:\n" +
		"  rdbtool migrate lint                       # the migrations built into rdbtool\n" +
		"  rdbtool migrate lint --dir migrations/sql",
}

// jsonMoveHelp is the --json paragraph of up, down and stamp: list is
// "applied" or "rolled_back".
func jsonMoveHelp(list string) string {
	return "--json prints {\"database\",\"from\",\"to\",\"" + list + "\":[{\"version\",\"name\",\"seconds\"}]}: the versions\n" +
		"before and after, and the migrations run, in order. \"database\" names database, server and user\n" +
		"as the messages do, never the password."
}

// noArguments refuses an argument to a subcommand that takes none: `migrate
// up 3` or `migrate down 2` (alembic's `upgrade <rev>`, `downgrade -2`)
// would otherwise apply every pending migration, or roll back one.
func noArguments(name string, action cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.NArg() == 0 {
			return action(c)
		}
		hint := ""
		switch name {
		case "up", "down":
			hint = "; nothing was changed. To go to a version: rdbtool migrate to VERSION; to roll back N: rdbtool migrate down --steps N"
		case "status", "version":
			hint = "; the database is --db DSN"
		}
		return cmdUsageError("migrate "+name, "takes no argument, not %q%s", c.Args().First(), hint)
	}
}

func migrateFail(format string, args ...any) error {
	return cli.Exit("migrate: "+fmt.Sprintf(format, args...), exitError)
}

// migrateOpen connects to the --db database and returns a Migrator on it.
func migrateOpen(c *cli.Context) (*migrations.Migrator, string, func(), error) {
	dsn := migrateDSN(c)
	if dsn == "" && migrations.LibpqEnv() == "" {
		return nil, "", nil, migrateFail("no database: give --db DSN, set DATABASE_URL, or set PGHOST/PGDATABASE/PGSERVICE as for psql")
	}
	// SIGINT/SIGTERM cancel the work: the migration running is rolled back
	// (each runs in a transaction) and the command exits 128+n.
	sig := catchSignals(c.Context, io.Discard)
	c.Context = context.WithValue(sig.ctx, migrateSignalKey{}, sig)
	pool, err := migrations.Connect(c.Context, dsn)
	if err != nil {
		interrupted := migrateSignals(c) != nil
		sig.stop()
		if interrupted {
			return nil, "", nil, migrateInterrupted(sig, "nothing was changed")
		}
		return nil, "", nil, migrateFail("%v", err)
	}
	m, err := migrations.NewFromPool(pool, migrations.WithLockWait(func(holder string) {
		fmt.Fprintf(c.App.ErrWriter, "migrate: waiting for the migration lock, held by %s (another rdbtool migrate?)\n", holder)
	}), migrations.WithCheck(func(from, to int64) error {
		// The --yes rules again, on the version found under the lock:
		// another process may have migrated since they were first checked.
		if to >= from {
			return nil
		}
		if err := confirmZero(c, to == 0); err != nil {
			return err
		}
		return confirmRemote(c, dsn)
	}))
	if err != nil {
		pool.Close()
		sig.stop()
		return nil, "", nil, migrateFail("%v", err)
	}
	return m, dsn, func() { m.Close(); pool.Close(); sig.stop() }, nil
}

type migrateSignalKey struct{}

// migrateSignals is the signal handling migrateOpen put in c.Context, if
// a signal has arrived.
func migrateSignals(c *cli.Context) *signals {
	if sig, ok := c.Context.Value(migrateSignalKey{}).(*signals); ok && sig.ctx.Err() != nil && sig.first.Load() != nil {
		return sig
	}
	return nil
}

func migrateInterrupted(sig *signals, what string) error {
	return cli.Exit(fmt.Sprintf("migrate: interrupted (%s); %s", signalName(sig.received()), what), sig.exitCode())
}

// migrateDSN is --db, given before or after the subcommand, else
// $DATABASE_URL; "" leaves everything to libpq's environment variables
// (PGHOST, PGDATABASE, PGSERVICE, ...).
func migrateDSN(c *cli.Context) string {
	for _, cc := range c.Lineage() {
		for _, n := range cc.LocalFlagNames() {
			if n == "db" {
				return cc.String("db")
			}
		}
	}
	return os.Getenv("DATABASE_URL")
}

func migrateErr(c *cli.Context, dsn string, err error) error {
	if sig := migrateSignals(c); sig != nil {
		return migrateInterrupted(sig, "nothing was changed")
	}
	var refused cli.ExitCoder // a --yes rule, checked under the lock
	if errors.As(err, &refused) {
		return refused
	}
	return migrateFail("%s", migrations.Redact(err.Error(), dsn)+migrateHint(err, dsn))
}

// migrateHint is what to do about a server's refusal of a migration, for
// the errors PostgreSQL words without naming the role or the remedy ("" for
// others).
func migrateHint(err error, dsn string) string {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return ""
	}
	user := "this role"
	if cfg, perr := pgconn.ParseConfig(dsn); perr == nil {
		user = cfg.User
	}
	switch {
	case pe.Code == "42501" && strings.HasPrefix(pe.Message, "permission denied for schema "):
		// No CREATE on the schema the tables go to (PostgreSQL 15 no
		// longer grants it on public to everyone).
		schema := strings.TrimPrefix(pe.Message, "permission denied for schema ")
		return fmt.Sprintf("; user %q may not create tables in schema %s: as its owner, GRANT CREATE ON SCHEMA %s TO %s; "+
			"or migrate as the role that owns the schema", user, schema, pgIdent(schema), pgIdent(user))
	case pe.Code == "42501": // insufficient_privilege: say who, and what to do
		return fmt.Sprintf("; user %q lacks a privilege this needs: migrate as the role that owns the hera_mc tables and %s",
			user, migrations.VersionTable)
	case pe.Code == "25006": // read_only_sql_transaction
		return "; the session is read-only (default_transaction_read_only is on, or the server is a hot standby): " +
			"migrate the primary, as a role that may write"
	case pe.Code == "3F000": // invalid_schema_name: "no schema has been selected to create in"
		return fmt.Sprintf("; no schema on the session's search_path exists (or user %q may not use it): create it "+
			"(CREATE SCHEMA name AUTHORIZATION %s), or name one that exists (options=-csearch_path=SCHEMA in the DSN, "+
			"or ALTER ROLE %s SET search_path = SCHEMA)", user, pgIdent(user), pgIdent(user))
	}
	return ""
}

func printResults(w io.Writer, res []migrations.Result, now int64) {
	for _, r := range res {
		fmt.Fprintln(w, r)
	}
	if len(res) == 0 {
		fmt.Fprintf(w, "nothing to do; at version %d\n", now)
	} else {
		fmt.Fprintf(w, "at version %d\n", now)
	}
}

func migrateUp(c *cli.Context) error {
	m, dsn, done, err := migrateOpen(c)
	if err != nil {
		return err
	}
	defer done()
	from, res, err := m.UpFrom(c.Context)
	return reportMigrations(c, m, dsn, from, res, err)
}

// migrationJSON is one migration run, in the --json report of up, down,
// to and stamp.
type migrationJSON struct {
	Version int64   `json:"version"`
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// moveJSON is the --json report of up, down, to and stamp. Up and stamp
// carry only Applied, down only RolledBack, to both (one of them []).
type moveJSON struct {
	Database   string           `json:"database"`
	From       int64            `json:"from"`
	To         int64            `json:"to"`
	Applied    *[]migrationJSON `json:"applied,omitempty"`
	RolledBack *[]migrationJSON `json:"rolled_back,omitempty"`
}

// migrateWhere names the database dsn connects to as the messages do
// (database, server, user), never the password.
func migrateWhere(dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "" // not reached: migrateOpen connected with dsn
	}
	return migrations.Where(cfg)
}

// printMoveJSON writes the --json report of up, down or to: res goes
// under "applied" or "rolled_back" by its direction; down shows only
// "rolled_back", up only "applied", to both.
func printMoveJSON(c *cli.Context, dsn string, from, to int64, res []migrations.Result) error {
	applied, rolledBack := []migrationJSON{}, []migrationJSON{}
	for _, r := range res {
		j := migrationJSON{Version: r.Version, Name: r.Name, Seconds: r.Duration.Seconds()}
		if r.Direction == "down" {
			rolledBack = append(rolledBack, j)
		} else {
			applied = append(applied, j)
		}
	}
	out := moveJSON{Database: migrateWhere(dsn), From: from, To: to}
	switch c.Command.Name {
	case "up":
		out.Applied = &applied
	case "down":
		out.RolledBack = &rolledBack
	default:
		out.Applied, out.RolledBack = &applied, &rolledBack
	}
	return printJSON(c, out, false)
}

// reportMigrations prints what up, down or to ran and the version after
// (as text, or the --json report starting at version from, which the
// migration read under the lock), then the
// error if any; a refusal changed nothing, so it prints no "nothing to do"
// (and no JSON) before it.
func reportMigrations(c *cli.Context, m *migrations.Migrator, dsn string, from int64, res []migrations.Result, err error) error {
	if err == nil || len(res) > 0 {
		now := versionAfter(c.Context, m)
		if !c.Bool("json") {
			printResults(c.App.Writer, res, now)
		} else if perr := printMoveJSON(c, dsn, from, now, res); perr != nil && err == nil {
			return perr
		}
	}
	if err != nil {
		if sig := migrateSignals(c); sig != nil && len(res) > 0 {
			return migrateInterrupted(sig, "the migration in progress was rolled back, those listed stay applied")
		}
		var pe *pgconn.PgError
		if from == 0 && len(res) == 0 && errors.As(err, &pe) && pe.Code == "42P07" && migrateSignals(c) == nil {
			// duplicate_table with no version recorded: hera_mc's alembic
			// (or a hand) made these tables.
			return migrateFail("%s; the database has tables but no version recorded: if hera_mc's alembic or a hand "+
				"made them, adopt them with rdbtool migrate stamp VERSION (see rdbtool migrate stamp --help)",
				migrations.Redact(err.Error(), dsn))
		}
		return migrateErr(c, dsn, err)
	}
	return nil
}

// versionAfter reads the version even after an interrupt cancelled ctx.
func versionAfter(ctx context.Context, m *migrations.Migrator) int64 {
	v, _ := m.Version(context.WithoutCancel(ctx))
	return v
}

func migrateDown(c *cli.Context) error {
	steps := c.Int("steps")
	if steps < 1 {
		return cmdUsageError("migrate down", "--steps takes a number >= 1")
	}
	if err := confirmRemote(c, migrateDSN(c)); err != nil {
		return err
	}
	m, dsn, done, err := migrateOpen(c)
	if err != nil {
		return err
	}
	defer done()
	st, err := m.Status(c.Context)
	if err != nil {
		return migrateErr(c, dsn, err)
	}
	applied := 0
	for _, s := range st {
		if s.Applied {
			applied++
		}
	}
	if err := confirmZero(c, applied > 0 && steps >= applied); err != nil {
		return err
	}
	from, res, err := m.DownByFrom(c.Context, steps)
	return reportMigrations(c, m, dsn, from, res, err)
}

func migrateTo(c *cli.Context) error {
	target, err := versionArg(c, "to")
	if err != nil {
		return err
	}
	m, dsn, done, err := migrateOpen(c)
	if err != nil {
		return err
	}
	defer done()
	cur, err := m.Version(c.Context)
	if err != nil {
		return migrateErr(c, dsn, err)
	}
	if target < cur {
		if err := confirmZero(c, target == 0); err != nil {
			return err
		}
		if err := confirmRemote(c, dsn); err != nil {
			return err
		}
	}
	from, res, err := m.ToFrom(c.Context, target)
	return reportMigrations(c, m, dsn, from, res, err)
}

// confirmZero and confirmRemote apply the --yes rules: a rollback to
// version 0, or any rollback on a server that is not this machine, needs
// --yes.
func confirmZero(c *cli.Context, toZero bool) error {
	if toZero && !c.Bool("yes") {
		return migrateFail("refusing to roll back to version 0, which drops every table, without --yes; nothing was changed")
	}
	return nil
}

func confirmRemote(c *cli.Context, dsn string) error {
	if c.Bool("yes") {
		return nil
	}
	if host, local := localServer(dsn); !local {
		return migrateFail("refusing to roll back on %s, which is not this machine, without --yes; nothing was changed", host)
	}
	return nil
}

// localServer reports whether every host dsn may connect to is a unix
// socket or a loopback address, and the first host that is not.
func localServer(dsn string) (string, bool) {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "", true // Connect reports the parse error
	}
	hosts := []string{cfg.Host}
	for _, f := range cfg.Fallbacks {
		hosts = append(hosts, f.Host)
	}
	for _, h := range hosts {
		if strings.HasPrefix(h, "/") || strings.EqualFold(h, "localhost") {
			continue
		}
		if ip := net.ParseIP(strings.Trim(h, "[]")); ip != nil && ip.IsLoopback() {
			continue
		}
		return "host " + h, false
	}
	return "", true
}

func versionArg(c *cli.Context, cmd string) (int64, error) {
	if c.NArg() != 1 {
		return 0, cmdUsageError("migrate "+cmd, "give one VERSION (a number, 0 for none)")
	}
	v, err := strconv.ParseInt(c.Args().First(), 10, 64)
	if err != nil || v < 0 {
		return 0, cmdUsageError("migrate "+cmd, "VERSION must be a number >= 0, not %q", c.Args().First())
	}
	return v, nil
}

func migrateStatus(c *cli.Context) error {
	m, dsn, done, err := migrateOpen(c)
	if err != nil {
		return err
	}
	defer done()
	st, err := m.Status(c.Context)
	if err != nil {
		return migrateErr(c, dsn, err)
	}
	cur, err := m.Version(c.Context)
	if err != nil {
		return migrateErr(c, dsn, err)
	}
	if c.Bool("json") {
		out := statusJSON{Database: migrateWhere(dsn), Version: cur, Migrations: []stateJSON{}}
		for _, s := range st {
			j := stateJSON{Version: s.Version, Name: s.Name, Applied: s.Applied}
			if s.Applied {
				at := s.AppliedAt.UTC().Format(time.RFC3339)
				j.AppliedAt = &at
			}
			out.Migrations = append(out.Migrations, j)
		}
		if err := printJSON(c, out, false); err != nil {
			return err
		}
	} else {
		printStatus(c.App.Writer, st, cur, m.Latest())
		unrec, err := m.Unrecorded(c.Context)
		if err != nil {
			return migrateErr(c, dsn, err)
		}
		if unrec != nil {
			fmt.Fprintf(c.App.Writer, "note: %s\n", unrec)
		}
	}
	if cur > m.Latest() {
		return migrateErr(c, dsn, &migrations.NewerError{Database: cur, Known: m.Latest()})
	}
	return nil
}

// statusJSON is the --json report of status.
type statusJSON struct {
	Database   string      `json:"database"`
	Version    int64       `json:"version"`
	Migrations []stateJSON `json:"migrations"`
}

type stateJSON struct {
	Version   int64   `json:"version"`
	Name      string  `json:"name"`
	Applied   bool    `json:"applied"`
	AppliedAt *string `json:"applied_at"` // RFC 3339, null when pending
}

func printStatus(w io.Writer, st []migrations.State, cur, latest int64) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tSTATE\tAPPLIED AT\tFILE")
	for _, s := range st {
		state, at := "pending", "-"
		if s.Applied {
			state, at = "applied", s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		if s.Unknown {
			state = "UNKNOWN"
		}
		fmt.Fprintf(tw, "%05d\t%s\t%s\t%s\n", s.Version, state, at, s.Name)
	}
	tw.Flush()
	fmt.Fprintf(w, "current version %d, latest known %d\n", cur, latest)
}

func migrateVersion(c *cli.Context) error {
	m, dsn, done, err := migrateOpen(c)
	if err != nil {
		return err
	}
	defer done()
	v, err := m.Version(c.Context)
	if err != nil {
		return migrateErr(c, dsn, err)
	}
	if c.Bool("json") {
		return printJSON(c, struct {
			Database string `json:"database"`
			Version  int64  `json:"version"`
		}{migrateWhere(dsn), v}, false)
	}
	fmt.Fprintln(c.App.Writer, v)
	return nil
}

func migrateStamp(c *cli.Context) error {
	v, err := versionArg(c, "stamp")
	if err != nil {
		return err
	}
	m, dsn, done, err := migrateOpen(c)
	if err != nil {
		return err
	}
	defer done()
	from, err := m.StampFrom(c.Context, v) // read under the lock: another process may migrate meanwhile
	if err != nil {
		return migrateErr(c, dsn, err)
	}
	if c.Bool("json") {
		return printJSON(c, moveJSON{Database: migrateWhere(dsn), From: from, To: v, Applied: &[]migrationJSON{}}, false)
	}
	fmt.Fprintf(c.App.Writer, "stamped: the database is recorded at version %d; no migration was run\n", v)
	return nil
}

func migrateCreate(c *cli.Context) error {
	if c.NArg() != 1 {
		return cmdUsageError("migrate create", "give one NAME, e.g. add_node_humidity")
	}
	dir := c.String("dir")
	if dir == "" {
		dir = filepath.Join("migrations", "sql")
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		hint := "run it in the repository root, or give --dir"
		if c.IsSet("dir") {
			hint = "create it first, or give the directory holding the migrations"
		}
		return migrateFail("create: %s is not a directory (%s)", dir, hint)
	}
	p, err := migrations.Create(dir, c.Args().First())
	if err != nil {
		return migrateFail("%v", err)
	}
	fmt.Fprintln(c.App.Writer, p)
	return nil
}

func migrateLint(c *cli.Context) error {
	fsys, dir := migrations.FS, c.String("dir")
	if dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return migrateFail("lint: %s is not a directory", dir)
		}
		fsys = os.DirFS(dir)
	}
	problems, err := migrations.Lint(fsys)
	if err != nil {
		return migrateFail("lint: %v", err)
	}
	out := lintJSON{Problems: []lintProblemJSON{}}
	for i, p := range problems {
		if dir != "" {
			p.File = filepath.Join(dir, p.File)
			problems[i] = p
		}
		out.Problems = append(out.Problems, lintProblemJSON{File: p.File, Line: p.Line, Message: p.Msg})
	}
	if c.Bool("json") {
		if out.Files, err = countSQL(fsys); err != nil {
			return migrateFail("lint: %v", err)
		}
		if err := printJSON(c, out, false); err != nil {
			return err
		}
	} else {
		for _, p := range problems {
			fmt.Fprintln(c.App.Writer, p)
		}
	}
	if len(problems) > 0 {
		return cli.Exit(fmt.Sprintf("migrate lint: %d problem(s)", len(problems)), exitFound)
	}
	return nil
}

// lintJSON is the --json report of lint.
type lintJSON struct {
	Files    int               `json:"files"`
	Problems []lintProblemJSON `json:"problems"`
}

type lintProblemJSON struct {
	File    string `json:"file"`
	Line    int    `json:"line"` // 0 when about the whole file
	Message string `json:"message"`
}

// countSQL is the number of files migrations.Lint reads in fsys: the
// *.sql files at its root.
func countSQL(fsys fs.FS) (int, error) {
	ents, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".sql") {
			n++
		}
	}
	return n, nil
}
