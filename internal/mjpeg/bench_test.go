package mjpeg_test

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tally-app/tally/internal/mjpeg"
)

// benchSizes are a webcam's two HD modes.
var benchSizes = [][2]int{{1920, 1080}, {1280, 720}}

func sizeName(sz [2]int) string { return fmt.Sprintf("%dx%d", sz[0], sz[1]) }

var benchFrames sync.Map // [2]int -> []byte

// benchFrame is a webcam-like frame: the detailed synthetic texture, 4:2:2
// (what UVC webcams send) at quality 85 — ~360 KB at 1080p. With
// TALLY_MJPEG_BENCH_DIR set it is also written there, to run tjbench or
// djpeg on the very same file.
func benchFrame(b testing.TB, sz [2]int) []byte {
	if f, ok := benchFrames.Load(sz); ok {
		return f.([]byte)
	}
	f := frame(b, sz[0], sz[1], image.YCbCrSubsampleRatio422, false, 85)
	benchFrames.Store(sz, f)
	if dir := os.Getenv("TALLY_MJPEG_BENCH_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, sizeName(sz)+".jpg"), f, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return f
}

// BenchmarkDecode decodes the webcam-like frames at every scale with each
// inverse DCT. libjpeg-turbo's own figure for the same file, to compare
// the full-size islow case with (the goal: within 1.2×):
//
//	mkdir -p /tmp/f && TALLY_MJPEG_BENCH_DIR=/tmp/f go test -run XX -bench Decode ./internal/mjpeg/
//	tjbench /tmp/f/1920x1080.jpg -yuv -benchtime 1   # "Decomp to YUV"
//
// On a shared machine compare the best of several interleaved runs.
func BenchmarkDecode(b *testing.B) {
	d := newDecoder(b)
	for _, sz := range benchSizes {
		for _, s := range []mjpeg.Scale{mjpeg.Full, mjpeg.Half, mjpeg.Quarter, mjpeg.Eighth} {
			for _, fast := range []bool{false, true} {
				dct := "islow"
				if fast {
					dct = "ifast"
				}
				b.Run(fmt.Sprintf("%s/1:%d/%s", sizeName(sz), s, dct), func(b *testing.B) {
					d.FastDCT = fast
					decodeLoop(b, d, benchFrame(b, sz), s)
				})
			}
		}
	}
}

func decodeLoop(b *testing.B, d *mjpeg.Decoder, f []byte, s mjpeg.Scale) {
	b.SetBytes(int64(len(f)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		_, release, err := d.Decode(f, s)
		if err != nil {
			b.Fatal(err)
		}
		release()
	}
	reportCPU(b, cpu0)
}

// BenchmarkGoImageJPEG is what Tally decoded MJPEG with before: Go's
// image/jpeg on the same frames.
func BenchmarkGoImageJPEG(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sizeName(sz), func(b *testing.B) {
			f := benchFrame(b, sz)
			b.SetBytes(int64(len(f)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := jpeg.Decode(bytes.NewReader(f)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// reportCPU adds the CPU time per frame since cpu0 (cpuTime) as cpu-ms/op.
func reportCPU(b *testing.B, cpu0 int64) {
	if c := cpuTime(); c > 0 && b.N > 0 {
		b.ReportMetric(float64(c-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
	}
}
