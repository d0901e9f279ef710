package networld

import (
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"eks-advanced-networking/internal/netnstest"
	"eks-advanced-networking/internal/verify"
	"eks-advanced-networking/test/awstwin"
)

// egressAccount is the ipv6 preset's network in one zone, made through the twin's own rules: a
// public subnet with the NAT gateway (0.0.0.0/0 and ::/0 to the internet gateway), a private subnet
// with 0.0.0.0/0 to the NAT gateway and ::/0 to the egress-only gateway, and, with nat64,
// 64:ff9b::/96 to the NAT gateway and DNS64 on. v4Egress is the vpc-cni add-on's ENABLE_V4_EGRESS.
func egressAccount(t *testing.T, nat64, v4Egress bool) (*awstwin.Account, corev1.Node) {
	t.Helper()
	a := awstwin.NewAccount("eu-central-1")
	create := func(typ string, in map[string]any) *awstwin.Record {
		t.Helper()
		r, err := a.Create(typ, in)
		if err != nil {
			t.Fatalf("creating %s: %v", typ, err)
		}
		return r
	}
	vpc := create(typeVpc, map[string]any{"cidrBlock": "192.168.0.0/16", "assignGeneratedIpv6CidrBlock": true})
	block := strings.TrimSuffix(vpc.Outputs["ipv6CidrBlock"].(string), "00::/56")
	subnet := func(cidr, v6 string, dns64 bool) *awstwin.Record {
		return create(typeSubnet, map[string]any{"vpcId": vpc.ID, "cidrBlock": cidr, "ipv6CidrBlock": block + v6 + "::/64",
			"availabilityZone": "eu-central-1a", "enableDns64": dns64})
	}
	public, private := subnet("192.168.0.0/19", "00", false), subnet("192.168.96.0/19", "03", nat64)
	igw := create(typeInternetGateway, map[string]any{"vpcId": vpc.ID})
	eigw := create(typeEgressOnlyIgw, map[string]any{"vpcId": vpc.ID})
	eip := create("aws:ec2/eip:Eip", map[string]any{"domain": "vpc"})
	nat := create(typeNatGateway, map[string]any{"subnetId": public.ID, "allocationId": eip.ID})
	table := func(s *awstwin.Record, routes ...map[string]any) {
		rt := create(typeRouteTable, map[string]any{"vpcId": vpc.ID})
		create(typeRouteAssociation, map[string]any{"routeTableId": rt.ID, "subnetId": s.ID})
		for _, r := range routes {
			r["routeTableId"] = rt.ID
			create(typeRoute, r)
		}
	}
	table(public, map[string]any{"destinationCidrBlock": "0.0.0.0/0", "gatewayId": igw.ID},
		map[string]any{"destinationIpv6CidrBlock": "::/0", "gatewayId": igw.ID})
	privateRoutes := []map[string]any{{"destinationCidrBlock": "0.0.0.0/0", "natGatewayId": nat.ID},
		{"destinationIpv6CidrBlock": "::/0", "egressOnlyGatewayId": eigw.ID}}
	if nat64 {
		privateRoutes = append(privateRoutes, map[string]any{"destinationIpv6CidrBlock": "64:ff9b::/96", "natGatewayId": nat.ID})
	}
	table(private, privateRoutes...)
	// The add-on needs a cluster the twin would check; only its configuration matters here.
	config := `{"env":{"ENABLE_V4_EGRESS":"false"}}`
	if v4Egress {
		config = `{"env":{"ENABLE_V4_EGRESS":"true"}}`
	}
	a.Resources["addon-vpc-cni"] = &awstwin.Record{Type: typeAddon, ID: "addon-vpc-cni",
		Inputs: map[string]any{"addonName": "vpc-cni", "configurationValues": config}}
	n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "ip-192-168-96-110.eu-central-1.compute.internal"},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: block + "03::6e"}}}}
	return a, n
}

// build is the world of the account and its one node, closed when the test ends.
func build(t *testing.T, a *awstwin.Account, n corev1.Node) *World {
	t.Helper()
	w, err := Build(t, a, []corev1.Node{n})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// deleteRoute removes an account's route to dest, as a program without it would leave the account.
func deleteRoute(t *testing.T, a *awstwin.Account, dest string) {
	t.Helper()
	for id, r := range a.Resources {
		if r.Type == typeRoute && r.Inputs["destinationIpv6CidrBlock"] == dest {
			delete(a.Resources, id)
			return
		}
	}
	t.Fatalf("no route to %s", dest)
}

// checks are the ipv6 preset's check pods for the mode, on node, as the Jobs' templates describe
// them.
func checks(t *testing.T, nodeSnat, nat64 bool, node string) map[string]*corev1.Pod {
	t.Helper()
	all, err := verify.Checks(verify.Input{Image: "busybox:1.37.0", Ipv6: &verify.Ipv6Input{NodeSnat: nodeSnat, Nat64: nat64,
		Ipv4Target: verify.Target{Host: Ipv4OnlyName, Port: HTTPPort}, Ipv6Target: verify.Target{Host: Ipv6OnlyName, Port: HTTPPort}}})
	if err != nil {
		t.Fatal(err)
	}
	pods := map[string]*corev1.Pod{}
	for _, c := range all {
		spec := *c.Job.Spec.Template.Spec.DeepCopy()
		spec.NodeName = node
		pods[c.Name] = &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: c.Job.Name + "-x", Namespace: c.Job.Namespace}, Spec: spec}
	}
	return pods
}

