package ingest

import (
	"testing"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

func TestMain(m *testing.M) { pgfixture.Main(m) }
