#!/bin/sh
# checks.sh CHECK: one of the chapter's checks, run inside the cluster by a Job (busybox sh).
#
# Every check prints the commands it ran and their output, then one verdict line:
#   PASS <check>: ...        exit 0: the scenario does what the chapter shows
#   FAIL <check>: ...        exit 1: it does not, and the line says what differs
#   CANNOT RUN <check>: ...  exit 2: the check could not tell (no answer to learn from); never a pass
# Parameters come from the environment, set by internal/verify from the stack's configuration.
set -u

CHECK=${1:-}
# The verdict names the check as the stack does (CHECK_NAME, e.g. deploy2-to-deploy1-tcp); CHECK is
# the kind of check (tcp).
NAME=${CHECK_NAME:-$CHECK}

pass() { echo "PASS $NAME: $*"; exit 0; }
fail() { echo "FAIL $NAME: $*"; exit 1; }
cannot() { echo "CANNOT RUN $NAME: $*"; exit 2; }

# run CMD...: print the command and its output, keep its exit status.
run() {
  echo "\$ $*"
  "$@" 2>&1
}

# resolve TYPE NAME: the addresses of NAME's TYPE (a or aaaa) records, one per line. busybox
# nslookup prints the server first, then "Name:" and the answers.
resolve() {
  nslookup -type="$1" "$2" 2>&1 | awk '/^Name:/ { answers = 1; next } answers && /^Address/ { sub(/^Address:[ \t]*/, ""); print }'
}

# http_probe ADDRESS PORT HOST: sends one HTTP HEAD request and prints the response's status line.
# Redirects are not followed: a redirect to a dual-stack name would hide which path was taken.
http_probe() {
  printf 'HEAD / HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$3" |
    timeout "${PROBE_TIMEOUT:-10}" nc -w "${PROBE_TIMEOUT:-10}" "$1" "$2" 2>&1 | head -n 1 | tr -d '\r'
}

# reach ADDRESS PORT HOST: 0 when an HTTP server answered at ADDRESS:PORT.
reach() {
  echo "\$ HEAD http://$3 via $1 port $2"
  status=$(http_probe "$1" "$2" "$3")
  echo "${status:-no response}"
  case $status in HTTP/*) return 0 ;; *) return 1 ;; esac
}

# ipv4_to_int A.B.C.D: the address as a number. %.0f, since awk's %d stops at 2^31 - 1, below
# every address from 128.0.0.0 on.
ipv4_to_int() {
  echo "$1" | awk -F. '{ printf "%.0f\n", (($1 * 256 + $2) * 256 + $3) * 256 + $4 }'
}

# ipv4_in_range ADDRESS FIRST LAST
ipv4_in_range() {
  _a=$(ipv4_to_int "$1") _first=$(ipv4_to_int "$2") _last=$(ipv4_to_int "$3")
  [ "$_a" -ge "$_first" ] && [ "$_a" -le "$_last" ]
}

# ipv4_in_cidr ADDRESS NETWORK/LEN
ipv4_in_cidr() {
  _a=$(ipv4_to_int "$1") _net=$(ipv4_to_int "${2%/*}") _size=$((1 << (32 - ${2#*/})))
  [ "$_a" -ge "$_net" ] && [ "$_a" -lt $((_net + _size)) ]
}

# ipv6_expand ADDRESS: the eight groups, four hex digits each, colon-separated, lower case.
ipv6_expand() {
  echo "$1" | awk '{
    addr = tolower($1); sub(/\/.*/, "", addr)
    n = split(addr, halves, "::")
    left = halves[1]; right = (n > 1) ? halves[2] : ""
    nl = (left == "") ? 0 : split(left, l, ":")
    nr = (right == "") ? 0 : split(right, r, ":")
    out = ""
    for (i = 1; i <= nl; i++) out = out sprintf("%04s:", l[i])
    for (i = 0; i < 8 - nl - nr; i++) out = out "0000:"
    for (i = 1; i <= nr; i++) out = out sprintf("%04s:", r[i])
    gsub(/ /, "0", out); print substr(out, 1, 39)
  }'
}

