package main

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A snapshot of the synthetic camera decodes, in the format the extension
// names, to the camera's default size.
func TestSnapshotSynthetic(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		file   string
		decode func([]byte) (image.Image, error)
	}{
		{"a.png", func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }},
		{"a.JPG", func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }},
	} {
		path := filepath.Join(dir, tc.file)
		if err := runSnapshot([]string{"synthetic-camera-1", "-o", path}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := tc.decode(b)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if img.Bounds().Dx() < 320 || img.Bounds().Dy() < 180 {
			t.Errorf("%s: %v", tc.file, img.Bounds())
		}
	}
}

func TestSnapshotErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"synthetic-camera-1", "-o", filepath.Join(dir, "a.gif")}, ".png or .jpg"},
		{[]string{"synthetic-camera-1"}, "-o FILE.png"},
		{[]string{"no-such-camera", "-o", filepath.Join(dir, "b.png")}, "no-such-camera"},
		{nil, "usage"},
	} {
		err := runSnapshot(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("snapshot %v: %v, want an error saying %q", tc.args, err, tc.want)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("failed snapshots wrote %d files", len(ents))
	}
}
