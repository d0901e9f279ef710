#!/usr/bin/env bash
# Builds the real tools the e2e suite and CI use, from the Go module proxy, each pinned by the go.mod
# of its folder here, into a cache keyed by version, so only the first run on a machine pays (about
# 15 minutes on 2 cores). Prints the directory to put first on PATH: it holds pulumi,
# pulumi-resource-kubernetes, kube-apiserver, kube-controller-manager, etcd and actionlint.
#
#   PATH="$(tools/build.sh):$PATH"
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${EAN_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/eks-advanced-networking/tools}
export GOFLAGS=-trimpath
mkdir -p "$cache/path"

# build NAME VERSION DIR PACKAGE [LDFLAGS]: go build PACKAGE in tools/DIR unless NAME-VERSION is cached.
build() {
  local name=$1 version=$2 dir=$3 pkg=$4 ldflags=${5:-}
  local out="$cache/$name-$version"
  if [ ! -x "$out" ]; then
    local start=$SECONDS
    echo "building $name $version (first run on this machine)" >&2
    (cd "$here/$dir" && go build -ldflags "$ldflags" -o "$out.partial" "$pkg")
    mv "$out.partial" "$out"
    echo "built $name in $((SECONDS - start))s" >&2
  fi
  ln -sfn "$out" "$cache/path/$name"
}

build pulumi v3.274.1 pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v3.274.1"

kp_src=$(cd "$here/kubernetes-provider" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)/cmd/pulumi-resource-kubernetes
(cd "$here/kubernetes-provider" && go run ./gen -version 4.32.0 -src "$kp_src" -out .)
build pulumi-resource-kubernetes 4.32.0 kubernetes-provider . \
  "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=4.32.0"

k8s_version="-X k8s.io/component-base/version.gitVersion=v1.37.2 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"
build kube-apiserver v1.37.2 kubernetes k8s.io/kubernetes/cmd/kube-apiserver "$k8s_version"
build kube-controller-manager v1.37.2 kubernetes k8s.io/kubernetes/cmd/kube-controller-manager "$k8s_version"

build etcd v3.6.16 etcd .

build actionlint v1.7.12 actionlint github.com/rhysd/actionlint/cmd/actionlint

echo "$cache/path"