// run attaches and runs a check pod, expecting exit code want and a verdict line holding says.
func run(t *testing.T, w *World, pod *corev1.Pod, want int, says string) {
	t.Helper()
	p, err := w.AttachPod(pod)
	if err != nil {
		t.Fatal(err)
	}
	code, out, err := w.Run(pod, p, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if code != want || !strings.Contains(out, says) {
		t.Errorf("%s: exit %d, want %d saying %q:\n%s", pod.Name, code, want, says, out)
	}
}

// A CoreDNS pod on the node, so the node has a pod route (the prefix check looks at them).
func withCoreDNS(t *testing.T, w *World, node string) {
	t.Helper()
	if _, err := w.AttachPod(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"},
		Spec: corev1.PodSpec{NodeName: node}}); err != nil {
		t.Fatal(err)
	}
}

// The chapter's checks against the network an account describes: every mode passes its own
// checks, and the world follows the account, not the checks' expectations: without the NAT64 route
// or with DNS64 off the nat64 check fails with its own message, and without ENABLE_V4_EGRESS there
// is no IPv4 path at all.
func TestChecksAgainstTheAccountsNetwork(t *testing.T) {
	t.Run("both", func(t *testing.T) {
		a, n := egressAccount(t, true, true)
		w := build(t, a, n)
		withCoreDNS(t, w, n.Name)
		pods := checks(t, true, true, n.Name)
		run(t, w, pods["node-internal-ip-ipv6"], 0, "is IPv6")
		run(t, w, pods["pod-address-in-node-prefix"], 0, "PASS pod-address-in-node-prefix")
		run(t, w, pods["ipv6-target"], 0, "PASS ipv6-target: reached "+Ipv6OnlyName)
		run(t, w, pods["ipv4-via-node-snat"], 0, "PASS ipv4-via-node-snat: reached "+Ipv4OnlyName)
		run(t, w, pods["ipv4-via-nat64"], 0, "resolved to 64:ff9b::6464:50 (DNS64) and answered through NAT64")

		// The resolver answers at all three of its addresses, and DNS64 keeps a name's own AAAA.
		nodeNs := w.nodes[n.Name].ns
		for _, server := range []string{resolverIpv4, resolverIpv6, "192.168.0.2"} {
			if out := lookup(t, w, nodeNs, "a", Ipv4OnlyName, server); !strings.Contains(out, Ipv4OnlyAddress) {
				t.Errorf("the resolver at %s did not answer %s's A record:\n%s", server, Ipv4OnlyName, out)
			}
		}
		if out := lookup(t, w, nodeNs, "aaaa", DualStackName, resolverIpv6); !strings.Contains(out, DualStackIpv6) || strings.Contains(out, "64:ff9b") {
			t.Errorf("DNS64 replaced or added to %s's own AAAA record:\n%s", DualStackName, out)
		}

		// The egress-only gateway lets nothing in: a server in a pod is not reachable from the internet.
		server := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "server", Namespace: "default"}, Spec: corev1.PodSpec{NodeName: n.Name}}
		p, err := w.AttachPod(server)
		if err != nil {
			t.Fatal(err)
		}
		ln, _ := netnstest.ListenIn(t, "/var/run/netns/"+p.Namespace, "tcp", "["+p.Address.String()+"]:8080")
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				_ = c.Close()
			}
		}()
		dial := func(ns string) error {
			var err error
			netnstest.InNetns(t, "/var/run/netns/"+ns, func() {
				var c net.Conn
				if c, err = net.DialTimeout("tcp", net.JoinHostPort(p.Address.String(), "8080"), 2*time.Second); err == nil {
					_ = c.Close()
				}
			})
			return err
		}
		if err := dial(p.Namespace); err != nil {
			t.Fatalf("the pod's own server does not answer, so the gateway cannot be judged: %v", err)
		}
		if err := dial(w.Internet()); err == nil {
			t.Error("the internet reached a pod behind the egress-only internet gateway")
		}
	})
	t.Run("the NAT64 route removed", func(t *testing.T) {
		a, n := egressAccount(t, true, false)
		deleteRoute(t, a, "64:ff9b::/96")
		w := build(t, a, n)
		run(t, w, checks(t, false, true, n.Name)["ipv4-via-nat64"], 1, "but no HTTP answer through NAT64")
	})
	t.Run("DNS64 off", func(t *testing.T) {
		a, n := egressAccount(t, true, false)
		for _, r := range a.Resources {
			if r.Type == typeSubnet {
				r.Inputs["enableDns64"] = false
			}
		}
		w := build(t, a, n)
		run(t, w, checks(t, false, true, n.Name)["ipv4-via-nat64"], 1, "DNS64 is not on for this pod's subnet")
	})
	t.Run("none", func(t *testing.T) {
		a, n := egressAccount(t, false, false)
		w := build(t, a, n)
		pods := checks(t, false, false, n.Name)
		run(t, w, pods["ipv4-unreachable"], 0, "is unreachable, as ipv4Egress none means")
		run(t, w, pods["ipv6-target"], 0, "PASS ipv6-target")
		run(t, w, checks(t, true, false, n.Name)["ipv4-via-node-snat"], 1, "the pod has no v4if0 address")
	})
}

// lookup asks server for name's records of type (a or aaaa) from namespace ns.
func lookup(t *testing.T, w *World, ns, typ, name, server string) string {
	t.Helper()
	out, _ := exec.Command("ip", "netns", "exec", ns, w.Applets()+"/nslookup", "-type="+typ, name, server).CombinedOutput()
	return string(out)
}
