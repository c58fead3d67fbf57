package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Artifact returns a path for a file worth keeping after the test, such as
// a screenshot: in $TALLY_ARTIFACTS (scripts/test.sh sets it to out/, which
// CI keeps) when set, else in t.TempDir(). The file name is the test's name
// (subtests included, slashes made dashes) followed by "-" and name.
func Artifact(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("TALLY_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("testenv: artifact dir: %v", err)
	}
	base := strings.Map(func(r rune) rune {
		switch r {
		case '/', '\\', ' ', ':', '*', '?', '"', '<', '>', '|':
			return '-'
		}
		return r
	}, t.Name()+"-"+name)
	return filepath.Join(dir, base)
}
