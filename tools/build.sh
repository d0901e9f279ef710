#!/usr/bin/env bash
# Builds the real tools the e2e suite and CI use, from the Go module proxy, each pinned by the go.mod
# of its folder here, into a cache keyed by version, so only the first run on a machine pays (see the
# README for the measured cost). Prints the directory to put first on PATH: it holds pulumi,
# pulumi-resource-kubernetes, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd,
# actionlint, golangci-lint, nodeadm, ean-kubelet-reserved (nodeadm's kubelet configuration step, see
# nodeadm_reserved) and pulumi-resource-eks (pulumi-eks's provider, from npm).
#
#   PATH="$(tools/build.sh):$PATH"          # every tool
#   tools/build.sh actionlint etcd           # only these (tools/cold-path-test.sh uses this)
#
# Names: pulumi, kubernetes-provider-schema (the embeds pulumi-resource-kubernetes is built with),
# pulumi-resource-kubernetes, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd,
# actionlint, golangci-lint, gremlins (only on request: tools/mutation.sh), nodeadm, nodeadm-reserved,
# pulumi-eks, aws-twin (into $EAN_TOOLS_CACHE/twin, not on PATH).
# The cache is $EAN_TOOLS_CACHE, by default ~/.cache/eks-advanced-networking/tools.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${EAN_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/eks-advanced-networking/tools}
export GOFLAGS=-trimpath
mkdir -p "$cache/path"

fail() {
  echo "tools/build.sh: $*" >&2
  exit 1
}

command -v go >/dev/null || fail "go is not on PATH; install the Go toolchain named in tools/*/go.mod (go 1.26)"

# module_dir DIR MODULE: the directory of MODULE, as pinned by tools/DIR/go.mod, downloading it first.
# `go list -m -f '{{.Dir}}'` alone prints an empty line for a module that is not yet in the module
# cache, which once turned into the path /cmd/... on a fresh machine.
module_dir() {
  local dir=$1 module=$2 out
  if ! out=$(cd "$here/$dir" && go mod download -json "$module" 2>&1); then
    fail "could not download $module (pinned in tools/$dir/go.mod) through GOPROXY=$(go env GOPROXY):
$out"
  fi
  local path
  path=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$out" | head -n 1)
  [ -n "$path" ] && [ -d "$path" ] ||
    fail "go mod download reported no directory for $module (pinned in tools/$dir/go.mod):
$out"
  echo "$path"
}

# build NAME VERSION DIR PACKAGE [LDFLAGS]: go build PACKAGE in tools/DIR unless NAME-VERSION is cached.
build() {
  local name=$1 version=$2 dir=$3 pkg=$4 ldflags=${5:-}
  local out="$cache/$name-$version"
  if [ ! -x "$out" ]; then
    local start=$SECONDS
    echo "building $name $version (first run on this machine)" >&2
    # -s -w: no symbol table or DWARF, which the tools never need and the linker spends a good part
    # of its time on (panics still name their functions: that is the pclntab).
    (cd "$here/$dir" && go build -ldflags "$ldflags -s -w" -o "$out.partial" "$pkg") ||
      fail "building $name failed (go build $pkg in tools/$dir, modules from GOPROXY=$(go env GOPROXY)); the go error is above"
    mv "$out.partial" "$out"
    echo "built $name in $((SECONDS - start))s" >&2
  fi
  ln -sfn "$out" "$cache/path/$name"
}

# The kubernetes provider's own cmd embeds files its release build generates; gen/ writes them from
# the schema in the provider module, which must be downloaded first.
kubernetes_provider_schema() {
  local src
  src=$(module_dir kubernetes-provider github.com/pulumi/pulumi-kubernetes/provider/v4)/cmd/pulumi-resource-kubernetes
  (cd "$here/kubernetes-provider" && go run ./gen -version 4.32.0 -src "$src" -out .) ||
    fail "generating the kubernetes provider's embedded schema from $src failed; the error is above"
}

# pulumi_eks installs pulumi-eks's Node.js provider from the npm registry, as pinned by
# tools/pulumi-eks/package-lock.json, and puts pulumi-resource-eks on PATH: the engine runs it as it
# would the provider it downloads from Pulumi (pulumi-eks's cmd/provider).
pulumi_eks() {
  local lock dir
  lock=$(sha256sum "$here/pulumi-eks/package-lock.json" | cut -c1-12)
  dir="$cache/pulumi-eks-2.8.1-$lock"
  if [ ! -f "$dir/.installed" ]; then
    local start=$SECONDS
    echo "installing pulumi-eks 2.8.1 from npm (first run on this machine)" >&2
    rm -rf "$dir" && mkdir -p "$dir"
    cp "$here/pulumi-eks/package.json" "$here/pulumi-eks/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --omit=dev --no-audit --no-fund >&2) ||
      fail "npm ci of tools/pulumi-eks failed (registry $(npm config get registry)); the npm error is above"
    touch "$dir/.installed"
    echo "installed pulumi-eks in $((SECONDS - start))s" >&2
  fi
  printf '#!/bin/sh\nexec node "%s/node_modules/@pulumi/eks/cmd/provider/index.js" "$@"\n' "$dir" > "$cache/path/pulumi-resource-eks"
  chmod +x "$cache/path/pulumi-resource-eks"
}

