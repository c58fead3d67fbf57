package blit_test

import (
	"image"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/internal/blit"
	"github.com/tally-app/tally/internal/yuv"
)

// BenchmarkVsLibyuv measures the preview's jobs — a limited-range BT.601
// 1280×720 camera frame to 32-bit BGRX, at 1:1 and scaled to 640×360 —
// through the blit and through libyuv (scale, then convert):
//
//	go test -run '^$' -bench VsLibyuv -benchmem ./internal/blit/
func BenchmarkVsLibyuv(b *testing.B) {
	if !yuv.Available {
		b.Skip("built without libyuv")
	}
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio422} {
		sub := map[image.YCbCrSubsampleRatio]int{image.YCbCrSubsampleRatio420: 420, image.YCbCrSubsampleRatio422: 422}[ratio]
		src := randomTagged(rand.New(rand.NewPCG(7, 8)), image.Rect(0, 0, 1280, 720), ratio, capture.BT601, false)
		for _, ds := range []image.Point{{1280, 720}, {640, 360}} {
			name := func(who string) string {
				return who + "/" + ratio.String() + "/" + image.Rect(0, 0, ds.X, ds.Y).Size().String()
			}
			dst := make([]byte, ds.X*ds.Y*4)
			b.Run(name("blit"), func(b *testing.B) {
				defer cpuPerOp(b)()
				var s blit.Scaler
				b.ReportAllocs()
				for b.Loop() {
					s.Draw(dst, ds.X*4, ds.X, ds.Y, blit.BGRX, src)
				}
			})
			b.Run(name("libyuv"), func(b *testing.B) {
				defer cpuPerOp(b)()
				p := src.Planes()
				y, u, v := yuv.Plane{Pix: p.Y, Stride: p.YStride}, yuv.Plane{Pix: p.Cb, Stride: p.CStride}, yuv.Plane{Pix: p.Cr, Stride: p.CStride}
				if ds.X != 1280 {
					small := capture.NewYCbCr(image.Rect(0, 0, ds.X, ds.Y), ratio, capture.BT601, false)
					sy, su, sv := yuv.Plane{Pix: small.Y, Stride: small.YStride}, yuv.Plane{Pix: small.Cb, Stride: small.CStride}, yuv.Plane{Pix: small.Cr, Stride: small.CStride}
					b.ReportAllocs()
					for b.Loop() {
						if err := yuv.Scale(sub, y, u, v, 1280, 720, sy, su, sv, ds.X, ds.Y, yuv.FilterBilinear); err != nil {
							b.Fatal(err)
						}
						if err := yuv.ToARGBMatrix(sub, sy, su, sv, yuv.Plane{Pix: dst, Stride: ds.X * 4}, yuv.BT601Limited, false, ds.X, ds.Y); err != nil {
							b.Fatal(err)
						}
					}
					return
				}
				b.ReportAllocs()
				for b.Loop() {
					if err := yuv.ToARGBMatrix(sub, y, u, v, yuv.Plane{Pix: dst, Stride: ds.X * 4}, yuv.BT601Limited, false, ds.X, ds.Y); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// cpuPerOp reports the calling thread's CPU time per op (the machine is
// shared: wall-clock ns/op overstates the cost). Use as defer cpuPerOp(b)().
func cpuPerOp(b *testing.B) func() {
	runtime.LockOSThread()
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
			return 0
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	c0 := cpu()
	return func() {
		b.ReportMetric(float64((cpu()-c0).Nanoseconds())/float64(b.N), "cpu-ns/frame")
		runtime.UnlockOSThread()
	}
}
