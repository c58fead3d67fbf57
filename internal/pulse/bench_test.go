package pulse

import (
	"context"
	"testing"

	"github.com/tally-app/tally/internal/testenv"
)

// BenchmarkVolumeRoundTrip sets virtmic's volume and waits for the server's
// change event that follows: the delay from a change to Tally's callback.
func BenchmarkVolumeRoundTrip(b *testing.B) {
	pa := testenv.StartPulse(b)
	pa.Setenv(b)
	c := Open()
	defer c.Close()
	ctx := context.Background()
	src, err := c.Source(ctx, testenv.VirtualMic)
	if err != nil {
		b.Fatal(err)
	}
	changed := make(chan struct{}, 64)
	defer c.OnEvent(func(e Event) {
		if e.Type == "change" && e.Facility == "source" && e.Index == src.Index {
			changed <- struct{}{}
		}
	})()
	vol := make([]float64, len(src.Volume))
	i := 0
	for b.Loop() {
		i++
		for j := range vol {
			vol[j] = 0.3 + 0.1*float64(i%2)
		}
		if err := c.SetSourceVolume(ctx, testenv.VirtualMic, vol); err != nil {
			b.Fatal(err)
		}
		<-changed
	}
}
