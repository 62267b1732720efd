package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/signal"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
	"github.com/rdbtool/rdbtool/fixture"
	"github.com/rdbtool/rdbtool/internal/minidb"
	"github.com/rdbtool/rdbtool/rdb"
	"github.com/urfave/cli/v2"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:      "serve",
		Usage:     "serve a dump from an in-process fake Redis (miniredis) until interrupted",
		UsageText: "rdbtool serve FILE [--addr 127.0.0.1:6379] [--expiry relative|wallclock|persist] [--json]",
		Description: "Any Redis client can then use the dump with no redis-server. --expiry relative (default) counts TTLs\n" +
			"from the dump's ctime, wallclock treats expiries as absolute times, persist drops them.\n" +
			"FILE may be - for stdin. The server's URL is printed on stdout once the dump is loaded; a client that\n" +
			"connects before gets its replies then (never a half-loaded dump). TTLs count down as on a server.\n" +
			"Databases 0 to 15 can be selected, or up to the highest the dump uses.\n" +
			"SIGINT, SIGTERM, SIGHUP or the command SHUTDOWN (redis-cli shutdown) stop it: exit 0, \"serve: stopped\".\n" +
			"What miniredis cannot hold (function libraries, module values, expired keys, empty collections) is skipped\n" +
			"and listed on stderr (the first 20, then a count).\n" +
			"--json prints, instead of the URL and that list, one JSON object on one line of stdout once the dump is\n" +
			"loaded: url, keys (loaded), skipped (every item: kind, db (-1 for none), name, detail); then it serves as before.\n\n" +
			helpExamples("rdbtool serve testdata/dump.rdb --addr 127.0.0.1:6390",
				"rdbtool serve dump.rdb --addr 127.0.0.1:0 --expiry persist   # any free port"),
		ArgsUsage: "FILE",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:6379", Usage: "listen on `ADDRESS` (host:port; port 0 picks a free one)"},
			&cli.StringFlag{Name: "expiry", Value: "relative", Usage: "expiry `POLICY`: relative, wallclock or persist"},
			&cli.BoolFlag{Name: "json", Usage: "print the URL, key count and skipped items as one JSON object (see above)"},
		},
		Action: runServe,
	}
}

func runServe(c *cli.Context) error {
	path, err := fileArg(c)
	if err != nil {
		return err
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
		return cmdUsageError("serve", "--expiry %q: use relative, wallclock or persist", c.String("expiry"))
	}
	addr := c.String("addr")
	if _, port, err := net.SplitHostPort(addr); err != nil || !isPort(port) {
		return cmdUsageError("serve", "--addr %q: want HOST:PORT, e.g. 127.0.0.1:6380 (port 0 picks a free one; a TCP address, not a URL or a unix socket)", addr)
	}
	in, err := openInput(c, path, "serve")
	if err != nil {
		return err
	}
	defer in.Close()
	return serve(c.Context, c, in, addr, policy)
}

// isPort reports whether s is a port number (0 to 65535).
func isPort(s string) bool {
	_, err := strconv.ParseUint(s, 10, 16)
	return err == nil
}

// maxSkippedListed bounds the skipped items serve names.
const maxSkippedListed = 20

