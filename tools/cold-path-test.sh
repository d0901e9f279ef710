#!/usr/bin/env bash
# Guards tools/build.sh's first run on a fresh machine: an empty Go module cache and an empty tools
# cache. A full cold build takes about 15 minutes (README, "What CI costs"), so this builds the two steps that show the class of
# bug (a module directory read before the module is downloaded): the kubernetes provider's schema
# embeds, which read a file inside a downloaded module, and actionlint, a small go build.
# It also checks that with no module proxy the script stops naming the module, not a path built from
# an empty string.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

scratch=$(mktemp -d)
cleanup() {
  chmod -R u+w "$scratch" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

export GOFLAGS=-trimpath
# -modcacherw: the scratch module cache can be removed without chmod games.
export GOFLAGS="$GOFLAGS -modcacherw"

echo "cold path: empty GOMODCACHE and EAN_TOOLS_CACHE under $scratch"
path=$(GOMODCACHE="$scratch/mod" EAN_TOOLS_CACHE="$scratch/tools" \
  bash "$here/build.sh" kubernetes-provider-schema actionlint)
[ "$path" = "$scratch/tools/path" ] || { echo "FAIL: build.sh printed '$path', want $scratch/tools/path" >&2; exit 1; }
"$path/actionlint" -version >/dev/null || { echo "FAIL: the cold-built actionlint does not run" >&2; exit 1; }
grep -q '"version":"4.32.0"' "$here/kubernetes-provider/schema-embed.json" ||
  { echo "FAIL: schema-embed.json does not carry version 4.32.0" >&2; exit 1; }
[ -s "$here/kubernetes-provider/terraform-mapping-embed.json" ] ||
  { echo "FAIL: terraform-mapping-embed.json is empty" >&2; exit 1; }
echo "ok: cold build of the schema embeds and actionlint"

# No proxy and nothing cached: the failure must name what is missing.
if out=$(GOMODCACHE="$scratch/offline-mod" EAN_TOOLS_CACHE="$scratch/offline-tools" GOPROXY=off \
  bash "$here/build.sh" kubernetes-provider-schema 2>&1); then
  echo "FAIL: build.sh succeeded with GOPROXY=off and an empty module cache" >&2
  exit 1
fi
if grep -q '^open /cmd/' <<<"$out" || ! grep -q 'could not download github.com/pulumi/pulumi-kubernetes/provider/v4' <<<"$out"; then
  echo "FAIL: with no module proxy, build.sh should name the module it could not download; it said:" >&2
  echo "$out" >&2
  exit 1
fi
echo "ok: with no module proxy, build.sh names the missing module"
