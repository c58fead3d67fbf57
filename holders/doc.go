// Package holders answers "who is holding this camera or microphone?" for
// every consumer on the machine, not only Tally's own tracks.
//
// Two sources of truth are asked, both read-only:
//
//   - The kernel, through /proc: a process that has a device node open
//     (an entry of /proc/<pid>/fd links to it) holds the device; one that
//     also maps it (a line of /proc/<pid>/maps names it) is streaming from
//     it, as V4L2 and ALSA mmap capture do. This covers cameras
//     (/dev/video*), direct ALSA capture (/dev/snd/pcm*c) and any other
//     file. Processes whose entries cannot be read (another user's, or one
//     exiting during the scan) are skipped without error, as fuser does.
//   - The audio server (PulseAudio, or PipeWire's PulseAudio layer), through
//     its native protocol (internal/pulse, the connection the process
//     shares): every recording stream (source-output) with the source it
//     records from, its application name and pid, and whether it is corked
//     (paused). The server's address comes from the environment
//     (PULSE_SERVER, XDG_RUNTIME_DIR) as for any client.
//
// The calling process is not hidden: its own opens and streams come back
// with Holder.Self set, so an application can show them as its own.
//
// ScanPaths and PulseRecorders are the two one-shot questions; a Scanner
// asks both for a configured set of devices and returns a Snapshot; a
// Watcher repeats that, the nodes at an interval and the audio server on
// its change events, and reports changes. DescribeBusy
// turns the holders of a node into the words a "device busy" error needs,
// and Print writes a Snapshot as text or JSON.
//
// The /proc scan costs a few syscalls per process and one readlink per open
// file descriptor, and allocates only for what it finds; maps are read only
// for processes that hold one of the wanted paths open, unless
// Scanner.AllMaps asks for every process (see its doc for the cost).
//
// # Concurrency
//
// ScanPaths, PulseRecorders and DescribeBusy may be called from any
// goroutine. A Scanner may be used by several goroutines at once; its scans
// are serialized (they share buffers), and its exported fields must not be
// changed after its first use.
//
// A Watcher owns one goroutine, started by NewWatcher and ended by Close,
// which waits for it to return; Close is safe to call more than once.
// Callbacks registered with OnChange run on that goroutine, one at a time,
// in registration order, with snapshots in the order they were taken; a
// slow callback delays the next scan, never overlaps it. Callbacks share one
// Snapshot and must not modify it. A callback may call
// any cancel func returned by OnChange (its own included), but must not call
// Close, which would wait for the callback itself to return.
package holders
