#!/usr/bin/env bash
# Installs what building and testing Tally needs on Debian 12 / Ubuntu, and
# only what is missing, so on a prepared machine it does nothing (no apt).
#
#   bash scripts/deps.sh            everything: build, run, test, lint
#   bash scripts/deps.sh --build    only what `go build` / `go run .` needs
#
# Needs root or sudo only when a package is missing. Go itself (>= 1.26) must
# already be installed: https://go.dev/doc/install
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

min_go=1.26
staticcheck_version=v0.7.0 # honnef.co/go/tools; 2026.1, knows Go 1.26

# Fyne's GLFW driver and miniaudio are cgo: a C compiler and GL/X11 headers.
# libyuv converts camera frames (internal/yuv) and scales video for
# per-track crop-and-scale (internal/scale); internal/mjpeg decodes webcams'
# MJPEG with libjpeg-turbo's TurboJPEG API.
build_pkgs=(gcc pkg-config libgl1-mesa-dev xorg-dev libyuv-dev libturbojpeg0-dev)
# Tests and headless runs: a virtual X server with software GL, screenshots
# (ImageMagick's import), a private PulseAudio with pactl, X clients the tests
# draw with or query (xclock, xdpyinfo), xdotool to click through the real
# window, GStreamer as the preview-cost yardstick, pgrep/ps, and djpeg and
# tjbench (libjpeg-turbo-progs), the reference internal/mjpeg is tested and
# measured against. The test VM (scripts/vm.sh: the kernel's vivid camera
# driver under qemu) needs qemu, a static busybox for its initramfs, cpio,
# kmod (depmod, modprobe -d) and v4l2-ctl; its kernel is fetched by
# scripts/vm.sh --prepare, below.
test_pkgs=(xvfb xauth libgl1-mesa-dri imagemagick pulseaudio pulseaudio-utils
  x11-apps x11-utils xdotool gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-x procps
  libjpeg-turbo-progs qemu-system-x86 busybox-static cpio kmod v4l-utils)

build_only=false
case "${1:-}" in
  --build) build_only=true ;;
  "") ;;
  *) die "usage: $0 [--build]" ;;
esac

# --- Go ---
command -v go >/dev/null 2>&1 ||
  die "Go not found. Tally needs Go >= $min_go: install it from https://go.dev/dl/ (e.g. into /usr/local/go) and put its bin directory on PATH."
go_version=$(go env GOVERSION) # e.g. go1.26.8
if [[ $go_version =~ ^go([0-9]+)\.([0-9]+) ]]; then
  if [ "${BASH_REMATCH[1]}" -eq 1 ] && [ "${BASH_REMATCH[2]}" -lt "${min_go#1.}" ]; then
    die "$go_version is too old: Tally needs Go >= $min_go (go.mod says 'go $min_go'). Install a newer one from https://go.dev/dl/."
  fi
else
  echo "deps: warning: cannot read a version from GOVERSION=$go_version; assuming it is >= $min_go" >&2
fi

# --- Debian packages ---
pkgs=("${build_pkgs[@]}")
$build_only || pkgs+=("${test_pkgs[@]}")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 ||
    die "missing packages (${missing[*]}) and no apt-get: install their equivalents by hand."
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    die "missing packages (${missing[*]}): run this script as root or install sudo."
  fi
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- Go tools ---
if ! $build_only; then
  if ! staticcheck -version 2>/dev/null | grep -qF "($staticcheck_version)"; then
    echo "deps: installing staticcheck $staticcheck_version"
    GOFLAGS= go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
  fi
fi
echo "deps: ok ($go_version, ${#pkgs[@]} Debian packages present$($build_only || echo ", staticcheck $staticcheck_version"))"
