package awstwin

import (
	"strings"
	"testing"
	"time"
)

// invariantNet is a working dual-stack VPC: a public subnet (both families to the internet gateway)
// with the NAT gateway, a private one (0.0.0.0/0 and 64:ff9b::/96 to the NAT gateway, ::/0 to the
// egress-only gateway, DNS64 on), a cluster in both, and a node group whose security group lets the
// cluster's reach the kubelet. broken changes one thing before the invariants are read.
func invariantNet(t *testing.T, broken func(a *Account, ids map[string]string)) []string {
	t.Helper()
	n, private := eksNet(t)
	a := n.a
	ids := map[string]string{"public": n.subnet, "private": private, "nat": n.nat}
	// eksNet routes both subnets through n.rt to the NAT gateway; the public one gets its own table.
	for _, assoc := range a.live(typeRouteAssociation, func(s *Record) bool { return s.str("subnetId") == n.subnet }) {
		delete(a.Resources, assoc.ID)
	}
	public := mustCreate(t, a, typeRouteTable, map[string]any{"vpcId": n.vpc})
	mustCreate(t, a, typeRouteAssociation, map[string]any{"subnetId": n.subnet, "routeTableId": public})
	mustCreate(t, a, typeRoute, map[string]any{"routeTableId": public, "destinationCidrBlock": "0.0.0.0/0", "gatewayId": n.igw})
	mustCreate(t, a, typeRoute, map[string]any{"routeTableId": public, "destinationIpv6CidrBlock": "::/0", "gatewayId": n.igw})
	eigw := mustCreate(t, a, typeEgressOnlyIgw, map[string]any{"vpcId": n.vpc})
	ids["v6-default"] = mustCreate(t, a, typeRoute, map[string]any{"routeTableId": n.rt, "destinationIpv6CidrBlock": "::/0", "egressOnlyGatewayId": eigw})
	ids["nat64"] = mustCreate(t, a, typeRoute, map[string]any{"routeTableId": n.rt, "destinationIpv6CidrBlock": "64:ff9b::/96", "natGatewayId": n.nat})
	a.Resources[private].Inputs["enableDns64"] = true

	cluster := eksCluster(t, a, "inv", n.subnet, private)
	clusterSg := strOf(object(a.Resources[cluster].Outputs["vpcConfig"]), "clusterSecurityGroupId")
	nodeSg := mustCreate(t, a, typeSecurityGroup, map[string]any{"vpcId": n.vpc, "name": "nodes"})
	ids["kubelet"] = mustCreate(t, a, typeIngressRule, map[string]any{"securityGroupId": nodeSg, "ipProtocol": "tcp", "fromPort": 10250.0, "toPort": 10250.0,
		"referencedSecurityGroupId": clusterSg})
	lt := mustCreate(t, a, typeLaunchTemplate, map[string]any{"name": "nodes", "vpcSecurityGroupIds": []any{nodeSg}})
	group := nodeGroupIn(cluster, "ng", private)
	group["instanceTypes"], group["launchTemplate"] = []any{}, map[string]any{"id": lt, "version": "1"}
	mustCreate(t, a, typeNodeGroup, group)
	ids["eni"] = mustCreate(t, a, typeNetworkInterface, map[string]any{"subnetId": private, "tags": map[string]any{
		"multus": "true", "Zone": "eu-central-1b", "node.k8s.amazonaws.com/no_manage": "true", "cluster": "inv"}})
	if broken != nil {
		broken(a, ids)
	}
	return a.Invariants()
}

