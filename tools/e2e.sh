#!/usr/bin/env bash
# Runs the e2e suite (e2e/, build tag e2e) in two lanes side by side: two runs of one compiled test
# binary, each with its own etcd, kube-apiserver, controller manager and scheduler (TestMain starts
# them on random ports, in temporary directories), so their Kubernetes objects and nodes never meet;
# every twin test has its own account already. One run alone keeps a 2-core machine about half busy
# (the engine waits out the twin's modelled durations, Node.js starts pulumi-eks, the API server
# answers), so two take about half the time. Three do not: with empty caches they kept both cores
# 98 to 99 % busy and took 1468 s, where two took 1328 s (docs/tests.md, "What CI costs"). The tests
# split by name: the first lane takes the longest (firstLane), the second the rest. Each lane's log
# is printed once both are done.
#
#   tools/e2e.sh        # the whole suite, as .ci/run runs it
#
# One test on its own: PATH="$(tools/build.sh):$PATH" go test -tags e2e -count=1 -v -run TestX ./e2e
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS=-trimpath
tooldir=$(bash tools/build.sh)
export PATH="$tooldir:$PATH"

# About half the suite's time, as the two lanes of a warm .ci/run measured it on 2026-12-05
# (docs/tests.md, "What CI costs"): the ipv4-calico preset with its day-2 matrix (1344 s), the
# interrupted runs (301 s) and the unreachable endpoint (40 s), against about 1740 s for the rest
# (the copies without an edge, 124 s, moved over from this lane, which took 1823 s to the other's
# 1620 s).
firstLane='^(TestTwinIpv4CalicoPreset|TestTwinInterruptedUpRecovers|TestTwinUnreachableEndpoint)$'

out=$(mktemp -d)
go test -c -tags e2e -o "$out/e2e.test" ./e2e

start=$SECONDS
lane() {
  local name=$1
  shift
  local laneStart=$SECONDS status=0
  (cd e2e && "$out/e2e.test" -test.v -test.count=1 -test.timeout 45m "$@") >"$out/$name.log" 2>&1 || status=$?
  echo "$status $((SECONDS - laneStart))" >"$out/$name.status"
}
lane first -test.run "$firstLane" &
first=$!
lane second -test.skip "$firstLane" &
second=$!
wait "$first" "$second"

failed=0
for name in first second; do
  read -r status took <"$out/$name.status"
  echo "== e2e, $name lane: exit $status after $took s"
  cat "$out/$name.log"
  [ "$status" = 0 ] || failed=1
done
echo "== e2e: both lanes done in $((SECONDS - start)) s"
rm -rf "$out"
exit "$failed"
