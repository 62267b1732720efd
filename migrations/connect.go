package migrations

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultConnectTimeout bounds Connect when the DSN sets no connect_timeout.
const DefaultConnectTimeout = 10 * time.Second

// NumberDSNHint is a hint for a DSN that is a plain number: --db means a
// Redis database number in rdbtool's other commands, and a PostgreSQL DSN
// only in ingest and migrate.
func NumberDSNHint(dsn string) string {
	if _, err := strconv.ParseUint(strings.TrimSpace(dsn), 10, 32); err != nil {
		return ""
	}
	return " (--db here is a PostgreSQL DSN such as postgres://mc@dbhost/hera_mc or \"host=dbhost dbname=hera_mc\", not a Redis database number)"
}

// Connect opens a pool on dsn (URL or keyword/value form) and checks that
// the server answers, within the DSN's connect_timeout or
// DefaultConnectTimeout. Its sessions' application_name is "rdbtool" unless
// the DSN sets one. Its errors name the host, port, database and user,
// never the password.
func Connect(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("invalid database DSN: %s%s", Redact(ConnectCause(err), dsn), NumberDSNHint(dsn))
	}
	cc := cfg.ConnConfig
	if cc.RuntimeParams["application_name"] == "" { // what pg_stat_activity, and a waiting migrate, show
		cc.RuntimeParams["application_name"] = "rdbtool"
	}
	if cc.ConnectTimeout <= 0 {
		cc.ConnectTimeout = DefaultConnectTimeout
	}
	if err := CheckHosts(&cc.Config); err != nil {
		return nil, err
	}
	where := Where(&cc.Config)
	ctx, cancel := context.WithTimeout(ctx, cc.ConnectTimeout+time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		return nil, fmt.Errorf("cannot connect to %s: %s", where, RedactConfig(ConnectCause(err), dsn, &cc.Config))
	}
	return pool, nil
}

// CheckHosts refuses a config whose host holds an @: what pgx makes of a
// URL whose password has an unescaped @ (postgres://mc:p@ss@db/hera_mc
// gives host "ss@db"), which would then be printed, with part of the
// password, in every message naming the server.
func CheckHosts(cc *pgconn.Config) error {
	hosts := []string{cc.Host}
	for _, f := range cc.Fallbacks {
		hosts = append(hosts, f.Host)
	}
	for _, h := range hosts {
		if strings.Contains(h, "@") {
			return errors.New("invalid database DSN: its host holds an @ (not shown: it may hold part of the password): " +
				"write an @ in a URL's user or password as %40")
		}
	}
	return nil
}

// Where names the database, server and user of a connection config, never
// the password: `database "mc" on host db:5432 as user "mc"`.
func Where(cc *pgconn.Config) string {
	return fmt.Sprintf("database %q on %s as user %q", cc.Database, hostPort(cc.Host, cc.Port), cc.User)
}

func hostPort(host string, port uint16) string {
	if strings.HasPrefix(host, "/") {
		return fmt.Sprintf("unix socket %s/.s.PGSQL.%d", host, port)
	}
	return "host " + net.JoinHostPort(host, fmt.Sprint(port))
}

// ConnectCause is the text of a connect or DSN error without pgconn's
// wrapper, whose text repeats the settings.
func ConnectCause(err error) string {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Unwrap() != nil {
		return attempts(ce.Unwrap().Error())
	}
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return pe.Unwrap().Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer in time (connect timeout)"
	}
	return err.Error()
}

// attempts puts pgconn's per-attempt errors (one a line) on one line,
// leaving out the TLS attempt that sslmode=prefer makes first when a later
// plain attempt says what really failed: "tls error: server refused TLS
// connection" only means the server has no TLS, and leading with it reads
// as a TLS fault.
func attempts(msg string) string {
	var keep, tls []string
	for _, l := range strings.Split(msg, "\n") {
		l = notPostgres(strings.TrimSpace(l))
		switch {
		case l == "" || slices.ContainsFunc(keep, func(k string) bool { return strings.Contains(k, l) }):
			// both attempts of sslmode=prefer can fail alike, and a failed
			// lookup is "hostname resolving error: <err>" then <err> again
		case strings.HasSuffix(l, "tls error: server refused TLS connection"):
			tls = append(tls, l)
		default:
			keep = append(keep, l)
		}
	}
	if len(keep) == 0 {
		keep = tls
	}
	timedOut := len(keep) > 0
	for _, l := range append(keep, tls...) {
		timedOut = timedOut && strings.HasSuffix(l, "timeout: context deadline exceeded")
	}
	if timedOut { // every attempt: the server took the connection and never answered
		return "no answer in time (connect timeout)"
	}
	return strings.Join(keep, "; ")
}

// notPostgres rewrites pgconn's report of bytes that are not the PostgreSQL
// protocol ("failed to receive message: invalid body length: expected at
// most 1073741822, but got 1414811691": "TTP/" of a web server's answer
// read as a message length) to say what it means.
func notPostgres(l string) string {
	for _, garbled := range []string{"failed to receive message: invalid body length", "unknown message type"} {
		if i := strings.Index(l, garbled); i >= 0 {
			return l[:i] + "not a PostgreSQL server (it answered in another protocol: wrong port?)"
		}
	}
	return l
}

var (
	// A password runs to the last @ of the word: one holding an
	// unescaped @ ("p@ss") is cut there by neither pgx nor the reader.
	urlPassword = regexp.MustCompile("(://[^:/@\\s]*:)[^\\s'\"`]*@")
	kvPassword  = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)
)

// RedactConfig is Redact, and also removes the password cc was given,
// which may come from elsewhere than dsn (PGPASSWORD, a password file).
func RedactConfig(s, dsn string, cc *pgconn.Config) string {
	s = Redact(s, dsn)
	if cc.Password != "" {
		s = strings.ReplaceAll(s, cc.Password, "xxxxx")
	}
	return s
}

// Redact removes passwords from s, including any the connection string dsn
// holds, so s can be printed.
func Redact(s, dsn string) string {
	for _, m := range urlPassword.FindAllStringSubmatch(dsn, -1) {
		pw := strings.TrimSuffix(strings.TrimPrefix(m[0], m[1]), "@")
		if pw != "" {
			s = strings.ReplaceAll(s, pw, "xxxxx")
		}
	}
	for _, m := range kvPassword.FindAllStringSubmatch(dsn, -1) {
		if pw := strings.Trim(m[2], "'"); pw != "" {
			s = strings.ReplaceAll(s, pw, "xxxxx")
		}
	}
	s = urlPassword.ReplaceAllString(s, "${1}xxxxx@")
	return kvPassword.ReplaceAllString(s, "${1}xxxxx")
}

// libpqTarget are the libpq environment variables that choose a server or
// a database (PGUSER, PGPASSWORD, PGSSLMODE and the like only complete a
// connection string).
var libpqTarget = []string{"PGSERVICE", "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE"}

// LibpqEnv names the libpq environment variables set that choose a server
// or database ("PGHOST, PGDATABASE"), "" when none is. When it is not "",
// an empty DSN connects where psql would: Connect, like libpq, takes every
// setting a DSN leaves out (an empty one: all of them) from PGHOST,
// PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSERVICE (with PGSERVICEFILE),
// PGSSLMODE, PGAPPNAME, PGCONNECT_TIMEOUT and the like, and a password
// from PGPASSFILE or ~/.pgpass.
func LibpqEnv() string {
	var set []string
	for _, v := range libpqTarget {
		if os.Getenv(v) != "" {
			set = append(set, v)
		}
	}
	return strings.Join(set, ", ")
}
