package live

import (
	"context"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// OpenSync on a TLS server that wants a client certificate, without one:
// the server refuses the connection after the TLS 1.3 handshake, so the
// first command's reply is the refusal. REPLCONF's failure was ignored (an
// old server may refuse its options), so the error came from PSYNC's write:
// "connection reset by peer", with no word of certificates.
func TestQATLSSyncSaysCertificate(t *testing.T) {
	files := redistest.WriteTLSFiles(t, t.TempDir())
	port, args := files.TLSPort(t, true)
	redistest.Start(t, redistest.WithArgs(args...))
	o, err := ParseURL("rediss://127.0.0.1:" + port)
	if err != nil {
		t.Fatal(err)
	}
	o.TLSConfig.RootCAs = files.Pool()
	for i := 0; i < 5; i++ { // the reset may come at the first write or at the first read
		st, err := OpenSync(context.Background(), o)
		if err == nil {
			st.Close()
			t.Fatal("OpenSync without the client certificate the server requires: no error")
		}
		if msg := err.Error(); !strings.Contains(msg, "REPLCONF") || !strings.Contains(msg, "--tls-cert") {
			t.Fatalf("OpenSync without the client certificate the server requires: %v", err)
		}
	}
}
