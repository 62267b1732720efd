package migrations_test

import (
	"io/fs"
	"net"
	"testing"

	"github.com/rdbtool/rdbtool/migrations"
)

func fsRead(name string) ([]byte, error) { return fs.ReadFile(migrations.FS, name) }

// listenSilent accepts TCP connections on loopback and never answers them.
func listenSilent(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// mustMigrator is a Migrator over no database, to list the sources.
func mustMigrator(t *testing.T) *migrations.Migrator {
	t.Helper()
	_, m := emptyDB(t)
	return m
}
