# Shared by the scripts in this directory: source it, don't run it.
# It moves to the repository root and makes Go and Go-installed tools findable
# even where the calling environment's PATH lacks them (CI, sudo, cron).

tally_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$tally_root" || exit 1

for d in /usr/local/go/bin "$HOME/go/bin"; do
  case ":$PATH:" in *":$d:"*) ;; *) [ -d "$d" ] && PATH="$PATH:$d" ;; esac
done
if command -v go >/dev/null 2>&1; then
  gobin=$(go env GOBIN); [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
  case ":$PATH:" in *":$gobin:"*) ;; *) PATH="$gobin:$PATH" ;; esac
fi
export PATH

# section prints a header that stands out in a long CI log.
section() { printf '\n===== %s =====\n' "$*"; }

# die prints its arguments to stderr and exits non-zero.
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
