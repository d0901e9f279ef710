package verify

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/netnstest"
	"eks-advanced-networking/internal/workload"
)

// The check scripts run here as they run in a pod: busybox sh and busybox's applets only (PATH holds
// nothing else), in a network namespace whose other end is a "world" namespace this suite builds:
// HTTP servers on an IPv4-only and an IPv6-only address, a stub DNS that answers the IPv4-only name
// with a 64:ff9b:: address when DNS64 is on, a fake instance metadata service, and iptables drops
// standing in for a deny policy. Every check is shown passing where it should and failing (or
// saying it cannot run) where it should; a broken target never passes.

const (
	ipv4Only    = "v4only.test"
	ipv6Only    = "v6only.test"
	unresolved  = "nowhere.test"
	ipv4Server  = "198.51.100.80"
	ipv6Server  = "2001:db8:ff::80"
	dnsServer6  = "2001:db8:ff::53"
	dnsServer4  = "10.0.1.53"
	policyPeer  = "10.0.1.10"
	imdsAddress = netnstest.ImdsAddress
	podIpv6     = "2001:db8:0:1:a::5"
)

// nat64Address is ipv4Server in the NAT64 well-known prefix (RFC 6052).
var nat64Address = func() string {
	a := netip.MustParseAddr(ipv4Server).As4()
	return netip.AddrFrom16([16]byte{0, 0x64, 0xff, 0x9b, 10: 0, 11: 0, 12: a[0], 13: a[1], 14: a[2], 15: a[3]}).String()
}()

// world is the test's network: a pod (or node) namespace and the world namespace behind it.
type world struct {
	t                *testing.T
	pod, podPath     string
	world, worldPath string
	bin              string
	dns64            bool
	imds             map[string]string
}

// topology says what the pod side looks like.
type topology struct {
	v4if0  bool // the VPC CNI's node SNAT path: v4if0 169.254.172.5/22 and the IPv4 default route through it
	eth0v4 bool // an IPv4 cluster's pod (or a node): 10.0.0.5/24 on eth0 and the IPv4 default route
	dns64  bool // the stub DNS synthesizes 64:ff9b:: answers for IPv4-only names
	nat64  bool // the synthesized address answers (the NAT64 gateway works)
}

func newWorld(t *testing.T, topo topology) *world {
	t.Helper()
	netnstest.RequireRoot(t, "ip", "busybox", "iptables", "ip6tables", "unshare", "setpriv")
	w := &world{t: t, dns64: topo.dns64, imds: map[string]string{}}
	w.pod, w.podPath = netnstest.Netns(t, "pod")
	w.world, w.worldPath = netnstest.Netns(t, "world")
	w.bin = netnstest.BusyboxApplets(t)
	run := func(args ...string) { netnstest.Run(t, "ip", args...) }

	run("link", "add", "eth0", "netns", w.pod, "type", "veth", "peer", "name", "wpod", "netns", w.world)
	run("-n", w.pod, "addr", "add", podIpv6+"/64", "dev", "eth0", "nodad")
	run("-n", w.world, "addr", "add", "2001:db8:0:1::1/64", "dev", "wpod", "nodad")
	run("-n", w.pod, "link", "set", "eth0", "up")
	run("-n", w.world, "link", "set", "wpod", "up")
	run("-n", w.pod, "-6", "route", "add", "default", "via", "2001:db8:0:1::1", "dev", "eth0")
	if topo.eth0v4 {
		run("-n", w.pod, "addr", "add", "10.0.0.5/24", "dev", "eth0")
		run("-n", w.world, "addr", "add", "10.0.0.1/24", "dev", "wpod")
		run("-n", w.pod, "route", "add", "default", "via", "10.0.0.1", "dev", "eth0")
	}
	if topo.v4if0 {
		run("link", "add", "v4if0", "netns", w.pod, "type", "veth", "peer", "name", "wv4", "netns", w.world)
		run("-n", w.pod, "addr", "add", "169.254.172.5/22", "dev", "v4if0")
		run("-n", w.world, "addr", "add", "169.254.172.1/22", "dev", "wv4")
		run("-n", w.pod, "link", "set", "v4if0", "up")
		run("-n", w.world, "link", "set", "wv4", "up")
		run("-n", w.pod, "route", "add", "default", "via", "169.254.172.1", "dev", "v4if0")
	}
	addresses := []string{ipv4Server + "/32", dnsServer4 + "/32", policyPeer + "/32", imdsAddress + "/32", ipv6Server + "/128", dnsServer6 + "/128"}
	if topo.nat64 {
		addresses = append(addresses, nat64Address+"/128")
	}
	for _, a := range addresses {
		run("-n", w.world, "addr", "add", a, "dev", "lo", "nodad")
	}
	if topo.nat64 {
		w.serveHTTP(net.JoinHostPort(nat64Address, "80"), "nat64")
	}
	w.serveHTTP(net.JoinHostPort(ipv4Server, "80"), "ipv4")
	w.serveHTTP(net.JoinHostPort(ipv6Server, "80"), "ipv6")
	w.serveHTTP(net.JoinHostPort(policyPeer, "8080"), "verify-target")
	w.serveImds()
	for _, a := range []string{dnsServer4, dnsServer6} {
		_, pc := netnstest.ListenIn(t, w.worldPath, "udp", net.JoinHostPort(a, "53"))
		go w.serveDNS(pc)
	}
	nameserver := dnsServer6
	if topo.eth0v4 {
		nameserver = dnsServer4
	}
	// ip netns exec bind-mounts /etc/netns/<name>/resolv.conf over /etc/resolv.conf.
	dir := filepath.Join("/etc/netns", w.pod)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte("nameserver "+nameserver+"\noptions timeout:2 attempts:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) serveHTTP(address, body string) {
	srv, err := netnstest.ServeHTTP(w.t, w.worldPath, address, body)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { srv.Close() })
}

