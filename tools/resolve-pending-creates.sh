#!/usr/bin/env bash
# Usage: tools/resolve-pending-creates.sh STACK URN ID|- [URN ID|-]...
#
# After an interrupted `pulumi up` (the CLI killed, not stopped with one Ctrl-C), STACK's state lists
# the creates it was waiting for as pending. Give every one of them: its cloud id when the resource
# exists in AWS, or - when it does not. Those with an id are recorded as created, so the next `up`
# neither creates them a second time (a second NAT gateway, billed) nor fails on their names (an EKS
# cluster, a node group); the others are dropped. The README's "An interrupted up" says how to find
# the ids. Run it in the project directory after `pulumi cancel`, then `pulumi refresh` and `pulumi up`.
#
# It edits the exported state with jq and imports it back: what the interactive `pulumi refresh`
# offers as "import". A pending create carries its inputs but no outputs; the inputs are copied into
# the outputs too, so that `pulumi refresh` hands the provider's read a prior state that is not empty.
# (The AWS twin reads by id alone, so this copy is not exercised by its test.) `pulumi stack import` drops every pending operation it does not find moved
# (pkg/cmd/pulumi/stack/io.go), so all pending creates are resolved in one import, and one left out
# is refused before anything changes. (`pulumi refresh --import-pending-creates` of pulumi v3.274.1
# drops the operation without recording the resource; the AWS twin's interruption test shows it.)
set -euo pipefail

if [ $# -lt 3 ] || [ $(($# % 2)) -ne 1 ]; then
  echo "usage: $0 STACK URN ID|- [URN ID|-]..." >&2
  exit 2
fi
stack=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

answers='{}'
while [ $# -gt 0 ]; do
  answers=$(jq -c --arg urn "$1" --arg id "$2" '. + {($urn): $id}' <<<"$answers")
  shift 2
done

pulumi stack export --stack "$stack" --file "$tmp/state.json"
missing=$(jq -r --argjson answers "$answers" \
  '.deployment.pending_operations[]? | select(.type == "creating" and ($answers[.resource.urn] == null)) | .resource.urn' \
  "$tmp/state.json")
if [ -n "$missing" ]; then
  echo "these pending creates have no answer (give each its id, or - if it is not in AWS):" >&2
  echo "$missing" >&2
  exit 1
fi
unknown=$(jq -r --argjson answers "$answers" \
  '[.deployment.pending_operations[]? | select(.type == "creating") | .resource.urn] as $pending
   | $answers | keys[] | select(. as $u | $pending | index($u) | not)' "$tmp/state.json")
if [ -n "$unknown" ]; then
  echo "not a pending create of stack $stack: $unknown" >&2
  exit 1
fi
jq --argjson answers "$answers" '
  .deployment.resources += [.deployment.pending_operations[]
    | select(.type == "creating" and $answers[.resource.urn] != "-")
    | .resource | .id = $answers[.urn]
    | .outputs = ((.inputs // {}) + (.outputs // {}))]
  | .deployment.pending_operations = []' \
  "$tmp/state.json" > "$tmp/resolved.json"
pulumi stack import --stack "$stack" --file "$tmp/resolved.json"
jq -r --argjson answers "$answers" 'to_entries[] | if .value == "-" then "dropped  \(.key)" else "recorded \(.key) as \(.value)" end' <<<"$answers"