// serve runs miniredis with the dump in until ctx ends or SIGINT, SIGTERM
// or SIGHUP. The signals are caught only once the dump is in: while it
// loads (from a pipe that may stall) they end the program at once.
//
// The address is taken before the load, so that a port in use is reported
// at once, but no client is answered before the whole dump is in: the
// connections made during the load wait (their commands unread) and are
// handed to miniredis with the URL. A client polling the port is thus
// never shown a half-loaded dump.
//
// serve keeps that listener and runs the accept loop itself (acceptLoop),
// handing each connection to miniredis's command server, which is started
// with no listener of its own. The port is thus never closed between the
// load and the serving: serve used to close it and let miniredis listen
// again, and a client connecting in between was refused (with --addr
// HOST:0 another process could even take the port).
//
// On the way, serve adds to miniredis what a client of a server expects:
// requests are checked before miniredis reads them (respConn), a client
// leaving while blocked is let go (respConn.release), INFO, TTL, SELECT
// and RESTORE answer as redis-server's do (serveHook), and SHUTDOWN stops
// serve.
func serve(ctx context.Context, c *cli.Context, in *srcFile, addr string, policy fixture.Option) error {
	l, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return cli.Exit(fmt.Sprintf("serve: %s is in use (another server?): stop it, or give another --addr; --addr 127.0.0.1:0 picks a free port and prints it", addr), exitError)
	}
	if err != nil {
		return cli.Exit(fmt.Sprintf("serve: listening on %s: %v", addr, err), exitError)
	}
	m := miniredis.NewMiniRedis()
	gate := &serveGate{}
	quit := make(chan struct{})
	accepting := make(chan struct{})
	go func() {
		defer close(accepting)
		acceptLoop(l, gate.add, quit, func(err error) {
			stderrf(c, "serve: %v; trying again (the clients wait until others leave)\n", err)
		})
	}()
	defer func() {
		// No connection is handed to miniredis once it is closed.
		close(quit)
		l.Close()
		<-accepting
		gate.close()
		m.Close()
	}()
	rep, err := loadDump(m, in, policy)
	if err != nil {
		return err
	}
	dial := dialAddr(addr, l.Addr().String())
	sv := startConnServer(m, dial)
	ctx, shutdown := context.WithCancelCause(ctx)
	defer shutdown(nil)
	sv.srv.Register("SHUTDOWN", shutdownCommand(shutdown)) // an error: miniredis has its own now
	sv.srv.SetPreHook(serveHook(m, sv, dial, time.Now()))
	gate.open(sv)
	in.Close()
	// SIGHUP stops serve cleanly as SIGINT and SIGTERM do (exit 0, "serve:
	// stopped"), as most Go servers handle it: it comes when the terminal
	// closes or a CI runner ends the job's session, both ways of saying
	// "stop". serve has no configuration to reload on it, and dying with
	// 129 and nothing said looked like a crash. A signal ignored from the
	// start (nohup's SIGHUP, SIGINT for a command a script runs with &)
	// stays ignored (handledSignals): catching it would undo that.
	ctx, stop := signal.NotifyContext(ctx, handledSignals(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)...)
	defer stop()
	go serveClock(ctx, m)
	if c.Bool("json") {
		if err := printJSONLine(c, newServeReport(dial, rep)); err != nil {
			return err
		}
	} else {
		serveSummary(c, in.name, dial, rep)
	}
	<-ctx.Done()
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errShutdown):
		stderrf(c, "serve: stopped (SHUTDOWN)\n")
	case errors.Is(cause, context.Canceled):
		stderrf(c, "serve: stopped\n")
	}
	return nil
}

// serveHook runs before each command (miniredis's pre-command hook) and
// answers INFO, TTL, RESTORE and COMMAND DOCS itself, and SELECT of a
// database out of range; any other command, and these in a MULTI
// (a hook cannot queue a command), a Lua script (run with miniredis
// locked) or a subscribed connection, are left to miniredis.
func serveHook(m *miniredis.Miniredis, sv *served, addr string, started time.Time) server.Hook {
	info := infoCommand(m, sv, addr, started)
	// redis-server's databases (16), or as many as the dump uses.
	dbs := 16
	if sizes := dbSizes(m); len(sizes) > 0 {
		dbs = max(dbs, sizes[len(sizes)-1].ID+1)
	}
	return func(p *server.Peer, cmd string, args ...string) bool {
		if cmd != "INFO" && cmd != "TTL" && cmd != "SELECT" && cmd != "RESTORE" && cmd != "COMMAND" || !plainState(p) {
			return false
		}
		switch cmd {
		case "COMMAND":
			// COMMAND DOCS: miniredis answers with the COMMAND list, which
			// redis-cli, reading commands from a pipe, asserts on and
			// aborts. No docs is an answer it takes.
			if len(args) == 0 || !strings.EqualFold(args[0], "DOCS") {
				return false
			}
			if p.Resp3 {
				p.WriteMapLen(0)
			} else {
				p.WriteLen(0)
			}
			return true
		case "INFO":
			info(p, args)
			return true
		case "TTL":
			return ttlCommand(sv, p, args)
		case "RESTORE":
			return restoreCommand(m, p, args)
		}
		// SELECT: miniredis takes any index, which a client configured
		// for the wrong database would only find out against Redis.
		if n, err := strconv.Atoi(strings.Join(args, " ")); err == nil && n >= dbs {
			p.WriteError("ERR DB index is out of range")
			return true
		}
		return false
	}
}