// serveImds is the instance metadata service, IMDSv2 only, answering what w.imds holds.
func (w *world) serveImds() {
	srv, err := netnstest.ServeIMDSv2(w.t, w.worldPath, w.imds)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { srv.Close() })
}

// enis fills the metadata with the node's interfaces: device number, addresses, prefixes.
func (w *world) enis(enis ...eni) {
	for path := range w.imds {
		delete(w.imds, path)
	}
	var macs []string
	for _, e := range enis {
		macs = append(macs, e.mac+"/")
		base := "network/interfaces/macs/" + e.mac + "/"
		w.imds[base+"device-number"] = strconv.Itoa(e.device)
		w.imds[base+"local-ipv4s"] = strings.Join(e.ipv4s, "\n")
		if len(e.ipv4Prefixes) > 0 {
			w.imds[base+"ipv4-prefix"] = strings.Join(e.ipv4Prefixes, "\n")
		}
		if len(e.ipv6Prefixes) > 0 {
			w.imds[base+"ipv6-prefix"] = strings.Join(e.ipv6Prefixes, "\n")
		}
	}
	w.imds["network/interfaces/macs/"] = strings.Join(macs, "\n")
}

type eni struct {
	mac                        string
	device                     int
	ipv4s                      []string
	ipv4Prefixes, ipv6Prefixes []string
}

// serveDNS answers A and AAAA: v4only.test has only an A record (so DNS64, when on, synthesizes its
// AAAA), v6only.test only an AAAA, the cluster's service name an A record; anything else is NXDOMAIN.
func (w *world) serveDNS(pc net.PacketConn) {
	a := map[string]string{ipv4Only + ".": ipv4Server, DnsName + ".": "10.100.0.1"}
	aaaa := map[string]string{ipv6Only + ".": ipv6Server}
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		var p dnsmessage.Parser
		header, err := p.Start(buf[:n])
		if err != nil {
			continue
		}
		q, err := p.Question()
		if err != nil {
			continue
		}
		name := strings.ToLower(q.Name.String())
		_, knownA := a[name]
		_, knownAAAA := aaaa[name]
		reply := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: header.ID, Response: true, RecursionAvailable: true, RecursionDesired: header.RecursionDesired})
		if !knownA && !knownAAAA {
			reply = dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: header.ID, Response: true, RCode: dnsmessage.RCodeNameError})
		}
		reply.EnableCompression()
		_ = reply.StartQuestions()
		_ = reply.Question(q)
		_ = reply.StartAnswers()
		rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 5}
		switch q.Type {
		case dnsmessage.TypeA:
			if v, ok := a[name]; ok {
				_ = reply.AResource(rh, dnsmessage.AResource{A: netip.MustParseAddr(v).As4()})
			}
		case dnsmessage.TypeAAAA:
			if v, ok := aaaa[name]; ok {
				_ = reply.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: netip.MustParseAddr(v).As16()})
			} else if _, ok := a[name]; ok && w.dns64 && name == ipv4Only+"." {
				// DNS64 (RFC 6147): no AAAA of its own, so one synthesized from the A record.
				_ = reply.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: netip.MustParseAddr(nat64Address).As16()})
			}
		}
		out, err := reply.Finish()
		if err != nil {
			continue
		}
		_, _ = pc.WriteTo(out, from)
	}
}

