#!/usr/bin/env bash
# Mutation testing with gremlins v0.6.0 (tools/gremlins): each mutant (a flipped condition, a
# boundary moved, an operator swapped) is compiled and the package's own tests run against it; a
# mutant no test fails "lived". Prints, per package, the mutants killed, lived and not covered and
# gremlins' efficacy (killed / (killed + lived)), then every survivor, and writes gremlins' JSON
# reports to DIR (default: a temporary directory).
#
#   tools/mutation.sh [-o DIR] [-w WORKERS] [PACKAGE...]
#
# Default: the AWS twin's rule files (./test/awstwin without the files that are not rules: 21
# minutes with two workers on 2026-12-05), internal/netplan, internal/config, internal/blueprint and
# components (each of its 321 mutants relinks a test binary holding the Pulumi SDKs: 40 minutes
# with two workers, beside other work, on 2026-12-05). WORKERS (default 1) run side by side; with
# more than one, each mutant's time limit is 4 times the coverage run's instead of gremlins'
# default, so a mutant slowed by its neighbour is not counted as timed out. It measures; it does not
# fail on a score. CI runs it on internal/netplan only, and the README reports the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS=-trimpath

out=""
workers=1
while [ $# -gt 0 ]; do
  case $1 in
  -o | -w)
    [ $# -ge 2 ] || { echo "tools/mutation.sh: $1 needs a value: -o DIR, -w WORKERS" >&2; exit 2; }
    if [ "$1" = -o ]; then out=$2; else workers=$2; fi
    shift 2 ;;
  -*) echo "tools/mutation.sh: unknown option $1; usage: tools/mutation.sh [-o DIR] [-w WORKERS] [PACKAGE...]" >&2; exit 2 ;;
  *) break ;;
  esac
done
[[ $workers =~ ^[1-9][0-9]*$ ]] || { echo "tools/mutation.sh: -w $workers: WORKERS is a whole number from 1" >&2; exit 2; }
limits=(--workers "$workers")
[ "$workers" = 1 ] || limits+=(--timeout-coefficient 4)
[ -n "$out" ] || out=$(mktemp -d)
mkdir -p "$out"
[ $# -gt 0 ] || set -- ./test/awstwin ./internal/netplan ./internal/config ./internal/blueprint ./components

command -v jq >/dev/null || { echo "tools/mutation.sh: needs jq (.ci/run installs it)" >&2; exit 1; }
gremlins="$(bash tools/build.sh gremlins)/gremlins"

printf '%-22s %7s %7s %7s %12s %9s %s\n' package killed lived "not cov" "not viable" efficacy seconds
for pkg in "$@"; do
  name=$(echo "${pkg#./}" | tr / -)
  start=$SECONDS
  exclude=()
  if [ "${pkg#./}" = test/awstwin ]; then
    # The twin's rule files only: not its plumbing (the provider, node registration, the endpoint
    # gate, the controllers' stand-ins, durations), its command or its data loaders.
    exclude=(-E '(durations|endpoint|loadbalancer|nodes|provider|twin)\.go$' -E 'cmd/' -E 'awsdata/')
  fi
  # -count=1: gremlins sets each mutant's time limit from its coverage run, which go test would
  # otherwise answer from its cache in a second.
  GOFLAGS="$GOFLAGS -count=1" "$gremlins" unleash "${limits[@]}" "${exclude[@]}" --output "$out/$name.json" "$pkg" >"$out/$name.log" 2>&1 ||
    { echo "gremlins failed on $pkg; its log:" >&2; cat "$out/$name.log" >&2; exit 1; }
  jq -r --arg pkg "$pkg" --arg s "$((SECONDS - start))" \
    '[$pkg, .mutants_killed, .mutants_lived, .mutants_not_covered, .mutants_not_viable, (.test_efficacy | floor | tostring) + " %", $s] | @tsv' \
    "$out/$name.json" | awk -F'\t' '{ printf "%-22s %7s %7s %7s %12s %9s %s\n", $1, $2, $3, $4, $5, $6, $7 }'
done
echo
echo "survivors (LIVED), by file and line:"
for pkg in "$@"; do
  name=$(echo "${pkg#./}" | tr / -)
  jq -r --arg pkg "${pkg#./}" '.files[] | .file_name as $f | .mutations[] | select(.status == "LIVED") | "  \($pkg)/\($f):\(.line):\(.column) \(.type)"' "$out/$name.json"
done
echo "reports: $out"
