package capture_test

import (
	"context"
	"fmt"
	"image"
	"runtime"
	"testing"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/synthetic"
)

// floodBackend is one camera that delivers a prebuilt frame as fast as it
// is read, and tells when it has delivered a given number.
type floodBackend struct {
	frame  capture.VideoFrame
	target int
	start  chan struct{} // closed when the benchmark's readers are attached
	done   chan struct{}
}

func (f *floodBackend) Name() string { return "flood" }

func (f *floodBackend) Devices(context.Context) ([]capture.DeviceDescriptor, error) {
	return []capture.DeviceDescriptor{{
		DeviceID: "flood", Kind: capture.KindVideoInput, Label: "Flood",
		Modes: []capture.MediaTrackSettings{{Width: 1280, Height: 720, FrameRate: 30}},
	}}, nil
}

func (f *floodBackend) Open(context.Context, string, capture.MediaTrackSettings) (capture.Device, error) {
	return &floodDevice{f: f}, nil
}

type floodDevice struct {
	f *floodBackend
	n int
}

func (d *floodDevice) ReadVideo(ctx context.Context) (capture.VideoFrame, error) {
	if d.n == 0 {
		select {
		case <-d.f.start:
		case <-ctx.Done():
			return capture.VideoFrame{}, ctx.Err()
		}
	}
	d.n++
	if d.n == d.f.target+1 { // the target-th frame has been fanned out
		close(d.f.done)
	}
	if d.n > d.f.target {
		<-ctx.Done()
		return capture.VideoFrame{}, ctx.Err()
	}
	return d.f.frame, nil
}

func (d *floodDevice) Close() error { return nil }

// BenchmarkFanOut measures the source's cost per frame handed to the
// readers of 1, 8 and 64 tracks: it must not grow with copies of frames
// (allocs/op is per frame).
func BenchmarkFanOut(b *testing.B) {
	img := image.NewYCbCr(image.Rect(0, 0, 1280, 720), image.YCbCrSubsampleRatio420)
	for _, n := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("tracks=%d", n), func(b *testing.B) {
			fb := &floodBackend{frame: capture.VideoFrame{Image: img}, target: b.N, start: make(chan struct{}), done: make(chan struct{})}
			md := capture.NewMediaDevices(fb)
			defer md.Close()
			s, err := md.GetUserMedia(context.Background(), capture.MediaStreamConstraints{Video: &capture.MediaTrackConstraints{}})
			if err != nil {
				b.Fatal(err)
			}
			first := s.GetVideoTracks()[0]
			readers := []*capture.VideoReader{first.NewVideoReader()}
			for range n - 1 {
				readers = append(readers, first.Clone().NewVideoReader())
			}
			b.ReportAllocs()
			b.ResetTimer()
			close(fb.start)
			<-fb.done
			b.StopTimer()
			for _, r := range readers {
				r.Close()
			}
		})
	}
}

// BenchmarkStop measures Stop on a track whose source has other tracks (a
// source with up to 9 tracks, as an app has).
func BenchmarkStop(b *testing.B) {
	md := capture.NewMediaDevices(synthetic.New())
	defer md.Close()
	s, err := md.GetUserMedia(context.Background(), capture.MediaStreamConstraints{Video: &capture.MediaTrackConstraints{}})
	if err != nil {
		b.Fatal(err)
	}
	keep := s.GetVideoTracks()[0]
	var batch [8]*capture.MediaStreamTrack
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += len(batch) {
		b.StopTimer()
		for j := range batch {
			batch[j] = keep.Clone()
		}
		b.StartTimer()
		for _, c := range batch[:min(len(batch), b.N-i)] {
			c.Stop()
		}
	}
	b.StopTimer()
	for _, c := range batch {
		c.Stop()
	}
	keep.Stop()
}

// BenchmarkLastStopToDeviceClosed measures from the last track's Stop to the
// device reporting itself closed.
func BenchmarkLastStopToDeviceClosed(b *testing.B) {
	sb := synthetic.New()
	md := capture.NewMediaDevices(sb)
	defer md.Close()
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s, err := md.GetUserMedia(ctx, capture.MediaStreamConstraints{Audio: &capture.MediaTrackConstraints{}})
		if err != nil {
			b.Fatal(err)
		}
		tr := s.GetAudioTracks()[0]
		b.StartTimer()
		tr.Stop()
		for sb.IsOpen(micID) {
			runtime.Gosched()
		}
	}
}
