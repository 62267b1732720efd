package ingest

import (
	"net"
	"syscall"
)

// copySendBuffer is the send buffer asked for a COPY of the spectra on a
// Unix socket. The default, about 200 KB, is half a millisecond of the
// server's work: whenever this process is busy elsewhere, the backend
// storing the spectra sits idle. Measured on the 2-core bench site, 40
// alternated passes each: 512 KB 119 ms, 1 MB 114, 2 MB 105, 4 MB 101.
// The kernel doubles the value and caps it at net.core.wmem_max (4 MB on
// the dev box, 208 KB by default: raise it to get the whole benefit).
const copySendBuffer = 4 << 20

// deepSendBuffer gives conn, when it is a Unix socket, a send buffer of
// copySendBuffer and returns what puts the old one back. Other connections
// (TCP tunes its own) are left alone. Failures only cost speed and are
// ignored.
func deepSendBuffer(conn net.Conn) (restore func()) {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return func() {}
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return func() {}
	}
	old := 0
	raw.Control(func(fd uintptr) {
		v, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
		if err == nil && v < 2*copySendBuffer && syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, copySendBuffer) == nil {
			old = v
		}
	})
	return func() {
		if old > 0 {
			raw.Control(func(fd uintptr) {
				// Linux reports twice what was set.
				syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, old/2)
			})
		}
	}
}
