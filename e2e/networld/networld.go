// Package networld builds, in network namespaces on this machine, the network that an AWS twin
// account describes, so the chapter's checks (internal/verify's checks.sh) run for real against what
// the program created: the kernel routes come from the account's route tables, DNS64 is on exactly
// in the subnets where the account's enableDns64 is true, NAT64 is a real translator (tayga), and
// a pod has the IPv4 path (v4if0 and node SNAT) only where the account's vpc-cni add-on turns
// ENABLE_V4_EGRESS on.
//
// What stands for what:
//   - the VPC's router: one namespace with a kernel routing table per route table, picked by the
//     packet's source subnet (an `ip rule` per association, the VPC's main table for the rest), after
//     the VPC's local routes;
//   - a NAT gateway: a namespace at its private address that masquerades IPv4 and translates
//     64:ff9b::/96 (RFC 6052) with tayga (stateless, RFC 7915) followed by masquerade, which together
//     do the stateful NAT64 a NAT gateway does (RFC 6146);
//   - the internet gateway: IPv6 both ways, IPv4 translated to a public address (the EIP mapping);
//   - the egress-only internet gateway: IPv6 out, and in only what answers a flow from the VPC;
//   - the Route 53 Resolver at 169.254.169.253, fd00:ec2::253 and the VPC's base + 2: two unbound
//     resolvers, one with the dns64 module, chosen per querying subnet; both ask an authoritative
//     unbound on "the internet" for the zone test.;
//   - the internet: a namespace with HTTP servers at an IPv4-only, an IPv6-only and a dual-stack
//     name's addresses;
//   - a node: a namespace at its InternalIP (and the IPv4 address its name carries), with the
//     instance metadata service (IMDSv2) answering its ENI's delegated /80;
//   - a pod: a namespace with an address from its node's /80, a host route to it on the node through
//     an eni… link as the VPC CNI adds, and v4if0 in 169.254.172.0/22 with SNAT on the node when the
//     add-on's ENABLE_V4_EGRESS is on.
//
// Every address lives inside namespaces this package creates; Close removes them and ends every
// process it started.
package networld

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"eks-advanced-networking/internal/netnstest"
	"eks-advanced-networking/test/awstwin"
)

// The internet's test zone. The IPv4 addresses are in 100.64.0.0/10: tayga refuses to translate
// towards private IPv4 space with the well-known prefix (RFC 6052 §3.1), and the servers must look
// public.
const (
	Ipv4OnlyName    = "v4only.test"
	Ipv6OnlyName    = "v6only.test"
	DualStackName   = "dual.test"
	Ipv4OnlyAddress = "100.100.0.80"
	Ipv6OnlyAddress = "2001:db8:ff::80"
	DualStackIpv4   = "100.100.0.81"
	DualStackIpv6   = "2001:db8:ff::81"
	HTTPPort        = 80
	authorityIpv4   = "100.100.0.53"
	authorityIpv6   = "2001:db8:ff::53"
)

// The Route 53 Resolver's fixed addresses (docs.aws.amazon.com/vpc/latest/userguide/AmazonDNS-concepts.html).
const (
	resolverIpv4 = "169.254.169.253"
	resolverIpv6 = "fd00:ec2::253"
	// The two resolvers behind them: with and without the dns64 module.
	dns64Ipv4, dns64Ipv6 = "169.254.169.64", "fd00:ec2::64"
	plainIpv4, plainIpv6 = "169.254.169.46", "fd00:ec2::46"
	// The VPC CNI's node SNAT range for IPv6 pods (amazon-vpc-cni-k8s cmd/egress-cni-plugin).
	v4EgressGateway = "169.254.172.1"
	// The NAT gateways' translation pool and tayga's own address, inside 100.64.0.0/10 as above.
	tayga4, taygaPool, tayga6 = "100.127.0.1", "100.127.0.0/24", "2001:db8:64::1"
	// Link addresses: every veth's router end answers as the gateway, its other end as the client.
	gw4, gw6, client6 = "169.254.0.1", "fe80::1", "fe80::2"
	// The internet gateway's end of its link: the IPv4 next hop of routes to it.
	igwNextHop = "169.254.0.2"
)

// Account types the world reads.
const (
	typeVpc              = "aws:ec2/vpc:Vpc"
	typeSubnet           = "aws:ec2/subnet:Subnet"
	typeInternetGateway  = "aws:ec2/internetGateway:InternetGateway"
	typeEgressOnlyIgw    = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
	typeNatGateway       = "aws:ec2/natGateway:NatGateway"
	typeRouteTable       = "aws:ec2/routeTable:RouteTable"
	typeRoute            = "aws:ec2/route:Route"
	typeRouteAssociation = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	typeAddon            = "aws:eks/addon:Addon"
)

// World is the built network. Give a pod its network with AttachPod and run it with Run.
type World struct {
	t       *testing.T
	id      string
	dir     string
	applets string
	// V4Egress is the vpc-cni add-on's ENABLE_V4_EGRESS in the account.
	V4Egress   bool
	vpc        vpcFacts
	nodes      map[string]*node // by node name
	namespaces []string
	processes  []*exec.Cmd
	servers    []*http.Server
	pods       int
	mu         sync.Mutex
}

type subnetFacts struct {
	id          string
	cidr, cidr6 netip.Prefix
	dns64       bool
	routeTable  string // "" for the VPC's main route table
}

