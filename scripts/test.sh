#!/usr/bin/env bash
# The test command: bash scripts/test.sh
#
# Installs what is missing (scripts/deps.sh), then: gofmt, build, go vet,
# staticcheck, the GUI smoke test (scripts/smoke.sh, if present), and
# `go test -race` last, so that the log ends with go test's own summary.
# Tests start their own Xvfb and PulseAudio (internal/testenv). Every step
# runs even after a failure, to report all problems at once; the exit status
# is non-zero if any failed.
#
# Environment: CI=true turns skips for missing programs into failures.
# TALLY_TEST_TIMEOUT (default 15m) bounds each test binary; a package's VM
# tests (internal/testenv.RunTestsInVM) take their time from it, each boot
# at most 5 minutes, and VMs run one at a time, so a package may first wait
# for the others' VMs. Artifacts
# (screenshots) go to $TALLY_ARTIFACTS, default out/.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

section "Dependencies (scripts/deps.sh)"
bash scripts/deps.sh || die "installing dependencies failed"
echo "-- dependencies: ok (${SECONDS}s)"

# Everything is built in go test -race's configuration, the build first:
# vet, staticcheck (its go list), the smoke test's build and go test then
# reuse it, so the slow cgo compile (Fyne's GLFW, miniaudio: minutes when
# cold) happens once. Without -race, go vet and staticcheck would each compile
# all of it again (measured on ./capture/mic after go build -race: go vet
# 91 s plain, 7 s with -race; staticcheck 172 s plain, 29 s with -race).
# The smoke test's app then also reports data races in the running GUI.
# -buildvcs=false: a CI checkout may lack .git metadata that go build wants.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false -race"
export TALLY_ARTIFACTS="${TALLY_ARTIFACTS:-$tally_root/out}"
mkdir -p "$TALLY_ARTIFACTS"

failed=()
step() { # step NAME COMMAND...: runs it under a header, records a failure
  local name=$1; shift
  section "$name"
  local start=$SECONDS
  if "$@"; then
    echo "-- $name: ok ($((SECONDS - start))s)"
  else
    echo "-- $name: FAILED ($((SECONDS - start))s)"
    failed+=("$name")
  fi
}

gofmt_check() {
  local files
  files=$(gofmt -l . 2>&1) || { echo "$files"; return 1; }
  if [ -n "$files" ]; then
    echo "not gofmt-ed (run gofmt -w on them):"
    echo "$files"
    return 1
  fi
}

# The test VM's kernel (scripts/vm.sh: a Debian kernel with the vivid camera
# driver, fetched with apt-get download and unpacked into a cache, ~70 MB)
# and initramfs, once, before the tests that boot it: a failure here is named
# as such instead of inside a test, and the time it takes is reported.
step "test VM kernel (scripts/vm.sh --prepare)" bash scripts/vm.sh --prepare

step "gofmt" gofmt_check
step "go build -race" go build -race ./...
step "go vet" go vet -race ./...
step "staticcheck" staticcheck ./...

if [ -x scripts/smoke.sh ]; then
  step "GUI smoke test (scripts/smoke.sh)" scripts/smoke.sh
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo
  echo "FAILED before the tests: ${failed[*]} (running the tests anyway)"
fi

section "go test -race (${SECONDS}s since the start)"
go test -race -count=1 -timeout "${TALLY_TEST_TIMEOUT:-15m}" ./...
test_status=$?
[ $test_status -eq 0 ] && [ ${#failed[@]} -eq 0 ]
