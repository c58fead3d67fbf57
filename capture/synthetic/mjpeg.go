package synthetic

import (
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/internal/mjpeg"
)

// MJPEGDirEnv names a directory of JPEG files for the MJPEG camera to play
// as its frames (in name order, looping) instead of its own picture: a
// user's own webcam captures, for measurements.
const MJPEGDirEnv = "TALLY_SYNTHETIC_MJPEG_DIR"

// FormatMJPEG is the MJPEG camera's pixel format, V4L2's fourcc for it.
const FormatMJPEG = "MJPG"

// MJPEGQuality is the JPEG quality of the MJPEG camera's own frames: a
// webcam's, ~360 KB for a detailed 1920×1080 4:2:2 frame.
const MJPEGQuality = 85

// mjpegRing is the number of frames the MJPEG camera encodes per size: two
// seconds at 30 fps, over which the marker crosses the picture once.
const mjpegRing = 60

// mjpegCamera is what makes a camera an MJPEG one: where its frames come
// from, the frames encoded so far, and the count of frames its decoder
// rejected. It lives as long as the device, so reopening does not encode
// again.
type mjpegCamera struct {
	files   []string // the directory's JPEGs; nil for the camera's own frames
	dropped atomic.Int64

	mu    sync.Mutex // protects rings
	rings map[[2]int]*[mjpegRing][]byte
}

// AddMJPEGCamera adds a camera whose frames are JPEGs, decoded on the way
// out through internal/mjpeg as a webcam's MJPEG is; devicechange fires.
// With dir empty its frames are a detailed picture with a moving marker and
// a frame counter, at every size of CameraSizes, encoded once per size at
// quality MJPEGQuality in 4:2:2 (what webcams send). With dir set it plays
// the directory's .jpg and .jpeg files at the size of the first one; a file
// that does not decode, or has another size, is a dropped frame
// (DroppedFrames), as a corrupt USB transfer is.
func (b *Backend) AddMJPEGCamera(label, dir string) (string, error) {
	cam := &mjpegCamera{rings: map[[2]int]*[mjpegRing][]byte{}}
	sizes := CameraSizes
	if dir != "" {
		files, size, err := jpegFiles(dir)
		if err != nil {
			return "", err
		}
		cam.files, sizes = files, [][2]int{size}
	}
	id := b.add(capture.KindVideoInput, label, "")
	b.mu.Lock()
	d := b.find(id)
	d.mjpeg = cam
	d.desc.Modes, d.desc.Capabilities = videoModes(sizes, CameraRates, FormatMJPEG, "", [3]float64{640, 480, 30})
	d.desc.Capabilities.FacingMode = []string{capture.FacingModeUser}
	for i := range d.desc.Modes {
		d.desc.Modes[i].FacingMode = capture.FacingModeUser
	}
	b.mu.Unlock()
	b.fire()
	return id, nil
}

// DroppedFrames is the number of frames the MJPEG camera id's decoder
// rejected since it was added (zero for other devices).
func (b *Backend) DroppedFrames(id string) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := b.find(id); d != nil && d.mjpeg != nil {
		return d.mjpeg.dropped.Load()
	}
	return 0
}

// jpegFiles lists dir's JPEG files and the size of the first that decodes.
func jpegFiles(dir string) ([]string, [2]int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, [2]int{}, fmt.Errorf("synthetic: MJPEG camera: %w", err)
	}
	var files []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".jpg" || ext == ".jpeg") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	slices.Sort(files)
	if len(files) == 0 {
		return nil, [2]int{}, fmt.Errorf("synthetic: MJPEG camera: no .jpg or .jpeg files in %s", dir)
	}
	dec, err := mjpeg.NewDecoder()
	if err != nil {
		return nil, [2]int{}, err
	}
	defer dec.Close()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if h, err := dec.Header(b); err == nil {
			return files, [2]int{h.Width, h.Height}, nil
		}
	}
	return nil, [2]int{}, fmt.Errorf("synthetic: MJPEG camera: none of the %d JPEG files in %s has a readable header", len(files), dir)
}

