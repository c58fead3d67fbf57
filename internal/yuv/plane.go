package yuv

// Plane is one image plane: its bytes from the first row and the distance
// between rows.
type Plane struct {
	Pix    []byte
	Stride int
}

// maxWidth is the widest row SetOpaque handles.
const maxWidth = 16384