func TestInvariantsOfAWorkingAccount(t *testing.T) {
	if got := invariantNet(t, nil); len(got) != 0 {
		t.Fatalf("a working account breaks invariants: %v", got)
	}
	for _, tc := range []struct {
		name   string
		broken func(a *Account, ids map[string]string)
		says   string
	}{
		{"DNS64 without NAT64", func(a *Account, ids map[string]string) { delete(a.Resources, ids["nat64"]) }, "DNS64 on but 64:ff9b::/96"},
		{"no IPv6 way out", func(a *Account, ids map[string]string) { delete(a.Resources, ids["v6-default"]) }, "::/0 goes to \"\", want an egress-only"},
		{"a NAT gateway being deleted", func(a *Account, ids map[string]string) {
			until := time.Now().Add(time.Hour)
			a.Resources[ids["nat"]].DeletingUntil = &until
		}, "which is not there (blackhole)"},
		{"no IPv4 way out", func(a *Account, ids map[string]string) {
			for _, r := range a.live(typeRoute, func(r *Record) bool {
				return r.str("destinationCidrBlock") == "0.0.0.0/0" && r.str("natGatewayId") != ""
			}) {
				delete(a.Resources, r.ID)
			}
		}, "0.0.0.0/0 goes to \"\", want a NAT gateway"},
		{"no kubelet rule", func(a *Account, ids map[string]string) { delete(a.Resources, ids["kubelet"]) }, "reach the kubelet on TCP 10250"},
		{"a Multus ENI in another zone", func(a *Account, ids map[string]string) {
			a.Resources[ids["eni"]].Inputs["tags"].(map[string]any)["Zone"] = "eu-central-1a"
		}, "Multus ENI"},
		{"a Multus ENI the VPC CNI would manage", func(a *Account, ids map[string]string) {
			delete(a.Resources[ids["eni"]].Inputs["tags"].(map[string]any), "node.k8s.amazonaws.com/no_manage")
		}, "lack no_manage=true"},
	} {
		got := invariantNet(t, tc.broken)
		if len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), tc.says) {
			t.Errorf("%s: invariants %v, want one saying %q", tc.name, got, tc.says)
		}
	}
}

// The ways a kubelet rule can be written: the protocol as a name, a number or everything.
func TestIngressCoversAPort(t *testing.T) {
	for _, tc := range []struct {
		rule ingress
		want bool
	}{
		{ingress{protocol: "-1"}, true},
		{ingress{protocol: "all"}, true},
		{ingress{protocol: "6", fromPort: 10250, to: 10250}, true},
		{ingress{protocol: "TCP", fromPort: 1025, to: 65535}, true},
		{ingress{protocol: "tcp", fromPort: 10250, to: 10249}, false},
		{ingress{protocol: "tcp", fromPort: 10251, to: 10260}, false},
		{ingress{protocol: "udp", fromPort: 10250, to: 10250}, false},
	} {
		if got := tc.rule.covers(10250); got != tc.want {
			t.Errorf("%+v covers 10250: %v, want %v", tc.rule, got, tc.want)
		}
	}
}

