package mic

// #include <stdlib.h>
import "C"

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// appName is how the backend's streams are named by the audio server
// (pactl list source-outputs shows it).
const appName = "Tally"

// audioCtx is one miniaudio context: a connection to one audio system. A
// PulseAudio context never recovers once its server dies, so the backend
// drops it (dead) and makes a new one; the old one is freed when the last
// device opened on it closes.
type audioCtx struct {
	system malgo.Backend

	callMu sync.Mutex // serializes calls into ctx: miniaudio's device init uses the context's server connection, as enumeration does
	ctx    *malgo.AllocatedContext

	refs atomic.Int32 // the backend's while current, one per open device and per call in flight; freed at zero
	dead atomic.Bool  // an enumeration failed: the server is gone
}

// newAudioCtx connects to one audio system. For PulseAudio it fails when no
// server answers; miniaudio never autospawns one (TryAutoSpawn is 0).
func newAudioCtx(sys malgo.Backend) (*audioCtx, error) {
	var cfg malgo.ContextConfig
	name := C.CString(appName)
	defer C.free(unsafe.Pointer(name))
	cfg.Pulse.PApplicationName = (*byte)(unsafe.Pointer(name)) // miniaudio copies it
	ctx, err := malgo.InitContext([]malgo.Backend{sys}, cfg, nil)
	if err != nil {
		return nil, err
	}
	ac := &audioCtx{system: sys, ctx: ctx}
	ac.refs.Store(1)
	return ac, nil
}

func (ac *audioCtx) acquire() { ac.refs.Add(1) }

// release drops one reference; the last one frees the context.
func (ac *audioCtx) release() {
	if ac.refs.Add(-1) != 0 {
		return
	}
	ac.callMu.Lock()
	defer ac.callMu.Unlock()
	_ = ac.ctx.Uninit()
	ac.ctx.Free()
	ac.ctx = nil
}

// devices lists the context's capture devices.
func (ac *audioCtx) devices() ([]malgo.DeviceInfo, error) {
	ac.callMu.Lock()
	defer ac.callMu.Unlock()
	return ac.ctx.Devices(malgo.Capture)
}

// nativeFormat returns the device's own sample format, or a zero value
// when the server does not say.
func (ac *audioCtx) nativeFormat(id malgo.DeviceID) malgo.DataFormat {
	ac.callMu.Lock()
	defer ac.callMu.Unlock()
	info, err := ac.ctx.DeviceInfo(malgo.Capture, id, malgo.Shared)
	if err != nil || len(info.Formats) == 0 {
		return malgo.DataFormat{}
	}
	return info.Formats[0]
}

// initDevice initializes a capture device on the context. The device id is
// handed to C in C memory (cgo forbids Go pointers inside the config) and
// freed once miniaudio has copied what it needs.
func (ac *audioCtx) initDevice(id malgo.DeviceID, cfg malgo.DeviceConfig, cb malgo.DeviceCallbacks) (*malgo.Device, error) {
	cid := id.Pointer()
	defer C.free(cid)
	cfg.Capture.DeviceID = cid
	ac.callMu.Lock()
	defer ac.callMu.Unlock()
	return malgo.InitDevice(ac.ctx.Context, cfg, cb)
}
