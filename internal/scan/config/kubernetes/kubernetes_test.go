package kubernetes

import (
	"testing"

	"github.com/secpipe/secpipe/internal/scan/config/configtest"
)

func TestFixtures(t *testing.T) { configtest.CheckFixtures(t, Checks(), "testdata") }
