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

	"github.com/tally-app/tally/capture/synthetic"
	"github.com/tally-app/tally/internal/mjpeg"
)

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

// frame is a test JPEG: the synthetic texture at w×h in a subsampling.
func frame(t testing.TB, w, h int, ratio image.YCbCrSubsampleRatio, grey bool, quality int) []byte {
	t.Helper()
	img := synthetic.Texture(w, h, ratio)
	var b []byte
	var err error
	if grey {
		b, err = mjpeg.EncodeGrey(img, quality)
	} else {
		b, err = mjpeg.Encode(img, quality)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// djpeg decodes file with libjpeg-turbo's own tool: replicated chroma
// (-nosmooth, so that its upsampling is the planes' own layout) at 1/scale,
// to a PPM (a PGM of the luma alone with grey). It returns the samples and their size.
func djpeg(t *testing.T, jpeg []byte, scale mjpeg.Scale, grey bool) (pix []byte, w, h, channels int) {
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
