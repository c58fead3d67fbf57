package yuv

// Plane is one image plane: its bytes from the first row and the distance
// between rows.
type Plane struct {
	Pix    []byte
	Stride int
}

// maxWidth is the widest row SetOpaque handles.
const maxWidth = 16384

// Matrix is one of libyuv's colorimetries: a matrix and a range.
type Matrix int

const (
	BT601Limited Matrix = iota
	BT601Full
	BT709Limited
	BT709Full
	BT2020Limited
	BT2020Full
)

// Filter is libyuv's scaling filter.
type Filter int

const (
	FilterNone     Filter = 0 // nearest neighbour
	FilterLinear   Filter = 1
	FilterBilinear Filter = 2
	FilterBox      Filter = 3
)
