package main

import (
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// TestServeWildcardAddrURL: with --addr :PORT or 0.0.0.0:PORT (every
// interface) the printed URL is one a client can dial. It used to be
// redis://[::]:PORT or redis://0.0.0.0:PORT: an address to listen on, not
// to connect to (redis-cli -u cannot even parse the first: "Could not
// connect to Redis at [:0"; systems other than Linux refuse both).
func TestServeWildcardAddrURL(t *testing.T) {
	cli := redistest.Binary(t, "redis-cli")
	cases := []struct{ addr, host string }{
		{":0", "127.0.0.1"},
		{"0.0.0.0:0", "127.0.0.1"},
	}
	if l, err := net.Listen("tcp", "[::1]:0"); err == nil {
		l.Close()
		cases = append(cases, struct{ addr, host string }{"[::]:0", "::1"})
	}
	for _, tc := range cases {
		for _, asJSON := range []bool{false, true} {
			args := []string{testDump, "--addr", tc.addr}
			if asJSON {
				args = append(args, "--json")
			}
			c := startChild(t, append([]string{"serve"}, args...)...)
			url := waitServeOutput(t, c, asJSON)
			host, port, err := net.SplitHostPort(strings.TrimPrefix(url, "redis://"))
			if err != nil || host != tc.host || port == "0" {
				t.Errorf("serve --addr %s (json %v): URL %q, want redis://%s", tc.addr, asJSON, url, net.JoinHostPort(tc.host, "PORT"))
				continue
			}
			if rc := serveClient(t, url); rc.Ping(context.Background()).Err() != nil {
				t.Errorf("serve --addr %s: go-redis on %s: %v", tc.addr, url, rc.Ping(context.Background()).Err())
			}
			if tc.host == "127.0.0.1" {
				out, err := exec.Command(cli, "-u", url, "PING").CombinedOutput()
				if err != nil || strings.TrimSpace(string(out)) != "PONG" {
					t.Errorf("serve --addr %s: redis-cli -u %s PING: %v, %q", tc.addr, url, err, out)
				}
			}
		}
	}
}

// waitServeOutput waits for serve's URL (or --json report) on stdout and
// returns the URL.
func waitServeOutput(t *testing.T, c *child, asJSON bool) string {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		out := c.stdout.String()
		if asJSON {
			var r serveReport
			if json.Unmarshal([]byte(out), &r) == nil {
				return r.URL
			}
		} else if strings.HasSuffix(out, "\n") {
			return strings.TrimSpace(out)
		}
		select {
		case err := <-c.done:
			t.Fatalf("serve exited: %v\n%s", err, c.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no URL in 20 s: %q\n%s", out, c.stderr.String())
		}
	}
}

// TestServeAddrNotHostPort: an --addr that is not HOST:PORT (a unix socket
// path, a URL, a bare port) is a usage error that says what to give, before
// the dump is read. It used to be Go's listen error: "missing port in
// address", "too many colons in address", "lookup tcp////tmp/r.sock:
// unknown port".
func TestServeAddrNotHostPort(t *testing.T) {
	for _, addr := range []string{"/tmp/rdbtool-serve.sock", "unix:///tmp/rdbtool-serve.sock", "redis://127.0.0.1:6380", "6380", "localhost"} {
		r := mustRun(t, 2, nil, "serve", testDump, "--addr", addr)
		want := "serve: --addr " + strconv.Quote(addr) + ": want HOST:PORT"
		if msg := r.err.Error(); !strings.HasPrefix(msg, want) {
			t.Errorf("serve --addr %s: %q, want it to start with %q", addr, msg, want)
		}
	}
}
