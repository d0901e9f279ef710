#!/bin/bash
# multus-eni-attach: gives this node its zone's Multus ENI, at every boot (the multus-eni systemd unit
# runs it; user data, which runs on first boot only, installs that unit).
#
# 1. Find the ENI: the one tagged for this cluster, zone and network that is attached to this instance already
#    (a reboot), else attach the zone's available one at the lowest device index free at that moment.
#    A managed node group update starts the new node before it terminates the old one (EKS "Managed
#    node update behavior"), so the ENI can stay in use for minutes, while the VPC CNI's ipamd attaches
#    its own ENIs at the lowest free index as pods arrive (amazon-vpc-cni-k8s pkg/awsutils/awsutils.go,
#    awsGetFreeDeviceNumber): no index is reserved for us, so every try asks EC2 which are taken. Keep
#    trying, through API errors and lost races too, until the ENI is ours.
# 2. Name it multus, as the NADs' ipvlan master expects, and keep that name: a systemd .link file
#    matching its MAC renames it whenever it appears, on every later boot; a .network file keeps
#    networkd (and nodeadm's udev-net-manager) from configuring it. Bring it up: AL2023 leaves
#    interfaces attached after boot down (amazon-eks-ami #2180).
# 3. Label the Node with LABEL_PATCH, so Multus pods (which select that label) schedule only once the
#    ENI is there. A kubelet may set its own Node's labels outside kubernetes.io (NodeRestriction), not
#    its taints, so a label is the gate.
#
# The unit's EnvironmentFile sets CLUSTER, ZONE, NETWORK (the ENI's multus-network tag), REGION,
# ENDPOINT (the API server) and LABEL_PATCH (a JSON merge patch of the Node's labels, which names
# NETWORK). The rest have defaults, which tests override.
set -uo pipefail