// drop stands in for a deny policy: iptables drops the pod's matching egress.
func (w *world) drop(rule ...string) {
	for _, tool := range []string{"iptables", "ip6tables"} {
		if tool == "ip6tables" && strings.Contains(strings.Join(rule, " "), ".") {
			continue // an IPv4 address
		}
		netnstest.Run(w.t, "ip", append([]string{"netns", "exec", w.pod, tool, "-A", "OUTPUT"}, append(rule, "-j", "DROP")...)...)
	}
}

// check runs checks.sh KIND in the pod with env and returns its exit code and output.
func (w *world) check(kind string, env map[string]string) (int, string) {
	w.t.Helper()
	args := append([]string{"netns", "exec", w.pod}, netnstest.AsUser(workload.RunAsID)...)
	args = append(args, "env", "-i", "PATH="+w.bin, "CHECK_NAME="+kind, "PROBE_TIMEOUT=2",
		"NODE_NAME=node-1", "POD_NAMESPACE=deploy2", "IMDS_HOST="+imdsAddress)
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, k+"="+env[k])
	}
	args = append(args, filepath.Join(w.bin, "sh"), "-c", Script, "checks.sh", kind)
	out, err := exec.Command("ip", args...).CombinedOutput()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		w.t.Fatal(err)
	}
	return code, string(out)
}

// expect checks the exit code (0 pass, 1 fail, 2 cannot run) and that the verdict line says want.
func expect(t *testing.T, code int, out string, wantCode int, want string) {
	t.Helper()
	verdict := map[int]string{0: "PASS ", 1: "FAIL ", 2: "CANNOT RUN "}[wantCode]
	if code != wantCode || !strings.Contains(out, verdict) || !strings.Contains(out, want) {
		t.Errorf("exit %d, want %d with %q and %q; output:\n%s", code, wantCode, verdict, want, out)
	}
}

func target(host string) map[string]string {
	return map[string]string{"TARGET_HOST": host, "TARGET_PORT": "80"}
}

