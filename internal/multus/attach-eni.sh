#!/bin/bash
# Attach this node's Multus ENI: the available ENI tagged for this cluster and zone. The VPC CNI ignores
# it (node.k8s.amazonaws.com/no_manage=true). Rename it multus, as the NAD's ipvlan master expects,
# and bring it up: on AL2023, interfaces attached after boot stay down (amazon-eks-ami #2180).
# Runs from the launch template's user data before kubelet starts. The lines above this script set
# CLUSTER, ZONE and REGION.
set -euo pipefail

IMDS=${IMDS:-http://169.254.169.254}
ATTEMPTS=${ATTEMPTS:-30}
PAUSE=${PAUSE:-10}

log() { echo "multus-eni: $*" >&2; }

# Amazon Linux 2023 packages the AWS CLI as awscli-2; install it if the AMI lacks it.
if ! command -v aws >/dev/null; then
  dnf install -y -q awscli-2
fi

token=$(curl -sf -X PUT "$IMDS/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
instance=$(curl -sf -H "X-aws-ec2-metadata-token: $token" "$IMDS/latest/meta-data/instance-id")

# Two nodes of a zone may race for the same ENI; the loser tries again.
eni=""
for attempt in $(seq 1 "$ATTEMPTS"); do
  candidate=$(aws ec2 describe-network-interfaces --region "$REGION" \
    --filters "Name=tag:cluster,Values=$CLUSTER" "Name=tag:multus,Values=true" \
              "Name=tag:Zone,Values=$ZONE" "Name=status,Values=available" \
    --query 'NetworkInterfaces[0].NetworkInterfaceId' --output text)
  if [ -n "$candidate" ] && [ "$candidate" != "None" ] &&
     aws ec2 attach-network-interface --region "$REGION" --network-interface-id "$candidate" \
       --instance-id "$instance" --device-index 1 >/dev/null; then
    eni=$candidate
    break
  fi
  log "no Multus ENI attached yet (attempt $attempt of $ATTEMPTS)"
  sleep "$PAUSE"
done
if [ -z "$eni" ]; then
  log "gave up: no available ENI tagged cluster=$CLUSTER multus=true Zone=$ZONE"
  exit 1
fi
mac=$(aws ec2 describe-network-interfaces --region "$REGION" --network-interface-ids "$eni" \
  --query 'NetworkInterfaces[0].MacAddress' --output text)

# Interface names depend on the PCI slot; the MAC does not.
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
if [ -z "$iface" ]; then
  log "$eni ($mac) is attached but no interface has its MAC"
  exit 1
fi
if [ "$iface" != multus ]; then
  ip link set dev "$iface" down
  ip link set dev "$iface" name multus
fi
ip link set dev multus up
# Pod replies leave through the node's other interfaces; strict reverse-path filtering would drop them.
sysctl -qw net.ipv4.conf.multus.rp_filter=0
log "attached $eni as multus"