// restoreCommand is RESTORE KEY TTL PAYLOAD [REPLACE] [ABSTTL] [IDLETIME
// s] [FREQ f] for a payload of Redis's DUMP format (what `rdbtool load`,
// redis-cli --pipe of RESTOREs and migration tools send): the value is
// decoded and put in p's database through fixture, as serve loads a dump,
// whatever its type. miniredis's RESTORE stored the payload's bytes as a
// string (its DUMP gives a string's bytes as they are): `rdbtool load
// --to` a serve URL reported every key loaded, each hash or list a string
// of binary. A payload that is not Redis's (miniredis's own DUMP: no
// valid checksum) is left to miniredis, as is anything in a MULTI; one
// of Redis's that does not decode is an error. ok is false to leave it.
func restoreCommand(m *miniredis.Miniredis, p *server.Peer, args []string) (ok bool) {
	if len(args) < 3 {
		return false
	}
	e, version, err := rdb.EntryFromDump([]byte(args[0]), []byte(args[2]))
	switch {
	case errors.Is(err, rdb.ErrChecksum) || errors.Is(err, rdb.ErrTruncated):
		return false // not Redis's format: miniredis's own
	case err != nil: // Redis's (its checksum right), but not a value
		p.WriteError("ERR Bad data format: " + err.Error())
		return true
	}
	ttl, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil || ttl < 0 {
		p.WriteError("ERR Invalid TTL value, must be >= 0")
		return true
	}
	var replace, absTTL bool
	for i := 3; i < len(args); i++ {
		switch strings.ToUpper(args[i]) {
		case "REPLACE":
			replace = true
		case "ABSTTL":
			absTTL = true
		case "IDLETIME", "FREQ": // not kept by miniredis
			if i++; i == len(args) {
				p.WriteError("ERR syntax error")
				return true
			}
			if _, err := strconv.ParseInt(args[i], 10, 64); err != nil {
				p.WriteError("ERR value is not an integer or out of range")
				return true
			}
		default:
			p.WriteError("ERR syntax error")
			return true
		}
	}
	db := selectedDB(p)
	if db < 0 {
		return false
	}
	if !replace && m.DB(db).Exists(args[0]) {
		p.WriteError("BUSYKEY Target key name already exists.")
		return true
	}
	var left time.Duration // 0: no TTL
	switch {
	case ttl > 0 && absTTL:
		left = time.Until(time.UnixMilli(ttl))
	case ttl > 0:
		left = time.Duration(ttl) * time.Millisecond
	}
	if ttl > 0 && left <= 0 { // expired already: redis-server drops it
		m.DB(db).Del(args[0])
		p.WriteOK()
		return true
	}
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, version)
	e.DB = db
	defer w.Abort() // a large value it could not write started the Writer's background writer (after Close: nothing)
	if err = w.WriteEntry(e); err == nil {
		err = w.Close()
	}
	var rep *fixture.LoadReport
	if err == nil {
		rep, err = fixture.LoadInto(m, &buf, fixture.Persist)
	}
	switch {
	case err != nil:
		p.WriteError("ERR Bad data format: " + err.Error())
	case len(rep.Skipped) > 0:
		p.WriteError("ERR serve cannot hold this value: " + rep.Skipped[0].Detail)
	default:
		if left > 0 {
			m.DB(db).SetTTL(args[0], left)
		}
		p.WriteOK()
	}
	return true
}

// selectedDB is the database client p has selected (miniredis keeps it in
// p.Ctx, of a type it does not export: read through reflect; -1 should its
// layout change).
func selectedDB(p *server.Peer) (db int) {
	defer func() {
		if recover() != nil {
			db = -1
		}
	}()
	if p.Ctx == nil {
		return 0
	}
	f := reflect.ValueOf(p.Ctx).Elem().FieldByName("selectedDB")
	if f.Kind() != reflect.Int {
		return -1
	}
	return int(f.Int())
}

// ttlCommand answers TTL KEY with the remaining time rounded to the
// nearest second, as redis-server does: miniredis truncates it, and
// serveClock moves it every serveTick, so `SET k v EX 10` then TTL k said
// 9 a tenth of a second later (redis-server: 10 for half a second). It is
// PTTL's reply, asked from miniredis on p's database. ok is false to leave
// the command to miniredis (a wrong number of arguments).
func ttlCommand(sv *served, p *server.Peer, args []string) (ok bool) {
	if len(args) != 1 {
		return false
	}
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	q := server.NewPeer(w)
	q.Ctx = p.Ctx // its selected database
	sv.srv.Dispatch(q, []string{"PTTL", args[0]})
	q.Flush()
	reply, found := strings.CutPrefix(out.String(), ":")
	ms, err := strconv.ParseInt(strings.TrimSuffix(reply, "\r\n"), 10, 64)
	if !found || err != nil {
		return false
	}
	if ms >= 0 { // -1 no TTL, -2 no key
		ms = (ms + 500) / 1000
	}
	p.WriteInt(int(ms))
	return true
}

