//go:build linux && cgo

package yuv

import "fmt"

// pl is a plane with the row length and rows a call will touch.
type pl struct {
	name           string
	p              Plane
	rowBytes, rows int
}

// checkAll rejects sizes and planes a call would overrun.
func checkAll(w, h int, planes ...pl) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("yuv: bad size %dx%d", w, h)
	}
	for _, q := range planes {
		if q.p.Stride < q.rowBytes {
			return fmt.Errorf("yuv: %s plane stride %d is less than a row of %d bytes", q.name, q.p.Stride, q.rowBytes)
		}
		if need := (q.rows-1)*q.p.Stride + q.rowBytes; len(q.p.Pix) < need {
			return fmt.Errorf("yuv: %s plane has %d bytes, %d rows of %d with stride %d need %d", q.name, len(q.p.Pix), q.rows, q.rowBytes, q.p.Stride, need)
		}
	}
	return nil
}

func checkPacked422(src, y, u, v Plane, w, h int) error {
	cw := (w + 1) / 2
	return checkAll(w, h, pl{"packed", src, 4 * cw, h}, pl{"Y", y, w, h}, pl{"U", u, cw, h}, pl{"V", v, cw, h})
}
