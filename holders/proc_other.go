//go:build !linux

package holders

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// procScanner needs Linux's /proc; elsewhere a scan says so instead of
// reporting that nobody holds anything.
type procScanner struct{}

type procTarget struct {
	path    string
	missing bool
	out     []Holder
}

func newProcScanner() *procScanner { return &procScanner{} }

func (*procScanner) scan(context.Context, []procTarget, bool) error {
	return fmt.Errorf("holders: scanning processes on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
