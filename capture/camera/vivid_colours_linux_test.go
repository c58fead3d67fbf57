//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package camera

import (
	"fmt"
	"image"
	"sort"
	"strings"
	"testing"
)

// barRGB is what vivid's 75 % colour bars mean in R′G′B′, left to right.
var barRGB = [8][3]int{{191, 191, 191}, {191, 191, 0}, {0, 191, 191}, {0, 191, 0}, {191, 0, 191}, {191, 0, 0}, {0, 0, 191}, {0, 0, 0}}

// Every format Tally converts shows vivid's bars in their colours at three
// sizes (multi-planar at one), through the picture's own At: what a
// snapshot or any consumer sees. Measured: Y′CbCr formats within 3 levels
// (vivid's yellow is 188,190,0), RGB exact, RGBP within 2, GREY's white
// 190 and black 0.
func TestVivid_BarColours(t *testing.T) {
	for _, params := range []string{vividParams, vividParams + " multiplanar=2"} {
		useVivid(t, params)
		b := New()
		cam := vividCamera(t, b)
		formats := map[string]bool{}
		for _, m := range cam.Modes {
			formats[m.Format] = true
		}
		var names []string
		for f := range formats {
			names = append(names, f)
		}
		sort.Strings(names)
		var report []string
		for _, f := range names {
			for _, sz := range [][2]int{{320, 180}, {640, 480}, {1280, 720}} {
				m, ok := fastest(cam.Modes, f, sz[0], sz[1])
				if !ok {
					continue
				}
				d := openMode(t, b, cam.DeviceID, m)
				img := readFrames(t, d, 2)[1].Image
				worst, at := 0, ""
				bb := img.Bounds()
				for i, want := range barRGB {
					if _, grey := img.(*image.Gray); grey && i != 0 && i != 7 {
						continue // luma only: white and black
					}
					x, y := bb.Min.X+(2*i+1)*bb.Dx()/16, bb.Max.Y-1-bb.Dy()/20
					r, g, bl, _ := img.At(x, y).RGBA()
					got := [3]int{int(r >> 8), int(g >> 8), int(bl >> 8)}
					for k := range 3 {
						if dd := max(got[k]-want[k], want[k]-got[k]); dd > worst {
							worst, at = dd, fmt.Sprintf("bar %d %v want %v", i, got, want)
						}
					}
				}
				report = append(report, fmt.Sprintf("%s %dx%d %T: worst %d (%s)", f, sz[0], sz[1], img, worst, at))
				if worst > 5 {
					t.Errorf("%s %dx%d: %s", f, sz[0], sz[1], at)
				}
				d.Close()
				if strings.Contains(params, "multiplanar") {
					break
				}
			}
		}
		t.Logf("%s:\n%s", params, strings.Join(report, "\n"))
	}
	useVivid(t, vividParams)
}
