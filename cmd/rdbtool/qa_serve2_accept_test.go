package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// serveAddr is the host:port of a serve URL.
func serveAddr(url string) string { return strings.TrimPrefix(url, "redis://") }

// rawExchange sends req on a new connection to addr and returns what
// comes back, with "<EOF>" appended when the server closed the
// connection. It waits up to 10 s for as much as expect (the reply the
// caller wants, or its beginning; "<EOF>" at its end: the close too), so
// that a slow machine is no failure, then on until wait passes with
// nothing more: a further byte, or a close, is then in the result.
func rawExchange(t *testing.T, addr, req, expect string, wait time.Duration) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	var out []byte
	buf := make([]byte, 4096)
	slow := time.Now().Add(10 * time.Second)
	for {
		deadline := time.Now().Add(wait)
		if len(out) < len(strings.TrimSuffix(expect, "<EOF>")) || strings.HasSuffix(expect, "<EOF>") {
			deadline = slow
		}
		conn.SetReadDeadline(deadline)
		n, err := conn.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return string(out)
			}
			return string(out) + "<EOF>"
		}
	}
}

// TestServeNoRefusedConnectionAtHandover: a client connecting over and
// over while serve finishes its load (a CI script polling the port) is
// never refused. serve used to close its own listener after the load and
// let miniredis listen again on the port: a connection in between was
// refused (and with --addr HOST:0 another process could take the port).
func TestServeNoRefusedConnectionAtHandover(t *testing.T) {
	dump := manyKeysDump(t, 3000)
	for round := range 3 {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(redistest.FreePort(t)))
		cmd := exec.Command(binary(t), "serve", "-", "--addr", addr)
		cmd.Env = append(os.Environ(), "RDBTOOL_TEST_MAIN=1")
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr liveBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		stdin.Write(dump[:len(dump)-10])
		// serve listens before the load: wait for the port to open.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			conn, err := net.Dial("tcp", addr)
			if err == nil {
				conn.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("serve never listened on %s: %v\n%s", addr, err, stderr.String())
			}
		}
		var stop atomic.Bool
		var refused, dials atomic.Int64
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					conn, err := net.DialTimeout("tcp", addr, time.Second)
					dials.Add(1)
					if errors.Is(err, syscall.ECONNREFUSED) {
						refused.Add(1)
					}
					if err == nil {
						// A reset, not a FIN: no TIME_WAIT to use up
						// the ephemeral ports.
						conn.(*net.TCPConn).SetLinger(0)
						conn.Close()
					}
				}
			}()
		}
		time.Sleep(50 * time.Millisecond)
		stdin.Write(dump[len(dump)-10:])
		stdin.Close()
		line, err := bufio.NewReader(stdout).ReadString('\n')
		time.Sleep(100 * time.Millisecond)
		stop.Store(true)
		wg.Wait()
		cmd.Process.Signal(syscall.SIGTERM)
		io.Copy(io.Discard, stdout)
		cmd.Wait()
		if err != nil || !strings.Contains(line, "redis://") {
			t.Fatalf("round %d: no readiness line: %q, %v\n%s", round, line, err, stderr.String())
		}
		if n := refused.Load(); n > 0 {
			t.Fatalf("round %d: %d of %d connections refused while serve finished its load", round, n, dials.Load())
		}
	}
}

// TestServeAcceptsAfterTooManyOpenFiles: once serve has run out of file
// descriptors (more clients than its RLIMIT_NOFILE), it accepts
// connections again when clients leave, as redis-server and net/http do.
// miniredis's accept loop used to stop on the first EMFILE: every later
// client hung, with nothing said.
func TestServeAcceptsAfterTooManyOpenFiles(t *testing.T) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(redistest.FreePort(t)))
	c := startShChild(t, "ulimit -n 40", "serve", testDump, "--addr", addr)
	waitServeOutput(t, c, false)

	// More clients than descriptors: the last ones wait in the backlog.
	var conns []net.Conn
	for range 60 {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte("*1\r\n$4\r\nPING\r\n"))
		conns = append(conns, conn)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(c.stderr.String(), "too many open files") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(c.stderr.String(), "too many open files") {
		t.Fatalf("60 clients under a limit of 40 descriptors: serve said nothing:\n%s", c.stderr.String())
	}
	for _, conn := range conns {
		conn.Close()
	}
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("*1\r\n$4\r\nPING\r\n"))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if got, err := bufio.NewReader(conn).ReadString('\n'); got != "+PONG\r\n" {
		t.Fatalf("PING after the clients left: %q, %v, want +PONG (serve no longer accepts?)\n%s", got, err, c.stderr.String())
	}
}

// TestServeClusterClient: CLUSTER SLOTS names the address serve prints,
// so a cluster client (go-redis ClusterClient) pointed at serve works,
// also with --addr 0.0.0.0:PORT, where it used to be told to go to
// 0.0.0.0 (an address to listen on, refused as a destination on systems
// other than Linux).
func TestServeClusterClient(t *testing.T) {
	ctx := context.Background()
	for _, addr := range []string{"127.0.0.1:0", "0.0.0.0:0"} {
		url, _ := serveURL(t, testDump, "--addr", addr)
		host, port, _ := net.SplitHostPort(serveAddr(url))
		slots, err := serveClient(t, url).ClusterSlots(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(slots) != 1 || len(slots[0].Nodes) != 1 || slots[0].Nodes[0].Addr != net.JoinHostPort(host, port) {
			t.Fatalf("--addr %s: CLUSTER SLOTS %+v, want the node %s:%s", addr, slots, host, port)
		}
		cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{serveAddr(url)}})
		defer cc.Close()
		if n, err := cc.DBSize(ctx).Result(); err != nil || n == 0 {
			t.Fatalf("--addr %s: a cluster client: DBSIZE %d, %v", addr, n, err)
		}
	}
}
