#!/usr/bin/env bash
# Holders smoke test (issue 6): the real window under a private Xvfb with a
# private PulseAudio whose virtual microphone parecord is recording. The
# window's source panel must say who holds the microphone: Tally's track and
# parecord with its pid; `tally controls` sets the microphone's volume and
# mute, and the meter's slider follows. Screenshot: out/screenshot-holders.png.
#
# Needs xvfb, pulseaudio, pulseaudio-utils, imagemagick, x11-utils and a
# built out/tally (scripts/smoke.sh builds it first).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for tool in Xvfb pulseaudio pactl parecord import xwininfo; do
  command -v "$tool" >/dev/null 2>&1 || die "smoke-holders: $tool not found (run scripts/deps.sh)"
done
[ -x out/tally ] || go build -o out/tally .
shot=out/screenshot-holders.png
applog=out/smoke-holders.log
rm -f "$shot" "$applog"

dir=$(mktemp -d)
mkdir -p "$dir/run" "$dir/home"
chmod 700 "$dir/run"
display=""
for n in $(seq 141 199); do
  if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then display=":$n"; break; fi
done
[ -n "$display" ] || die "smoke-holders: no free X display number"

xvfb_pid="" app_pid="" rec_pid="" pulse_pid=""
cleanup() {
  for p in $app_pid $rec_pid; do kill "$p" 2>/dev/null || true; done
  [ -n "$pulse_pid" ] && kill "$pulse_pid" 2>/dev/null && wait "$pulse_pid" 2>/dev/null || true
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

section "smoke-holders: PulseAudio with a virtual microphone"
export XDG_RUNTIME_DIR=$dir/run
HOME=$dir/home pulseaudio -n -F testdata/pulse-test.pa --daemonize=no --exit-idle-time=-1 \
  --log-target=file:"$dir/pa.log" >/dev/null 2>&1 &
pulse_pid=$!
export PULSE_SERVER=unix:$dir/run/pulse/native
for _ in $(seq 100); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
pactl info >/dev/null 2>&1 || die "smoke-holders: PulseAudio did not start: $(tail -5 "$dir/pa.log")"

# -noreset: xdpyinfo's probe below is the server's only client, and a reset
# when it leaves refused tally's connection once ("connection reset by
# peer"). smoke.sh keeps the reset, to test start-up through it.
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp -noreset >/dev/null 2>&1 &
xvfb_pid=$!
for _ in $(seq 100); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done

parecord --device=virtmic /dev/null &
rec_pid=$!

section "smoke-holders: run tally"
DISPLAY=$display out/tally --quit-after 16s >"$applog" 2>&1 &
app_pid=$!
for _ in $(seq 150); do
  xwininfo -display "$display" -root -tree 2>/dev/null | grep -q '"Tally"' && break
  kill -0 "$app_pid" 2>/dev/null || die "smoke-holders: tally exited early: $(tail -5 "$applog")"
  sleep 0.1
done
# The window opens the microphone a few seconds after it maps (software GL).
sleep 6
# Another program (tally controls here) sets the volume; the window hears it
# from the server's events.
out/tally controls mic:virtmic --set volume=0.5 mute=true | tee "$dir/controls.txt"
pactl get-source-volume virtmic | grep -q ' 50%' || die "smoke-holders: tally controls did not set the volume to 50 %: $(pactl get-source-volume virtmic)"
pactl get-source-mute virtmic | grep -q 'yes' || die "smoke-holders: tally controls did not mute virtmic"
out/tally controls mic:virtmic --set volume=2 2>/dev/null && die "smoke-holders: tally controls accepted volume=2"
sleep 1
import -display "$display" -window root "$shot"
# parecord's stream must be visible to the same scan the window uses.
out/tally holders | tee "$dir/holders.txt"
grep -q "parecord (pid $rec_pid)" "$dir/holders.txt" || die "smoke-holders: tally holders does not name parecord (pid $rec_pid)"
status=0
wait "$app_pid" || status=$?
app_pid=""
[ "$status" -eq 0 ] || die "smoke-holders: tally exited with status $status: $(tail -5 "$applog")"
echo "smoke-holders: ok, screenshot $shot"