// ring returns the camera's encoded frames at w×h, encoding them the first
// time that size is asked for.
func (c *mjpegCamera) ring(w, h int) (*[mjpegRing][]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.rings[[2]int{w, h}]; r != nil {
		return r, nil
	}
	bg := Texture(w, h, image.YCbCrSubsampleRatio422)
	img := image.NewYCbCr(bg.Rect, bg.SubsampleRatio)
	split := h * 2 / 3
	mw := max(w/20, 2)
	r := new([mjpegRing][]byte)
	for i := range r {
		copy(img.Y, bg.Y)
		copy(img.Cb, bg.Cb)
		copy(img.Cr, bg.Cr)
		fill := fillFullRange(img)
		fill(i*max(w-mw, 1)/mjpegRing, split, mw, h-split, true)
		drawCounter(int64(i), w, split, h, fill)
		b, err := mjpeg.Encode(img, MJPEGQuality)
		if err != nil {
			return nil, err
		}
		r[i] = b
	}
	c.rings[[2]int{w, h}] = r
	return r, nil
}

// fillFullRange returns a fill for drawCounter on a full-range picture of
// any subsampling: black or white, neutral chroma.
func fillFullRange(img *image.YCbCr) func(x, y, fw, fh int, lit bool) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	sx, sy := 1, 1
	switch img.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		sx = 2
	case image.YCbCrSubsampleRatio420:
		sx, sy = 2, 2
	case image.YCbCrSubsampleRatio440:
		sy = 2
	}
	return func(x, y, fw, fh int, lit bool) {
		yv := uint8(10)
		if lit {
			yv = 245
		}
		x0, y0, x1, y1 := max(x, 0), max(y, 0), min(x+fw, w), min(y+fh, h)
		if x0 >= x1 || y0 >= y1 {
			return
		}
		for yy := y0; yy < y1; yy++ {
			setBytes(img.Y[yy*img.YStride+x0:yy*img.YStride+x1], yv)
		}
		for yy := y0 / sy; yy < (y1+sy-1)/sy; yy++ {
			setBytes(img.Cb[yy*img.CStride+x0/sx:yy*img.CStride+(x1+sx-1)/sx], 128)
			setBytes(img.Cr[yy*img.CStride+x0/sx:yy*img.CStride+(x1+sx-1)/sx], 128)
		}
	}
}

// mjpegFrames is an open MJPEG camera's generator: it takes the next JPEG
// (encoded or read from a file) and decodes it, as a webcam's frames are.
type mjpegFrames struct {
	cam *mjpegCamera
	buf []byte // the file being read, reused

	mu     sync.Mutex // protects dec, closed: Close may come during a decode
	dec    *mjpeg.Decoder
	closed bool
}

var _ io.Closer = (*mjpegFrames)(nil)

func newMJPEGFrames(cam *mjpegCamera) (*mjpegFrames, error) {
	dec, err := mjpeg.NewDecoder()
	if err != nil {
		return nil, capture.NewError(capture.ErrNotReadable, err, "MJPEG decoder")
	}
	return &mjpegFrames{cam: cam, dec: dec}, nil
}

// frame returns frame n decoded, or nil when it was dropped.
func (g *mjpegFrames) frame(w, h int, n int64) (image.Image, *capture.FrameBuffer) {
	jpeg, err := g.jpeg(w, h, n)
	if err != nil {
		g.cam.dropped.Add(1)
		return nil, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, nil
	}
	img, fb, err := g.dec.DecodeFrame(jpeg, mjpeg.Full)
	if err == nil && (img.Rect.Dx() != w || img.Rect.Dy() != h) {
		fb.Release()
		err = errors.New("a frame of another size than the mode")
	}
	if err != nil {
		g.cam.dropped.Add(1)
		return nil, nil
	}
	return img, fb
}

func (g *mjpegFrames) jpeg(w, h int, n int64) ([]byte, error) {
	if g.cam.files == nil {
		r, err := g.cam.ring(w, h)
		if err != nil {
			return nil, err
		}
		return r[n%mjpegRing], nil
	}
	f, err := os.Open(g.cam.files[n%int64(len(g.cam.files))])
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g.buf = g.buf[:0]
	for {
		if len(g.buf) == cap(g.buf) {
			g.buf = slices.Grow(g.buf, max(cap(g.buf), 512<<10))
		}
		k, err := f.Read(g.buf[len(g.buf):cap(g.buf)])
		g.buf = g.buf[:len(g.buf)+k]
		if err == io.EOF {
			return g.buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Close frees the decoder once no decode is running; frames already
// delivered stay valid.
func (g *mjpegFrames) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	return g.dec.Close()
}