// infoCommand is INFO with the sections server, clients, stats and
// keyspace: miniredis has only clients and stats, and took one section at
// most. `redis-cli info keyspace` (which databases hold keys) was an
// error, as was INFO server, whose redis_version some clients read at
// start (Python's RQ). The version is the one miniredis gives in HELLO.
// Other sections are empty, as on redis-server for a section it does not
// know.
func infoCommand(m *miniredis.Miniredis, sv *served, addr string, started time.Time) func(*server.Peer, []string) {
	_, port, _ := net.SplitHostPort(addr)
	return func(p *server.Peer, args []string) {
		want := map[string]bool{}
		for _, a := range args {
			want[strings.ToLower(a)] = true
		}
		all := len(args) == 0 || want["all"] || want["default"] || want["everything"]
		var b strings.Builder
		section := func(name string, lines ...string) {
			if !all && !want[strings.ToLower(name)] {
				return
			}
			if b.Len() > 0 {
				b.WriteString("\r\n")
			}
			b.WriteString("# " + name + "\r\n")
			for _, l := range lines {
				b.WriteString(l + "\r\n")
			}
		}
		up := int64(time.Since(started).Seconds())
		section("Server", "redis_version:8.4.0", "redis_mode:standalone", "os:"+runtime.GOOS,
			"arch_bits:"+strconv.Itoa(strconv.IntSize), "process_id:"+strconv.Itoa(os.Getpid()), "tcp_port:"+port,
			"uptime_in_seconds:"+strconv.FormatInt(up, 10), "uptime_in_days:"+strconv.FormatInt(up/86400, 10))
		conns, cmds := sv.counts()
		section("Clients", "connected_clients:"+strconv.Itoa(sv.srv.ClientsLen()))
		section("Stats", "total_connections_received:"+strconv.Itoa(conns), "total_commands_processed:"+strconv.Itoa(cmds))
		section("Keyspace", infoKeyspace(m)...)
		p.WriteBulk(b.String())
	}
}

// plainState reports whether the client p is in none of the states where
// serveHook leaves commands to miniredis: in a MULTI, in a Lua script,
// subscribed (should miniredis's layout change: false, all left to
// miniredis).
func plainState(p *server.Peer) bool {
	tx, nested, sub, ok := connState(p)
	return ok && !tx && !nested && !sub
}

// connState is the state miniredis keeps for the client p in p.Ctx, of a
// type it does not export (read through reflect; ok is false should its
// layout change): in a MULTI (tx), in a Lua script (nested), subscribed.
func connState(p *server.Peer) (tx, nested, sub, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	if p.Ctx == nil {
		return false, false, false, true // no command has set any state yet
	}
	v := reflect.ValueOf(p.Ctx)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return false, false, false, false
	}
	t, n, s := v.Elem().FieldByName("transaction"), v.Elem().FieldByName("nested"), v.Elem().FieldByName("subscriber")
	if t.Kind() != reflect.Slice || n.Kind() != reflect.Bool || s.Kind() != reflect.Pointer {
		return false, false, false, false
	}
	return !t.IsNil(), n.Bool(), !s.IsNil(), true
}

// infoKeyspace is INFO's keyspace section, a line for each database holding
// keys: "db0:keys=232,expires=3,avg_ttl=0" (avg_ttl is not computed).
func infoKeyspace(m *miniredis.Miniredis) (lines []string) {
	for _, s := range dbSizes(m) {
		lines = append(lines, fmt.Sprintf("db%d:keys=%d,expires=%d,avg_ttl=0", s.ID, s.Keys, s.Expires))
	}
	return lines
}

// dbSizes returns m's databases that hold keys, by id (nil should
// miniredis's layout change: see minidb).
func dbSizes(m *miniredis.Miniredis) (sizes []minidb.DB) {
	dbs, _ := minidb.DBs(m)
	for _, db := range dbs {
		if db.Keys > 0 {
			sizes = append(sizes, db)
		}
	}
	return sizes
}

// errShutdown ends serve on a SHUTDOWN command.
var errShutdown = fmt.Errorf("SHUTDOWN: %w", context.Canceled)

