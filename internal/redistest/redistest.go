// Package redistest starts real redis-server processes for tests and wraps
// the redis-check-rdb tool.
//
// A test that needs a binary that is not installed is skipped with a message
// naming the install command; under CI=true it fails instead, so CI cannot go
// green by skipping.
package redistest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// InstallHint is the command that installs the Redis binaries.
const InstallHint = "apt-get install redis-server"

// DumpName is the dbfilename every server started by Start uses.
const DumpName = "dump.rdb"

// Binary returns the path of the named binary (redis-server, redis-check-rdb,
// redis-cli). When it is missing the test is skipped, or failed under CI=true.
func Binary(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s not installed (CI=true, so this is a failure): %s", name, InstallHint)
	}
	tb.Skipf("redis-server not installed: %s (%s not found in PATH)", InstallHint, name)
	return ""
}

// Option configures Start.
type Option func(*config)

type config struct {
	rdb     string
	args    []string
	timeout time.Duration
}

// WithRDB copies the file into the server's directory as its dbfilename, so
// the server loads it on start.
func WithRDB(path string) Option { return func(c *config) { c.rdb = path } }

// WithArgs appends command line arguments for redis-server, e.g.
// "--maxmemory-policy", "allkeys-lfu". They override the defaults.
func WithArgs(args ...string) Option {
	return func(c *config) { c.args = append(c.args, args...) }
}

// WithStartTimeout sets how long Start waits for the server to answer PING
// (default 30 s; loading a large RDB can take a while).
func WithStartTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// Server is a running redis-server owned by one test.
type Server struct {
	Addr    string // 127.0.0.1:port
	Port    int
	Dir     string // working directory: dump and log live here
	LogPath string
	Major   int // major version of redis-server (7 for 7.0.15)

	cmd      *exec.Cmd
	done     chan struct{} // closed when the process has exited
	waitErr  error
	stopOnce sync.Once
	mu       sync.Mutex
	clients  []*redis.Client
}

var (
	versionOnce sync.Once
	versionMaj  int
	versionErr  error
)

var versionRE = regexp.MustCompile(`v=(\d+)\.`)

func serverMajor(bin string) (int, error) {
	versionOnce.Do(func() {
		out, err := exec.Command(bin, "--version").CombinedOutput()
		if err != nil {
			versionErr = fmt.Errorf("%s --version: %v: %s", bin, err, out)
			return
		}
		m := versionRE.FindSubmatch(out)
		if m == nil {
			versionErr = fmt.Errorf("%s --version: cannot parse %q", bin, out)
			return
		}
		versionMaj, _ = strconv.Atoi(string(m[1]))
	})
	return versionMaj, versionErr
}

// Start runs redis-server on a free loopback port in a fresh temporary
// directory, without persistence (--save "" --appendonly no) unless the
// arguments ask for it, and with the DEBUG command enabled. It returns once
// the server answers PING (after loading the RDB given by WithRDB) and stops
// the server when the test ends.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	Binary(tb, "redis-server")
	s, err := Launch(tb.TempDir(), opts...)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// Launch is Start for programs that are not tests (the corpus generator): it
// runs redis-server in dir and leaves stopping it to the caller.
func Launch(dir string, opts ...Option) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server not installed: %s", InstallHint)
	}
	cfg := config{timeout: 30 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	major, err := serverMajor(bin)
	if err != nil {
		return nil, err
	}
	if cfg.rdb != "" {
		if err := copyFile(cfg.rdb, filepath.Join(dir, DumpName)); err != nil {
			return nil, fmt.Errorf("copying RDB: %w", err)
		}
	}
	var lastErr error
	for attempt := 0; attempt < 8; attempt++ {
		s, retry, err := tryStart(bin, major, dir, cfg)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !retry {
			break
		}
	}
	return nil, fmt.Errorf("redis-server did not start: %w", lastErr)
}

// pickPort chooses the port of an attempt; tests replace it to force collisions.
var pickPort = freePort