func TestIpv6Checks(t *testing.T) {
	t.Run("node InternalIP", func(t *testing.T) {
		w := newWorld(t, topology{})
		code, out := w.check("node-internal-ip-ipv6", map[string]string{"NODE_IP": "2001:db8:0:1::10"})
		expect(t, code, out, 0, "InternalIP 2001:db8:0:1::10 is IPv6")
		code, out = w.check("node-internal-ip-ipv6", map[string]string{"NODE_IP": "192.168.96.10"})
		expect(t, code, out, 1, "is not IPv6")
	})
	t.Run("IPv6 target", func(t *testing.T) {
		w := newWorld(t, topology{})
		code, out := w.check("ipv6-target", target(ipv6Only))
		expect(t, code, out, 0, "reached v6only.test over IPv6")
		code, out = w.check("ipv6-target", map[string]string{"TARGET_HOST": ipv6Only, "TARGET_PORT": "81"})
		expect(t, code, out, 1, "no HTTP answer from v6only.test")
		code, out = w.check("ipv6-target", target(ipv4Only))
		expect(t, code, out, 2, "has no AAAA record")
	})
	t.Run("node SNAT", func(t *testing.T) {
		w := newWorld(t, topology{v4if0: true})
		code, out := w.check("ipv4-via-node-snat", target(ipv4Only))
		expect(t, code, out, 0, "through v4if0 (169.254.172.5), node SNAT")
		code, out = w.check("ipv4-via-node-snat", map[string]string{"TARGET_HOST": ipv4Only, "TARGET_PORT": "81"})
		expect(t, code, out, 1, "no HTTP answer from v4only.test")
		code, out = w.check("ipv4-via-node-snat", target(unresolved))
		expect(t, code, out, 2, "has no A record")
	})
	t.Run("v4if0 outside the VPC CNI's block", func(t *testing.T) {
		w := newWorld(t, topology{v4if0: true})
		netnstest.Run(t, "ip", "-n", w.pod, "addr", "flush", "dev", "v4if0")
		netnstest.Run(t, "ip", "-n", w.pod, "addr", "add", "169.254.180.5/22", "dev", "v4if0")
		code, out := w.check("ipv4-via-node-snat", target(ipv4Only))
		expect(t, code, out, 1, "v4if0 has 169.254.180.5, outside the VPC CNI's 169.254.172.0/22")
	})
	t.Run("node SNAT off", func(t *testing.T) {
		w := newWorld(t, topology{})
		code, out := w.check("ipv4-via-node-snat", target(ipv4Only))
		expect(t, code, out, 1, "no v4if0 address")
	})
	t.Run("NAT64", func(t *testing.T) {
		w := newWorld(t, topology{dns64: true, nat64: true})
		code, out := w.check("ipv4-via-nat64", target(ipv4Only))
		expect(t, code, out, 0, "resolved to "+nat64Address+" (DNS64) and answered through NAT64")
		code, out = w.check("ipv4-via-nat64", target(unresolved))
		expect(t, code, out, 2, "does not resolve")
	})
	t.Run("DNS64 off", func(t *testing.T) {
		w := newWorld(t, topology{nat64: true})
		code, out := w.check("ipv4-via-nat64", target(ipv4Only))
		expect(t, code, out, 1, "DNS64 is not on")
	})
	t.Run("NAT64 gateway broken", func(t *testing.T) {
		w := newWorld(t, topology{dns64: true})
		code, out := w.check("ipv4-via-nat64", target(ipv4Only))
		expect(t, code, out, 1, "no HTTP answer through NAT64")
	})
	t.Run("no IPv4 egress", func(t *testing.T) {
		w := newWorld(t, topology{})
		code, out := w.check("ipv4-unreachable", target(ipv4Only))
		expect(t, code, out, 0, "is unreachable, as ipv4Egress none means")
		code, out = w.check("ipv4-unreachable", target(unresolved))
		expect(t, code, out, 2, "cannot be told from an unresolvable one")
	})
	t.Run("IPv4 egress where none is expected", func(t *testing.T) {
		w := newWorld(t, topology{eth0v4: true})
		code, out := w.check("ipv4-unreachable", target(ipv4Only))
		expect(t, code, out, 1, "reached v4only.test (198.51.100.80:80) although ipv4Egress is none")
		w = newWorld(t, topology{v4if0: true})
		code, out = w.check("ipv4-unreachable", target(ipv4Only))
		expect(t, code, out, 1, "has v4if0 although ipv4Egress is none")
		w = newWorld(t, topology{dns64: true, nat64: true})
		code, out = w.check("ipv4-unreachable", target(ipv4Only))
		expect(t, code, out, 1, "DNS64 is on although ipv4Egress is none")
	})
}

