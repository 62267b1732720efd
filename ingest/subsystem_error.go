package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// LogChannel is the pub/sub channel hera_corr_cm's MC log handler publishes to.
const LogChannel = "mc-log-channel"

// notifyLevel is the default threshold of mc_listen_to_corr_logger (NOTIFY).
const notifyLevel = 21

// subsystemErrorCols are the columns insertSubsystemError writes, in the
// order of its statement's parameters (for writeHook).
var subsystemErrorCols = []string{"time", "subsystem", "mc_time", "severity", "log"}

// insertSubsystemError adds one subsystem_error row; mc_time is the
// database server's clock, as in the original.
func insertSubsystemError(ctx context.Context, db *pgxpool.Pool, t int64, subsystem string, severity int, log string) error {
	var dbNow time.Time
	if err := db.QueryRow(ctx, `SELECT current_timestamp`).Scan(&dbNow); err != nil {
		return err
	}
	mc, err := FloorGPSTime(dbNow)
	if err != nil {
		return err
	}
	args := []any{t, truncate32(subsystem), mc, int32(severity), log}
	if writeHook != nil {
		hookRow("subsystem_error", subsystemErrorCols, args...)
	}
	_, err = db.Exec(ctx, `INSERT INTO subsystem_error (time, subsystem, mc_time, severity, log) VALUES ($1, $2, $3, $4, $5)`,
		args...)
	return err
}

// errorSubsystem is subsystem_error.subsystem for a daemon's failures: the
// monitor scripts write daemon_status as mc_monitor_correlator and
// mc_monitor_nodes but log errors as mc_correlator_monitor and
// mc_node_monitor (hera-mc.md §1.2). Other daemons use their own name.
func errorSubsystem(daemon string) string {
	switch daemon {
	case DaemonCorrelator:
		return "mc_correlator_monitor"
	case DaemonNodes:
		return "mc_node_monitor"
	}
	return daemon
}

// recordError is the monitor daemons' error path: severity 2, the daemon's
// error subsystem (errorSubsystem), the error as log.
func (p *pass) recordError(daemon, log string) error {
	ctx := context.WithoutCancel(p.ctx)
	if !isText(log) {
		// The error may quote Redis bytes (a key name, a value) that
		// PostgreSQL's text refuses; the row must still be written.
		log = strings.ToValidUTF8(strings.ReplaceAll(log, "\x00", `\x00`), "\uFFFD")
	}
	if err := insertSubsystemError(ctx, p.db, p.nowGPS, errorSubsystem(daemon), 2, log); err != nil {
		return err
	}
	p.rep.add("subsystem_error", 1)
	return nil
}

// LogMessage is one message of mc-log-channel.
type LogMessage struct {
	Subsystem string  `json:"subsystem"` // subsystem_error.subsystem (truncated to 32 characters)
	LevelNo   int     `json:"levelno"`   // Python logging level; below NOTIFY (21) the message is not stored
	Severity  int     `json:"severity"`  // subsystem_error.severity
	Message   string  `json:"message"`   // subsystem_error.log
	LogTime   float64 `json:"logtime"`   // Unix seconds; stored as floor GPS seconds
}

// parseLogMessage decodes one mc-log-channel payload. Keys are matched
// exactly, as the original's dict lookups do (Go's struct decoding would
// also take "Message" or "LOGTIME"). levelno is required; a message below
// NOTIFY needs nothing else (the original looks at no other key then),
// so below is true and the rest of the message is not read. Every other
// field is required and must not be null: the original indexes each one
// (a KeyError there stores nothing), and a zero value would store a wrong
// row (a time of Unix 0, an empty subsystem). A severity outside the
// integer column's range is an error, as the original's insert is.
func parseLogMessage(payload string) (m LogMessage, below bool, err error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(payload), &raw); err != nil {
		return LogMessage{}, false, fmt.Errorf("malformed log message %q: %v", clip(payload), err)
	}
	if raw == nil {
		return LogMessage{}, false, fmt.Errorf("malformed log message %q: not a JSON object", clip(payload))
	}
	// the keys mc_listen_to_corr_logger indexes, in its order
	for _, f := range []struct {
		name string
		dst  any
	}{{"levelno", &m.LevelNo}, {"logtime", &m.LogTime}, {"subsystem", &m.Subsystem}, {"severity", &m.Severity}, {"message", &m.Message}} {
		name := f.name
		v, ok := raw[name]
		if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			return LogMessage{}, false, fmt.Errorf("malformed log message %q: field %s missing or null", clip(payload), name)
		}
		if err := json.Unmarshal(v, f.dst); err != nil {
			return LogMessage{}, false, fmt.Errorf("malformed log message %q: field %s: %v", clip(payload), name, err)
		}
		if name == "levelno" && m.LevelNo < notifyLevel {
			return m, true, nil
		}
	}
	if m.Severity < math.MinInt32 || m.Severity > math.MaxInt32 {
		return LogMessage{}, false, fmt.Errorf("log message %q: severity %d is out of range for an integer column", clip(payload), m.Severity)
	}
	return m, false, nil
}

// HandleLogMessage stores one mc-log-channel payload as
// mc_listen_to_corr_logger does: the handler's own 'UnicodeDecodeError on
// emit!' is ignored (stored=false, no error, nothing written); a message
// below NOTIFY is not stored but, as every decoded message does in the
// original, marks mc_listen_to_corr_logger 'good' in daemon_status; a
// malformed message is an error and stores nothing. A stored message also
// marks mc_listen_to_corr_logger 'good'; if that update fails, stored is
// true and err says why.
func HandleLogMessage(ctx context.Context, db *pgxpool.Pool, payload string, opts Options) (stored bool, err error) {
	if payload == "UnicodeDecodeError on emit!" {
		return false, nil
	}
	m, below, err := parseLogMessage(payload)
	if err != nil {
		return false, err
	}
	p := &pass{ctx: ctx, db: db, opts: opts}
	p.setClock(opts)
	if below {
		_, err = p.upsertDaemonStatus([]daemonRow{{DaemonLogger, p.hostname, statusGood}})
		return false, err
	}
	t, err := FloorGPS(m.LogTime)
	if err != nil {
		return false, fmt.Errorf("log message time: %v", err)
	}
	if err := insertSubsystemError(ctx, db, t, m.Subsystem, m.Severity, m.Message); err != nil {
		return false, err
	}
	_, err = p.upsertDaemonStatus([]daemonRow{{DaemonLogger, p.hostname, statusGood}})
	return true, err
}

// ListenLog subscribes to mc-log-channel and stores its messages until ctx
// ends, then returns nil. A message that cannot be stored (malformed, or
// PostgreSQL failing) is passed to opts.Logf and dropped; the error return
// is only for a subscription that cannot start.
func ListenLog(ctx context.Context, rdb redis.UniversalClient, db *pgxpool.Pool, opts Options) error {
	sub := rdb.Subscribe(ctx, LogChannel)
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		return fmt.Errorf("subscribe %s: %w", LogChannel, err)
	}
	ch := sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return nil
		case msg, ok := <-ch:
			if !ok {
				return nil
			}
			if _, err := HandleLogMessage(ctx, db, msg.Payload, opts); err != nil && opts.Logf != nil {
				opts.Logf("ingest: %s: %v", LogChannel, err)
			}
		}
	}
}
