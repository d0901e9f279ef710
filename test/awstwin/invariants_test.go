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

	cluster := mustCreate(t, a, typeCluster, map[string]any{"name": "inv", "version": "1.35", "roleArn": "arn:aws:iam::123456789012:role/cluster-role",
		"vpcConfig": map[string]any{"subnetIds": []any{n.subnet, private}}})
	clusterSg := strOf(object(a.Resources[cluster].Outputs["vpcConfig"]), "clusterSecurityGroupId")
	nodeSg := mustCreate(t, a, typeSecurityGroup, map[string]any{"vpcId": n.vpc, "name": "nodes"})
	ids["kubelet"] = mustCreate(t, a, typeIngressRule, map[string]any{"securityGroupId": nodeSg, "ipProtocol": "tcp", "fromPort": 10250.0, "toPort": 10250.0,
		"referencedSecurityGroupId": clusterSg})
	lt := mustCreate(t, a, typeLaunchTemplate, map[string]any{"name": "nodes", "vpcSecurityGroupIds": []any{nodeSg}})
	mustCreate(t, a, typeNodeGroup, map[string]any{"clusterName": cluster, "nodeGroupName": "ng", "nodeRoleArn": "arn:aws:iam::123456789012:role/node-role",
		"subnetIds": []any{private}, "instanceTypes": []any{}, "launchTemplate": map[string]any{"id": lt, "version": "1"},
		"scalingConfig": map[string]any{"minSize": 1.0, "desiredSize": 1.0, "maxSize": 1.0}})
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