# aws_twin builds the AWS twin's provider (test/awstwin/cmd/pulumi-resource-aws, a simulator) from this
# repository into $cache/twin, never into the PATH directory: only the suite's twin stacks put it on
# their PATH, so a real deployment cannot pick it up. It is rebuilt every time (the build cache makes
# that quick), so it is never older than the code.
aws_twin() {
  mkdir -p "$cache/twin"
  # Built beside its name and renamed: the e2e suite's lanes (tools/e2e.sh) build it side by side,
  # and each runs the binary it found.
  local out="$cache/twin/pulumi-resource-aws"
  (cd "$here/.." && go build -o "$out.$$" ./test/awstwin/cmd/pulumi-resource-aws) ||
    fail "building the AWS twin (go build ./test/awstwin/cmd/pulumi-resource-aws) failed; the go error is above"
  mv -f "$out.$$" "$out"
}

# nodeadm_reserved builds ean-kubelet-reserved: nodeadm's own source (the version tools/nodeadm/go.mod
# pins, copied out of the module cache, since go build -overlay may not touch it) plus the two files
# in tools/nodeadm/_overlay, which expose nodeadm's kubelet configuration step (maxPods and the
# reserved resources) to the e2e suite. Cached by the overlay's content.
nodeadm_reserved() {
  local src sum out tmp
  src=$(module_dir nodeadm github.com/awslabs/amazon-eks-ami/nodeadm)
  sum=$(cat "$here/nodeadm/_overlay/"*.go | sha256sum | cut -c1-12)
  out="$cache/ean-kubelet-reserved-$sum"
  if [ ! -x "$out" ]; then
    local start=$SECONDS
    echo "building ean-kubelet-reserved (nodeadm with tools/nodeadm/_overlay; first run on this machine)" >&2
    tmp=$(mktemp -d)
    cp -r "$src/." "$tmp/" && chmod -R u+w "$tmp" &&
      cp "$here/nodeadm/_overlay/kubelet_reserved.go" "$tmp/internal/kubelet/zz_ean_reserved.go" &&
      mkdir -p "$tmp/cmd/ean-kubelet-reserved" && cp "$here/nodeadm/_overlay/main.go" "$tmp/cmd/ean-kubelet-reserved/" ||
      fail "copying nodeadm's source from $src failed"
    (cd "$tmp" && go build -o "$out.partial" ./cmd/ean-kubelet-reserved) ||
      fail "building ean-kubelet-reserved in a copy of $src failed; the go error is above"
    rm -rf "$tmp"
    mv "$out.partial" "$out"
    echo "built ean-kubelet-reserved in $((SECONDS - start))s" >&2
  fi
  ln -sfn "$out" "$cache/path/ean-kubelet-reserved"
}

k8s_version="-X k8s.io/component-base/version.gitVersion=v1.37.2 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"

tool() {
  case $1 in
  pulumi)
    build pulumi v3.274.1 pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
      "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v3.274.1" ;;
  kubernetes-provider-schema)
    kubernetes_provider_schema ;;
  pulumi-resource-kubernetes)
    if [ ! -x "$cache/pulumi-resource-kubernetes-4.32.0" ]; then
      kubernetes_provider_schema
    fi
    build pulumi-resource-kubernetes 4.32.0 kubernetes-provider . \
      "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=4.32.0" ;;
  kube-apiserver)
    build kube-apiserver v1.37.2 kubernetes k8s.io/kubernetes/cmd/kube-apiserver "$k8s_version" ;;
  kube-controller-manager)
    build kube-controller-manager v1.37.2 kubernetes k8s.io/kubernetes/cmd/kube-controller-manager "$k8s_version" ;;
  kubectl)
    build kubectl v1.37.2 kubernetes k8s.io/kubernetes/cmd/kubectl "$k8s_version" ;;
  kube-scheduler)
    build kube-scheduler v1.37.2 kubernetes k8s.io/kubernetes/cmd/kube-scheduler "$k8s_version" ;;
  etcd)
    build etcd v3.6.16 etcd . ;;
  actionlint)
    build actionlint v1.7.12 actionlint github.com/rhysd/actionlint/cmd/actionlint ;;
  pulumi-eks)
    pulumi_eks ;;
  aws-twin)
    aws_twin ;;
  nodeadm)
    build nodeadm v0.0.0-20260213141146-147b13ea3f4a nodeadm github.com/awslabs/amazon-eks-ami/nodeadm/cmd/nodeadm ;;
  nodeadm-reserved)
    nodeadm_reserved ;;
  golangci-lint)
    build golangci-lint v2.15.0 golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint \
      "-X main.version=v2.15.0" ;;
  gremlins)
    build gremlins v0.6.0 gremlins github.com/go-gremlins/gremlins/cmd/gremlins ;;
  *)
    fail "unknown tool '$1'; valid: pulumi, kubernetes-provider-schema, pulumi-resource-kubernetes, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd, actionlint, golangci-lint, gremlins, nodeadm, nodeadm-reserved, pulumi-eks, aws-twin" ;;
  esac
}

if [ $# -eq 0 ]; then
  set -- pulumi pulumi-resource-kubernetes kube-apiserver kube-controller-manager kube-scheduler kubectl etcd actionlint golangci-lint nodeadm nodeadm-reserved pulumi-eks
fi
# One after the other: each go build keeps both cores busy on its own. Three side by side (tried on
# 2026-12-05, beside .ci/run's checks) took longer in all than one after the other.
for name in "$@"; do
  tool "$name"
done

echo "$cache/path"
