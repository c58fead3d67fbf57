//go:build cgo && !noturbojpeg

package mjpeg_test

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/internal/mjpeg"
)

// Every subsampling at every scale decodes to what libjpeg-turbo's djpeg
// decodes from the same file, within one step per channel; odd sizes cover
// partial MCUs at the edges.
func TestDecodeMatchesDjpeg(t *testing.T) {
	d := newDecoder(t)
	all := append(layouts, struct {
		name  string
		ratio image.YCbCrSubsampleRatio
		grey  bool
	}{"411", image.YCbCrSubsampleRatio411, false})
	for _, l := range all {
		for _, sz := range [][2]int{{1280, 720}, {317, 203}} {
			jpeg := frame(t, sz[0], sz[1], l.ratio, l.grey, 85)
			for _, s := range []mjpeg.Scale{mjpeg.Full, mjpeg.Half, mjpeg.Quarter, mjpeg.Eighth} {
				t.Run(l.name+"/"+image.Pt(sz[0], sz[1]).String()+"/1:"+string(rune('0'+s)), func(t *testing.T) {
					img, release, err := d.Decode(jpeg, s)
					if err != nil {
						t.Fatal(err)
					}
					defer release()
					checkTag(t, img, l.ratio)
					ref, rw, rh, ch := djpeg(t, jpeg, s, false)
					if w, h := s.Size(sz[0], sz[1]); img.Rect != image.Rect(0, 0, w, h) || rw != w || rh != h {
						t.Fatalf("decoded %v, djpeg %dx%d, want %dx%d", img.Rect, rw, rh, w, h)
					}
					// Luma: djpeg -grayscale writes the Y′ plane itself.
					refY, _, _, _ := djpeg(t, jpeg, s, true)
					if worst, at := compare(img, refY, 1, rw, rh); worst > 1 {
						t.Errorf("luma differs from djpeg's by up to %d at %v", worst, at)
					}
					worst, at := compare(img, ref, ch, rw, rh)
					if s != mjpeg.Full && l.ratio == image.YCbCrSubsampleRatio420 && !l.grey {
						// Scaling 4:2:0, djpeg decodes chroma with a larger inverse
						// DCT instead of replicating it (libjpeg's jdmaster.c), which
						// the planes of a raw decode cannot do: their colour is
						// close, not equal.
						if mean := meanDiff(img, ref, rw, rh); mean > 3 {
							t.Errorf("colour differs from djpeg's by %.2f on average", mean)
						}
					} else if worst > 1 {
						t.Errorf("colour differs from djpeg's by up to %d at %v", worst, at)
					}
					if l.grey {
						for i, v := range img.Cb {
							if v != 128 || img.Cr[i] != 128 {
								t.Fatalf("grey frame's chroma is %d,%d at %d, want neutral 128", v, img.Cr[i], i)
							}
						}
					}
				})
			}
		}
	}
}

// compare returns the largest difference between img, read as libjpeg
// reads it (replicated chroma), and djpeg's samples, and where it is.
func compare(img *capture.YCbCr, ref []byte, ch, w, h int) (worst int, at image.Point) {
	for y := range h {
		for x := range w {
			got := pixel(img, x, y, ch)
			for c := range ch {
				if d := absDiff(got[c], ref[(y*w+x)*ch+c]); d > worst {
					worst, at = d, image.Pt(x, y)
				}
			}
		}
	}
	return worst, at
}

func meanDiff(img *capture.YCbCr, ref []byte, w, h int) float64 {
	sum := 0
	for y := range h {
		for x := range w {
			got := pixel(img, x, y, 3)
			for c := range 3 {
				sum += absDiff(got[c], ref[(y*w+x)*3+c])
			}
		}
	}
	return float64(sum) / float64(3*w*h)
}

func pixel(img *capture.YCbCr, x, y, ch int) (p [3]uint8) {
	yi, ci := img.YOffset(x, y), img.COffset(x, y)
	if ch == 1 {
		p[0] = img.Y[yi]
		return p
	}
	p[0], p[1], p[2] = jfifRGB(img.Y[yi], img.Cb[ci], img.Cr[ci])
	return p
}

