package main

import (
	"net"
	"strings"
	"testing"
)

// TestServePortInUse: a port another server holds gives exit 2 at once
// and a message that says what to do, not Go's "listen tcp ...: bind:
// address already in use" after the address twice.
func TestServePortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r := run(t, nil, "serve", "../../testdata/dump.rdb", "--addr", l.Addr().String())
	if r.code != exitError || r.err == nil || !strings.Contains(r.err.Error(), "is in use") || !strings.Contains(r.err.Error(), "127.0.0.1:0") {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
}