type routeFacts struct {
	dest   netip.Prefix
	target string // a NAT gateway, internet gateway or egress-only internet gateway id
}

type vpcFacts struct {
	cidr, cidr6 netip.Prefix
	subnets     []subnetFacts
	tables      map[string][]routeFacts // route table id -> routes
	tableIDs    []string                // sorted
	nats        []natFacts
	igw, eigw   string
}

type natFacts struct {
	id      string
	private netip.Addr
}

type node struct {
	ns     string
	v4, v6 netip.Addr
	prefix netip.Prefix // the ENI's delegated /80
	mac    string
	subnet subnetFacts
	link   string // the router's end of the node's link
	pods   int
}

// readAccount takes what the world needs from the account, refusing what it does not model.
func readAccount(a *awstwin.Account) (vpcFacts, bool, error) {
	var f vpcFacts
	f.tables = map[string][]routeFacts{}
	ids := make([]string, 0, len(a.Resources))
	for id := range a.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	byType := map[string][]*awstwin.Record{}
	for _, id := range ids {
		r := a.Resources[id]
		if r.DeletingUntil != nil {
			continue
		}
		byType[r.Type] = append(byType[r.Type], r)
	}
	str := func(r *awstwin.Record, key string) string {
		if v, ok := r.Inputs[key].(string); ok && v != "" {
			return v
		}
		v, _ := r.Outputs[key].(string)
		return v
	}
	if n := len(byType[typeVpc]); n != 1 {
		return f, false, fmt.Errorf("the account holds %d VPCs; the network world models one", n)
	}
	vpc := byType[typeVpc][0]
	var err error
	if f.cidr, err = netip.ParsePrefix(str(vpc, "cidrBlock")); err != nil {
		return f, false, fmt.Errorf("VPC %s's cidrBlock: %w", vpc.ID, err)
	}
	if f.cidr6, err = netip.ParsePrefix(str(vpc, "ipv6CidrBlock")); err != nil {
		return f, false, fmt.Errorf("VPC %s has no IPv6 block: %w", vpc.ID, err)
	}
	associated := map[string]string{}
	for _, r := range byType[typeRouteAssociation] {
		associated[str(r, "subnetId")] = str(r, "routeTableId")
	}
	for _, r := range byType[typeSubnet] {
		s := subnetFacts{id: r.ID, routeTable: associated[r.ID]}
		s.dns64, _ = r.Inputs["enableDns64"].(bool)
		if s.cidr, err = netip.ParsePrefix(str(r, "cidrBlock")); err != nil {
			return f, false, fmt.Errorf("subnet %s's cidrBlock: %w", r.ID, err)
		}
		if s.cidr6, err = netip.ParsePrefix(str(r, "ipv6CidrBlock")); err != nil {
			return f, false, fmt.Errorf("subnet %s has no IPv6 block: %w", r.ID, err)
		}
		f.subnets = append(f.subnets, s)
	}
	for _, r := range byType[typeRouteTable] {
		if routes, _ := r.Inputs["routes"].([]any); len(routes) > 0 {
			return f, false, fmt.Errorf("route table %s has inline routes, which the network world does not read", r.ID)
		}
		f.tables[r.ID] = nil
		f.tableIDs = append(f.tableIDs, r.ID)
	}
	for _, r := range byType[typeRoute] {
		dest := str(r, "destinationCidrBlock")
		if dest == "" {
			dest = str(r, "destinationIpv6CidrBlock")
		}
		p, err := netip.ParsePrefix(dest)
		if err != nil {
			return f, false, fmt.Errorf("route %s: %w", r.ID, err)
		}
		target := ""
		for _, key := range []string{"natGatewayId", "gatewayId", "egressOnlyGatewayId"} {
			if v := str(r, key); v != "" {
				target = v
			}
		}
		if target == "" {
			return f, false, fmt.Errorf("route %s to %s has a target the network world does not model", r.ID, dest)
		}
		table := str(r, "routeTableId")
		f.tables[table] = append(f.tables[table], routeFacts{dest: p, target: target})
	}
	for _, r := range byType[typeNatGateway] {
		if str(r, "connectivityType") == "private" {
			return f, false, fmt.Errorf("NAT gateway %s is private, which the network world does not model", r.ID)
		}
		addr, err := netip.ParseAddr(str(r, "privateIp"))
		if err != nil {
			return f, false, fmt.Errorf("NAT gateway %s's privateIp: %w", r.ID, err)
		}
		f.nats = append(f.nats, natFacts{id: r.ID, private: addr})
	}
	if g := byType[typeInternetGateway]; len(g) > 0 {
		f.igw = g[0].ID
	}
	if g := byType[typeEgressOnlyIgw]; len(g) > 0 {
		f.eigw = g[0].ID
	}
	// The vpc-cni add-on's ENABLE_V4_EGRESS, true unless its configuration turns it off (the
	// add-on's schema default; amazon-vpc-cni-k8s charts/aws-vpc-cni values.yaml).
	v4Egress := true
	for _, r := range byType[typeAddon] {
		if str(r, "addonName") != "vpc-cni" {
			continue
		}
		var cfg struct {
			Env map[string]string `json:"env"`
		}
		if raw := str(r, "configurationValues"); raw != "" {
			if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
				return f, false, fmt.Errorf("the vpc-cni add-on's configurationValues: %w", err)
			}
		}
		if v, ok := cfg.Env["ENABLE_V4_EGRESS"]; ok {
			v4Egress = v == "true"
		}
	}
	return f, v4Egress, nil
}