// FreePort is a TCP port on 127.0.0.1 free at the time of the call.
func FreePort(tb testing.TB) int {
	tb.Helper()
	p, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tryStart makes one attempt; retry reports whether another port may help.
func tryStart(bin string, major int, dir string, cfg config) (*Server, bool, error) {
	port, err := pickPort()
	if err != nil {
		return nil, false, fmt.Errorf("finding a free port: %w", err)
	}
	logPath := filepath.Join(dir, "redis.log")
	_ = os.Remove(logPath)
	args := []string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--dir", dir,
		"--dbfilename", DumpName,
		"--logfile", logPath,
		"--daemonize", "no",
		"--save", "",
		"--appendonly", "no",
	}
	if major >= 7 {
		args = append(args, "--enable-debug-command", "yes")
	}
	args = append(args, cfg.args...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var out bytes.Buffer // config errors go to stdout/stderr before the log opens
	cmd.Stdout = &out
	cmd.Stderr = &out
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, false, fmt.Errorf("starting %s: %w", bin, err)
	}
	s := &Server{
		Addr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Port:    port,
		Dir:     dir,
		LogPath: logPath,
		Major:   major,
		cmd:     cmd,
		done:    make(chan struct{}),
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	deadline := time.Now().Add(cfg.timeout)
	for {
		select {
		case <-s.done:
			logText := readLog(logPath)
			retry := strings.Contains(logText, "Address already in use") ||
				strings.Contains(out.String(), "Address already in use")
			return nil, retry, fmt.Errorf("redis-server %s exited (%v)\nargs: %q\noutput:\n%s\nlog:\n%s",
				s.Addr, s.waitErr, args, out.String(), logText)
		default:
		}
		if ok, pid := ping(s.Addr); ok {
			if pid == cmd.Process.Pid {
				return s, false, nil
			}
			// Another process answered on our port: ours cannot bind it.
			s.Kill()
			return nil, true, fmt.Errorf("port %d taken by another redis (pid %d)", port, pid)
		}
		if time.Now().After(deadline) {
			s.Kill()
			return nil, false, fmt.Errorf("redis-server %s did not answer PING within %v\nargs: %q\noutput:\n%s\nlog:\n%s",
				s.Addr, cfg.timeout, args, out.String(), readLog(logPath))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ping sends PING and, when PONG comes back, asks for the process id.
func ping(addr string) (bool, int) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false, 0
	}
	defer c.Close()
	// Short: a healthy server answers at once, and a stranger's listener
	// that never answers must not hold up noticing that our server died.
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := io.WriteString(c, "*1\r\n$4\r\nPING\r\n"); err != nil {
		return false, 0
	}
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "+PONG") {
		return false, 0 // -LOADING while the RDB is read
	}
	if _, err := io.WriteString(c, "*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n"); err != nil {
		return false, 0
	}
	line, err = br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "$") {
		return false, 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil || n < 0 || n > 1<<20 {
		return false, 0
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return false, 0
	}
	for _, l := range strings.Split(string(body), "\r\n") {
		if v, ok := strings.CutPrefix(l, "process_id:"); ok {
			pid, _ := strconv.Atoi(v)
			return true, pid
		}
	}
	return false, 0
}

func readLog(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	const max = 8 << 10
	if len(b) > max {
		b = append([]byte("...\n"), b[len(b)-max:]...)
	}
	return string(b)
}

// Log returns (the tail of) the server's log file.
func (s *Server) Log() string { return readLog(s.LogPath) }

// Client returns a go-redis client for database 0 of the server, closed when
// the test ends.
func (s *Server) Client(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:         s.Addr,
		DialTimeout:  5 * time.Second,
		ReadTimeout:  60 * time.Second,
		WriteTimeout: 60 * time.Second,
		PoolSize:     4,
		Protocol:     2,
	})
	s.mu.Lock()
	s.clients = append(s.clients, c)
	s.mu.Unlock()
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Digest returns DEBUG DIGEST: an order-independent digest of the keyspace.
func (s *Server) Digest(tb testing.TB) string {
	tb.Helper()
	d, err := s.Client(tb).Do(context.Background(), "DEBUG", "DIGEST").Text()
	if err != nil {
		tb.Fatalf("redistest: DEBUG DIGEST on %s: %v", s.Addr, err)
	}
	return d
}

// WaitClusterOK waits, up to 10 s, until the cluster node reports
// cluster_state:ok.
func (s *Server) WaitClusterOK(tb testing.TB) {
	tb.Helper()
	c := s.Client(tb)
	for deadline := time.Now().Add(10 * time.Second); ; {
		info, err := c.ClusterInfo(context.Background()).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: cluster node %s not ok: %v %s", s.Addr, err, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Save runs SAVE and returns the path of the dump it wrote.
func (s *Server) Save(tb testing.TB) string {
	tb.Helper()
	c := s.Client(tb)
	ctx := context.Background()
	if err := c.Do(ctx, "SAVE").Err(); err != nil {
		tb.Fatalf("redistest: SAVE on %s: %v\nlog:\n%s", s.Addr, err, s.Log())
	}
	name := DumpName
	if v, err := c.ConfigGet(ctx, "dbfilename").Result(); err == nil && v["dbfilename"] != "" {
		name = v["dbfilename"]
	}
	return filepath.Join(s.Dir, name)
}

// Kill sends SIGKILL and waits for the process to end (for fault tests).
func (s *Server) Kill() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
	<-s.done
}

// Exited reports whether the server process has ended.
func (s *Server) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Stop shuts the server down (SHUTDOWN NOSAVE, then SIGKILL after 5 s). It
// is safe to call more than once and after Kill.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		for _, c := range s.clients {
			_ = c.Close()
		}
		s.clients = nil
		s.mu.Unlock()
		if s.Exited() {
			return
		}
		if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			_, _ = io.WriteString(c, "*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
			_, _ = c.Read(make([]byte, 64))
			_ = c.Close()
		}
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			s.Kill()
		}
	})
}

// CheckRDB runs redis-check-rdb on the file and returns an error carrying its
// output when the tool does not accept the file.
func CheckRDB(tb testing.TB, path string) error {
	tb.Helper()
	bin := Binary(tb, "redis-check-rdb")
	if _, err := os.Stat(path); err != nil {
		return err
	}
	out, err := exec.Command(bin, path).CombinedOutput()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("redis-check-rdb %s: exit %d:\n%s", path, ee.ExitCode(), out)
		}
		return fmt.Errorf("redis-check-rdb %s: %w", path, err)
	}
	if !bytes.Contains(out, []byte("RDB looks OK")) {
		return fmt.Errorf("redis-check-rdb %s: no success line:\n%s", path, out)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
