#!/usr/bin/env bash
# Mutation testing with gremlins v0.6.0 (tools/gremlins): each mutant (a flipped condition, a
# boundary moved, an operator swapped) is compiled and the package's own tests run against it; a
# mutant no test fails "lived". Prints, per package, the mutants killed, lived and not covered and
# gremlins' efficacy (killed / (killed + lived)), then every survivor, and writes gremlins' JSON
# reports to DIR (default: a temporary directory).
#
#   tools/mutation.sh [-o DIR] [PACKAGE...]
#
# Default: the AWS twin's rule files (./test/awstwin without the files that are not rules: about
# 22 minutes on two cores), internal/netplan, internal/config and internal/blueprint. components is
# left out: each of its mutants relinks the Pulumi SDKs, and gremlins' coverage pass over it alone
# ran past 5 minutes. It measures; it does not fail on a score. CI runs it on internal/netplan only,
# and the README reports the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS=-trimpath

out=""
if [ "${1:-}" = "-o" ]; then
  out=$2
  shift 2
fi
[ -n "$out" ] || out=$(mktemp -d)
mkdir -p "$out"
[ $# -gt 0 ] || set -- ./test/awstwin ./internal/netplan ./internal/config ./internal/blueprint

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
  "$gremlins" unleash --workers 1 "${exclude[@]}" --output "$out/$name.json" "$pkg" >"$out/$name.log" 2>&1 ||
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
