package capture_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tally-app/tally/capture"
)

func TestReasonOf(t *testing.T) {
	for _, c := range []struct {
		err  error
		want capture.EndReason
	}{
		{nil, capture.EndStopped},
		{capture.NewError(capture.ErrNotFound, nil, "unplugged"), capture.EndUnplugged},
		{capture.NewError(capture.ErrNotReadable, capture.ErrStalled, "no frame for 5 s"), capture.EndStalled},
		{capture.NewError(capture.ErrNotReadable, capture.ErrRevoked, "taken"), capture.EndRevoked},
		{capture.NewError(capture.ErrNotAllowed, nil, "permission withdrawn"), capture.EndRevoked},
		{capture.NewError(capture.ErrNotReadable, errors.New("EIO"), "driver error"), capture.EndFailed},
		{errors.New("a backend that forgot the spec's names"), capture.EndFailed},
	} {
		if got := capture.ReasonOf(c.err); got != c.want {
			t.Errorf("ReasonOf(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// endedWith waits for tr's ended event and returns what the callback saw.
func endedWith(t *testing.T, tr *capture.MediaStreamTrack, trigger func()) (capture.EndReason, error) {
	t.Helper()
	type seen struct {
		r   capture.EndReason
		err error
	}
	ch := make(chan seen, 2)
	tr.OnEnded(func() { ch <- seen{tr.EndReason(), tr.EndError()} })
	trigger()
	select {
	case s := <-ch:
		return s.r, s.err
	case <-time.After(5 * time.Second):
		t.Fatal("no ended event")
		return "", nil
	}
}

// Why a source ended by itself reaches each of its tracks' ended callbacks,
// and stays readable after.
func TestEndedCarriesTheSourcesCause(t *testing.T) {
	md, b := setup(t)

	tr := video(t, md, `{"video": true}`)
	clone := tr.Clone()
	r, err := endedWith(t, tr, func() { b.Unplug(camID) })
	if r != capture.EndUnplugged || !errors.Is(err, capture.ErrNotFound) {
		t.Errorf("unplug: callback saw %q, %v; want unplugged, a NotFoundError", r, err)
	}
	<-clone.Done()
	if clone.EndReason() != capture.EndUnplugged {
		t.Errorf("the clone's reason = %q, want unplugged", clone.EndReason())
	}
	if c := tr.Clone(); c.EndReason() != capture.EndUnplugged {
		t.Errorf("a clone made after the end: reason %q, want the original's", c.EndReason())
	}
	b.Replug(camID)

	for _, c := range []struct {
		err  error
		want capture.EndReason
	}{
		{capture.NewError(capture.ErrNotReadable, capture.ErrStalled, "no frame for 5 s"), capture.EndStalled},
		{capture.NewError(capture.ErrNotReadable, errors.New("EIO"), "driver error"), capture.EndFailed},
	} {
		tr := audio(t, md)
		r, err := endedWith(t, tr, func() { b.FailRead(micID, c.err) })
		if r != c.want || err != c.err {
			t.Errorf("read error %v: callback saw %q, %v; want %q and the device's error", c.err, r, err, c.want)
		}
		eventually(t, "device closed", func() bool { return !b.IsOpen(micID) })
	}
}

func TestStoppedTrackHasNoError(t *testing.T) {
	md, _ := setup(t)
	tr := video(t, md, `{"video": true}`)
	if tr.EndReason() != "" || tr.EndError() != nil {
		t.Errorf("live track: reason %q, error %v; want none", tr.EndReason(), tr.EndError())
	}
	tr.Stop()
	if tr.EndReason() != capture.EndStopped || tr.EndError() != nil {
		t.Errorf("stopped track: reason %q, error %v; want stopped, nil", tr.EndReason(), tr.EndError())
	}
	other := audio(t, md)
	_ = md.Close()
	if other.EndReason() != capture.EndStopped {
		t.Errorf("track ended by Close: reason %q, want stopped", other.EndReason())
	}
}
