#!/usr/bin/env bash
# GUI smoke test: builds Tally, runs the real window under a private Xvfb
# with --demo (two previews of one camera plus a clone: one shared source),
# takes a screenshot, checks it is a drawn window and not a blank screen,
# and checks the app exits cleanly.
#
#   scripts/smoke.sh                  writes out/screenshot.png, out/smoke.log
#   SMOKE_SINK=gl scripts/smoke.sh    the same with the Fyne canvas sink
#
# Needs xvfb, xauth, libgl1-mesa-dri, imagemagick and x11-utils
# (scripts/deps.sh installs them).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for tool in Xvfb import convert xwininfo; do
  command -v "$tool" >/dev/null 2>&1 || die "smoke: $tool not found (run scripts/deps.sh)"
done
mkdir -p out
shot=out/screenshot.png
applog=out/smoke.log
rm -f "$shot" "$applog"

section "smoke: build"
go build -o out/tally .

# A free display number: no lock file, no socket.
display=""
for n in $(seq 71 140); do
  if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then display=":$n"; break; fi
done
[ -n "$display" ] || die "smoke: no free X display number in :71..:140"

xvfb_pid=""
app_pid=""
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null || true
}
trap cleanup EXIT

section "smoke: Xvfb $display"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >out/xvfb.log 2>&1 &
xvfb_pid=$!
for _ in $(seq 100); do
  xdpyinfo -display "$display" >/dev/null 2>&1 && break
  kill -0 "$xvfb_pid" 2>/dev/null || die "smoke: Xvfb exited: $(cat out/xvfb.log)"
  sleep 0.1
done
xdpyinfo -display "$display" >/dev/null 2>&1 || die "smoke: Xvfb $display did not come up"

section "smoke: run tally --demo"
DISPLAY=$display TALLY_VIDEO_SINK=${SMOKE_SINK:-auto} out/tally --demo --quit-after 18s >"$applog" 2>&1 &
app_pid=$!

# Wait for the window, then give the previews and counters time to run.
for _ in $(seq 150); do
  xwininfo -display "$display" -root -tree 2>/dev/null | grep -q '"Tally"' && break
  kill -0 "$app_pid" 2>/dev/null || die "smoke: tally exited early: $(cat "$applog")"
  sleep 0.1
done
xwininfo -display "$display" -root -tree | grep -q '"Tally"' || die "smoke: no Tally window appeared"
sleep 6
import -display "$display" -window root "$shot"

section "smoke: check screenshot"
# A blank or failed window is one flat colour; Tally's has text, previews
# (colour bars) and lit tally lights.
colours=$(convert "$shot" -format '%k' info:)
stddev=$(convert "$shot" -colorspace gray -format '%[fx:standard_deviation]' info:)
echo "screenshot $shot: $colours colours, grey standard deviation $stddev"
[ "$colours" -ge 200 ] || die "smoke: screenshot has only $colours colours: blank?"
awk -v s="$stddev" 'BEGIN { exit !(s > 0.05) }' || die "smoke: screenshot is nearly flat (stddev $stddev)"
# The lit tally lights: pixels of the lamp's red (#f01e1e).
red=$(convert "$shot" -fill black -fuzz 6% +opaque '#f01e1e' -fill white -opaque '#f01e1e' -format '%[fx:mean*w*h]' info:)
echo "tally-light red pixels: $red"
awk -v r="$red" 'BEGIN { exit !(r > 200) }' || die "smoke: no lit tally light in the screenshot"

# With xdotool: open the device picker over the previews. A dialog must be
# visible, so the X11 video windows (children of Tally's window) must be
# unmapped while it is open.
if command -v xdotool >/dev/null 2>&1; then
  section "smoke: device picker over the previews"
  win=$(DISPLAY=$display xdotool search --onlyvisible --name '^Tally$' | head -1)
  [ -n "$win" ] || die "smoke: xdotool cannot find the Tally window"
  read -r wx wy ww wh < <(xwininfo -display "$display" -id "$win" | awk '/Absolute upper-left X/{x=$NF} /Absolute upper-left Y/{y=$NF} /Width:/{w=$NF} /Height:/{h=$NF} END{print x, y, w, h}')
  # "New preview…" is the top right button.
  DISPLAY=$display xdotool mousemove $((wx + ww - 70)) $((wy + 27)) click 1
  sleep 3 # the device list is read off the UI goroutine; slow under -race
  import -display "$display" -window root out/screenshot-picker.png
  mapped=$(xwininfo -display "$display" -children -id "$win" | awk '/^ +0x/{print $1}' | while read -r c; do
    xwininfo -display "$display" -id "$c" | grep -c 'IsViewable' || true
  done | awk '{n+=$1} END{print n+0}')
  echo "video windows mapped while the picker is open: $mapped"
  [ "$mapped" -eq 0 ] || die "smoke: $mapped X11 video window(s) cover the picker dialog"
  DISPLAY=$display xdotool key Escape
  sleep 0.5
else
  echo "smoke: xdotool not installed; skipping the picker check"
fi

section "smoke: clean exit"
status=0
wait "$app_pid" || status=$?
app_pid=""
grep -q 'video sink:' "$applog" || die "smoke: the log does not say which video sink was chosen"
# This Xvfb resets when its last client leaves: auto must still find MIT-SHM
# (a connection refused during a reset once made it fall back to gl).
if [ -z "${SMOKE_SINK:-}" ] && ! grep -q 'video sink: x11' "$applog"; then
  die "smoke: auto did not choose the x11 sink: $(grep -m1 'video sink:' "$applog")"
fi
if grep -q 'should have been called in fyne.Do\|panic:\|DATA RACE' "$applog"; then
  die "smoke: problems in the app's log: $(grep -m3 'fyne.Do\|panic:\|DATA RACE' "$applog")"
fi
[ "$status" -eq 0 ] || die "smoke: tally exited with status $status: $(tail -5 "$applog")"
echo "smoke: ok ($(grep -m1 'video sink:' "$applog"))"

# Who holds each device, with a real recorder on a real audio server.
bash scripts/smoke-holders.sh
