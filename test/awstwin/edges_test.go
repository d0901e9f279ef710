package awstwin

import (
	"maps"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// A VPC's IPv4 block is /16 to /28 with its host bits clear (API_CreateVpc), taken at both ends; a
// subnet's is at most a /28 and at most the VPC's own block (API_CreateSubnet).
func TestBlockSizesAtTheirEdges(t *testing.T) {
	for _, tc := range []struct {
		cidr string
		ok   bool
	}{
		{"10.0.0.0/16", true}, {"10.0.0.0/28", true},
		{"10.0.0.0/15", false}, {"10.0.0.0/29", false},
		{"10.0.0.1/16", false}, {"2001:db8::/56", false}, {"10.0.0.0", false},
	} {
		a := NewAccount("eu-central-1")
		_, err := a.Create(typeVpc, map[string]any{"cidrBlock": tc.cidr})
		if tc.ok && err != nil {
			t.Errorf("VPC %s refused: %v", tc.cidr, err)
		}
		if !tc.ok {
			wantCode(t, err, "InvalidVpc.Range", tc.cidr)
		}
	}
	for _, tc := range []struct {
		cidr string
		ok   bool
	}{
		{"10.0.0.0/16", true}, {"10.0.255.240/28", true},
		{"10.0.0.0/15", false}, {"10.0.0.0/29", false}, {"10.1.0.0/24", false},
	} {
		a := NewAccount("eu-central-1")
		vpc := mustCreate(t, a, typeVpc, map[string]any{"cidrBlock": "10.0.0.0/16"})
		_, err := a.Create(typeSubnet, map[string]any{"vpcId": vpc, "cidrBlock": tc.cidr, "availabilityZone": "eu-central-1a"})
		if tc.ok && err != nil {
			t.Errorf("subnet %s refused: %v", tc.cidr, err)
		}
		if !tc.ok {
			wantCode(t, err, "InvalidSubnet.Range", tc.cidr)
		}
	}
}

// Every Elastic IP gets its own public address, from the twin's pool (3.64.0.0/10, not AWS's
// published ranges): no two allocations share one, as on EC2.
func TestElasticIpsGetDistinctAddresses(t *testing.T) {
	a := NewAccount("eu-central-1")
	pool := netip.MustParsePrefix("3.64.0.0/10")
	seen := map[netip.Addr]string{}
	for range 600 {
		id := mustCreate(t, a, typeEip, map[string]any{"domain": "vpc"})
		r := a.Resources[id]
		ip, err := netip.ParseAddr(r.str("publicIp"))
		if err != nil || !pool.Contains(ip) {
			t.Fatalf("%s has public address %q, not one of the pool %s", id, r.str("publicIp"), pool)
		}
		if other, ok := seen[ip]; ok {
			t.Fatalf("%s and %s share %s", other, id, ip)
		}
		seen[ip] = id
		if r.str("allocationId") != id || r.str("domain") != "vpc" {
			t.Errorf("%s: %v", id, r.Outputs)
		}
	}
}

// IAM's sizes at their limits: a role name of 64 characters, a trust policy of 2048 bytes and a
// role's inline policies of 10240 bytes together are taken; one more of each is refused.
func TestIamSizesAtTheirLimits(t *testing.T) {
	a := NewAccount("eu-central-1")
	mustCreate(t, a, typeRole, map[string]any{"name": strings.Repeat("r", roleNameMax), "assumeRolePolicy": trust})
	// policyOf is a valid policy document of exactly n bytes.
	policyOf := func(n int) string {
		const head, tail = `{"Version":"2012-10-17","Statement":[`, `]}`
		return head + strings.Repeat(" ", n-len(head)-len(tail)) + tail
	}
	mustCreate(t, a, typeRole, map[string]any{"name": "at-limit", "assumeRolePolicy": policyOf(trustPolicyBytes)})
	_, err := a.Create(typeRole, map[string]any{"name": "over", "assumeRolePolicy": policyOf(trustPolicyBytes + 1)})
	wantCode(t, err, "LimitExceeded", "ACLSizePerRole: 2048")
	mustCreate(t, a, typeRolePolicy, map[string]any{"role": "at-limit", "name": "first", "policy": policyOf(inlinePolicyBytes / 2)})
	_, err = a.Create(typeRolePolicy, map[string]any{"role": "at-limit", "name": "over", "policy": policyOf(inlinePolicyBytes/2 + 1)})
	wantCode(t, err, "LimitExceeded", "Maximum policy size of 10240 bytes exceeded for role at-limit")
	mustCreate(t, a, typeRolePolicy, map[string]any{"role": "at-limit", "name": "second", "policy": policyOf(inlinePolicyBytes / 2)})
}

// EKS's rules where a mutant of them went unnoticed: names unique per cluster, not per account; a
// cluster's default version, endpoint and service blocks; an update to a version EKS does not offer.
func TestEksRulesPerCluster(t *testing.T) {
	n, second := eksNet(t)
	a := n.a
	first := eksCluster(t, a, "first", n.subnet, second)
	other := eksCluster(t, a, "other", n.subnet, second)
	mustCreate(t, a, typeNodeGroup, nodeGroupIn(first, "workers", n.subnet))
	mustCreate(t, a, typeNodeGroup, nodeGroupIn(other, "workers", n.subnet))
	_, err := a.Create(typeNodeGroup, nodeGroupIn(first, "workers", n.subnet))
	wantCode(t, err, "ResourceInUseException", "NodeGroup already exists with name workers and cluster name first")
	mustCreate(t, a, typeAddon, map[string]any{"clusterName": first, "addonName": "kube-proxy"})
	mustCreate(t, a, typeAddon, map[string]any{"clusterName": other, "addonName": "kube-proxy"})
	_, err = a.Create(typeAddon, map[string]any{"clusterName": first, "addonName": "kube-proxy"})
	wantCode(t, err, "ResourceInUseException", "Addon already exists.")

	// Without a version EKS takes its default (the newest but one here); without an API server the
	// endpoint is EKS's own name; the service blocks are EKS's choice or the one asked for.
	role := "arn:aws:iam::123456789012:role/cluster-role"
	plain := mustCreate(t, a, typeCluster, map[string]any{"name": "plain", "roleArn": role, "vpcConfig": map[string]any{"subnetIds": []any{n.subnet, second}}})
	out := a.Resources[plain].Outputs
	if out["version"] != kubernetesVersions[len(kubernetesVersions)-2] || !strings.HasSuffix(out["endpoint"].(string), ".eks.amazonaws.com") {
		t.Errorf("a cluster made without a version or an API server: version %v, endpoint %v", out["version"], out["endpoint"])
	}
	if got := strOf(object(out["kubernetesNetworkConfig"]), "serviceIpv4Cidr"); got != "172.20.0.0/16" {
		t.Errorf("EKS's service block is %q", got)
	}
	asked := mustCreate(t, a, typeCluster, map[string]any{"name": "asked", "version": "1.36", "roleArn": role, "vpcConfig": map[string]any{"subnetIds": []any{n.subnet, second}},
		"kubernetesNetworkConfig": map[string]any{"serviceIpv4Cidr": "10.100.0.0/16"}})
	if got := strOf(object(a.Resources[asked].Outputs["kubernetesNetworkConfig"]), "serviceIpv4Cidr"); got != "10.100.0.0/16" {
		t.Errorf("the service block asked for is %q", got)
	}
	a.Sequence += 300 // past 256 ids, where a block built from the account's sequence could overflow a group
	v6 := mustCreate(t, a, typeCluster, map[string]any{"name": "v6", "version": "1.35", "roleArn": role, "vpcConfig": map[string]any{"subnetIds": []any{n.subnet, second}},
		"kubernetesNetworkConfig": map[string]any{"ipFamily": "ipv6"}})
	block, err6 := netip.ParsePrefix(strOf(object(a.Resources[v6].Outputs["kubernetesNetworkConfig"]), "serviceIpv6Cidr"))
	if err6 != nil || block.Bits() != 108 || !netip.MustParsePrefix("fd00::/8").Contains(block.Addr()) {
		t.Errorf("an IPv6 cluster's service block: %v %v; want a /108 of fd00::/8", block, err6)
	}
	update := maps.Clone(a.Resources[asked].Inputs)
	update["version"] = "1.37"
	_, err = a.Update(typeCluster, asked, update)
	wantCode(t, err, "InvalidParameterException", "unsupported Kubernetes version 1.37")
}

// object reads a nested block as pulumi-aws passes it: an object, or a list of one.
func TestObjectReadsABlockEitherWay(t *testing.T) {
	block := map[string]any{"k": "v"}
	for _, tc := range []struct {
		in   any
		want map[string]any
	}{
		{block, block}, {[]any{block}, block}, {[]any{}, nil}, {nil, nil}, {"text", nil},
	} {
		if got := object(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("object(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// EC2's references where a mutant of their check went unnoticed: a route table, network interface,
// launch template or security group rule naming what does not exist is refused; a rule naming no
// group is taken. A subnet updated without IPv6 gets no IPv6 association.
func TestEc2ReferencesMustExist(t *testing.T) {
	n := newNet(t)
	a := n.a
	_, err := a.Create(typeRouteTable, map[string]any{"vpcId": "vpc-0000000000000dead"})
	wantCode(t, err, "InvalidVpcID.NotFound", "vpc-0000000000000dead")
	_, err = a.Create(typeNetworkInterface, map[string]any{"subnetId": "subnet-0000000000000dead"})
	wantCode(t, err, "InvalidSubnetID.NotFound", "subnet-0000000000000dead")
	_, err = a.Create(typeNetworkInterface, map[string]any{"subnetId": n.subnet, "securityGroups": []any{"sg-0000000000000dead"}})
	wantCode(t, err, "InvalidGroup.NotFound", "sg-0000000000000dead")
	_, err = a.Create(typeLaunchTemplate, map[string]any{"vpcSecurityGroupIds": []any{"sg-0000000000000dead"}})
	wantCode(t, err, "InvalidGroup.NotFound", "sg-0000000000000dead")
	group := mustCreate(t, a, typeSecurityGroup, map[string]any{"vpcId": n.vpc, "name": "nodes"})
	mustCreate(t, a, typeIngressRule, map[string]any{"securityGroupId": group, "ipProtocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrIpv4": "10.0.0.0/8"})
	_, err = a.Create(typeIngressRule, map[string]any{"securityGroupId": group, "ipProtocol": "tcp", "fromPort": 10250.0, "toPort": 10250.0,
		"referencedSecurityGroupId": "sg-0000000000000dead"})
	wantCode(t, err, "InvalidGroup.NotFound", "sg-0000000000000dead")

	plain := mustCreate(t, a, typeSubnet, map[string]any{"vpcId": n.vpc, "cidrBlock": "192.168.64.0/19", "availabilityZone": "eu-central-1c"})
	updated, err := a.Update(typeSubnet, plain, map[string]any{"vpcId": n.vpc, "cidrBlock": "192.168.64.0/19", "availabilityZone": "eu-central-1c", "tags": map[string]any{"a": "b"}})
	if err != nil || updated.Outputs["ipv6CidrBlockAssociationId"] != nil {
		t.Errorf("a subnet updated without IPv6: %v, association %v", err, updated.Outputs["ipv6CidrBlockAssociationId"])
	}
}

// A node group's rolling update replaces its instances' network interfaces with the instances.
func TestARollingUpdateReplacesTheNodesInterfaces(t *testing.T) {
	n, second := eksNet(t)
	a := n.a
	cluster := eksCluster(t, a, "c", n.subnet, second)
	in := nodeGroupIn(cluster, "workers", n.subnet)
	group := mustCreate(t, a, typeNodeGroup, in)
	ids := func() []string {
		var out []string
		for _, r := range a.ownedBy(group) {
			out = append(out, r.ID)
		}
		return out
	}
	before := ids()
	rolled := maps.Clone(in)
	rolled["version"] = "1.35"
	if _, err := a.Update(typeNodeGroup, group, rolled); err != nil {
		t.Fatal(err)
	}
	after := ids()
	if len(before) != 1 || len(after) != 1 || before[0] == after[0] {
		t.Errorf("the group's interfaces were %v and are %v after a rolling update; want one, replaced", before, after)
	}
}

// The helpers the rules read addresses and lists with.
func TestAddressAndListHelpers(t *testing.T) {
	if got := firstHost("10.0.0.0/24", 5); got != "10.0.0.5" {
		t.Errorf("firstHost(10.0.0.0/24, 5) = %s", got)
	}
	if !containsString([]any{"a", "b"}, "b") || containsString([]any{"a", "b"}, "c") {
		t.Errorf("containsString answers wrong")
	}
}