func TestPodAddressInNodePrefix(t *testing.T) {
	node := func(t *testing.T, podRoute string, prefixes ...string) *world {
		w := newWorld(t, topology{eth0v4: true})
		w.enis(eni{mac: "0a:00:00:00:00:01", device: 0, ipv4s: []string{"10.0.0.5"}, ipv6Prefixes: prefixes},
			eni{mac: "0a:00:00:00:00:02", device: 1, ipv4s: []string{"10.0.0.6"}})
		if podRoute != "" {
			// The host side of a pod's veth, as the VPC CNI names it, and its /128 host route.
			netnstest.Run(t, "ip", "-n", w.pod, "link", "add", "eni1a2b3c4d5e6", "type", "veth", "peer", "name", "podside")
			netnstest.Run(t, "ip", "-n", w.pod, "link", "set", "eni1a2b3c4d5e6", "up")
			netnstest.Run(t, "ip", "-n", w.pod, "link", "set", "podside", "up")
			netnstest.Run(t, "ip", "-n", w.pod, "-6", "route", "add", podRoute+"/128", "dev", "eni1a2b3c4d5e6")
		}
		return w
	}
	code, out := node(t, "2001:db8:0:1:a::5", "2001:db8:0:1:a::/80").check("pod-address-in-node-prefix", nil)
	expect(t, code, out, 0, "every pod address on node node-1 lies in its delegated prefixes: 2001:db8:0:1:a::/80")
	code, out = node(t, "2001:db8:0:1:b::5", "2001:db8:0:1:a::/80").check("pod-address-in-node-prefix", nil)
	expect(t, code, out, 1, "pod address 2001:db8:0:1:b::5 on node node-1 lies in none of its delegated prefixes")
	code, out = node(t, "2001:db8:0:1:a::5").check("pod-address-in-node-prefix", nil)
	expect(t, code, out, 1, "has no delegated IPv6 prefix")
	code, out = node(t, "", "2001:db8:0:1:a::/80").check("pod-address-in-node-prefix", nil)
	expect(t, code, out, 2, "no pod routes")
}

// Why the policy checks probe with TCP, not the chapter's ping: as the pods' user, with no
// capabilities, busybox ping cannot open its raw ICMP socket, and allowing unprivileged ICMP sockets
// (net.ipv4.ping_group_range, a safe sysctl) does not help, as busybox never asks for one
// (workload.NoPing). A program that does ask gets one: the kernel is not what stops it.
func TestBusyboxPingNeedsARawSocket(t *testing.T) {
	w := newWorld(t, topology{eth0v4: true})
	group := strconv.FormatInt(workload.RunAsID, 10)
	netnstest.Run(t, "ip", "netns", "exec", w.pod, "sysctl", "-w", "net.ipv4.ping_group_range="+group+" "+group)
	ping := append(append([]string{"netns", "exec", w.pod}, netnstest.AsUser(workload.RunAsID)...), filepath.Join(w.bin, "ping"), "-c", "1", "-W", "2", policyPeer)
	out, err := exec.Command("ip", ping...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "are you root") {
		t.Errorf("busybox ping as the pods' user: %v\n%s\nwant it refused for want of a raw socket", err, out)
	}
	root := append([]string{"netns", "exec", w.pod}, filepath.Join(w.bin, "ping"), "-c", "1", "-W", "2", policyPeer)
	if out, err := exec.Command("ip", root...).CombinedOutput(); err != nil {
		t.Errorf("busybox ping as root: %v\n%s\n(the world itself answers ICMP)", err, out)
	}
}

func TestPolicyChecks(t *testing.T) {
	peer := func(expect string) map[string]string {
		return map[string]string{"EXPECT": expect, TargetPodEnv: policyPeer, "TARGET_PORT": "8080"}
	}
	t.Run("no policy", func(t *testing.T) {
		w := newWorld(t, topology{eth0v4: true})
		for _, kind := range []string{"tcp"} {
			code, out := w.check(kind, peer("allowed"))
			expect(t, code, out, 0, "from deploy2 to 10.0.1.10")
			code, out = w.check(kind, peer("denied"))
			expect(t, code, out, 1, "went through, but the policy should deny it")
		}
		code, out := w.check("dns", map[string]string{"EXPECT": "allowed", "DNS_NAME": DnsName})
		expect(t, code, out, 0, "DNS from deploy2 is allowed")
		code, out = w.check("dns", map[string]string{"EXPECT": "denied", "DNS_NAME": DnsName})
		expect(t, code, out, 1, "went through, but the policy should deny it")
	})
	t.Run("deny egress", func(t *testing.T) {
		w := newWorld(t, topology{eth0v4: true})
		w.drop("-d", policyPeer)
		w.drop("-p", "udp", "--dport", "53")
		for _, kind := range []string{"tcp"} {
			code, out := w.check(kind, peer("denied"))
			expect(t, code, out, 0, "from deploy2 to 10.0.1.10")
			code, out = w.check(kind, peer("allowed"))
			expect(t, code, out, 1, "did not go through, but nothing should deny it")
		}
		code, out := w.check("dns", map[string]string{"EXPECT": "denied", "DNS_NAME": DnsName})
		expect(t, code, out, 0, "DNS from deploy2 is denied")
		code, out = w.check("dns", map[string]string{"EXPECT": "allowed", "DNS_NAME": DnsName})
		expect(t, code, out, 1, "did not go through, but nothing should deny it")
	})
	t.Run("broken target", func(t *testing.T) {
		w := newWorld(t, topology{eth0v4: true})
		broken := map[string]string{"EXPECT": "denied", TargetPodEnv: policyPeer, "TARGET_PORT": "8081"}
		code, out := w.check("tcp", broken)
		expect(t, code, out, 1, "refused the connection: the target is broken")
		broken["EXPECT"] = "allowed"
		code, out = w.check("tcp", broken)
		expect(t, code, out, 1, "refused the connection")
		code, out = w.check("tcp", map[string]string{"EXPECT": "allowed", TargetPodEnv: "", "TARGET_PORT": "8080"})
		expect(t, code, out, 2, "no address yet")
	})
}