// shutdownCommand is SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], which
// miniredis does not have: `redis-cli shutdown` is how many CI jobs stop
// the redis-server they started, and serve then kept running. It stops
// serve as a signal does (stop(errShutdown)), the client's connection
// closed with no reply, as redis-server does. SAVE is refused: serve
// writes nothing back to the dump. As on redis-server, it is refused in a
// MULTI (miniredis runs a registered command at once: it stopped serve
// before EXEC) and from a Lua script.
func shutdownCommand(stop context.CancelCauseFunc) server.Cmd {
	return func(p *server.Peer, cmd string, args []string) {
		switch tx, nested, _, _ := connState(p); {
		case nested:
			p.WriteError("ERR This Redis command is not allowed from script")
			return
		case tx:
			p.WriteError("ERR Command not allowed inside a transaction")
			return
		}
		seen := map[string]bool{}
		for _, a := range args {
			a = strings.ToUpper(a)
			switch a {
			case "NOSAVE", "SAVE", "NOW", "FORCE", "ABORT":
			default:
				p.WriteError("ERR syntax error")
				return
			}
			seen[a] = true
		}
		switch {
		case seen["SAVE"] && seen["NOSAVE"], seen["ABORT"] && len(seen) > 1:
			p.WriteError("ERR syntax error")
		case seen["ABORT"]:
			p.WriteError("ERR No shutdown in progress.")
		case seen["SAVE"]:
			p.WriteError("ERR serve saves nothing: the dump is not written back (SHUTDOWN or SHUTDOWN NOSAVE stops it)")
		default:
			stop(errShutdown)
		}
	}
}

// served is miniredis's command server as serve runs it: what it
// counted before the clients came (the load's own commands), and the
// commands respConn.release sent, both left out of INFO's figures.
type served struct {
	srv           *server.Server
	conns0, cmds0 int
	wakes         atomic.Int64
}

// counts are the connections and commands of the clients so far.
func (sv *served) counts() (conns, cmds int) {
	return sv.srv.TotalConnections() - sv.conns0, sv.srv.TotalCommands() - sv.cmds0 - int(sv.wakes.Load())
}

// startConnServer starts m's command server with no listener, unless the
// load has (fixture runs some commands that way): Dial does so on a
// Miniredis not started yet (the in-memory connection it returns is not
// needed). The server then serves the connections given to its ServeConn.
//
// miniredis names its own address in CLUSTER SLOTS, NODES and SHARDS (a
// cluster client connects to what they say) and takes it from its
// listener, which it does not have here: addr is set in its place.
func startConnServer(m *miniredis.Miniredis, addr string) *served {
	if m.Server() == nil {
		if p, err := m.Dial(); err == nil {
			p.Close()
		}
	}
	setNodeAddr(m, addr)
	sv := &served{srv: m.Server()}
	sv.conns0, sv.cmds0 = sv.srv.TotalConnections(), sv.srv.TotalCommands()
	return sv
}

// setNodeAddr sets the address m gives for itself in the CLUSTER replies.
// miniredis does not export it (ip, port): it is set through reflect.
// Should its layout change, it is left alone, and cluster clients are sent
// to ":0" (TestServeClusterClient says so).
func setNodeAddr(m *miniredis.Miniredis, addr string) {
	host, p, err := net.SplitHostPort(addr)
	port, perr := strconv.Atoi(p)
	if err != nil || perr != nil {
		return
	}
	m.Lock()
	defer m.Unlock()
	v := reflect.ValueOf(m).Elem()
	ip, pt := v.FieldByName("ip"), v.FieldByName("port")
	if ip.Kind() != reflect.String || pt.Kind() != reflect.Int {
		return
	}
	reflect.NewAt(ip.Type(), unsafe.Pointer(ip.UnsafeAddr())).Elem().SetString(host)
	reflect.NewAt(pt.Type(), unsafe.Pointer(pt.UnsafeAddr())).Elem().SetInt(int64(port))
}

// serveGate holds the connections accepted while the dump loads, and
// hands them and all later ones to the command server once it is open.
type serveGate struct {
	mu     sync.Mutex
	sv     *served
	held   []net.Conn
	closed bool
}

func (g *serveGate) add(conn net.Conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.closed:
		conn.Close()
	case g.sv != nil:
		g.sv.srv.ServeConn(newRESPConn(conn, g.sv))
	default:
		g.held = append(g.held, conn)
	}
}

