package ingest

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
)

// LivenessDaemons are the daemons mc_monitor_daemons.py checks through their
// status:script:<host>:<path> keys (hera-mc.md §3.19).
var LivenessDaemons = []string{
	"mc_monitor_daemons.py", "hera_corr_cmd_handler.py", "hera_wr_redis_monitor.py", "hera_node_keep_alive.py",
	"hera_node_receiver.py", "hera_snap_redis_monitor.py", "hera_cmd_handler.py",
}

type daemonRow struct {
	name, hostname, status string
}

// daemonStatusCols are the columns upsertDaemonStatus writes, in the order
// of its statement's parameters (for writeHook).
var daemonStatusCols = []string{"name", "hostname", "jd", "time", "status"}

// upsertDaemonStatus writes daemon_status rows, one per daemon, host and JD
// day, holding the latest status.
func (p *pass) upsertDaemonStatus(rows []daemonRow) (int64, error) {
	ctx := context.WithoutCancel(p.ctx)
	b := &pgx.Batch{}
	jd := JDDay(p.now)
	var hooked *tableRows
	if writeHook != nil {
		hooked = newRows("daemon_status", daemonStatusCols...)
	}
	for _, r := range rows {
		args := []any{truncate32(r.name), truncate32(r.hostname), jd, p.nowGPS, r.status}
		b.Queue(`INSERT INTO daemon_status (name, hostname, jd, time, status) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (name, hostname, jd) DO UPDATE SET time = EXCLUDED.time, status = EXCLUDED.status`,
			args...)
		if hooked != nil {
			hooked.add(args...)
		}
	}
	if hooked != nil {
		hooked.hook()
	}
	br := p.db.SendBatch(ctx, b)
	defer br.Close()
	var n int64
	for range rows {
		tag, err := br.Exec()
		if err != nil {
			return n, err
		}
		n += tag.RowsAffected()
	}
	return n, nil
}

// scriptKeyHost splits status:script:<host>:<path> for a daemon name, as
// SCAN MATCH status:script:*:*<name> and key.split(':')[2] do.
func scriptKeyHost(key, name string) (string, bool) {
	rest, ok := strings.CutPrefix(key, "status:script:")
	if !ok || !strings.HasSuffix(rest, name) {
		return "", false
	}
	i := strings.IndexByte(rest, ':')
	if i < 0 || i > len(rest)-len(name) {
		return "", false
	}
	return rest[:i], true
}

// runDaemons is mc_monitor_daemons.py's liveness check. Deviations: every
// host with a live key gets its row (the original keeps the last one
// scanned), and a daemon with no key is recorded 'errored' under the host it
// was last seen on (the original used the previous daemon's host; "unknown"
// when it was never seen). The ingest does not write its own key: Redis is
// only read.
func runDaemons(g *gctx) error {
	keys, err := g.scan("status:script:*")
	if err != nil {
		return err
	}
	var rows []daemonRow
	var missing []string
	for _, name := range LivenessDaemons {
		hosts := map[string]bool{}
		var order []string
		for _, k := range keys {
			h, ok := scriptKeyHost(k, name)
			if ok && !isText(h) {
				g.skip("daemon_status", k, "", "hostname "+notText)
				continue
			}
			if ok && !hosts[h] {
				hosts[h] = true
				order = append(order, h)
			}
		}
		if len(order) == 0 {
			missing = append(missing, name)
			continue
		}
		for _, h := range order {
			rows = append(rows, daemonRow{name, h, statusGood})
		}
	}
	for _, name := range missing {
		host := "unknown"
		err := g.db.QueryRow(g.ctx, `SELECT hostname FROM daemon_status WHERE name = $1 AND hostname <> 'unknown'
			ORDER BY time DESC, hostname LIMIT 1`, truncate32(name)).Scan(&host) // hostname: one answer when a pass saw it on two hosts
		if err != nil && err != pgx.ErrNoRows {
			return err
		}
		rows = append(rows, daemonRow{name, host, statusErrored})
	}
	n, err := g.upsertDaemonStatus(rows)
	if err != nil {
		return err
	}
	g.pending["daemon_status"] += n
	return nil
}