// multusWorld is a second Multus pod (the check's) beside multus-pod, net1 to net1, with multus-pod
// running the demo pod's own command (its web root moved to a temporary directory) as hostname.
func multusWorld(t *testing.T, n multus.Network, demoAddress, hostname string) *world {
	w := newWorld(t, topology{eth0v4: true})
	demo, _ := netnstest.Netns(t, "multus-pod")
	netnstest.Run(t, "ip", "link", "add", "net1", "netns", w.pod, "type", "veth", "peer", "name", "net1", "netns", demo)
	second, _ := n.ExpectedAddress(1)
	netnstest.Run(t, "ip", "-n", w.pod, "addr", "add", fmt.Sprintf("%s/%d", second, n.Subnet.Bits()), "dev", "net1")
	netnstest.Run(t, "ip", "-n", demo, "addr", "add", fmt.Sprintf("%s/%d", demoAddress, n.Subnet.Bits()), "dev", "net1")
	netnstest.Run(t, "ip", "-n", w.pod, "link", "set", "net1", "up")
	netnstest.Run(t, "ip", "-n", demo, "link", "set", "net1", "up")

	deployment, err := multus.DemoDeployment(n, workload.DefaultImage)
	if err != nil {
		t.Fatal(err)
	}
	command := deployment.Spec.Template.Spec.Containers[0].Command
	// The web root is an emptyDir in the pod: a fresh directory anyone may write.
	www := filepath.Join(t.TempDir(), "www")
	if err := os.Mkdir(www, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(www), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(www, 0o777); err != nil {
		t.Fatal(err)
	}
	script := strings.ReplaceAll(command[len(command)-1], "/www", www)
	// The hostname is the pod's (set as root in its own UTS namespace); the command runs as the pod's user.
	cmd := exec.Command("ip", append(append([]string{"netns", "exec", demo, "unshare", "--uts", filepath.Join(w.bin, "sh"), "-c",
		"hostname " + hostname + ` && exec "$@"`, "sh"}, netnstest.AsUser(workload.RunAsID)...), filepath.Join(w.bin, "sh"), "-c", script)...)
	cmd.Env = []string{"PATH=" + w.bin}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// Wait until httpd listens, without depending on the check under test.
	for i := 0; i < 50; i++ {
		if out, _ := exec.Command("ip", "netns", "exec", demo, "ss", "-ltn").CombinedOutput(); strings.Contains(string(out), ":"+strconv.Itoa(multus.DemoPodPort)) {
			return w
		}
		netnstest.Run(t, "sleep", "0.1")
	}
	t.Fatalf("multus-pod's httpd did not start")
	return nil
}

func multusEnv(t *testing.T, n multus.Network) map[string]string {
	env := map[string]string{}
	for _, c := range multusChecks(n, workload.DefaultImage) {
		for _, e := range c.Job.Spec.Template.Spec.Containers[0].Env {
			if e.ValueFrom == nil && e.Name != "CHECK_NAME" && e.Name != "IMDS_HOST" {
				env[e.Name] = e.Value
			}
		}
	}
	if env["FIRST_ADDRESS"] == "" {
		t.Fatal("the Multus checks carry no FIRST_ADDRESS")
	}
	return env
}

// t3Medium are the chapter's node instance type's facts.
func t3Medium(t *testing.T) clusterspec.NodeFacts {
	t.Helper()
	node, err := clusterspec.Settings{NodeInstanceType: "t3.medium"}.NodeFacts()
	if err != nil || node.EniErr != nil {
		t.Fatal(err, node.EniErr)
	}
	return node
}

func chapterNetwork(t *testing.T) multus.Network {
	networks, err := multus.Plan(multus.Input{
		NetworkPrefix: "ipvlan-private", NodesPerAz: 1, Node: t3Medium(t),
		Subnets: []multus.Subnet{{AvailabilityZone: "eu-central-1a", Cidr: "192.168.96.0/19"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return networks[0]
}

func TestMultusChecks(t *testing.T) {
	n := chapterNetwork(t)
	env := multusEnv(t, n)
	first := env["FIRST_ADDRESS"]
	t.Run("net1", func(t *testing.T) {
		w := multusWorld(t, n, first, multus.DemoPodName)
		code, out := w.check("multus-net1", env)
		expect(t, code, out, 0, "multus-pod has "+first+"/19 on net1")
	})
	t.Run("multus-pod on another address", func(t *testing.T) {
		other, _ := n.ExpectedAddress(5)
		w := multusWorld(t, n, other, multus.DemoPodName)
		code, out := w.check("multus-net1", env)
		expect(t, code, out, 1, "no answer from "+first)
	})
	t.Run("another pod on the first address", func(t *testing.T) {
		w := multusWorld(t, n, first, "impostor")
		code, out := w.check("multus-net1", env)
		expect(t, code, out, 1, first+" is not multus-pod")
	})
	t.Run("first address outside the range", func(t *testing.T) {
		w := multusWorld(t, n, first, multus.DemoPodName)
		shifted := maps.Clone(env)
		shifted["RANGE_START"] = "192.168.96.21"
		code, out := w.check("multus-net1", shifted)
		expect(t, code, out, 1, "outside ipvlan-private-a's range")
	})
	t.Run("no net1", func(t *testing.T) {
		w := newWorld(t, topology{eth0v4: true})
		code, out := w.check("multus-net1", env)
		expect(t, code, out, 1, "this pod has no net1")
	})
	t.Run("ENI addresses", func(t *testing.T) {
		w := newWorld(t, topology{eth0v4: true})
		primary := eni{mac: "0a:00:00:00:00:01", device: 0, ipv4s: []string{"192.168.100.5"}}
		w.enis(primary, eni{mac: "0a:00:00:00:00:02", device: 1, ipv4s: []string{"192.168.96.19", first}})
		code, out := w.check("multus-address-on-eni", env)
		expect(t, code, out, 0, first+" is held ("+first+") by ENI 0a:00:00:00:00:02 (device 1)")

		w.enis(primary, eni{mac: "0a:00:00:00:00:02", device: 1, ipv4s: []string{"192.168.96.19"}, ipv4Prefixes: []string{"192.168.96.16/28"}})
		code, out = w.check("multus-address-on-eni", env)
		expect(t, code, out, 0, "held (192.168.96.16/28) by ENI 0a:00:00:00:00:02")

		w.enis(primary, eni{mac: "0a:00:00:00:00:02", device: 1, ipv4s: []string{"192.168.96.19"}})
		code, out = w.check("multus-address-on-eni", env)
		expect(t, code, out, 1, "no ENI of node node-1 holds "+first)

		w.enis(primary, eni{mac: "0a:00:00:00:00:02", device: 1, ipv4s: []string{"192.168.96.19"}, ipv4Prefixes: []string{"192.168.96.32/28"}})
		code, out = w.check("multus-address-on-eni", env)
		expect(t, code, out, 1, "no ENI of node node-1 holds "+first)

		w.enis(eni{mac: "0a:00:00:00:00:01", device: 0, ipv4s: []string{"192.168.100.5", first}})
		code, out = w.check("multus-address-on-eni", env)
		expect(t, code, out, 1, "is on the node's primary ENI")
	})
}
