package holders

import (
	"encoding/json"
	"strings"
	"testing"
)

var sample = Snapshot{
	Devices: []Device{
		{Path: "/dev/video0", Kind: "videoinput", Holders: []Holder{
			{PID: 4242, Name: "obs", Cmdline: "obs --startvirtualcam", Streaming: true, Via: ViaFD},
			{PID: 4300, Name: "v4l2-ctl", Via: ViaFD},
		}},
		{Path: "/dev/video2", Kind: "videoinput", Holders: []Holder{}},
		{Path: "virtmic", Kind: "audioinput", Label: "VirtualMic", Pulse: true, Holders: []Holder{
			{PID: 6745, Name: "parecord", Cmdline: "parecord --device=virtmic /dev/null", Streaming: true, Via: ViaPulse, Stream: "/dev/null"},
			{PID: 77, Name: "tally", Self: true, Via: ViaPulse, Stream: "capture"},
			{Name: "module-loopback", Streaming: true, Via: ViaPulse, Stream: "Loopback to Drain"},
		}},
	},
	Errors: []string{"holders: no audio server: pactl list: Connection failure: Connection refused"},
}

func TestPrintText(t *testing.T) {
	var b strings.Builder
	if err := Print(&b, sample, false); err != nil {
		t.Fatal(err)
	}
	want := `/dev/video0 (videoinput)
  obs (pid 4242) streaming, open: obs --startvirtualcam
  v4l2-ctl (pid 4300) open
/dev/video2 (videoinput)
  nobody
virtmic (audioinput, pulse "VirtualMic")
  parecord (pid 6745) recording "/dev/null": parecord --device=virtmic /dev/null
  tally (this process) (pid 77) paused "capture"
  module-loopback recording "Loopback to Drain"
error: holders: no audio server: pactl list: Connection failure: Connection refused
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestPrintJSONRoundTrips(t *testing.T) {
	var b strings.Builder
	if err := Print(&b, sample, true); err != nil {
		t.Fatal(err)
	}
	var back Snapshot
	if err := json.Unmarshal([]byte(b.String()), &back); err != nil {
		t.Fatal(err)
	}
	if !back.Equal(sample) {
		t.Errorf("round trip:\n%s\ngave %+v", b.String(), back)
	}
	for _, field := range []string{`"pid": 4242`, `"streaming": true`, `"via": "pulse"`, `"self": true`, `"holders": []`, `"pulse": true`, `"errors": [`} {
		if !strings.Contains(b.String(), field) {
			t.Errorf("JSON lacks %s:\n%s", field, b.String())
		}
	}
}
