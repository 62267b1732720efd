package live

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// FuzzSyncStream plays a server that answers the replication handshake with
// arbitrary bytes and then hangs up. The replica side must end with an
// error or a clean EOF, never a panic or a hang, and never return more RDB
// bytes than the server sent.
func FuzzSyncStream(f *testing.F) {
	rdbBytes := "REDIS0010\xff\x00\x00\x00\x00\x00\x00\x00\x00"
	f.Add([]byte("+OK\r\n+OK\r\n+FULLRESYNC 0123 0\r\n$18\r\n" + rdbBytes))
	f.Add([]byte("+OK\r\n+OK\r\n+FULLRESYNC 0123 0\r\n\n\n$EOF:" + string(make([]byte, markLen)) + "\r\n" + rdbBytes + string(make([]byte, markLen))))
	f.Add([]byte("-ERR unknown command\r\n-ERR x\r\n-ERR unknown command 'PSYNC'\r\n$3\r\nabc"))
	f.Add([]byte("+OK\r\n+OK\r\n+FULLRESYNC x\r\n$-5\r\n"))
	f.Fuzz(func(t *testing.T, server []byte) {
		client, srv := net.Pipe()
		go func() {
			go io.Copy(io.Discard, srv) // the handshake's commands
			srv.Write(server)
			srv.Close()
		}()
		s := &SyncStream{conn: client, br: bufio.NewReaderSize(client, 4096), opts: &redis.Options{Addr: "fuzz:0"}}
		defer s.Close()
		client.SetDeadline(time.Now().Add(5 * time.Second))
		if err := s.handshake(); err != nil {
			return
		}
		n, _ := io.Copy(io.Discard, s)
		if n > int64(len(server)) {
			t.Fatalf("returned %d RDB bytes from %d bytes sent", n, len(server))
		}
	})
}