# ipv6_in_prefix ADDRESS PREFIX/LEN: LEN must be a multiple of 16 (the VPC CNI's prefixes are /80s).
ipv6_in_prefix() {
  _groups=$((${2#*/} / 16))
  _a=$(ipv6_expand "$1" | cut -d: -f1-"$_groups")
  _p=$(ipv6_expand "${2%/*}" | cut -d: -f1-"$_groups")
  [ "$_a" = "$_p" ]
}

# http_request METHOD HOST PORT PATH [HEADER]: the body of a 200 answer to METHOD PATH; nothing, and
# status 1, otherwise. Written by hand with nc, as busybox wget cannot PUT and some builds crash on --header.
http_request() {
  {
    printf '%s %s HTTP/1.0\r\nHost: %s\r\n' "$1" "$4" "$2"
    [ -z "${5:-}" ] || printf '%s\r\n' "$5"
    printf '\r\n'
  } | timeout 10 nc -w 5 "$2" "$3" 2>/dev/null | tr -d '\r' |
    awk 'NR == 1 { ok = ($2 == 200) } body && ok { print } /^$/ { body = 1 } END { exit !ok }'
}

# imds_token: an IMDSv2 token, which every later imds call sends (the nodes require IMDSv2; the hop
# limit of 1 lets only host-network pods reach the service). Call it in the main shell, not in $().
imds_token() {
  token=$(http_request PUT "$IMDS_HOST" "${IMDS_PORT:-80}" /latest/api/token "X-aws-ec2-metadata-token-ttl-seconds: 300")
  [ -n "$token" ] || cannot "the instance metadata service at $IMDS_HOST gave no IMDSv2 token"
}

# imds PATH: a GET on the instance metadata service.
imds() {
  http_request GET "$IMDS_HOST" "${IMDS_PORT:-80}" "/latest/meta-data/$1" "X-aws-ec2-metadata-token: $token"
}

# --- ipv6 ------------------------------------------------------------------------------------

check_node_internal_ip_ipv6() {
  echo "node $NODE_NAME, InternalIP $NODE_IP (status.hostIP)"
  case $NODE_IP in
  "") cannot "the downward API gave no node address" ;;
  *:*) pass "node $NODE_NAME's InternalIP $NODE_IP is IPv6" ;;
  *) fail "node $NODE_NAME's InternalIP $NODE_IP is not IPv6; an IPv6 cluster's nodes register IPv6 addresses" ;;
  esac
}

# Runs in the host network of a node that runs pods (it follows CoreDNS): the node's delegated
# prefixes come from the instance metadata, its pods' addresses from the host routes the VPC CNI
# adds for each pod (dev eni...).
check_pod_address_in_node_prefix() {
  imds_token
  prefixes=""
  for mac in $(imds network/interfaces/macs/ | tr -d /); do
    for p in $(imds "network/interfaces/macs/$mac/ipv6-prefix" 2>/dev/null); do
      echo "ENI $mac has prefix $p"
      prefixes="$prefixes $p"
    done
  done
  [ -n "$prefixes" ] || fail "node $NODE_NAME has no delegated IPv6 prefix on any ENI (instance metadata ipv6-prefix is empty)"
  run ip -6 route show
  # A pod's host route is a /128 (printed without a length) to its veth, eni...; not the link-local /64.
  pods=$(ip -6 route show | awk '$2 == "dev" && $3 ~ /^eni/ && $1 ~ /:/ && ($1 !~ /\// || $1 ~ /\/128$/) { sub(/\/128$/, "", $1); print $1 }')
  [ -n "$pods" ] || cannot "no pod routes (dev eni*) on node $NODE_NAME to compare with its prefixes"
  for addr in $pods; do
    inside=""
    for p in $prefixes; do
      if ipv6_in_prefix "$addr" "$p"; then inside=$p; fi
    done
    [ -n "$inside" ] || fail "pod address $addr on node $NODE_NAME lies in none of its delegated prefixes:$prefixes"
    echo "pod address $addr lies in $inside"
  done
  pass "every pod address on node $NODE_NAME lies in its delegated prefixes:$prefixes"
}

check_ipv6_target() {
  case $TARGET_HOST in
  *:*) addr=$TARGET_HOST ;;
  *)
    run nslookup -type=aaaa "$TARGET_HOST"
    addr=$(resolve aaaa "$TARGET_HOST" | head -n 1)
    [ -n "$addr" ] || cannot "$TARGET_HOST has no AAAA record here, so IPv6 reachability cannot be tested; point verifyIpv6Target at an IPv6 name this cluster resolves"
    ;;
  esac
  run ip -6 addr show dev eth0
  reach "$addr" "$TARGET_PORT" "$TARGET_HOST" ||
    fail "no HTTP answer from $TARGET_HOST ([$addr]:$TARGET_PORT) over IPv6"
  pass "reached $TARGET_HOST over IPv6 ([$addr]:$TARGET_PORT)"
}