: "${CLUSTER:?}" "${ZONE:?}" "${NETWORK:?}" "${REGION:?}" "${ENDPOINT:?}" "${LABEL_PATCH:?}"
IMDS=${IMDS:-http://169.254.169.254}
PAUSE=${PAUSE:-10}
# 0 means try for ever (the unit's way); tests bound it.
MAX_ATTEMPTS=${MAX_ATTEMPTS:-0}
NETWORK_DIR=${NETWORK_DIR:-/etc/systemd/network}
NETWORKCTL=${NETWORKCTL:-networkctl}
CA_FILE=${CA_FILE:-/etc/kubernetes/pki/ca.crt}

log() { echo "multus-eni: $*" >&2; }

attempt=0
# again MESSAGE: log, wait, and count an attempt; false once MAX_ATTEMPTS are used up.
again() {
  attempt=$((attempt + 1))
  if [ "$MAX_ATTEMPTS" -gt 0 ]; then
    log "$1 (attempt $attempt of $MAX_ATTEMPTS)"
    [ "$attempt" -lt "$MAX_ATTEMPTS" ] || return 1
  else
    log "$1 (attempt $attempt; retrying every ${PAUSE}s)"
  fi
  sleep "$PAUSE"
}

imds() {
  local token
  token=$(curl -sf -X PUT "$IMDS/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 300") &&
    curl -sf -H "X-aws-ec2-metadata-token: $token" "$IMDS/latest/meta-data/$1"
}

# describe FILTER...: the id of the first Multus ENI of this cluster matching the filters, or nothing.
describe() {
  local id
  id=$(aws ec2 describe-network-interfaces --region "$REGION" \
    --filters "Name=tag:cluster,Values=$CLUSTER" "Name=tag:multus,Values=true" "Name=tag:Zone,Values=$ZONE" \
    "Name=tag:multus-network,Values=$NETWORK" "$@" \
    --query 'NetworkInterfaces[0].NetworkInterfaceId' --output text) || return 1
  if [ "$id" != None ]; then
    echo "$id"
  fi
}

fail() {
  log "gave up: $*"
  exit 1
}

# free_device_index: the lowest device index no ENI of this instance holds (0 is the primary ENI's).
free_device_index() {
  local taken index=1
  taken=$(aws ec2 describe-instances --region "$REGION" --instance-ids "$instance" \
    --query 'Reservations[0].Instances[0].NetworkInterfaces[].Attachment.DeviceIndex' --output text) || return 1
  # --output text prints the list on one line, tab-separated.
  while printf '%s\n' "$taken" | tr -s '[:space:]' '\n' | grep -qx "$index"; do
    index=$((index + 1))
  done
  echo "$index"
}

instance=""
until instance=$(imds instance-id) && [ -n "$instance" ]; do
  again "the instance metadata service does not answer" || fail "no instance id from $IMDS"
done

eni=""
while [ -z "$eni" ]; do
  if ! mine=$(describe "Name=attachment.instance-id,Values=$instance"); then
    again "describing network interfaces failed" || fail "EC2 API errors"
    continue
  fi
  if [ -n "$mine" ]; then
    eni=$mine
    log "$eni is attached to $instance already"
    break
  fi
  if ! free=$(describe "Name=status,Values=available"); then
    again "describing network interfaces failed" || fail "EC2 API errors"
    continue
  fi
  if [ -z "$free" ]; then
    again "no available ENI tagged cluster=$CLUSTER multus=true Zone=$ZONE multus-network=$NETWORK (a node being replaced may still hold it)" ||
      fail "no available ENI tagged cluster=$CLUSTER multus=true Zone=$ZONE multus-network=$NETWORK"
    continue
  fi
  if ! index=$(free_device_index); then
    again "describing this instance's network interfaces failed" || fail "EC2 API errors"
    continue
  fi
  if aws ec2 attach-network-interface --region "$REGION" --network-interface-id "$free" \
    --instance-id "$instance" --device-index "$index" >/dev/null; then
    eni=$free
    log "attached $eni to $instance at device index $index"
  else
    again "attaching $free at device index $index failed (another node may have won the ENI, or the VPC CNI the index)" ||
      fail "could not attach $free"
  fi
done

mac=""
until mac=$(aws ec2 describe-network-interfaces --region "$REGION" --network-interface-ids "$eni" \
  --query 'NetworkInterfaces[0].MacAddress' --output text) && [ -n "$mac" ] && [ "$mac" != None ]; do
  again "reading the MAC address of $eni failed" || fail "no MAC address for $eni"
done

changed=""
# write_if_changed FILE CONTENT
write_if_changed() {
  if [ "$(cat "$1" 2>/dev/null)" != "$2" ]; then
    mkdir -p "$(dirname "$1")"
    printf '%s\n' "$2" >"$1"
    changed=yes
  fi
}
write_if_changed "$NETWORK_DIR/10-multus.link" "[Match]
MACAddress=$mac

[Link]
Name=multus"
write_if_changed "$NETWORK_DIR/10-multus.network" "[Match]
Name=multus

[Link]
Unmanaged=yes"
# networkd reads .network files at start and on reload only (networkctl(1), "reload"); without it,
# the running networkd could still configure the new interface.
if [ -n "$changed" ]; then
  "$NETWORKCTL" reload || log "networkctl reload failed; networkd may configure multus until it restarts"
fi

iface=""
for _ in $(seq 1 60); do
  for dev in /sys/class/net/*; do
    if [ "$(cat "$dev/address")" = "$mac" ]; then
      iface=$(basename "$dev")
    fi
  done
  [ -n "$iface" ] && break
  sleep 1
done
[ -n "$iface" ] || fail "$eni ($mac) is attached but no interface has its MAC"
if [ "$iface" != multus ]; then
  ip link set dev "$iface" down
  ip link set dev "$iface" name multus
fi
ip link set dev multus up
# Pod replies leave through the node's other interfaces; strict reverse-path filtering would drop them.
sysctl -qw net.ipv4.conf.multus.rp_filter=0
log "$eni is multus ($mac)"

node=""
until node=$(aws ec2 describe-instances --region "$REGION" --instance-ids "$instance" \
  --query 'Reservations[0].Instances[0].PrivateDnsName' --output text) && [ -n "$node" ] && [ "$node" != None ]; do
  again "reading this node's name failed" || fail "no node name for $instance"
done
# The Node appears once kubelet has registered; until then the patch answers 404. A 401 or 403 says
# the node role's access entry (EC2_LINUX) or NodeRestriction refused it.
status=""
until token=$(aws eks get-token --region "$REGION" --cluster-name "$CLUSTER" --query status.token --output text) &&
  status=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA_FILE" -X PATCH -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/merge-patch+json' --data "$LABEL_PATCH" \
    "$ENDPOINT/api/v1/nodes/$node") && [ "$status" = 200 ]; do
  again "labelling node $node failed (HTTP ${status:-none}; 404 until kubelet registers the node)" || fail "could not label node $node"
done
log "labelled node $node"
