// Package assets holds Tally's bundled resources.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

// iconPNG is icon.svg rendered at 512×512 (FyneApp.toml's icon, which
// `fyne package` needs as PNG).
//
//go:embed icon.png
var iconPNG []byte

// Icon is the app's icon: a camera with its tally light lit.
var Icon fyne.Resource = &fyne.StaticResource{StaticName: "icon.png", StaticContent: iconPNG}
