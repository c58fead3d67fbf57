package camera

import "github.com/tally-app/tally/capture"

// V4L2's colorimetry values, as VIDIOC_G_FMT reports them in v4l2_pix_format
// (linux/videodev2.h); 0 is always "default", to be derived by the rules below.
const (
	v4l2ColorspaceDefault   = 0
	v4l2ColorspaceSMPTE170M = 1
	v4l2ColorspaceSMPTE240M = 2
	v4l2ColorspaceREC709    = 3
	v4l2ColorspaceJPEG      = 7
	v4l2ColorspaceSRGB      = 8
	v4l2ColorspaceBT2020    = 10
	v4l2ColorspaceDCIP3     = 12

	v4l2YCbCrEncDefault        = 0
	v4l2YCbCrEnc601            = 1
	v4l2YCbCrEnc709            = 2
	v4l2YCbCrEncXV601          = 3
	v4l2YCbCrEncXV709          = 4
	v4l2YCbCrEncSYCC           = 5
	v4l2YCbCrEncBT2020         = 6
	v4l2YCbCrEncBT2020ConstLum = 7
	v4l2YCbCrEncSMPTE240M      = 8

	v4l2QuantizationDefault = 0
	v4l2QuantizationFull    = 1
	v4l2QuantizationLimited = 2
)

// ycbcrEncoding resolves a default Y′CbCr encoding from the colorspace, as
// the kernel's V4L2_MAP_YCBCR_ENC_DEFAULT does: REC709 and DCI-P3 mean
// BT.709, BT2020 BT.2020, SMPTE240M its own, everything else (SMPTE170M,
// sRGB, JPEG, unset) BT.601.
func ycbcrEncoding(colorspace, enc uint32) uint32 {
	if enc != v4l2YCbCrEncDefault {
		return enc
	}
	switch colorspace {
	case v4l2ColorspaceREC709, v4l2ColorspaceDCIP3:
		return v4l2YCbCrEnc709
	case v4l2ColorspaceBT2020:
		return v4l2YCbCrEncBT2020
	case v4l2ColorspaceSMPTE240M:
		return v4l2YCbCrEncSMPTE240M
	}
	return v4l2YCbCrEnc601
}

// fullRange resolves the quantization as V4L2_MAP_QUANTIZATION_DEFAULT
// does: R′G′B′ defaults to full range, Y′CbCr to limited range except in
// the JPEG colorspace. Luma-only GREY counts as not Y′CbCr here, as the
// kernel's own pattern generator decides it (vivid's tpg passes
// "color_enc != YCbCr" as is_rgb_or_hsv: its GREY is full range, measured
// in the VM) and as industrial and IR cameras send it.
func fullRange(isRGB bool, colorspace, quantization uint32) bool {
	switch quantization {
	case v4l2QuantizationFull:
		return true
	case v4l2QuantizationLimited:
		return false
	}
	return isRGB || colorspace == v4l2ColorspaceJPEG
}

// ycbcrColorimetry is the matrix and range of a Y′CbCr frame
// from its G_FMT fields. SMPTE 240M (Kr 0.212, Kb 0.087, obsolete 1035i
// HD) is read as BT.709, its nearest neighbour; BT.2020 constant luminance
// as BT.2020's non-constant matrix. xvYCC and sYCC are BT.601/BT.709
// matrices whose extended values the range clamps.
func ycbcrColorimetry(colorspace, enc, quantization uint32) (capture.YCbCrMatrix, bool) {
	m := capture.BT601
	switch ycbcrEncoding(colorspace, enc) {
	case v4l2YCbCrEnc709, v4l2YCbCrEncXV709, v4l2YCbCrEncSMPTE240M:
		m = capture.BT709
	case v4l2YCbCrEncBT2020, v4l2YCbCrEncBT2020ConstLum:
		m = capture.BT2020
	}
	return m, fullRange(false, colorspace, quantization)
}
