package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/rdbtool/rdbtool/fixture"
	"github.com/rdbtool/rdbtool/internal/redistest"
)

// manyKeysDump writes a dump of n small string keys (one for each index)
// and returns its bytes.
func manyKeysDump(t *testing.T, n int) []byte {
	t.Helper()
	m := miniredis.NewMiniRedis()
	for i := range n {
		m.Set(fmt.Sprintf("ready:%06d", i), strconv.Itoa(i))
	}
	var buf bytes.Buffer
	if err := fixture.Save(m, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestServeNoPartialDataWhileLoading: a client that connects while serve is
// still loading (a script polling the port with PING, a test started too
// early) must not see a half-loaded dump. serve used to answer at once from
// the port it had opened before the load, so DBSIZE grew as the dump came
// in (a 2-million-key dump: 150,000 keys 0.3 s in, all of them 6 s later).
// Now a command sent during the load is answered once the dump is in, as
// the URL is printed.
func TestServeNoPartialDataWhileLoading(t *testing.T) {
	const n = 20000
	dump := manyKeysDump(t, n)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(redistest.FreePort(t)))
	cmd := exec.Command(binary(t), "serve", "-", "--addr", addr, "--expiry", "persist")
	cmd.Env = append(os.Environ(), "RDBTOOL_TEST_MAIN=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	// Most of the dump, then the pipe stalls: the load cannot end.
	if _, err := stdin.Write(dump[:len(dump)*3/4]); err != nil {
		t.Fatal(err)
	}

	// The port is open (a clear error for a port in use comes before a
	// long load); wait until a connection gets through.
	var conn net.Conn
	for deadline := time.Now().Add(10 * time.Second); ; {
		conn, err = net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve never listened on %s: %v\n%s", addr, err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	defer conn.Close()
	time.Sleep(300 * time.Millisecond) // let the first three quarters land
	if _, err := conn.Write([]byte("*1\r\n$6\r\nDBSIZE\r\n")); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(conn)
	conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	line, err := rd.ReadString('\n')
	var ne net.Error
	if err == nil {
		t.Fatalf("DBSIZE while the dump is loading answered %q (a dump of %d keys)", strings.TrimSpace(line), n)
	} else if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("DBSIZE while the dump is loading: %v\n%s", err, stderr.String())
	}

	// The rest of the dump: the URL comes, and so does the queued reply.
	if _, err := stdin.Write(dump[len(dump)*3/4:]); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	url := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		url <- strings.TrimSpace(l)
	}()
	select {
	case u := <-url:
		if u != "redis://"+addr {
			t.Fatalf("serve printed %q, want redis://%s\n%s", u, addr, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no URL 20 s after the dump ended\n%s", stderr.String())
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err = rd.ReadString('\n')
	if err != nil {
		t.Fatalf("DBSIZE sent while loading, no reply once loaded: %v\n%s", err, stderr.String())
	}
	if want := ":" + strconv.Itoa(n); strings.TrimSpace(line) != want {
		t.Fatalf("DBSIZE sent while loading: %q once loaded, want %q", strings.TrimSpace(line), want)
	}
}