// open hands the held connections, and then every new one, to sv.
func (g *serveGate) open(sv *served) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sv = sv
	for _, conn := range g.held {
		sv.srv.ServeConn(newRESPConn(conn, sv))
	}
	g.held = nil
}

// close closes the connections still held (the load failed) and any
// added later.
func (g *serveGate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	for _, conn := range g.held {
		conn.Close()
	}
	g.held = nil
}

// acceptLoop accepts connections on l and hands them to hand until l is
// closed or quit is. An accept error (out of file descriptors: EMFILE,
// ENFILE; out of kernel memory) is retried after a pause that doubles from
// 5 ms to 1 s, as net/http's Server.Serve does: the client waits in the
// listen backlog, and is served once others leave. miniredis's own loop
// stopped accepting for good on the first one, with nothing said. report
// is told the first error of a series, at most every acceptReportEvery.
func acceptLoop(l net.Listener, hand func(net.Conn), quit <-chan struct{}, report func(error)) {
	var wait time.Duration
	var reported time.Time
	for {
		conn, err := l.Accept()
		if err == nil {
			wait = 0
			hand(conn)
			continue
		}
		select {
		case <-quit:
			return
		default:
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if wait == 0 && time.Since(reported) >= acceptReportEvery {
			report(err)
			reported = time.Now()
		}
		wait = min(max(2*wait, 5*time.Millisecond), time.Second)
		select {
		case <-quit:
			return
		case <-time.After(wait):
		}
	}
}

const acceptReportEvery = 10 * time.Second

// respConn is a client connection as miniredis reads it: the requests
// checked and rewritten as redis-server reads them. miniredis's reader
// takes lines and lengths as sent: an empty array (*0) or a bulk length
// over 2^63 panicked and ended serve, any other length was allocated
// whatever its size, and an inline command (PING typed into telnet, a
// health check's printf 'PING\r\n', redis-benchmark's PING_INLINE) closed
// the connection. Here an array of bulk strings is passed on (its header
// lines rewritten, its payloads streamed), an empty one is skipped, an
// inline command becomes an array, and anything else gets redis-server's
// "Protocol error" reply and the connection closed. The reply is written
// in Close, which miniredis calls once it has written the replies to the
// requests before.
type respConn struct {
	net.Conn
	r    *bufio.Reader
	sv   *served
	out  []byte // rewritten bytes not read yet
	buf  []byte // out's memory, reused once out is read
	args int    // bulk strings still to come in the current array
	bulk int    // payload bytes (and the CRLF after them) still to pass on
	err  error  // the error Read returns once out is empty

	mu       sync.Mutex
	protoErr string // the protocol error Close sends
	closed   bool
}

const (
	respInlineMax = 64 << 10  // redis-server's PROTO_INLINE_MAX_SIZE
	respBulkMax   = 512 << 20 // proto-max-bulk-len's default
)

var errRESP = errors.New("protocol error")

func newRESPConn(c net.Conn, sv *served) *respConn {
	return &respConn{Conn: c, r: bufio.NewReaderSize(c, 16<<10), sv: sv}
}

func (c *respConn) Read(p []byte) (int, error) {
	for len(c.out) == 0 && c.bulk == 0 {
		if c.err != nil {
			return 0, c.err
		}
		if c.err = c.next(); c.err != nil {
			go c.release()
		}
		c.buf = c.out[:0] // out's memory, for the next line
	}
	if len(c.out) > 0 {
		n := copy(p, c.out)
		c.out = c.out[n:]
		return n, nil
	}
	n, err := c.r.Read(p[:min(len(p), c.bulk)])
	c.bulk -= n
	if err != nil && c.err == nil {
		c.err = err
		go c.release()
	}
	return n, err
}

// release lets go of the connection once its client has left (or sent a
// bad request) while a blocking command (BLPOP, XREAD BLOCK, ...) waits:
// miniredis's reader marks the connection closed after Read returns the
// error, but its command loop, waiting on miniredis's condition variable,
// looks at the mark only when woken, that is at any client's next command.
// On an idle server that was never: each client stopped in a blocking
// command kept its connection. release wakes it with a PING of its own
// (any command wakes the blocked ones) until miniredis has closed the
// connection, trying a few times over about 2 s since it cannot know
// when the mark is set. (INFO's total_commands_processed leaves them out.)
func (c *respConn) release() {
	for wait := 2 * time.Millisecond; wait <= 2*time.Second; wait *= 4 {
		time.Sleep(wait)
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if closed {
			return
		}
		c.sv.wakes.Add(1)
		c.sv.srv.Dispatch(server.NewPeer(bufio.NewWriter(io.Discard)), []string{"PING"})
	}
}

// next reads one line of the request stream into out (or bulk, for a
// bulk string's payload).
func (c *respConn) next() error {
	line, err := c.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// A line longer than the buffer: gathered up to the limit.
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) && len(long) < respInlineMax {
			line, err = c.r.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	if errors.Is(err, bufio.ErrBufferFull) || len(line) > respInlineMax {
		switch {
		case c.args > 0:
			return c.fail("too big bulk count string")
		case line[0] == '*':
			return c.fail("too big mbulk count string")
		}
		return c.fail("too big inline request")
	}
	if err != nil {
		return err
	}
	line = line[:len(line)-1]
	if c.args > 0 {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 || line[0] != '$' {
			got := byte('\r')
			if len(line) > 0 {
				got = line[0]
			}
			return c.fail(fmt.Sprintf("expected '$', got '%c'", got))
		}
		n, err := strconv.ParseInt(string(line[1:]), 10, 64)
		if err != nil || n < 0 || n > respBulkMax {
			return c.fail("invalid bulk length")
		}
		c.args--
		c.out = respHeader(c.buf[:0], '$', n)
		c.bulk = int(n) + 2
		return nil
	}
	if len(line) > 0 && line[0] == '*' {
		n, err := strconv.ParseInt(string(bytes.TrimSuffix(line[1:], []byte("\r"))), 10, 64)
		if err != nil || n > math.MaxInt32 {
			return c.fail("invalid multibulk length")
		}
		if n > 0 { // as redis-server, *0 and *-1 are no request
			c.args = int(n)
			c.out = respHeader(c.buf[:0], '*', n)
		}
		return nil
	}
	args, ok := splitInline(line)
	if !ok {
		return c.fail("unbalanced quotes in request")
	}
	if len(args) > 0 { // an empty line is no request either
		c.out = respHeader(c.buf[:0], '*', int64(len(args)))
		for _, a := range args {
			c.out = append(respHeader(c.out, '$', int64(len(a))), a+"\r\n"...)
		}
	}
	return nil
}

// respHeader appends a RESP header line: kind ('*' or '$'), n, CRLF.
func respHeader(b []byte, kind byte, n int64) []byte {
	return append(strconv.AppendInt(append(b, kind), n, 10), '\r', '\n')
}

// fail records the protocol error msg for Close to send.
func (c *respConn) fail(msg string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.protoErr = "-ERR Protocol error: " + msg + "\r\n"
	return errRESP
}

// Close sends the protocol error there was, if any, and closes.
func (c *respConn) Close() error {
	c.mu.Lock()
	msg := c.protoErr
	first := !c.closed
	c.closed = true
	c.mu.Unlock()
	if first && msg != "" {
		c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
		c.Conn.Write([]byte(msg))
	}
	return c.Conn.Close()
}

// splitInline splits an inline command into its arguments as redis-server
// does: separated by spaces; "..." with the escapes \xHH, \n, \r, \t, \b,
// \a and \ before any other character; '...' with \' only. A NUL byte
// ends the arguments (redis-server splits a C string). ok is false for a
// quote not closed, or not followed by a space.
func splitInline(line []byte) (args []string, ok bool) {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	isSpace := func(b byte) bool {
		return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f'
	}
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return args, true
		}
		var arg []byte
		var quote byte // '"' or '\'' while in quotes
	word:
		for ; ; i++ {
			if i == len(line) {
				if quote != 0 {
					return nil, false
				}
				break
			}
			b := line[i]
			switch {
			case quote == 0 && isSpace(b):
				break word
			case quote == 0 && (b == '"' || b == '\''):
				quote = b
			case quote == '"' && b == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
				v, _ := strconv.ParseUint(string(line[i+2:i+4]), 16, 8)
				arg = append(arg, byte(v))
				i += 3
			case quote == '"' && b == '\\' && i+1 < len(line):
				i++
				e := line[i]
				if r := strings.IndexByte("nrtba", e); r >= 0 {
					e = "\n\r\t\b\a"[r]
				}
				arg = append(arg, e)
			case quote == '\'' && b == '\\' && i+1 < len(line) && line[i+1] == '\'':
				i++
				arg = append(arg, '\'')
			case b == quote:
				if i+1 < len(line) && !isSpace(line[i+1]) {
					return nil, false
				}
				i++
				break word
			default:
				arg = append(arg, b)
			}
		}
		args = append(args, string(arg))
	}
}

