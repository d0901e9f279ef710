#!/usr/bin/env bash
# Runs the e2e suite (e2e/, build tag e2e) in three lanes side by side: three runs of one compiled
# test binary, each with its own etcd, kube-apiserver, controller manager and scheduler (TestMain
# starts them on random ports, in temporary directories), so their Kubernetes objects and nodes never
# meet; every twin test has its own account already. One run alone keeps a 2-core machine about
# three quarters busy (the engine waits out the twin's modelled durations and the Kubernetes
# provider's awaits, Node.js starts pulumi-eks, the API server answers); two kept it 68 to 97 % busy
# on a fresh machine. The tests split by name: the first two lanes take the longest tests, the third
# the rest. Each lane's log is printed once all are done.
#
#   tools/e2e.sh        # the whole suite, as .ci/run runs it
#
# One test on its own: PATH="$(tools/build.sh):$PATH" go test -tags e2e -count=1 -v -run TestX ./e2e
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS=-trimpath
tooldir=$(bash tools/build.sh)
export PATH="$tooldir:$PATH"

# A third of the suite each, as two lanes measured it on a fresh machine on 2026-12-05 (docs/tests.md,
# "What CI costs"): the ipv4-calico preset with its matrix (887 s) and the unreachable endpoint
# (40 s); the ipv6 preset with its matrix (403 s), the interrupted runs (282 s), the copies without
# an edge (102 s) and the unreachable cluster's destroy (80 s); and the rest, about 850 s.
firstLane='^(TestTwinIpv4CalicoPreset|TestTwinUnreachableEndpoint)$'
secondLane='^(TestTwinIpv6Preset|TestTwinInterruptedUpRecovers|TestTwinCatchesAMissingDependencyEdge|TestTwinDestroyOfAnUnreachableCluster)$'

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
lane second -test.run "$secondLane" &
second=$!
lane third -test.skip "$firstLane|$secondLane" &
third=$!
wait "$first" "$second" "$third"

failed=0
for name in first second third; do
  read -r status took <"$out/$name.status"
  echo "== e2e, $name lane: exit $status after $took s"
  cat "$out/$name.log"
  [ "$status" = 0 ] || failed=1
done
echo "== e2e: all lanes done in $((SECONDS - start)) s"
rm -rf "$out"
exit "$failed"
