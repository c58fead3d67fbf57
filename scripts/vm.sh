#!/usr/bin/env bash
# Runs a command in a test VM that has a real V4L2 driver: the kernel's own
# vivid test driver, in a Debian kernel booted under qemu (TCG: KVM is not
# assumed). Facts and figures: docs/vm.md.
#
#   bash scripts/vm.sh [options] [--] COMMAND [ARG...]
#   bash scripts/vm.sh --prepare     fetch the kernel and build the initramfs only
#
# The guest runs the host's own programs: the host's / is its root, read-only
# over 9p, with a writable overlay (in guest RAM) on top and fresh /tmp, /run
# and /dev/shm (so a binary to run must not live in the host's /tmp: the Go
# tests put theirs in the cache below). The command starts in the current
# directory with a chosen environment (see pass_env) plus TALLY_IN_VM=1,
# TALLY_VM_KERNEL (the kernel tree, for modprobe -d) and TALLY_VM_VIVID (the
# boot's --vivid). Its stdout and stderr arrive on this script's stdout and
# stderr (the kernel's console goes to a log, shown only when the VM fails),
# its exit status is this script's. Other exit statuses: 124 the timeout
# hit, 125 the VM failed before the command finished.
#
# Options:
#   --vivid PARAMS   vivid's module parameters, e.g. 'n_devs=1 node_types=0x1'
#                    (default: the module's defaults); "none" loads no vivid
#   --timeout SECS   kill the VM after SECS (default $TALLY_VM_TIMEOUT or 600)
#   --env NAME       pass NAME from this environment too (repeatable)
#   --rw DIR         share DIR writable at the same path (repeatable);
#                    $TALLY_ARTIFACTS is shared so when it is set
#   --mem MB         guest memory (default $TALLY_VM_MEM or 2048)
#   --verbose        say how long the boot took
#
# In the guest, `tally-vivid [PARAMS]` unloads vivid, loads it again with
# PARAMS and waits for its video nodes; `tally-vivid none` only unloads it.
#
# Cache: $TALLY_VM_CACHE, default ~/.cache/tally-vm (kernel unpacked from its
# .deb with `apt-get download` + `dpkg-deb -x`, never installed; initramfs).
# Needs qemu-system-x86, busybox-static, cpio, kmod (scripts/deps.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$OLDPWD" # lib.sh moved to the repository root; the command runs where we were called

cache=${TALLY_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tally-vm}
vivid_params=default
timeout_s=${TALLY_VM_TIMEOUT:-600}
mem=${TALLY_VM_MEM:-2048}
verbose=false
prepare_only=false
extra_env=()
rw_dirs=()
while [ $# -gt 0 ]; do
  case $1 in
    --vivid) [ $# -ge 2 ] || die "vm.sh: --vivid needs PARAMS"; vivid_params=$2; shift 2 ;;
    --timeout) [[ ${2:-} =~ ^[0-9]+$ ]] || die "vm.sh: --timeout needs whole seconds, got '${2:-}'"; timeout_s=$2; shift 2 ;;
    --env) [[ ${2:-} =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "vm.sh: --env needs a variable name, got '${2:-}'"; extra_env+=("$2"); shift 2 ;;
    --rw) [ -d "${2:-}" ] || die "vm.sh: --rw needs an existing directory, got '${2:-}'"; rw_dirs+=("$(cd "$2" && pwd -P)"); shift 2 ;;
    --mem) [[ ${2:-} =~ ^[0-9]+$ ]] || die "vm.sh: --mem needs megabytes, got '${2:-}'"; mem=$2; shift 2 ;;
    --verbose) verbose=true; shift ;;
    --prepare) prepare_only=true; shift ;;
    --) shift; break ;;
    -*) die "vm.sh: unknown option $1 (see the top of scripts/vm.sh)" ;;
    *) break ;;
  esac