func checkTag(t *testing.T, img *capture.YCbCr, ratio image.YCbCrSubsampleRatio) {
	t.Helper()
	if img.Matrix != capture.BT601 || !img.FullRange {
		t.Errorf("tagged %v full=%v, want JFIF: BT.601 full range", img.Matrix, img.FullRange)
	}
	if img.SubsampleRatio != ratio {
		t.Errorf("subsampling %v, want %v", img.SubsampleRatio, ratio)
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// With FastDCT the planes are djpeg -dct fast's.
func TestFastDCTMatchesDjpeg(t *testing.T) {
	d := newDecoder(t)
	d.FastDCT = true
	for _, l := range layouts[:3] {
		jpeg := frame(t, 640, 360, l.ratio, false, 85)
		for _, s := range []mjpeg.Scale{mjpeg.Full, mjpeg.Quarter} {
			img, release, err := d.Decode(jpeg, s)
			if err != nil {
				t.Fatal(err)
			}
			ref, w, h, _ := djpeg(t, jpeg, s, true, "-dct", "fast")
			if worst, at := compare(img, ref, 1, w, h); worst > 1 {
				t.Errorf("%s 1:%d: luma differs from djpeg -dct fast by up to %d at %v", l.name, s, worst, at)
			}
			ref, w, h, _ = djpeg(t, jpeg, s, false, "-dct", "fast")
			if worst, at := compare(img, ref, 3, w, h); worst > 1 && (s == mjpeg.Full || l.ratio != image.YCbCrSubsampleRatio420) {
				t.Errorf("%s 1:%d: colour differs from djpeg -dct fast by up to %d at %v", l.name, s, worst, at)
			}
			release()
		}
	}
}

// A steady stream of same-sized frames reuses its buffers: no allocation
// per frame once the pool is warm.
func TestDecodeDoesNotAllocate(t *testing.T) {
	d := newDecoder(t)
	jpeg := frame(t, 640, 480, image.YCbCrSubsampleRatio422, false, 85)
	for _, s := range []mjpeg.Scale{mjpeg.Full, mjpeg.Half} {
		allocs := testing.AllocsPerRun(20, func() {
			_, release, err := d.Decode(jpeg, s)
			if err != nil {
				t.Fatal(err)
			}
			release()
		})
		if allocs != 0 {
			t.Errorf("scale 1:%d: %.1f allocations per frame, want 0", s, allocs)
		}
	}
}

func TestHeader(t *testing.T) {
	d := newDecoder(t)
	for _, l := range layouts {
		h, err := d.Header(frame(t, 100, 50, l.ratio, l.grey, 80))
		if err != nil {
			t.Fatal(err)
		}
		if h.Width != 100 || h.Height != 50 || h.Subsampling != l.ratio || h.Grey != l.grey {
			t.Errorf("%s: header %+v", l.name, h)
		}
	}
	if mjpeg.Implementation() == "" {
		t.Error("Implementation is empty")
	}
}

// lookTool returns program's path, or skips the test (fails it when CI is
// set) naming the Debian package that has it.
func lookTool(t testing.TB, program, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found (install Debian package %s, or run scripts/deps.sh)", program, pkg)
	switch strings.ToLower(os.Getenv("CI")) {
	case "", "0", "false", "no":
		t.Skip(msg)
	}
	t.Fatal(msg + "; failing because CI is set")
	return ""
}

// djpeg decodes file with libjpeg-turbo's own tool: replicated chroma
// (-nosmooth, so that its upsampling is the planes' own layout) at 1/scale,
// to a PPM (a PGM of the luma alone with grey). It returns the samples and their size.
func djpeg(t *testing.T, jpeg []byte, scale mjpeg.Scale, grey bool, extra ...string) (pix []byte, w, h, channels int) {
	t.Helper()
	tool := lookTool(t, "djpeg", "libjpeg-turbo-progs")
	in := filepath.Join(t.TempDir(), "in.jpg")
	if err := os.WriteFile(in, jpeg, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-nosmooth", "-scale", "1/" + strconv.Itoa(int(scale)), "-pnm"}
	if grey {
		args = append(args, "-grayscale")
	}
	args = append(args, extra...)
	out, err := exec.Command(tool, append(args, in)...).Output()
	if err != nil {
		t.Fatalf("djpeg: %v", err)
	}
	r := bufio.NewReader(bytes.NewReader(out))
	var magic string
	var maxv int
	if _, err := fmt.Fscan(r, &magic, &w, &h, &maxv); err != nil || maxv != 255 {
		t.Fatalf("djpeg wrote an unexpected PNM header: %v (max %d)", err, maxv)
	}
	channels = map[string]int{"P5": 1, "P6": 3}[magic]
	if channels == 0 {
		t.Fatalf("djpeg wrote %q, not a PGM or PPM", magic)
	}
	pix = out[len(out)-w*h*channels:]
	return pix, w, h, channels
}

// jfifRGB converts one sample as libjpeg's jdcolor.c does (16-bit fixed
// point, its rounding), so a correct decode matches djpeg exactly.
func jfifRGB(y, cb, cr uint8) (r, g, b uint8) {
	const half = 1 << 15
	fix := func(v float64) int64 { return int64(v*(1<<16) + 0.5) }
	x, z := int64(cb)-128, int64(cr)-128
	rr := int64(y) + (fix(1.40200)*z+half)>>16
	gg := int64(y) + ((-fix(0.34414)*x + half - fix(0.71414)*z) >> 16)
	bb := int64(y) + (fix(1.77200)*x+half)>>16
	c := func(v int64) uint8 { return uint8(max(0, min(255, v))) }
	return c(rr), c(gg), c(bb)
}
