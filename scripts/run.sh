#!/usr/bin/env bash
# The run command: bash scripts/run.sh [tally's arguments]
#
# Installs what building needs if missing (scripts/deps.sh --build), then
# `go run . "$@"`. Needs a display; without one, TALLY_XVFB=1 runs Tally on
# a private virtual X server (1280x800) and tells how to take a screenshot.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "${TALLY_XVFB:-}" = 1 ]; then
  bash scripts/deps.sh # the full set: Xvfb, software GL, ImageMagick
else
  bash scripts/deps.sh --build
fi
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false"

if [ "${TALLY_XVFB:-}" != 1 ]; then
  if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    cat >&2 <<'MSG'
Tally is a desktop app and there is no display here (neither DISPLAY nor
WAYLAND_DISPLAY is set). Either run it from a graphical session, or run it
on a private virtual X server:

    TALLY_XVFB=1 bash scripts/run.sh [args]

(the script then prints the display and how to screenshot it).
MSG
    exit 2
  fi
  exec go run . "$@"
fi

# Private Xvfb: it picks a free display itself and writes the number to fd 3
# once it accepts connections.
tmp=$(mktemp -d)
xvfb_pid=""
cleanup() {
  if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; wait "$xvfb_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$tmp/display" >"$tmp/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 200); do
  [ -s "$tmp/display" ] && break
  kill -0 "$xvfb_pid" 2>/dev/null || die "Xvfb exited: $(cat "$tmp/xvfb.log")"
  sleep 0.05
done
[ -s "$tmp/display" ] || die "Xvfb did not report a display within 10 s: $(cat "$tmp/xvfb.log")"
export DISPLAY=":$(cat "$tmp/display")"
unset WAYLAND_DISPLAY
echo "run: Tally on private Xvfb $DISPLAY (Ctrl-C stops both); screenshot with:"
echo "    import -display $DISPLAY -window root out/tally.png"
go run . "$@"
