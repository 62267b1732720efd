package main

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestServeInfo: INFO answers the sections clients and tools ask for.
// miniredis had only clients and stats: `redis-cli info keyspace` (which
// databases hold keys) and INFO server (redis_version, which job queues
// such as Python's RQ read at start) were errors, "section (keyspace) is
// not supported", and INFO with two sections a wrong number of arguments.
func TestServeInfo(t *testing.T) {
	ctx := context.Background()
	url, c := serveURL(t, testDump, "--addr", "127.0.0.1:0")
	rc := serveClient(t, url)
	o, _ := redis.ParseURL(url)
	o.DB = 3
	rc3 := redis.NewClient(o)
	defer rc3.Close()
	if err := rc3.Set(ctx, "serve2:info", "v", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	n := rc.DBSize(ctx).Val()
	_, port, _ := net.SplitHostPort(serveAddr(url))

	info, err := rc.Info(ctx, "keyspace").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := "# Keyspace\r\ndb0:keys=" + strconv.FormatInt(n, 10) + ",expires=0,avg_ttl=0\r\ndb3:keys=1,expires=1,avg_ttl=0\r\n"
	if info != want {
		t.Fatalf("INFO keyspace: %q, want %q", info, want)
	}
	info, err = rc.Info(ctx, "server", "clients").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"# Server\r\n", "\r\nredis_version:", "\r\nredis_mode:standalone\r\n", "\r\ntcp_port:" + port + "\r\n",
		"\r\nprocess_id:" + strconv.Itoa(c.cmd.Process.Pid) + "\r\n", "# Clients\r\nconnected_clients:"} {
		if !strings.Contains(info, line) {
			t.Errorf("INFO server clients: no %q in %q", line, info)
		}
	}
	if strings.Contains(info, "# Keyspace") || strings.Contains(info, "# Stats") {
		t.Errorf("INFO server clients: other sections in %q", info)
	}
	info, err = rc.Info(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"# Server", "# Clients", "# Stats", "# Keyspace"} {
		if !strings.Contains(info, s+"\r\n") {
			t.Errorf("INFO: no section %q in %q", s, info)
		}
	}
	// In a transaction, INFO is queued as any command (miniredis's own,
	// with its sections only), not answered out of turn.
	cmds, err := rc.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Info(ctx, "clients")
		p.DBSize(ctx)
		return nil
	})
	if err != nil || len(cmds) != 2 || !strings.HasPrefix(cmds[0].(*redis.StringCmd).Val(), "# Clients") || cmds[1].(*redis.IntCmd).Val() != n {
		t.Fatalf("MULTI INFO DBSIZE EXEC: %v, %v", cmds, err)
	}
}

// TestServeInfoFromScript: INFO called from a Lua script (which runs with
// miniredis locked) is answered, and serve goes on: serve's own INFO took
// miniredis's lock again and hung the whole server.
func TestServeInfoFromScript(t *testing.T) {
	ctx := context.Background()
	url, _ := serveURL(t, testDump, "--addr", "127.0.0.1:0")
	rc := serveClient(t, url)
	done := make(chan error, 1)
	go func() {
		done <- rc.Eval(ctx, "return redis.call('INFO', 'clients')", nil).Err()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("EVAL of INFO: no reply in 5 s (serve hung?)")
	}
	if err := rc.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
}
