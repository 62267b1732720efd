package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/rdbtool/rdbtool/migrations"
)

// LoopOptions configure the monitor loop.
type LoopOptions struct {
	Options
	// Every is the time from the start of one pass to the start of the next
	// (the original daemons: 60 s), kept as a fixed cadence: a late timer
	// does not delay the passes after it. It must be positive: Loop
	// returns an error otherwise. A pass longer than Every is followed at
	// once by one pass (passes never overlap, missed ones are not caught
	// up), and the cadence restarts from that pass.
	Every time.Duration
	// Passes stops the loop after that many passes (0: until ctx ends).
	// Only passes that started count, not waits for a lost connection.
	Passes int
	// PassTimeout bounds one pass (default: 10 × Every, at least 1 minute).
	PassTimeout time.Duration
	// StopGrace is how long a running pass may go on once Loop's ctx is
	// cancelled; then it is cut short (its running group rolled back, the
	// rest not run). 0: until the pass ends or PassTimeout.
	StopGrace time.Duration
	// MinBackoff and MaxBackoff bound the wait after a lost connection
	// (defaults 1 s and 60 s or Every, whichever is larger); the wait doubles
	// while the connection stays lost.
	MinBackoff, MaxBackoff time.Duration
	// Sleep waits d or until ctx ends (default: a timer). Tests inject it.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnPass receives every pass's report (nil when the pass could not
	// start) and error. It is called on Loop's goroutine. A pass that could
	// not start is reported under the number the next started pass gets.
	OnPass func(pass int, rep *Report, err error)
	// BeforePass, when set, runs before each pass (tests use it to change
	// the world between passes).
	BeforePass func(pass int)

	// clock is the loop's own clock (default time.Now); tests inject it.
	clock func() time.Time
}

// ErrConnection marks a pass that could not start, or whose remaining
// groups were not run, because Redis or PostgreSQL was unreachable.
var ErrConnection = errors.New("connection lost")

// Loop runs passes every lo.Every until ctx ends (or lo.Passes are done).
// Its only error is an lo.Every that is not positive.
// Cancelling ctx lets the running pass finish, then Loop returns nil. A pass
// whose groups fail is recorded (daemon_status 'errored', subsystem_error)
// and the loop goes on; when Redis or PostgreSQL does not answer, the loop
// waits with exponential backoff and tries again, telling Logf once when
// the connection is lost and once when it is back.
func Loop(ctx context.Context, rdb redis.UniversalClient, db *pgxpool.Pool, lo LoopOptions) error {
	if lo.Every <= 0 {
		return fmt.Errorf("ingest: loop interval must be positive, not %v", lo.Every)
	}
	if _, err := SelectGroups(lo.Only); err != nil { // would fail every pass, retried for ever
		return fmt.Errorf("ingest: %w", err)
	}
	if lo.Sleep == nil {
		lo.Sleep = sleepCtx
	}
	if lo.PassTimeout <= 0 {
		lo.PassTimeout = max(10*lo.Every, time.Minute)
	}
	if lo.MinBackoff <= 0 {
		lo.MinBackoff = time.Second
	}
	if lo.MaxBackoff <= 0 {
		lo.MaxBackoff = max(60*time.Second, lo.Every)
	}
	logf := lo.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if lo.clock == nil {
		lo.clock = time.Now
	}
	backoff := lo.MinBackoff
	pass, announced := 0, 0
	var out outage // the current lost connection, if any
	// due is when the next pass is due: passes keep a fixed cadence from
	// the first one, so a timer that wakes late does not push every later
	// pass later; after a pass longer than Every (or a wait for a lost
	// connection) the next one runs at once and the cadence restarts from
	// it, instead of a burst catching up the passes missed.
	var due time.Time
	for lo.Passes == 0 || pass < lo.Passes {
		if ctx.Err() != nil {
			return nil
		}
		if lo.BeforePass != nil && announced <= pass {
			announced = pass + 1
			lo.BeforePass(pass + 1)
		}
		start := lo.clock()
		if due.IsZero() {
			due = start
		}
		// The pass is not cancelled by ctx: a signal lets it finish, for
		// StopGrace.
		sctx, stop := StopContext(ctx, lo.StopGrace)
		pctx, cancelT := context.WithTimeout(sctx, lo.PassTimeout)
		cancel := func() { cancelT(); stop() }
		err := ping(pctx, rdb, db)
		if err != nil {
			cancel()
			if lo.OnPass != nil {
				lo.OnPass(pass+1, nil, err)
			}
			// Said once per outage, not once per retry: a server down
			// for an hour would otherwise fill the journal with the same
			// line. Its end is said once too.
			if out.retries == 0 {
				out.since = start
				logf("ingest: %v; retrying in %v, then with backoff up to %v (not logged again until it answers)", err, backoff, lo.MaxBackoff)
			}
			out.retries++
			out.last = err
			if lo.Sleep(ctx, backoff) != nil {
				return nil
			}
			backoff = min(2*backoff, lo.MaxBackoff)
			due = time.Time{}
			continue
		}
		if out.retries > 0 {
			logf("ingest: connection back after %v and %d failed attempt(s) (the last: %s); passes resume",
				lo.clock().Sub(out.since).Round(time.Second), out.retries, strings.TrimPrefix(out.last.Error(), ErrConnection.Error()+": "))
			out = outage{}
		}
		backoff = lo.MinBackoff
		pass++
		rep, err := Run(pctx, rdb, db, lo.Options)
		cancel()
		if lo.OnPass != nil {
			lo.OnPass(pass, rep, err)
		}
		// Run has logged each failed group; the pass adds a line only
		// when it did not run, or stopped for a lost connection.
		if rep == nil && err != nil {
			logf("ingest: pass %d: %v", pass, err)
		} else if n := notRunCount(rep); rep != nil && n > 0 {
			logf("ingest: pass %d: %d group(s) not run: %s", pass, n, firstNotRun(rep))
		}
		if lo.Passes != 0 && pass >= lo.Passes {
			break
		}
		due = due.Add(lo.Every)
		now := lo.clock()
		if due.Before(now) { // the pass overran: restart the cadence
			due = now
		}
		wait := due.Sub(now)
		if lo.Sleep(ctx, wait) != nil {
			return nil
		}
	}
	return nil
}

