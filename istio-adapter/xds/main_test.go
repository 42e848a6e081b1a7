package xds

import (
	"testing"

	"github.com/seed405ffdea/mosn/pkg/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }
