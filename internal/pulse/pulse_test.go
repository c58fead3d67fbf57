package pulse

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tally-app/tally/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// events collects a Client's events so a test can wait for one.
type events chan Event

func watch(t *testing.T, c *Client) events {
	ch := make(events, 256)
	cancel := c.OnEvent(func(e Event) { ch <- e })
	t.Cleanup(cancel)
	return ch
}

// await waits for the first event for which ok is true.
func (ch events) await(t *testing.T, what string, ok func(Event) bool) Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-ch:
			if ok(e) {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s event within 10 s", what)
		}
	}
}

func isType(typ string) func(Event) bool { return func(e Event) bool { return e.Type == typ } }

func start(t *testing.T) (*testenv.Pulse, *Client, events) {
	pa := testenv.StartPulse(t)
	pa.Setenv(t)
	c := Open()
	t.Cleanup(c.Close)
	ev := watch(t, c)
	ev.await(t, "connected", isType("connected"))
	return pa, c, ev
}

func pactl(t *testing.T, pa *testenv.Pulse, args ...string) string {
	t.Helper()
	out, err := pa.Pactl(args...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

func TestSetVolumeAndMuteAsPactlSees(t *testing.T) {
	pa, c, _ := start(t)
	ctx := context.Background()
	src, err := c.Source(ctx, testenv.VirtualMic)
	if err != nil {
		t.Fatal(err)
	}
	if src.Name != testenv.VirtualMic || len(src.Volume) == 0 || src.Monitor {
		t.Fatalf("virtmic = %+v", src)
	}
	vol := make([]float64, len(src.Volume))
	for i := range vol {
		vol[i] = 0.25
	}
	if err := c.SetSourceVolume(ctx, testenv.VirtualMic, vol); err != nil {
		t.Fatal(err)
	}
	if out := pactl(t, pa, "get-source-volume", testenv.VirtualMic); !strings.Contains(out, "16384 /  25%") {
		t.Errorf("after setting 0.25, pactl get-source-volume says %q", out)
	}
	if err := c.SetSourceMute(ctx, testenv.VirtualMic, true); err != nil {
		t.Fatal(err)
	}
	if out := pactl(t, pa, "get-source-mute", testenv.VirtualMic); out != "Mute: yes" {
		t.Errorf("after muting, pactl get-source-mute says %q", out)
	}
	got, err := c.Source(ctx, testenv.VirtualMic)
	if err != nil || !got.Muted || math.Abs(got.MaxVolume()-0.25) > 1e-4 {
		t.Errorf("read back %+v, %v; want muted at 0.25", got, err)
	}
}

func TestBadValuesAndNames(t *testing.T) {
	_, c, _ := start(t)
	ctx := context.Background()
	for _, v := range []float64{-0.1, 1.5, math.NaN()} {
		err := c.SetSourceVolume(ctx, testenv.VirtualMic, []float64{v})
		if err == nil || !strings.Contains(err.Error(), "outside 0..1") {
			t.Errorf("volume %v: err = %v", v, err)
		}
	}
	if _, err := c.Source(ctx, "nosuch"); !errors.Is(err, ErrNoSource) || !strings.Contains(err.Error(), `"nosuch"`) {
		t.Errorf("unknown source: err = %v", err)
	}
	if err := c.SetSourceMute(ctx, "nosuch", true); !errors.Is(err, ErrNoSource) {
		t.Errorf("muting an unknown source: err = %v", err)
	}
}

func TestOutsideChangeIsAnEvent(t *testing.T) {
	pa, c, ev := start(t)
	src, err := c.Source(context.Background(), testenv.VirtualMic)
	if err != nil {
		t.Fatal(err)
	}
	pactl(t, pa, "set-source-volume", testenv.VirtualMic, "30%")
	ev.await(t, "source change", func(e Event) bool {
		return e.Type == "change" && e.Facility == "source" && e.Index == src.Index
	})
	got, err := c.SourceByIndex(context.Background(), src.Index)
	if err != nil || math.Abs(got.MaxVolume()-0.3) > 1e-3 {
		t.Errorf("after pactl 30%%: %+v, %v", got, err)
	}
}

func TestRecordingStreamEvents(t *testing.T) {
	pa, c, ev := start(t)
	ctx := context.Background()
	src, err := c.Source(ctx, testenv.VirtualMic)
	if err != nil {
		t.Fatal(err)
	}
	// A module's recording stream: made and removed by pactl, no process
	// of ours to manage.
	mod := pactl(t, pa, "load-module", "module-loopback", "source="+testenv.VirtualMic, "sink="+testenv.ProbeSink)
	e := ev.await(t, "source-output new", func(e Event) bool { return e.Type == "new" && e.Facility == "source-output" })
	outs, err := c.SourceOutputs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range outs {
		found = found || (o.Index == e.Index && o.Source == src.Index && o.Driver != "")
	}
	if !found {
		t.Errorf("source-output %d on virtmic not in %+v", e.Index, outs)
	}
	pactl(t, pa, "unload-module", mod)
	ev.await(t, "source-output remove", func(x Event) bool {
		return x.Type == "remove" && x.Facility == "source-output" && x.Index == e.Index
	})
}

func TestServerKilledAndBack(t *testing.T) {
	pa, c, ev := start(t)
	pa.Kill()
	ev.await(t, "disconnected", isType("disconnected"))
	if _, err := c.Sources(context.Background()); !errors.Is(err, ErrNoServer) {
		t.Errorf("Sources with no server: err = %v", err)
	}
	pa.Restart()
	ev.await(t, "connected", isType("connected"))
	if _, err := c.Source(context.Background(), testenv.VirtualMic); err != nil {
		t.Errorf("after the server came back: %v", err)
	}
}

func TestSharedConnection(t *testing.T) {
	_, c, _ := start(t)
	d := Open()
	defer d.Close()
	if c.conn != d.conn {
		t.Fatal("two Opens made two connections")
	}
	dv := watch(t, d)
	dv.await(t, "connected", isType("connected")) // a late subscriber is told too
	d.Close()
	d.Close() // twice is fine
	if _, err := c.Sources(context.Background()); err != nil {
		t.Errorf("closing one handle broke the other: %v", err)
	}
}

func TestNoServer(t *testing.T) {
	t.Setenv("PULSE_SERVER", "unix:"+t.TempDir()+"/none")
	c := Open()
	defer c.Close()
	if c.Connected() {
		t.Fatal("connected to nothing")
	}
	if _, err := c.Sources(context.Background()); !errors.Is(err, ErrNoServer) {
		t.Errorf("err = %v", err)
	}
}
