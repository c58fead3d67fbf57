package camera

import (
	"fmt"
	"strconv"
)

// ImageCaptureNames maps the W3C Image Capture spec's constrainable
// properties to the V4L2 controls that carry them, by v4l2-ctl name:
//
//	brightness        brightness
//	contrast          contrast
//	saturation        saturation
//	sharpness         sharpness
//	zoom              zoom_absolute
//	pan               pan_absolute
//	tilt              tilt_absolute
//	focusDistance     focus_absolute
//	exposureTime      exposure_time_absolute (both in 100 µs units)
//	colorTemperature  white_balance_temperature (kelvin)
//	torch             flash_led_mode: true is its "Torch" item, false "Off"
//
// Values pass through in the driver's units (the spec's focusDistance is
// in metres; V4L2 leaves focus_absolute's units to the driver). A camera
// without the control has no such property.
var ImageCaptureNames = map[string]string{
	"brightness":       "brightness",
	"contrast":         "contrast",
	"saturation":       "saturation",
	"sharpness":        "sharpness",
	"zoom":             "zoom_absolute",
	"pan":              "pan_absolute",
	"tilt":             "tilt_absolute",
	"focusDistance":    "focus_absolute",
	"exposureTime":     "exposure_time_absolute",
	"colorTemperature": "white_balance_temperature",
	"torch":            "flash_led_mode",
}

// V4L2Name turns a spec name and value into the V4L2 control's name and
// value text (see ImageCaptureNames); any other name passes unchanged.
func V4L2Name(name, value string) (string, string, error) {
	v4l2, ok := ImageCaptureNames[name]
	if !ok {
		return name, value, nil
	}
	if name == "torch" {
		on, err := strconv.ParseBool(value)
		if err != nil {
			return "", "", fmt.Errorf("control torch (flash_led_mode): %q is not true or false", value)
		}
		if on {
			return v4l2, "Torch", nil
		}
		return v4l2, "Off", nil
	}
	return v4l2, value, nil
}