done
$prepare_only || [ $# -gt 0 ] || die "usage: vm.sh [--vivid PARAMS] [--timeout SECS] [--env NAME] [--rw DIR] [--] COMMAND [ARG...]"

for tool in qemu-system-x86_64:qemu-system-x86 busybox:busybox-static cpio:cpio depmod:kmod modprobe:kmod dpkg-deb:dpkg apt-get:apt; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
  command -v "${tool%%:*}" >/dev/null 2>&1 ||
    die "vm.sh: ${tool%%:*} not found: install Debian package ${tool#*:} (bash scripts/deps.sh does)"
done

mkdir -p "$cache"
cache=$(cd "$cache" && pwd -P)
case $cache/ in
  /tmp/* | /run/* | /dev/shm/*) die "vm.sh: the cache ($cache) must not be under /tmp, /run or /dev/shm: the guest has its own there and would not see the kernel's modules (set TALLY_VM_CACHE)" ;;
esac

# --- The kernel: the one linux-image-amd64 names now, unpacked once. ---
# Every step below runs under one lock, so parallel callers download once.
prepare() {
  local pkg ver kdir start
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}') || true
  if [ -z "$pkg" ]; then
    # No package lists (a fresh image): use a kernel fetched before, or update.
    kdir=$(find "$cache" -maxdepth 2 -path "$cache/kernel-*/.ok" -printf '%h\n' 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$kdir" ]; then
      [ "$(id -u)" -eq 0 ] || die "vm.sh: apt-cache knows no linux-image-amd64; run 'apt-get update' as root"
      apt-get update -q >&2
      pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    fi
  fi
  [ -n "$pkg" ] || [ -n "${kdir:-}" ] || die "vm.sh: cannot name the kernel package: apt-cache depends linux-image-amd64 lists no linux-image-6.x"
  if [ -n "$pkg" ]; then
    ver=${pkg#linux-image-}
    kdir=$cache/kernel-$ver
  fi
  ver=${kdir##*/kernel-}
  if [ ! -e "$kdir/.ok" ]; then
    start=$SECONDS
    echo "vm: fetching $pkg (apt-get download, unpacked into $kdir, not installed)" >&2
    rm -rf "$kdir.tmp" && mkdir -p "$kdir.tmp/deb"
    # apt drops to the _apt user for downloads; it warns when that user cannot
    # write the folder, which is harmless.
    (cd "$kdir.tmp/deb" && apt-get download -q "$pkg" 2>&1 | grep -v 'unsandboxed as root' >&2) || true
    local deb
    deb=$(ls "$kdir.tmp/deb/"*.deb 2>/dev/null | head -n 1)
    [ -n "$deb" ] || die "vm.sh: apt-get download $pkg fetched nothing"
    dpkg-deb -x "$deb" "$kdir.tmp/root"
    [ -f "$kdir.tmp/root/boot/vmlinuz-$ver" ] || die "vm.sh: $deb has no boot/vmlinuz-$ver"
    depmod -b "$kdir.tmp/root" "$ver"
    rm -rf "$kdir.tmp/deb" "$kdir"
    mv "$kdir.tmp" "$kdir"
    touch "$kdir/.ok"
    echo "vm: kernel $ver ready in $((SECONDS - start))s" >&2
  fi
  kernel_ver=$ver
  kernel_root=$kdir/root

  # --- The initramfs: busybox and the modules that reach the 9p root. ---
  # Named by a hash of everything in it, so a change here rebuilds it.
  local init_modules=(virtio_pci 9pnet_virtio 9p overlay virtio_console)
  local key
  key=$( { echo "$ver ${init_modules[*]}"; initramfs_init; sha256sum "$(command -v busybox)"; } | sha256sum | cut -c1-16)
  initrd=$cache/initrd-$ver-$key.cpio.gz
  if [ ! -e "$initrd" ]; then
    local tmp; tmp=$(mktemp -d "$cache/initrd.XXXXXX")
    mkdir -p "$tmp/bin" "$tmp/mods" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/lower" "$tmp/share"
    cp "$(readlink -f "$(command -v busybox)")" "$tmp/bin/busybox"
    file -L "$tmp/bin/busybox" 2>/dev/null | grep -q 'dynamically linked' &&
      die "vm.sh: $(command -v busybox) is dynamically linked: install busybox-static"
    local m line n=0
    : >"$tmp/mods/order"
    for m in "${init_modules[@]}"; do
      modprobe -d "$kernel_root" -S "$ver" --show-depends "$m" | while read -r line; do
        case $line in
          insmod\ *)
            line=${line#insmod }; line=${line%% *}
            grep -qxF "${line##*/}" "$tmp/mods/order" || { cp "$line" "$tmp/mods/"; echo "${line##*/}" >>"$tmp/mods/order"; } ;;
        esac
      done
      n=$((n + 1))
    done
    initramfs_init >"$tmp/init"
    chmod +x "$tmp/init"
    (cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$tmp.cpio.gz"
    mv "$tmp.cpio.gz" "$initrd"
    rm -rf "$tmp"
  fi
}

# initramfs_init prints the initramfs's /init: load the modules, mount the
# host's root and the run's share, then hand over to the run's guest.sh (so
# what the guest does can change without rebuilding the initramfs).
initramfs_init() {
  cat <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /mods/order); do insmod /mods/$m || echo "init: insmod $m failed"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288 hostroot /lower || echo "init: cannot mount the host's root"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 tallyrun /share || echo "init: cannot mount the run's share"
[ -f /share/guest.sh ] && exec sh /share/guest.sh
echo "init: no /share/guest.sh"; reboot -f
EOF
}

exec 9>"$cache/.lock"
flock 9
prepare
flock -u 9
if $prepare_only; then
  echo "vm: ready: kernel $kernel_ver, $initrd"
  exit 0
fi

# One VM at a time: two TCG guests on a 2-core machine starve each other
# (a window drawing with software GL in one took minutes). The wait is not
# part of --timeout. internal/testenv takes this lock itself, before it
# shares out its test's deadline, and says so with TALLY_VM_LOCK_HELD=1.
if [ "${TALLY_VM_LOCK_HELD:-}" != 1 ]; then
  exec 6>"$cache/.run.lock"
  if ! flock -n 6; then
    echo "vm: waiting for another VM run to finish" >&2
    flock 6
  fi
fi

# --- One run: a private folder shared with the guest. ---
run=$(mktemp -d "${TMPDIR:-/tmp}/tally-vm.XXXXXX")
qemu_pid=
reader_pids=()
cleanup() {
  set +e # a killed child's non-zero wait must not cut the cleanup short
  [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
  local p; for p in "${reader_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The environment the command gets: a chosen set, not the host's whole one.
pass_env=(PATH HOME USER LOGNAME LANG LC_ALL TERM TZ CI GOFLAGS GOTRACEBACK GODEBUG GOMAXPROCS GORACE "${extra_env[@]}")
while IFS= read -r name; do pass_env+=("$name"); done < <(compgen -e | grep '^TALLY_' || true)
[ -n "${TALLY_ARTIFACTS:-}" ] && mkdir -p "$TALLY_ARTIFACTS" && rw_dirs+=("$(cd "$TALLY_ARTIFACTS" && pwd -P)")
{
  echo "#!/bin/bash"
  echo "unset \$(compgen -e)" # the guest's init environment stays out
  for name in "${pass_env[@]}"; do
    [ -n "${!name+x}" ] && [[ $name != TALLY_VM_KERNEL && $name != TALLY_VM_VIVID ]] && printf 'export %s=%q\n' "$name" "${!name}"
  done
  printf 'export TALLY_IN_VM=1 TALLY_VM_KERNEL=%q TALLY_VM_VIVID=%q\n' "$kernel_root" "$vivid_params"
  printf 'cd %q || exit 125\n' "$PWD"
  printf 'exec'; printf ' %q' "$@"; printf '\n'
} >"$run/cmd.sh"

# tally-vivid: reload vivid with other parameters and wait for its nodes.
cat >"$run/tally-vivid" <<EOF
#!/bin/bash
# tally-vivid [PARAMS]: reload vivid with PARAMS (none: leave it unloaded).
set -u
PATH=$PATH:/usr/sbin:/sbin:/usr/bin:/bin
kroot=$(printf %q "$kernel_root")
EOF
cat >>"$run/tally-vivid" <<'EOF'
if [ -d /sys/module/vivid ]; then
  # A node a closing process still holds keeps it loaded for a moment.
  for i in $(seq 20); do modprobe -d "$kroot" -r vivid 2>/dev/null && break; sleep 0.1; done
  [ -d /sys/module/vivid ] && { echo "tally-vivid: cannot unload vivid (is a /dev/video* node still open?): $(modprobe -d "$kroot" -r vivid 2>&1)" >&2; exit 1; }
fi
[ "${1:-}" = none ] && exit 0
# shellcheck disable=SC2086 # PARAMS are words on purpose
modprobe -d "$kroot" vivid ${1:-} || { echo "tally-vivid: modprobe vivid ${1:-} failed" >&2; exit 1; }
# Probing is synchronous, but devtmpfs makes the nodes a moment later.
for i in $(seq 100); do
  want=$(ls /sys/bus/platform/drivers/vivid/*/video4linux 2>/dev/null | grep -c '^video' || true)
  have=0
  for n in $(ls /sys/bus/platform/drivers/vivid/*/video4linux 2>/dev/null | grep '^video'); do
    [ -c "/dev/$n" ] && have=$((have + 1))
  done
  [ "$want" -gt 0 ] && [ "$have" -eq "$want" ] && exit 0
  sleep 0.05
done
echo "tally-vivid: vivid ${1:-} made no /dev/video* nodes (want $want, have $have)" >&2
exit 1
EOF
chmod +x "$run/tally-vivid" "$run/cmd.sh"

rw_mounts=
rw_args=()
i=0
for d in "${rw_dirs[@]}"; do
  rw_args+=(-virtfs "local,path=$d,mount_tag=rw$i,security_model=none,multidevs=remap")
  rw_mounts+="rw$i $d"$'\n'
  i=$((i + 1))
done

# guest.sh runs as the guest's pid 1 (busybox sh, from the initramfs).
{
  printf 'run=%q\nvivid=%q\nrw_mounts=%q\n' "$run" "$vivid_params" "$rw_mounts"
  cat <<'EOF'
fail() { echo "guest: $*"; echo "guest: $*" >/share/vm-error; sync; reboot -f; }
r=/newroot
mkdir -p /mnt && mount -t tmpfs -o mode=0755 upper /mnt || fail "tmpfs"
mkdir -p /mnt/up /mnt/work $r
# The host's root, writable in guest RAM: tests may write where they like.
mount -t overlay -o lowerdir=/lower,upperdir=/mnt/up,workdir=/mnt/work overlay $r || fail "overlay over the host's root"
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t devtmpfs devtmpfs $r/dev
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts $r/dev/pts
mount -t tmpfs -o mode=1777 shm $r/dev/shm
mount -t tmpfs -o mode=1777 tmp $r/tmp
mount -t tmpfs -o mode=0755 run $r/run
mkdir -p "$r$run"
mount --move /share "$r$run" || fail "moving the run's share"
echo "$rw_mounts" | while read -r tag dir; do
  [ -n "$tag" ] || continue
  mkdir -p "$r$dir" && mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 "$tag" "$r$dir" || fail "mounting $dir"
done
mkdir -p $r/usr/local/bin && cp "$r$run/tally-vivid" $r/usr/local/bin/tally-vivid
hostname tally-vm
ip link set lo up 2>/dev/null
out=; errp=
for p in /sys/class/virtio-ports/*; do
  case $(cat $p/name) in tally.stdout) out=/dev/${p##*/} ;; tally.stderr) errp=/dev/${p##*/} ;; esac
done
[ -n "$out" ] && [ -n "$errp" ] || fail "no virtio ports for stdout/stderr"
if [ "$vivid" != none ]; then
  [ "$vivid" = default ] && vivid=
  chroot $r /usr/local/bin/tally-vivid "$vivid" >"$r$run/vivid.log" 2>&1 || fail "loading vivid: $(cat "$r$run/vivid.log")"
fi
cut -d' ' -f1 /proc/uptime >"$r$run/uptime-start"
chroot $r /bin/bash "$run/cmd.sh" <$r/dev/null >"$out" 2>"$errp"
echo $? >"$r$run/status.tmp"
cut -d' ' -f1 /proc/uptime >"$r$run/uptime-end"
mv "$r$run/status.tmp" "$r$run/status"
sync
reboot -f
EOF
} >"$run/guest.sh"

# The command's output: qemu writes into FIFOs that cat copies to ours.
mkfifo "$run/stdout.fifo" "$run/stderr.fifo"
cat "$run/stdout.fifo" &
reader_pids+=($!)
cat "$run/stderr.fifo" >&2 &
reader_pids+=($!)

start=$(date +%s.%N)
# timeout passes a TERM on to qemu, so cleanup can stop it through its pid.
# CPU: with -cpu max, Mesa's llvmpipe (the GL every Xvfb client, Fyne
# included, gets) segfaults in its JIT-compiled code under TCG; with
# Haswell-v4 (AVX2, what TCG emulates of it) it runs. $TALLY_VM_CPU overrides.
timeout "$timeout_s" qemu-system-x86_64 -accel tcg -cpu "${TALLY_VM_CPU:-Haswell-v4}" -smp 2 -m "$mem" \
  -nodefaults -no-user-config -display none -nic none -no-reboot \
  -kernel "$kernel_root/boot/vmlinuz-$kernel_ver" -initrd "$initrd" \
  -append "console=ttyS0 quiet loglevel=4 panic=-1" \
  -chardev "file,id=con,path=$run/console.log" -serial chardev:con \
  -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
  -virtfs "local,path=$run,mount_tag=tallyrun,security_model=none,multidevs=remap" \
  "${rw_args[@]}" \
  -device virtio-serial-pci \
  -chardev "file,id=out,path=$run/stdout.fifo" -device virtserialport,chardev=out,name=tally.stdout \
  -chardev "file,id=err,path=$run/stderr.fifo" -device virtserialport,chardev=err,name=tally.stderr \
  </dev/null >"$run/qemu.log" 2>&1 &
qemu_pid=$!

qemu_status=0
wait "$qemu_pid" || qemu_status=$?
qemu_pid=
# A reader still waits in open() if qemu never opened its FIFO: a
# read-write open never blocks, and closing it gives that reader EOF.
exec 7<>"$run/stdout.fifo" 8<>"$run/stderr.fifo"
exec 7>&- 8>&-
for p in "${reader_pids[@]}"; do wait "$p" 2>/dev/null || true; done
reader_pids=()

if [ -f "$run/status" ]; then
  if $verbose; then
    echo "vm: command started $(cat "$run/uptime-start")s after boot, ran $(awk -v a="$(cat "$run/uptime-start")" -v b="$(cat "$run/uptime-end")" 'BEGIN{printf "%.1f", b-a}')s; whole run $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')s" >&2
  fi
  exit "$(cat "$run/status")"
fi
if [ "$qemu_status" -eq 124 ]; then
  echo "vm: timed out after ${timeout_s}s (--timeout); the guest's console:" >&2
  tail -n 30 "$run/console.log" >&2
  exit 124
fi
echo "vm: the VM ended before the command finished (qemu status $qemu_status)${run:+: $(cat "$run/vm-error" 2>/dev/null)}" >&2
echo "vm: qemu said:" >&2; tail -n 20 "$run/qemu.log" >&2
echo "vm: the guest's console:" >&2; tail -n 40 "$run/console.log" >&2
exit 125