# The VPC CNI's node SNAT: the pod has v4if0 in 169.254.172.0/22, the route to an IPv4 address
# leaves through it, and the node translates it to its own IPv4 address.
check_ipv4_via_node_snat() {
  run ip -4 addr show dev v4if0
  v4=$(ip -4 -o addr show dev v4if0 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
  [ -n "$v4" ] || fail "the pod has no v4if0 address: node SNAT (the VPC CNI's ENABLE_V4_EGRESS) is not on"
  ipv4_in_range "$v4" 169.254.172.0 169.254.175.255 || fail "v4if0 has $v4, outside the VPC CNI's 169.254.172.0/22"
  run nslookup -type=a "$TARGET_HOST"
  addr=$(resolve a "$TARGET_HOST" | head -n 1)
  [ -n "$addr" ] || cannot "$TARGET_HOST has no A record here; point verifyIpv4Target at an IPv4-only name this cluster resolves"
  run ip -4 route get "$addr"
  ip -4 route get "$addr" 2>/dev/null | grep -q "dev v4if0" || fail "the route to $addr does not use v4if0"
  reach "$addr" "$TARGET_PORT" "$TARGET_HOST" || fail "no HTTP answer from $TARGET_HOST ($addr:$TARGET_PORT) through v4if0 ($v4)"
  pass "reached $TARGET_HOST ($addr:$TARGET_PORT) through v4if0 ($v4), node SNAT"
}

# DNS64 + NAT64: the IPv4-only name resolves to 64:ff9b::/96 and that address answers.
check_ipv4_via_nat64() {
  run nslookup -type=aaaa "$TARGET_HOST"
  synthesized=$(resolve aaaa "$TARGET_HOST" | grep -i '^64:ff9b::' | head -n 1)
  if [ -z "$synthesized" ]; then
    [ -n "$(resolve a "$TARGET_HOST")" ] || cannot "$TARGET_HOST does not resolve here; point verifyIpv4Target at an IPv4-only name this cluster resolves"
    fail "no 64:ff9b::/96 answer for $TARGET_HOST: DNS64 is not on for this pod's subnet"
  fi
  reach "$synthesized" "$TARGET_PORT" "$TARGET_HOST" || fail "DNS64 answered $synthesized, but no HTTP answer through NAT64 from $TARGET_HOST"
  pass "$TARGET_HOST resolved to $synthesized (DNS64) and answered through NAT64"
}

# ipv4Egress none: the IPv4-only target must stay out of reach.
check_ipv4_unreachable() {
  run nslookup -type=a "$TARGET_HOST"
  addr=$(resolve a "$TARGET_HOST" | head -n 1)
  [ -n "$addr" ] || cannot "$TARGET_HOST has no A record here, so an unreachable target cannot be told from an unresolvable one; point verifyIpv4Target at an IPv4-only name this cluster resolves"
  if ip -4 -o addr show dev v4if0 2>/dev/null | grep -q inet; then
    run ip -4 addr show dev v4if0
    fail "the pod has v4if0 although ipv4Egress is none"
  fi
  synthesized=$(resolve aaaa "$TARGET_HOST" | grep -i '^64:ff9b::' | head -n 1)
  [ -z "$synthesized" ] || fail "$TARGET_HOST resolved to $synthesized: DNS64 is on although ipv4Egress is none"
  if reach "$addr" "$TARGET_PORT" "$TARGET_HOST"; then
    fail "reached $TARGET_HOST ($addr:$TARGET_PORT) although ipv4Egress is none"
  fi
  pass "$TARGET_HOST ($addr) is unreachable, as ipv4Egress none means"
}

# --- network policy ----------------------------------------------------------------------------

# expect_traffic WHAT OK: OK is 0 when the traffic went through.
expect_traffic() {
  if [ "$2" -eq 0 ]; then
    [ "$EXPECT" = allowed ] || fail "$1 went through, but the policy should deny it"
    echo "$1: allowed, as expected"
  else
    [ "$EXPECT" = denied ] || fail "$1 did not go through, but nothing should deny it"
    echo "$1: denied, as expected"
  fi
}

# A denied connection times out (the policy drops); a refused one means the target is up but not
# serving, which is a broken target, never a pass.
check_tcp() {
  [ -n "$TARGET_IP" ] || cannot "the target pod has no address yet"
  echo "\$ HEAD http://$TARGET_IP:$TARGET_PORT/ from $POD_NAMESPACE"
  status=$(http_probe "$TARGET_IP" "$TARGET_PORT" "$TARGET_IP")
  echo "${status:-no response}"
  case $status in
  HTTP/*) ok=0 ;;
  *refused*) fail "$TARGET_IP:$TARGET_PORT refused the connection: the target is broken, so the policy cannot be judged" ;;
  *) ok=1 ;;
  esac
  expect_traffic "TCP from $POD_NAMESPACE to $TARGET_IP:$TARGET_PORT" "$ok"
  pass "TCP from $POD_NAMESPACE to $TARGET_IP:$TARGET_PORT is $EXPECT"
}

check_dns() {
  echo "\$ nslookup $DNS_NAME"
  out=$(timeout "${PROBE_TIMEOUT:-10}" nslookup "$DNS_NAME" 2>&1)
  echo "$out"
  answers=$(echo "$out" | awk '/^Name:/ { answers = 1; next } answers && /^Address/ { print }')
  ok=1
  [ -z "$answers" ] || ok=0
  expect_traffic "DNS from $POD_NAMESPACE ($DNS_NAME)" "$ok"
  pass "DNS from $POD_NAMESPACE is $EXPECT"
}

# --- multus ------------------------------------------------------------------------------------

# A second pod on the network: its own net1 is in the range, the route to the first address leaves
# through net1, and the pod serving there is multus-pod with that address on its net1.
check_multus_net1() {
  ipv4_in_range "$FIRST_ADDRESS" "$RANGE_START" "$RANGE_END" || fail "the plan's first address $FIRST_ADDRESS is outside $NETWORK's range $RANGE_START-$RANGE_END"
  run ip -4 addr show dev net1
  own=$(ip -4 -o addr show dev net1 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
  [ -n "$own" ] || fail "this pod has no net1: Multus did not attach network $NETWORK"
  ipv4_in_range "$own" "$RANGE_START" "$RANGE_END" || fail "net1 has $own, outside $NETWORK's range $RANGE_START-$RANGE_END"
  run ip -4 route get "$FIRST_ADDRESS"
  ip -4 route get "$FIRST_ADDRESS" 2>/dev/null | grep -q "dev net1" || fail "the route to $FIRST_ADDRESS does not use net1"
  echo "\$ GET http://$FIRST_ADDRESS:$TARGET_PORT/"
  body=$(printf 'GET / HTTP/1.0\r\nHost: %s\r\n\r\n' "$FIRST_ADDRESS" |
    timeout "${PROBE_TIMEOUT:-10}" nc -w "${PROBE_TIMEOUT:-10}" "$FIRST_ADDRESS" "$TARGET_PORT" 2>&1 | tr -d '\r')
  echo "$body"
  echo "$body" | grep -q '^HTTP/' || fail "no answer from $FIRST_ADDRESS:$TARGET_PORT over net1"
  echo "$body" | grep -qx "$DEMO_POD" || fail "$FIRST_ADDRESS is not $DEMO_POD"
  echo "$body" | grep -q "inet $FIRST_ADDRESS/$PREFIX_LENGTH " || fail "$DEMO_POD's net1 does not have $FIRST_ADDRESS/$PREFIX_LENGTH"
  pass "$DEMO_POD has $FIRST_ADDRESS/$PREFIX_LENGTH on net1 and answers this pod ($own) over net1"
}

# In the host network of the zone's Multus node: the first address is a private address of a
# secondary ENI (not device 0), so the VPC delivers it without an assign-private-ip-addresses step.
check_multus_address_on_eni() {
  imds_token
  for mac in $(imds network/interfaces/macs/ | tr -d /); do
    device=$(imds "network/interfaces/macs/$mac/device-number")
    addrs=$(imds "network/interfaces/macs/$mac/local-ipv4s" | tr '\n' ' ')
    # In prefix mode the ENI holds /28 prefixes instead of single addresses.
    prefixes=$(imds "network/interfaces/macs/$mac/ipv4-prefix" 2>/dev/null | tr '\n' ' ')
    echo "ENI $mac (device $device): addresses $addrs prefixes ${prefixes:-none}"
    held=""
    for a in $addrs; do
      [ "$a" != "$FIRST_ADDRESS" ] || held=$a
    done
    for p in $prefixes; do
      ! ipv4_in_cidr "$FIRST_ADDRESS" "$p" || held=$p
    done
    if [ -n "$held" ]; then
      [ "$device" != 0 ] || fail "$FIRST_ADDRESS is on the node's primary ENI, not its Multus ENI"
      pass "$FIRST_ADDRESS is held ($held) by ENI $mac (device $device) on node $NODE_NAME"
    fi
  done
  fail "no ENI of node $NODE_NAME holds $FIRST_ADDRESS: the VPC would drop its traffic"
}

case $CHECK in
node-internal-ip-ipv6) check_node_internal_ip_ipv6 ;;
pod-address-in-node-prefix) check_pod_address_in_node_prefix ;;
ipv6-target) check_ipv6_target ;;
ipv4-via-node-snat) check_ipv4_via_node_snat ;;
ipv4-via-nat64) check_ipv4_via_nat64 ;;
ipv4-unreachable) check_ipv4_unreachable ;;
tcp) check_tcp ;;
dns) check_dns ;;
multus-net1) check_multus_net1 ;;
multus-address-on-eni) check_multus_address_on_eni ;;
*) echo "checks.sh: unknown check '$CHECK'" >&2; exit 2 ;;
esac