func isHex(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F'
}

// dialAddr is the address a client dials to reach a server listening on
// bound, asked for as --addr flag: the loopback address for a wildcard
// one (--addr :6380, 0.0.0.0:6380, [::]:6380), which is where to listen,
// not where to connect (redis-cli -u cannot parse redis://[::]:6380, and
// systems other than Linux refuse a connection to 0.0.0.0 or ::).
func dialAddr(flag, bound string) string {
	host, port, err := net.SplitHostPort(bound)
	if err != nil {
		return bound
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
		return bound
	}
	loopback := "127.0.0.1"
	if h, _, err := net.SplitHostPort(flag); err == nil && strings.Contains(h, ":") {
		loopback = "::1" // asked for an IPv6 address: [::]:PORT
	}
	return net.JoinHostPort(loopback, port)
}

// serveClock makes m's TTLs count down with the time, as on a Redis
// server, until ctx ends: miniredis moves them only when told to
// (FastForward), which a Go test does and a client of serve cannot.
//
// A pass goes over every key under miniredis's lock (200,000 keys: about
// 80 ms), so it is made only while some key or hash field has a TTL, at
// most every serveTick, and never more than 1/serveClockShare of the time.
func serveClock(ctx context.Context, m *miniredis.Miniredis) {
	last := time.Now()
	wait := serveTick
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = serveTick
		if !hasTTLs(m) {
			last = time.Now()
			continue
		}
		start := time.Now()
		m.FastForward(start.Sub(last))
		last = start
		wait = max(serveTick, serveClockShare*time.Since(start))
	}
}