// Require stops the test (skips, or fails where root tests must run) unless the world can be built
// here: root, /dev/net/tun and the tools, named when missing. Call it from the test's goroutine.
func Require(t *testing.T) {
	t.Helper()
	netnstest.RequireRoot(t, "ip", "busybox", "iptables", "ip6tables", "unbound", "tayga", "setpriv", "sysctl")
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		netnstest.Stopper(t)("needs /dev/net/tun for tayga's NAT64: %v", err)
	}
}

// Build makes the world of the account and its cluster's nodes. It needs root, unbound, tayga,
// iptables and /dev/net/tun (netnstest.RequireRoot skips or fails the test otherwise).
func Build(t *testing.T, a *awstwin.Account, nodes []corev1.Node) (*World, error) {
	t.Helper()
	Require(t)
	facts, v4Egress, err := readAccount(a)
	if err != nil {
		return nil, err
	}
	w := &World{t: t, id: strconv.Itoa(os.Getpid()), dir: t.TempDir(), applets: netnstest.BusyboxApplets(t),
		V4Egress: v4Egress, vpc: facts, nodes: map[string]*node{}}
	if err := w.build(nodes); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// Internet is the namespace that stands for the internet, for tests that connect from outside.
func (w *World) Internet() string { return "enw-" + w.id + "-inet" }

// Applets is the directory of busybox's applets the pods run with.
func (w *World) Applets() string { return w.applets }

// Close ends the world's processes and removes its namespaces.
func (w *World) Close() {
	for _, s := range w.servers {
		_ = s.Close()
	}
	for _, p := range w.processes {
		_ = p.Process.Kill()
		_ = p.Wait()
	}
	w.processes, w.servers = nil, nil
	for i := len(w.namespaces) - 1; i >= 0; i-- {
		if out, err := exec.Command("ip", "netns", "del", w.namespaces[i]).CombinedOutput(); err != nil {
			w.t.Errorf("removing network namespace %s: %v\n%s", w.namespaces[i], err, out)
		}
		_ = os.RemoveAll(filepath.Join("/etc/netns", w.namespaces[i]))
	}
	w.namespaces = nil
}

// sh runs ip/iptables/sysctl commands, stopping at the first that fails.
func (w *World) sh(cmds ...[]string) error {
	for _, c := range cmds {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
	return nil
}

func in(ns string, args ...string) []string {
	return append([]string{"ip", "netns", "exec", ns}, args...)
}

// netns adds a namespace with its loopback up and forwarding on (it routes, or it is a host that
// the kernel's defaults would not let answer).
func (w *World) netns(name string) (string, error) {
	ns := "enw-" + w.id + "-" + name
	if err := w.sh([]string{"ip", "netns", "add", ns}); err != nil {
		return "", err
	}
	w.namespaces = append(w.namespaces, ns)
	return ns, w.sh(
		[]string{"ip", "-n", ns, "link", "set", "lo", "up"},
		in(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
			"net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
			"net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0",
			"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"),
	)
}

// link joins router's end (routerIf, the gateway: 169.254.0.1 and fe80::1) and client's end
// (clientIf, fe80::2).
func (w *World) link(router, routerIf, client, clientIf string) error {
	return w.sh(
		[]string{"ip", "link", "add", routerIf, "netns", router, "type", "veth", "peer", "name", clientIf, "netns", client},
		[]string{"ip", "-n", router, "addr", "add", gw4 + "/32", "dev", routerIf},
		[]string{"ip", "-n", router, "addr", "add", gw6 + "/64", "dev", routerIf, "nodad"},
		[]string{"ip", "-n", client, "addr", "add", client6 + "/64", "dev", clientIf, "nodad"},
		[]string{"ip", "-n", router, "link", "set", routerIf, "up"},
		[]string{"ip", "-n", client, "link", "set", clientIf, "up"},
	)
}

func addr(ns, dev string, a netip.Addr) []string {
	bits := "/32"
	if a.Is6() {
		bits = "/128"
	}
	c := []string{"ip", "-n", ns, "addr", "add", a.String() + bits, "dev", dev}
	if a.Is6() {
		c = append(c, "nodad")
	}
	return c
}

// defaults sends a client's IPv4 and IPv6 to the router at the other end of dev.
func defaults(ns, dev string) [][]string {
	return [][]string{
		{"ip", "-n", ns, "route", "add", "default", "via", gw4, "dev", dev, "onlink"},
		{"ip", "-n", ns, "-6", "route", "add", "default", "via", gw6, "dev", dev},
	}
}

func (w *World) build(nodes []corev1.Node) error {
	v := w.vpc
	inet, err := w.netns("inet")
	if err != nil {
		return err
	}
	router, err := w.netns("vpc")
	if err != nil {
		return err
	}
	// The internet: servers and the authoritative DNS on its loopback.
	for _, a := range []string{Ipv4OnlyAddress, Ipv6OnlyAddress, DualStackIpv4, DualStackIpv6, authorityIpv4, authorityIpv6} {
		if err := w.sh(addr(inet, "lo", netip.MustParseAddr(a))); err != nil {
			return err
		}
	}
	for _, a := range []string{Ipv4OnlyAddress, Ipv6OnlyAddress, DualStackIpv4, DualStackIpv6} {
		if err := w.serveHTTP(inet, a, a); err != nil {
			return err
		}
	}
	if err := w.authority(inet); err != nil {
		return err
	}

	// The gateways at the VPC's edge, each a namespace between the router and the internet.
	gatewayLink := map[string]string{} // gateway id -> the router's interface towards it
	nextHop4 := map[string]string{}    // gateway id -> its IPv4 address on that link
	internetSide := func(name, ns string, public4 netip.Addr, public6 netip.Addr) error {
		dev := "i-" + name
		cmds := [][]string{
			{"ip", "link", "add", dev, "netns", inet, "type", "veth", "peer", "name", "wan", "netns", ns},
			{"ip", "-n", inet, "addr", "add", "100.64.255.254/32", "dev", dev},
			{"ip", "-n", inet, "addr", "add", gw6 + "/64", "dev", dev, "nodad"},
			{"ip", "-n", ns, "addr", "add", client6 + "/64", "dev", "wan", "nodad"},
			{"ip", "-n", inet, "link", "set", dev, "up"},
			{"ip", "-n", ns, "link", "set", "wan", "up"},
			{"ip", "-n", ns, "-6", "route", "add", "default", "via", gw6, "dev", "wan"},
		}
		if public4.IsValid() {
			cmds = append(cmds, addr(ns, "wan", public4),
				[]string{"ip", "-n", ns, "route", "add", "default", "via", "100.64.255.254", "dev", "wan", "onlink"},
				[]string{"ip", "-n", inet, "route", "add", public4.String() + "/32", "dev", dev})
		}
		if public6.IsValid() {
			cmds = append(cmds, addr(ns, "wan", public6), []string{"ip", "-n", inet, "-6", "route", "add", public6.String() + "/128", "dev", dev})
		}
		return w.sh(cmds...)
	}
	toVpc := func(ns string) [][]string {
		return [][]string{
			{"ip", "-n", ns, "route", "add", v.cidr.String(), "via", gw4, "dev", "vpc", "onlink"},
			{"ip", "-n", ns, "-6", "route", "add", v.cidr6.String(), "via", gw6, "dev", "vpc"},
		}
	}
	if v.igw != "" {
		ns, err := w.netns("igw")
		if err != nil {
			return err
		}
		if err := w.link(router, "igw", ns, "vpc"); err != nil {
			return err
		}
		// Its end answers 169.254.0.2, the IPv4 next hop of routes to it.
		if err := w.sh([]string{"ip", "-n", ns, "addr", "add", igwNextHop + "/32", "dev", "vpc"}); err != nil {
			return err
		}
		if err := internetSide("igw", ns, netip.MustParseAddr("100.64.0.1"), netip.Addr{}); err != nil {
			return err
		}
		// The EIP mapping: what leaves for the internet carries the gateway's public address.
		if err := w.sh(append(toVpc(ns), in(ns, "iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-j", "MASQUERADE"))...); err != nil {
			return err
		}
		gatewayLink[v.igw], nextHop4[v.igw] = "igw", igwNextHop
	}
	if v.eigw != "" {
		ns, err := w.netns("eigw")
		if err != nil {
			return err
		}
		if err := w.link(router, "eigw", ns, "vpc"); err != nil {
			return err
		}
		if err := internetSide("eigw", ns, netip.Addr{}, netip.Addr{}); err != nil {
			return err
		}
		// Egress only: from the internet, only what answers a flow the VPC started.
		cmds := append(toVpc(ns)[1:],
			in(ns, "ip6tables", "-A", "FORWARD", "-i", "wan", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"),
			in(ns, "ip6tables", "-A", "FORWARD", "-i", "wan", "-j", "DROP"),
			in(ns, "iptables", "-P", "FORWARD", "DROP"))
		if err := w.sh(cmds...); err != nil {
			return err
		}
		gatewayLink[v.eigw] = "eigw"
	}
	// The internet's way back to each subnet's IPv6 block: through the gateway the subnet's route
	// table sends ::/0 to (AWS routes the VPC's block to it; a subnet without one gets no answers).
	for _, s := range v.subnets {
		for _, r := range v.tables[s.routeTable] {
			if r.dest.Addr().Is6() && r.dest.Bits() == 0 && (r.target == v.igw || r.target == v.eigw) {
				if err := w.sh([]string{"ip", "-n", inet, "-6", "route", "add", s.cidr6.String(), "via", client6, "dev", "i-" + gatewayLink[r.target]}); err != nil {
					return err
				}
			}
		}
	}
	for i, nat := range v.nats {
		ns, err := w.netns("nat" + strconv.Itoa(i))
		if err != nil {
			return err
		}
		dev := "nat" + strconv.Itoa(i)
		if err := w.link(router, dev, ns, "vpc"); err != nil {
			return err
		}
		if err := w.natGateway(ns, nat); err != nil {
			return fmt.Errorf("NAT gateway %s: %w", nat.id, err)
		}
		if err := w.sh([]string{"ip", "-n", router, "route", "add", nat.private.String() + "/32", "dev", dev}); err != nil {
			return err
		}
		gatewayLink[nat.id], nextHop4[nat.id] = dev, nat.private.String()
	}

	// The resolver, reached from the VPC at its fixed addresses and from its own side to the internet.
	r53, err := w.netns("r53")
	if err != nil {
		return err
	}
	if err := w.link(router, "r53", r53, "vpc"); err != nil {
		return err
	}
	if err := internetSide("r53", r53, netip.MustParseAddr("100.64.53.1"), netip.MustParseAddr("2001:db8:53::1")); err != nil {
		return err
	}
	if err := w.resolver(router, r53); err != nil {
		return err
	}

	// The router's tables: one per route table, chosen by source subnet after the local routes.
	local := [][]string{
		{"ip", "-n", router, "rule", "add", "pref", "100", "to", v.cidr.String(), "lookup", "main"},
		{"ip", "-n", router, "-6", "rule", "add", "pref", "100", "to", v.cidr6.String(), "lookup", "main"},
		{"ip", "-n", router, "rule", "add", "pref", "100", "to", resolverIpv4, "lookup", "main"},
		{"ip", "-n", router, "-6", "rule", "add", "pref", "100", "to", resolverIpv6, "lookup", "main"},
		// Nothing else reaches the main table: a destination without a route is unreachable.
		{"ip", "-n", router, "rule", "add", "pref", "30000", "unreachable"},
		{"ip", "-n", router, "-6", "rule", "add", "pref", "30000", "unreachable"},
	}
	if err := w.sh(local...); err != nil {
		return err
	}
	tableNumber := map[string]int{"": 99} // the VPC's main route table: local routes only
	for i, id := range v.tableIDs {
		tableNumber[id] = 100 + i
	}
	for i, s := range v.subnets {
		table := strconv.Itoa(tableNumber[s.routeTable])
		pref := strconv.Itoa(1000 + i)
		if err := w.sh(
			[]string{"ip", "-n", router, "rule", "add", "pref", pref, "from", s.cidr.String(), "lookup", table},
			[]string{"ip", "-n", router, "-6", "rule", "add", "pref", pref, "from", s.cidr6.String(), "lookup", table},
		); err != nil {
			return err
		}
	}
	for _, id := range v.tableIDs {
		for _, r := range v.tables[id] {
			dev, ok := gatewayLink[r.target]
			if !ok {
				return fmt.Errorf("route table %s sends %s to %s, which the account does not hold", id, r.dest, r.target)
			}
			via := client6
			if !r.dest.Addr().Is6() {
				if via, ok = nextHop4[r.target]; !ok {
					return fmt.Errorf("route table %s sends %s to %s, which carries no IPv4", id, r.dest, r.target)
				}
			}
			c := []string{"ip", "-n", router}
			if r.dest.Addr().Is6() {
				c = append(c, "-6")
			}
			c = append(c, "route", "add", r.dest.String(), "via", via, "dev", dev, "table", strconv.Itoa(tableNumber[id]))
			if !r.dest.Addr().Is6() {
				c = append(c, "onlink")
			}
			if err := w.sh(c); err != nil {
				return err
			}
		}
	}
	// The nodes, each on its subnet.
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	for i := range nodes {
		if err := w.addNode(router, i, &nodes[i]); err != nil {
			return fmt.Errorf("node %s: %w", nodes[i].Name, err)
		}
	}
	return nil
}

// natGateway: masquerade to its private address, and NAT64 through tayga (then masquerade).
func (w *World) natGateway(ns string, nat natFacts) error {
	conf := filepath.Join(w.dir, nat.id+"-tayga.conf")
	text := fmt.Sprintf("tun-device nat64\nipv4-addr %s\nipv6-addr %s\nprefix 64:ff9b::/96\ndynamic-pool %s\n", tayga4, tayga6, taygaPool)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return err
	}
	cmds := append([][]string{addr(ns, "vpc", nat.private)}, defaults(ns, "vpc")...)
	cmds = append(cmds,
		in(ns, "tayga", "--mktun", "-c", conf),
		[]string{"ip", "-n", ns, "link", "set", "nat64", "up"},
		[]string{"ip", "-n", ns, "route", "add", taygaPool, "dev", "nat64"},
		[]string{"ip", "-n", ns, "-6", "route", "add", "64:ff9b::/96", "dev", "nat64"},
		in(ns, "iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "vpc", "-j", "MASQUERADE"),
	)
	if err := w.sh(cmds...); err != nil {
		return err
	}
	return w.start(ns, "tayga", "--nodetach", "-c", conf)
}

// start runs a daemon in a namespace until Close.
func (w *World) start(ns string, args ...string) error {
	log, err := os.Create(filepath.Join(w.dir, ns+"-"+args[0]+".log")) //nolint:gosec // the world's own temporary directory
	if err != nil {
		return err
	}
	cmd := exec.Command("ip", in(ns, args...)[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	w.processes = append(w.processes, cmd)
	return nil
}

// unboundConf writes an unbound configuration: a server on interfaces with modules, extra server
// lines, and trailing clauses (a stub zone).
func unboundConf(dir, name string, interfaces []string, modules string, extra []string, tail string) (string, error) {
	var b strings.Builder
	b.WriteString("server:\n")
	for _, a := range interfaces {
		fmt.Fprintf(&b, "  interface: %s\n", a)
	}
	fmt.Fprintf(&b, "  directory: %q\n  pidfile: %q\n", dir, filepath.Join(dir, name+".pid"))
	b.WriteString(`  do-daemonize: no
  use-syslog: no
  logfile: ""
  chroot: ""
  username: ""
  verbosity: 1
  access-control: 0.0.0.0/0 allow
  access-control: ::/0 allow
  do-not-query-localhost: no
  qname-minimisation: no
  cache-max-ttl: 0
`)
	fmt.Fprintf(&b, "  module-config: %q\n", modules)
	for _, e := range extra {
		b.WriteString("  " + e + "\n")
	}
	b.WriteString(tail)
	path := filepath.Join(dir, name+".conf")
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}

// authority serves the zone test. from the internet.
func (w *World) authority(inet string) error {
	conf, err := unboundConf(w.dir, "authority", []string{authorityIpv4, authorityIpv6}, "iterator", []string{
		`local-zone: "test." static`,
		fmt.Sprintf(`local-data: "%s. 60 IN A %s"`, Ipv4OnlyName, Ipv4OnlyAddress),
		fmt.Sprintf(`local-data: "%s. 60 IN AAAA %s"`, Ipv6OnlyName, Ipv6OnlyAddress),
		fmt.Sprintf(`local-data: "%s. 60 IN A %s"`, DualStackName, DualStackIpv4),
		fmt.Sprintf(`local-data: "%s. 60 IN AAAA %s"`, DualStackName, DualStackIpv6)}, "")
	if err != nil {
		return err
	}
	if err := w.start(inet, "unbound", "-d", "-c", conf); err != nil {
		return err
	}
	return w.waitForDNS(inet, authorityIpv6)
}

// resolver is the Route 53 Resolver: two unbound instances (dns64 and plain), and NAT rules that
// send each subnet's queries to the one its enableDns64 picks.
func (w *World) resolver(router, ns string) error {
	v := w.vpc
	base2 := v.cidr.Addr().Next().Next()
	cmds := [][]string{}
	for _, a := range []string{resolverIpv4, resolverIpv6, base2.String(), dns64Ipv4, dns64Ipv6, plainIpv4, plainIpv6} {
		cmds = append(cmds, addr(ns, "lo", netip.MustParseAddr(a)))
	}
	cmds = append(cmds,
		[]string{"ip", "-n", ns, "route", "add", v.cidr.String(), "via", gw4, "dev", "vpc", "onlink"},
		[]string{"ip", "-n", ns, "-6", "route", "add", v.cidr6.String(), "via", gw6, "dev", "vpc"},
		[]string{"ip", "-n", router, "route", "add", resolverIpv4 + "/32", "dev", "r53"},
		[]string{"ip", "-n", router, "route", "add", base2.String() + "/32", "dev", "r53"},
		[]string{"ip", "-n", router, "-6", "route", "add", resolverIpv6 + "/128", "via", client6, "dev", "r53"},
	)
	for _, s := range v.subnets {
		to4, to6 := plainIpv4, plainIpv6
		if s.dns64 {
			to4, to6 = dns64Ipv4, dns64Ipv6
		}
		cmds = append(cmds,
			in(ns, "ip6tables", "-t", "nat", "-A", "PREROUTING", "-s", s.cidr6.String(), "-d", resolverIpv6, "-j", "DNAT", "--to-destination", to6),
			in(ns, "iptables", "-t", "nat", "-A", "PREROUTING", "-s", s.cidr.String(), "-d", resolverIpv4, "-j", "DNAT", "--to-destination", to4),
			in(ns, "iptables", "-t", "nat", "-A", "PREROUTING", "-s", s.cidr.String(), "-d", base2.String(), "-j", "DNAT", "--to-destination", to4),
		)
	}
	if err := w.sh(cmds...); err != nil {
		return err
	}
	stub := []string{`local-zone: "test." nodefault`}
	tail := fmt.Sprintf("stub-zone:\n  name: \"test.\"\n  stub-addr: %s\n  stub-addr: %s\n", authorityIpv4, authorityIpv6)
	for _, r := range []struct {
		name, v4, v6, modules string
		extra                 []string
	}{
		{"dns64", dns64Ipv4, dns64Ipv6, "dns64 iterator", append([]string{"dns64-prefix: 64:ff9b::/96"}, stub...)},
		{"plain", plainIpv4, plainIpv6, "iterator", stub},
	} {
		conf, err := unboundConf(w.dir, r.name, []string{r.v4, r.v6}, r.modules, r.extra, tail)
		if err != nil {
			return err
		}
		if err := w.start(ns, "unbound", "-d", "-c", conf); err != nil {
			return err
		}
		if err := w.waitForDNS(ns, r.v6); err != nil {
			return err
		}
	}
	return nil
}

// waitForDNS waits (at most 15 s) until the server at address answers for the test zone.
func (w *World) waitForDNS(ns, address string) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err := exec.Command("ip", in(ns, filepath.Join(w.applets, "nslookup"), Ipv4OnlyName, address)[1:]...).CombinedOutput()
		if err == nil && strings.Contains(string(out), Ipv4OnlyAddress) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the DNS server at %s does not answer for %s: %v\n%s", address, Ipv4OnlyName, err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (w *World) serveHTTP(ns, address, body string) error {
	srv, err := netnstest.ServeHTTP(w.t, filepath.Join("/var/run/netns", ns), net.JoinHostPort(address, strconv.Itoa(HTTPPort)), body)
	if err != nil {
		return err
	}
	w.servers = append(w.servers, srv)
	return nil
}

// nodeIpv4 is the IPv4 address EC2's private DNS name carries (ip-192-168-96-110.<region>.compute.internal).
func nodeIpv4(name string) (netip.Addr, error) {
	host, _, _ := strings.Cut(name, ".")
	if !strings.HasPrefix(host, "ip-") {
		return netip.Addr{}, fmt.Errorf("%q is not an EC2 private DNS name", name)
	}
	return netip.ParseAddr(strings.ReplaceAll(strings.TrimPrefix(host, "ip-"), "-", "."))
}

func (w *World) addNode(router string, i int, n *corev1.Node) error {
	var v6 netip.Addr
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			if p, err := netip.ParseAddr(a.Address); err == nil && p.Is6() {
				v6 = p
			}
		}
	}
	if !v6.IsValid() {
		return errors.New("no IPv6 InternalIP")
	}
	v4, err := nodeIpv4(n.Name)
	if err != nil {
		return err
	}
	nd := &node{v4: v4, v6: v6, mac: fmt.Sprintf("02:00:00:00:%02x:%02x", i/256, i%256), link: "n" + strconv.Itoa(i)}
	found := false
	for _, s := range w.vpc.subnets {
		if s.cidr6.Contains(v6) {
			nd.subnet, found = s, true
		}
	}
	if !found || !nd.subnet.cidr.Contains(v4) {
		return fmt.Errorf("no subnet of the account holds both %s and %s", v6, v4)
	}
	// The ENI's delegated /80: the node's /64 with the node's last byte in the fifth group.
	b := v6.As16()
	p := nd.subnet.cidr6.Addr().As16()
	p[9] = b[15]
	nd.prefix = netip.PrefixFrom(netip.AddrFrom16(p), 80)
	if nd.ns, err = w.netns("node" + strconv.Itoa(i)); err != nil {
		return err
	}
	cmds := [][]string{
		{"ip", "link", "add", nd.link, "netns", router, "type", "veth", "peer", "name", "eth0", "netns", nd.ns},
		{"ip", "-n", nd.ns, "link", "set", "eth0", "address", nd.mac},
		{"ip", "-n", router, "addr", "add", gw4 + "/32", "dev", nd.link},
		{"ip", "-n", router, "addr", "add", gw6 + "/64", "dev", nd.link, "nodad"},
		{"ip", "-n", nd.ns, "addr", "add", client6 + "/64", "dev", "eth0", "nodad"},
		{"ip", "-n", router, "link", "set", nd.link, "up"},
		{"ip", "-n", nd.ns, "link", "set", "eth0", "up"},
		addr(nd.ns, "eth0", v4), addr(nd.ns, "eth0", v6),
		{"ip", "-n", router, "route", "add", v4.String() + "/32", "dev", nd.link},
		{"ip", "-n", router, "-6", "route", "add", v6.String() + "/128", "via", client6, "dev", nd.link},
		{"ip", "-n", router, "-6", "route", "add", nd.prefix.String(), "via", client6, "dev", nd.link},
		addr(nd.ns, "lo", netip.MustParseAddr(netnstest.ImdsAddress)),
	}
	cmds = append(cmds, defaults(nd.ns, "eth0")...)
	if w.V4Egress {
		// The VPC CNI's egress plugin: pods' v4if0 traffic leaves as the node's own IPv4 address.
		cmds = append(cmds, in(nd.ns, "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "169.254.172.0/22", "-o", "eth0", "-j", "SNAT", "--to-source", v4.String()))
	}
	if err := w.sh(cmds...); err != nil {
		return err
	}
	if err := w.resolvConf(nd.ns); err != nil {
		return err
	}
	w.nodes[n.Name] = nd
	return w.serveImds(nd)
}

// resolvConf points a namespace at the resolver (ip netns exec bind-mounts it over /etc/resolv.conf).
// Pods ask it directly: on EKS they ask CoreDNS, which forwards to it from its own pod in a node's
// subnet, so the subnet that picks DNS64 is the same.
func (w *World) resolvConf(ns string) error {
	dir := filepath.Join("/etc/netns", ns)
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // read by the pods' user, as /etc/resolv.conf is
		return err
	}
	return os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte("nameserver "+resolverIpv6+"\noptions timeout:2 attempts:2\n"), 0o644) //nolint:gosec // as above
}

// serveImds is the node's instance metadata service, IMDSv2 only: its ENI and delegated prefix.
func (w *World) serveImds(nd *node) error {
	srv, err := netnstest.ServeIMDSv2(w.t, filepath.Join("/var/run/netns", nd.ns), map[string]string{
		"network/interfaces/macs/":                             nd.mac + "/",
		"network/interfaces/macs/" + nd.mac + "/device-number": "0",
		"network/interfaces/macs/" + nd.mac + "/ipv6-prefix":   nd.prefix.String(),
		"network/interfaces/macs/" + nd.mac + "/local-ipv4s":   nd.v4.String(),
		"network/interfaces/macs/" + nd.mac + "/ipv6s":         nd.v6.String(),
	})
	if err != nil {
		return err
	}
	w.servers = append(w.servers, srv)
	return nil
}

// Pod is a pod's network in the world: its namespace (the node's for a host-network pod).
type Pod struct {
	Namespace string
	Address   netip.Addr
	node      *node
}

// AttachPod gives a pod its network on its node, as the VPC CNI does: an address from the node's
// /80 on eth0, a host route to it through an eni… link, and v4if0 with the node's SNAT when
// ENABLE_V4_EGRESS is on. A host-network pod gets the node's own namespace.
func (w *World) AttachPod(pod *corev1.Pod) (*Pod, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	nd, ok := w.nodes[pod.Spec.NodeName]
	if !ok {
		return nil, fmt.Errorf("pod %s/%s is on %q, which is not a node of the world", pod.Namespace, pod.Name, pod.Spec.NodeName)
	}
	if pod.Spec.HostNetwork {
		return &Pod{Namespace: nd.ns, Address: nd.v6, node: nd}, nil
	}
	w.pods++
	nd.pods++
	b := nd.prefix.Addr().As16()
	b[14], b[15] = byte(nd.pods/256), byte(nd.pods%256)
	address := netip.AddrFrom16(b)
	ns, err := w.netns("pod" + strconv.Itoa(w.pods))
	if err != nil {
		return nil, err
	}
	host := fmt.Sprintf("eni%011x", w.pods)
	cmds := [][]string{
		{"ip", "link", "add", host, "netns", nd.ns, "type", "veth", "peer", "name", "eth0", "netns", ns},
		{"ip", "-n", nd.ns, "addr", "add", gw6 + "/64", "dev", host, "nodad"},
		{"ip", "-n", ns, "addr", "add", client6 + "/64", "dev", "eth0", "nodad"},
		{"ip", "-n", nd.ns, "link", "set", host, "up"},
		{"ip", "-n", ns, "link", "set", "eth0", "up"},
		addr(ns, "eth0", address),
		{"ip", "-n", ns, "-6", "route", "add", "default", "via", gw6, "dev", "eth0"},
		{"ip", "-n", nd.ns, "-6", "route", "add", address.String(), "dev", host},
	}
	if w.V4Egress {
		v4 := netip.AddrFrom4([4]byte{169, 254, 172, byte(2 + w.pods%250)})
		v4host := fmt.Sprintf("v4%011x", w.pods)
		cmds = append(cmds,
			[]string{"ip", "link", "add", v4host, "netns", nd.ns, "type", "veth", "peer", "name", "v4if0", "netns", ns},
			[]string{"ip", "-n", nd.ns, "addr", "add", v4EgressGateway + "/32", "dev", v4host},
			[]string{"ip", "-n", nd.ns, "link", "set", v4host, "up"},
			[]string{"ip", "-n", ns, "link", "set", "v4if0", "up"},
			[]string{"ip", "-n", ns, "addr", "add", v4.String() + "/22", "dev", "v4if0"},
			[]string{"ip", "-n", ns, "route", "add", "default", "via", v4EgressGateway, "dev", "v4if0"},
			[]string{"ip", "-n", nd.ns, "route", "add", v4.String() + "/32", "dev", v4host},
		)
	}
	if err := w.sh(cmds...); err != nil {
		return nil, err
	}
	if err := w.resolvConf(ns); err != nil {
		return nil, err
	}
	return &Pod{Namespace: ns, Address: address, node: nd}, nil
}

// Run runs the pod's container as a kubelet would, in the pod's network: its command with busybox's
// applets only, as the pod's runAsUser, with its environment (values and the downward API fields the
// checks use). It returns the exit code and output; a run past timeout is killed and exits 124.
func (w *World) Run(pod *corev1.Pod, p *Pod, timeout time.Duration) (int, string, error) {
	if len(pod.Spec.Containers) != 1 || len(pod.Spec.InitContainers) != 0 {
		return 0, "", fmt.Errorf("pod %s/%s: the world runs one container and no init containers", pod.Namespace, pod.Name)
	}
	sc := pod.Spec.SecurityContext
	if sc == nil || sc.RunAsUser == nil {
		return 0, "", fmt.Errorf("pod %s/%s sets no runAsUser; the world runs pods only as the user they name", pod.Namespace, pod.Name)
	}
	c := pod.Spec.Containers[0]
	if len(c.Command) == 0 {
		return 0, "", fmt.Errorf("pod %s/%s: container %s has no command", pod.Namespace, pod.Name, c.Name)
	}
	env := []string{"PATH=" + w.applets}
	for _, e := range c.Env {
		value := e.Value
		if e.ValueFrom != nil {
			if e.ValueFrom.FieldRef == nil {
				return 0, "", fmt.Errorf("pod %s/%s: env %s comes from something other than a field", pod.Namespace, pod.Name, e.Name)
			}
			switch e.ValueFrom.FieldRef.FieldPath {
			case "spec.nodeName":
				value = pod.Spec.NodeName
			case "status.hostIP":
				value = p.node.v6.String()
			case "status.podIP":
				value = p.Address.String()
			case "metadata.namespace":
				value = pod.Namespace
			case "metadata.name":
				value = pod.Name
			default:
				return 0, "", fmt.Errorf("pod %s/%s: env %s from %s, which the world does not fill in", pod.Namespace, pod.Name, e.Name, e.ValueFrom.FieldRef.FieldPath)
			}
		}
		env = append(env, e.Name+"="+value)
	}
	command := append([]string{filepath.Join(w.applets, c.Command[0])}, c.Command[1:]...)
	command = append(command, c.Args...)
	args := append(append([]string{"netns", "exec", p.Namespace}, netnstest.AsUser(*sc.RunAsUser)...), "env", "-i")
	args = append(append(args, env...), command...)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		return 124, out.String() + "\n(networld: killed after " + timeout.String() + ")", nil
	}
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		return 0, out.String(), err
	}
	return code, out.String(), nil
}