// More of a working account: nodes in the cluster security group, a kubelet rule by CIDR, and what
// breaks a public subnet or a route.
func TestMoreInvariants(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(a *Account, ids map[string]string)
		says   string // "" for none
	}{
		{"nodes in the cluster security group", func(a *Account, ids map[string]string) {
			for _, lt := range a.live(typeLaunchTemplate, nil) {
				delete(lt.Inputs, "vpcSecurityGroupIds")
			}
		}, ""},
		{"a kubelet rule by the VPC's CIDR", func(a *Account, ids map[string]string) {
			rule := a.Resources[ids["kubelet"]]
			delete(rule.Inputs, "referencedSecurityGroupId")
			rule.Inputs["cidrIpv4"] = "192.168.0.0/16"
		}, ""},
		{"a kubelet rule by a part of the VPC", func(a *Account, ids map[string]string) {
			rule := a.Resources[ids["kubelet"]]
			delete(rule.Inputs, "referencedSecurityGroupId")
			rule.Inputs["cidrIpv4"] = "192.168.0.0/17"
		}, "reach the kubelet"},
		{"an inline kubelet rule", func(a *Account, ids map[string]string) {
			rule := a.Resources[ids["kubelet"]]
			delete(a.Resources, ids["kubelet"])
			a.Resources[rule.str("securityGroupId")].Inputs["ingress"] = []any{map[string]any{"protocol": "tcp", "fromPort": 10250.0, "toPort": 10250.0,
				"cidrBlocks": []any{"0.0.0.0/0"}}}
		}, ""},
		{"a legacy kubelet rule", asLegacyRule("ingress"), ""},
		{"a legacy egress rule is no way in", asLegacyRule("egress"), "reach the kubelet"},
		{"a public subnet without IPv6 out", func(a *Account, ids map[string]string) {
			for _, r := range a.live(typeRoute, func(r *Record) bool { return r.str("destinationIpv6CidrBlock") == "::/0" && r.str("gatewayId") != "" }) {
				delete(a.Resources, r.ID)
			}
		}, "public subnet"},
		{"a route to another VPC's gateway", func(a *Account, ids map[string]string) {
			a.Resources["igw-other"] = &Record{Type: typeInternetGateway, ID: "igw-other", Inputs: map[string]any{"vpcId": "vpc-other"}, Outputs: map[string]any{}}
			a.Resources[ids["v6-default"]].Inputs = map[string]any{"routeTableId": a.Resources[ids["v6-default"]].str("routeTableId"),
				"destinationIpv6CidrBlock": "::/0", "gatewayId": "igw-other"}
		}, "in another VPC"},
	} {
		got := strings.Join(invariantNet(t, tc.change), "\n")
		if tc.says == "" && got != "" || tc.says != "" && !strings.Contains(got, tc.says) {
			t.Errorf("%s: invariants %q, want %q", tc.name, got, tc.says)
		}
	}
}

// asLegacyRule writes the kubelet rule as an aws:ec2/securityGroupRule of the given direction.
func asLegacyRule(direction string) func(a *Account, ids map[string]string) {
	return func(a *Account, ids map[string]string) {
		rule := a.Resources[ids["kubelet"]]
		delete(a.Resources, ids["kubelet"])
		a.Resources["sgrule-1"] = &Record{Type: typeLegacyRule, ID: "sgrule-1", Outputs: map[string]any{}, Inputs: map[string]any{"type": direction,
			"securityGroupId": rule.str("securityGroupId"), "protocol": "tcp", "fromPort": 10250.0, "toPort": 10250.0,
			"sourceSecurityGroupId": rule.str("referencedSecurityGroupId")}}
	}
}

// The requirements between what a program manages: AWS's implicit ones, and nothing an AWS service
// made on its own.
func TestRequirements(t *testing.T) {
	n, second := eksNet(t)
	a := n.a
	cluster := eksCluster(t, a, "req", n.subnet, second)
	entry := mustCreate(t, a, typeAccessEntry, map[string]any{"clusterName": cluster, "principalArn": "arn:aws:iam::123456789012:role/node-role", "type": "EC2_LINUX"})
	admin := mustCreate(t, a, typeAccessEntry, map[string]any{"clusterName": cluster, "principalArn": "arn:aws:iam::123456789012:role/admin"})
	assoc := mustCreate(t, a, typeAccessAssociation, map[string]any{"clusterName": cluster, "principalArn": "arn:aws:iam::123456789012:role/admin",
		"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"})
	addon := mustCreate(t, a, typeAddon, map[string]any{"clusterName": cluster, "addonName": "kube-proxy"})
	ng := mustCreate(t, a, typeNodeGroup, nodeGroupIn(cluster, "ng", n.subnet))
	private := mustCreate(t, a, typeNatGateway, map[string]any{"subnetId": second, "connectivityType": "private"})
	got := map[string]bool{}
	for _, r := range a.Requirements() {
		got[r.Dependent+" -> "+r.Required] = true
	}
	want := []string{n.nat + " -> " + n.igw, entry + " -> " + cluster, admin + " -> " + cluster, assoc + " -> " + admin,
		addon + " -> " + cluster, ng + " -> " + cluster, ng + " -> " + entry}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing requirement %s", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("requirements %v, want only %v", got, want)
	}
	for r := range got {
		if strings.HasPrefix(r, private) {
			t.Errorf("a private NAT gateway needs no internet gateway: %s", r)
		}
	}
}