const (
	serveTick       = 100 * time.Millisecond
	serveClockShare = 20
)

// hasTTLs reports whether a key or a hash field in m has a TTL (read by
// minidb). Should miniredis's layout change, it reports true (a pass costs
// time, but TTLs still count down).
func hasTTLs(m *miniredis.Miniredis) bool {
	dbs, ok := minidb.DBs(m)
	for _, db := range dbs {
		if db.Expires > 0 || db.FieldTTLs > 0 {
			return true
		}
	}
	return !ok
}

// serveSummary is serve's text report: what was loaded and skipped on
// stderr, the URL on stdout.
func serveSummary(c *cli.Context, name, addr string, rep *fixture.LoadReport) {
	stderrf(c, "serving %s: %d keys (expiry %s)", srcName(name), rep.Total(), rep.Policy)
	if n := len(rep.Skipped); n > 0 {
		stderrf(c, ", %d items skipped:", n)
		for _, s := range rep.Skipped[:min(n, maxSkippedListed)] {
			stderrf(c, "\n  %s", s)
		}
		if n > maxSkippedListed {
			stderrf(c, "\n  ... and %d more", n-maxSkippedListed)
		}
	}
	stderrf(c, "\n")
	fmt.Fprintf(c.App.Writer, "redis://%s\n", addr)
}

// serveReport is what serve --json prints once the dump is loaded.
type serveReport struct {
	URL     string         `json:"url"`
	Keys    int            `json:"keys"`
	Skipped []serveSkipped `json:"skipped"`
}

// serveSkipped is one item of the dump miniredis did not get (fixture.Skipped).
type serveSkipped struct {
	Kind   string `json:"kind"`
	DB     int    `json:"db"` // -1 for function libraries and module aux data
	Name   string `json:"name"`
	Detail string `json:"detail"`
}

// printJSONLine prints v on stdout as JSON on one line: serve's report is
// its readiness line, and serve goes on running, so a script reads it
// with `read -r` or readline(), not by waiting for the end of the output.
func printJSONLine(c *cli.Context, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	if _, err := c.App.Writer.Write(b.Bytes()); err != nil {
		return stdoutError(err)
	}
	return nil
}

func newServeReport(addr string, rep *fixture.LoadReport) serveReport {
	r := serveReport{URL: "redis://" + addr, Keys: rep.Total(), Skipped: make([]serveSkipped, 0, len(rep.Skipped))}
	for _, s := range rep.Skipped {
		r.Skipped = append(r.Skipped, serveSkipped{Kind: s.Kind, DB: s.DB, Name: s.Name, Detail: s.Detail})
	}
	return r
}
