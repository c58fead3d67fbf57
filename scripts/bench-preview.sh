#!/usr/bin/env bash
# Preview cost, side by side: Tally's preview (x11 and gl sinks) against
# GStreamer's ximagesink at the same size and rate, under one private Xvfb,
# in the same run. Prints frames captured/shown, CPU % of one core and the
# ratio to GStreamer, and the window's idle floor (no preview) beside them.
#
#   bash scripts/bench-preview.sh [SECONDS]          (default 10)
#   TALLY_BENCH_CASES="1280x720@30 1920x1080@60" bash scripts/bench-preview.sh
#
# Needs: xvfb, gstreamer1.0-tools, gstreamer1.0-plugins-base, gstreamer1.0-x
# (scripts/deps.sh installs them). Quote ratios from one run, not absolute
# figures from a noisy machine.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
warmup=3
cases=${TALLY_BENCH_CASES:-"1280x720@30 1920x1080@60"}
out=${TALLY_ARTIFACTS:-out}
mkdir -p "$out"

for tool in Xvfb gst-launch-1.0 go; do
  command -v "$tool" >/dev/null || { echo "bench-preview: $tool is missing (bash scripts/deps.sh installs it)" >&2; exit 1; }
done

echo "building tally..."
go build -o "$out/tally" .

display=:$((150 + RANDOM % 100))
Xvfb "$display" -screen 0 1920x1200x24 -nolisten tcp >"$out/bench-xvfb.log" 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; wait $xvfb 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  DISPLAY=$display xdpyinfo >/dev/null 2>&1 && break
  sleep 0.1
done
export DISPLAY=$display

tck=$(getconf CLK_TCK)
# cpu_ticks PID: utime+stime of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# gst_cpu W H FPS: CPU % of one core of ximagesink's pipeline over $seconds,
# after $warmup seconds.
gst_cpu() {
  local w=$1 h=$2 fps=$3
  gst-launch-1.0 -q videotestsrc horizontal-speed=8 is-live=true \
    ! "video/x-raw,width=$w,height=$h,framerate=$fps/1" ! videoconvert ! ximagesink >/dev/null 2>&1 &
  local pid=$!
  sleep "$warmup"
  local t0 c0 t1 c1
  t0=$(date +%s.%N); c0=$(cpu_ticks $pid)
  sleep "$seconds"
  t1=$(date +%s.%N); c1=$(cpu_ticks $pid)
  kill $pid; wait $pid 2>/dev/null || true
  awk -v c="$((c1 - c0))" -v tck="$tck" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.1f", 100 * c / tck / (t1 - t0) }'
}

# tally_bench SINK W H FPS [ARGS]: prints "captured shown cpu%".
tally_bench() {
  local sink=$1 w=$2 h=$3 fps=$4 log
  shift 4
  log=$("$out/tally" bench-preview --video-sink "$sink" --seconds "$seconds" --warmup "$warmup" --size "${w}x${h}" --fps "$fps" "$@" 2>"$out/bench-$sink-${w}x${h}.log")
  awk -F': ' '/^frames captured/{c=$2} /^frames shown/{s=$2} /^cpu percent/{p=$2} END {print c, s, p}' <<<"$log"
}

printf '\n%-14s %-6s %9s %7s %8s %10s\n' "case" "sink" "captured" "shown" "cpu %" "vs gst"
for c in $cases; do
  size=${c%@*} fps=${c#*@} w=${size%x*} h=${size#*x}
  gst=$(gst_cpu "$w" "$h" "$fps")
  printf '%-14s %-6s %9s %7s %8s %10s\n' "$c" "gst" "-" "-" "$gst" "1.00x"
  for sink in x11 gl; do
    read -r cap shown cpu <<<"$(tally_bench "$sink" "$w" "$h" "$fps")"
    ratio=$(awk -v a="$cpu" -v b="$gst" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
    printf '%-14s %-6s %9s %7s %8s %10s\n' "$c" "$sink" "$cap" "$shown" "$cpu" "$ratio"
  done
  # The same window with an empty view: Fyne's event loop, in every figure above.
  read -r _ _ cpu <<<"$(tally_bench x11 "$w" "$h" "$fps" --idle)"
  ratio=$(awk -v a="$cpu" -v b="$gst" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
  printf '%-14s %-6s %9s %7s %8s %10s\n' "$c" "idle" "-" "-" "$cpu" "$ratio"
done