// outage is a lost connection the loop is waiting out: since when, how
// many pings failed, the last error.
type outage struct {
	since   time.Time
	retries int
	last    error
}

// ping checks both connections before a pass.
func ping(ctx context.Context, rdb redis.UniversalClient, db *pgxpool.Pool) error {
	redisErr, pgErr := pingBoth(ctx, rdb, db)
	if redisErr != nil {
		return fmt.Errorf("%w: redis: %v", ErrConnection, redisErr)
	}
	if pgErr != nil {
		return fmt.Errorf("%w: postgresql: %v", ErrConnection, pgErr)
	}
	return nil
}

// pingBoth pings Redis, then (if it answers) PostgreSQL, within 10 s, and
// returns why either does not answer (PostgreSQL's as its one-line cause).
// Loop calls it before a pass, Run after a failed group.
func pingBoth(ctx context.Context, rdb redis.UniversalClient, db *pgxpool.Pool) (redisErr, pgErr error) {
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		return err, nil
	}
	if err := db.Ping(pctx); err != nil {
		return nil, errors.New(migrations.ConnectCause(err))
	}
	return nil, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func notRunCount(rep *Report) int {
	if rep == nil {
		return 0
	}
	n := 0
	for _, g := range rep.Groups {
		if g.Status == StatusNotRun {
			n++
		}
	}
	return n
}

func firstNotRun(rep *Report) string {
	for _, g := range rep.Groups {
		if g.Status == StatusNotRun {
			return g.Error
		}
	}
	return ""
}

// ErrCutShort is the cause of a pass cut short by StopContext: the stop
// request's grace ran out while it was running.
var ErrCutShort = errors.New("cut short: the stop grace ran out")

// StopContext returns a context for work that should outlive a stop
// request a little: it is not cancelled with ctx, but grace after ctx is
// done, with cause ErrCutShort (never, for a grace of 0). Call cancel when
// the work ends.
func StopContext(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	wctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	if grace <= 0 {
		return wctx, func() { cancel(nil) }
	}
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(grace, func() { cancel(ErrCutShort) })
		context.AfterFunc(wctx, func() { t.Stop() })
	})
	return wctx, func() { stop(); cancel(nil) }
}
