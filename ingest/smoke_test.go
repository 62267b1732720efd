package ingest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture"
	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/internal/sitegen/site"
)

func TestSmoke(t *testing.T) {
	s := site.Build(site.Small())
	p := filepath.Join(t.TempDir(), "d.rdb")
	f, _ := os.Create(p)
	if err := s.WriteRDB(f, site.WriteOptions{NoIgnored: true, NoTTLs: true}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, rc := fixture.Load(t, p)
	db := pgfixture.DB(t)
	rep, err := Run(context.Background(), rc, db, Options{Now: func() time.Time { return site.DefaultNow.Add(time.Minute) }, Hostname: "mc-test"})
	rep.WriteText(os.Stdout)
	if err != nil {
		t.Fatal(err)
	}
}
