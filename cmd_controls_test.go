package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tally-app/tally/internal/testenv"
)

func TestControlsSetsMicrophoneVolumeAndMute(t *testing.T) {
	p := testenv.StartPulse(t)
	p.Setenv(t)
	var out strings.Builder
	if err := controls(&out, []string{"mic:virtmic", "--set", "volume=0.5", "mute=true"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "volume       float    0.5  (0..1 step 0.01)") ||
		!strings.Contains(out.String(), "mute         bool     true") {
		t.Errorf("tally controls --set printed:\n%s", out.String())
	}
	if v, err := p.Pactl("get-source-volume", "virtmic"); err != nil || !strings.Contains(v, " 50%") {
		t.Errorf("pactl get-source-volume: %q, %v", v, err)
	}
	if m, err := p.Pactl("get-source-mute", "virtmic"); err != nil || strings.TrimSpace(m) != "Mute: yes" {
		t.Errorf("pactl get-source-mute: %q, %v", m, err)
	}

	out.Reset()
	if err := controls(&out, []string{"mic:virtmic", "--json"}); err != nil {
		t.Fatal(err)
	}
	var list []Control
	if err := json.Unmarshal([]byte(out.String()), &list); err != nil || len(list) != 2 ||
		list[0].Name != "volume" || list[0].Value != 0.5 || list[1].Name != "mute" || list[1].Value != true {
		t.Errorf("--json: %v, %s", err, out.String())
	}
}

func TestControlsBadNamesAndValuesChangeNothing(t *testing.T) {
	p := testenv.StartPulse(t)
	p.Setenv(t)
	before, err := p.Pactl("get-source-volume", "virtmic")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args  []string
		words string
	}{
		// The good first pair must not be applied either.
		{[]string{"mic:virtmic", "--set", "volume=0.2", "gain=3"}, `no control "gain"`},
		{[]string{"mic:virtmic", "--set", "volume=0.2", "volume=1.5"}, `volume "1.5" is not a number from 0 to 1`},
		{[]string{"mic:virtmic", "--set", "mute=maybe"}, `mute "maybe" is not true or false`},
		{[]string{"mic:virtmic", "--set", "volume"}, `"volume" is not NAME=VALUE`},
		{[]string{"mic:nosuch"}, `"mic:nosuch"`},
		{[]string{"nope:1"}, `"nope:1" has no controls`},
		{nil, "usage"},
	} {
		err := controls(new(strings.Builder), tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.words) {
			t.Errorf("tally controls %q: err = %v, want it to say %s", tc.args, err, tc.words)
		}
	}
	if after, _ := p.Pactl("get-source-volume", "virtmic"); after != before {
		t.Errorf("a failed --set changed the volume: %q -> %q", before, after)
	}
	if m, _ := p.Pactl("get-source-mute", "virtmic"); strings.TrimSpace(m) != "Mute: no" {
		t.Errorf("a failed --set changed mute: %q", m)
	}
}
