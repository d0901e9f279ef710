package awstwin

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"eks-advanced-networking/internal/replacement"
	"eks-advanced-networking/test/awstwin/awsdata"
)

// net is a VPC with an IPv6 /56, an internet gateway, a public subnet with a NAT gateway, and a
// route table associated with it: the shapes the rules are about.
type network struct {
	a                              *Account
	vpc, igw, subnet, eip, nat, rt string
}

func mustCreate(t *testing.T, a *Account, typ string, in map[string]any) string {
	t.Helper()
	r, err := a.Create(typ, in)
	if err != nil {
		t.Fatalf("creating %s %v: %v", kind(typ), in, err)
	}
	return r.ID
}

func newNet(t *testing.T) *network {
	a := NewAccount("eu-central-1")
	n := &network{a: a}
	n.vpc = mustCreate(t, a, typeVpc, map[string]any{"cidrBlock": "192.168.0.0/16", "assignGeneratedIpv6CidrBlock": true})
	v6 := a.Resources[n.vpc].Outputs["ipv6CidrBlock"].(string)
	n.igw = mustCreate(t, a, typeInternetGateway, map[string]any{"vpcId": n.vpc})
	n.subnet = mustCreate(t, a, typeSubnet, map[string]any{"vpcId": n.vpc, "cidrBlock": "192.168.0.0/19",
		"ipv6CidrBlock": strings.Replace(v6, "00::/56", "00::/64", 1), "availabilityZone": "eu-central-1a"})
	n.eip = mustCreate(t, a, typeEip, map[string]any{"domain": "vpc"})
	n.nat = mustCreate(t, a, typeNatGateway, map[string]any{"subnetId": n.subnet, "allocationId": n.eip, "connectivityType": "public"})
	n.rt = mustCreate(t, a, typeRouteTable, map[string]any{"vpcId": n.vpc})
	mustCreate(t, a, typeRouteAssociation, map[string]any{"subnetId": n.subnet, "routeTableId": n.rt})
	return n
}

func wantCode(t *testing.T, err *Error, code, says string) {
	t.Helper()
	if err == nil || err.Code != code || !strings.Contains(err.Message, says) {
		t.Errorf("got %v, want %s saying %q", err, code, says)
	}
}

func TestCreateRefusals(t *testing.T) {
	for _, tc := range []struct {
		name       string
		typ        string
		in         func(n *network) map[string]any
		code, says string
	}{
		{"VPC block too large", typeVpc, func(n *network) map[string]any { return map[string]any{"cidrBlock": "10.0.0.0/8"} }, "InvalidVpc.Range", "The CIDR '10.0.0.0/8' is invalid."},
		{"subnet outside the VPC", typeSubnet, func(n *network) map[string]any {
			return map[string]any{"vpcId": n.vpc, "cidrBlock": "10.10.1.0/24"}
		}, "InvalidSubnet.Range", "The CIDR '10.10.1.0/24' is invalid."},
		{"subnet overlapping another", typeSubnet, func(n *network) map[string]any {
			return map[string]any{"vpcId": n.vpc, "cidrBlock": "192.168.16.0/20"}
		}, "InvalidSubnet.Conflict", "conflicts with another subnet"},
		{"IPv6 block not a /64", typeSubnet, func(n *network) map[string]any {
			return map[string]any{"vpcId": n.vpc, "cidrBlock": "192.168.32.0/19", "ipv6CidrBlock": "2a05:d014:ec6:100::/60"}
		}, "InvalidParameterValue", "ipv6-cidr-block"},
		{"IPv6 /64 outside the VPC's /56", typeSubnet, func(n *network) map[string]any {
			return map[string]any{"vpcId": n.vpc, "cidrBlock": "192.168.32.0/19", "ipv6CidrBlock": "2001:db8::/64"}
		}, "InvalidSubnet.Range", "The IPv6 CIDR '2001:db8::/64' is invalid."},
		{"subnet in a missing VPC", typeSubnet, func(n *network) map[string]any {
			return map[string]any{"vpcId": "vpc-0123", "cidrBlock": "192.168.32.0/19"}
		}, "InvalidVpcID.NotFound", "vpc-0123"},
		{"NAT64 route to the NAT gateway is fine, any other IPv6 one is not", typeRoute, func(n *network) map[string]any {
			return map[string]any{"routeTableId": n.rt, "destinationIpv6CidrBlock": "::/0", "natGatewayId": n.nat}
		}, "InvalidParameterValue", "64:ff9b::/96"},
		{"IPv4 route to the egress-only gateway", typeRoute, func(n *network) map[string]any {
			eigw := mustCreate(t, n.a, typeEgressOnlyIgw, map[string]any{"vpcId": n.vpc})
			return map[string]any{"routeTableId": n.rt, "destinationCidrBlock": "0.0.0.0/0", "egressOnlyGatewayId": eigw}
		}, "InvalidParameterValue", "only be the target of an IPv6 route"},
		{"route to a missing NAT gateway", typeRoute, func(n *network) map[string]any {
			return map[string]any{"routeTableId": n.rt, "destinationCidrBlock": "0.0.0.0/0", "natGatewayId": "nat-0123"}
		}, "InvalidNatGatewayID.NotFound", "nat-0123"},
		{"second association of a subnet", typeRouteAssociation, func(n *network) map[string]any {
			rt := mustCreate(t, n.a, typeRouteTable, map[string]any{"vpcId": n.vpc})
			return map[string]any{"subnetId": n.subnet, "routeTableId": rt}
		}, "Resource.AlreadyAssociated", "conflicts with an existing association"},
		{"second internet gateway on the VPC", typeInternetGateway, func(n *network) map[string]any {
			return map[string]any{"vpcId": n.vpc}
		}, "Resource.AlreadyAssociated", "already attached"},
		{"EIP already on a NAT gateway", typeNatGateway, func(n *network) map[string]any {
			return map[string]any{"subnetId": n.subnet, "allocationId": n.eip}
		}, "Resource.AlreadyAssociated", "is already associated"},
		{"reservation outside its subnet", typeCidrReservation, func(n *network) map[string]any {
			return map[string]any{"subnetId": n.subnet, "cidrBlock": "192.168.96.16/28", "reservationType": "explicit"}
		}, "InvalidParameterValue", "is not within the subnet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNet(t)
			_, err := n.a.Create(tc.typ, tc.in(n))
			wantCode(t, err, tc.code, tc.says)
			if len(n.a.Refusals) != 1 || n.a.Refusals[0].Code != tc.code {
				t.Errorf("refusals %+v", n.a.Refusals)
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	n := newNet(t)
	mustCreate(t, n.a, typeRoute, map[string]any{"routeTableId": n.rt, "destinationIpv6CidrBlock": "64:ff9b::/96", "natGatewayId": n.nat})
	mustCreate(t, n.a, typeRoute, map[string]any{"routeTableId": n.rt, "destinationCidrBlock": "0.0.0.0/0", "gatewayId": n.igw})
	_, err := n.a.Create(typeRoute, map[string]any{"routeTableId": n.rt, "destinationCidrBlock": "0.0.0.0/0", "natGatewayId": n.nat})
	wantCode(t, err, "RouteAlreadyExists", "The route identified by 0.0.0.0/0 already exists.")
}

func TestNatGatewayNeedsAnInternetGateway(t *testing.T) {
	a := NewAccount("eu-central-1")
	vpc := mustCreate(t, a, typeVpc, map[string]any{"cidrBlock": "10.0.0.0/16"})
	subnet := mustCreate(t, a, typeSubnet, map[string]any{"vpcId": vpc, "cidrBlock": "10.0.0.0/24"})
	eip := mustCreate(t, a, typeEip, map[string]any{"domain": "vpc"})
	_, err := a.Create(typeNatGateway, map[string]any{"subnetId": subnet, "allocationId": eip})
	wantCode(t, err, "Gateway.NotAttached", "Network "+vpc+" has no Internet gateway attached")
	mustCreate(t, a, typeInternetGateway, map[string]any{"vpcId": vpc})
	mustCreate(t, a, typeNatGateway, map[string]any{"subnetId": subnet, "allocationId": eip})
}

func TestSecurityGroupRules(t *testing.T) {
	n := newNet(t)
	sg := mustCreate(t, n.a, typeSecurityGroup, map[string]any{"vpcId": n.vpc, "name": "nodes"})
	other := mustCreate(t, n.a, typeSecurityGroup, map[string]any{"vpcId": n.vpc, "name": "control-plane"})
	rule := map[string]any{"securityGroupId": sg, "ipProtocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "referencedSecurityGroupId": other}
	mustCreate(t, n.a, typeIngressRule, rule)
	_, err := n.a.Create(typeIngressRule, rule)
	wantCode(t, err, "InvalidPermission.Duplicate", "TCP, from port: 443, to port: 443, ALLOW")
	// The same rule as egress is another rule.
	mustCreate(t, n.a, typeEgressRule, rule)
	_, err = n.a.Create(typeSecurityGroup, map[string]any{"vpcId": n.vpc, "name": "nodes"})
	wantCode(t, err, "InvalidGroup.Duplicate", "'nodes' already exists")
	// Referenced by sg's rules, other cannot go; sg can, and takes its rules along.
	wantCode(t, n.a.Delete(typeSecurityGroup, other, time.Now(), 0), "DependencyViolation", "has a dependent object")
	if err := n.a.Delete(typeSecurityGroup, sg, time.Now(), 0); err != nil {
		t.Fatal(err)
	}
	if err := n.a.Delete(typeSecurityGroup, other, time.Now(), 0); err != nil {
		t.Errorf("other is still blocked after sg and its rules went: %v", err)
	}
}

func TestDeletesWaitForDependents(t *testing.T) {
	now := time.Now()
	n := newNet(t)
	del := func(typ, id string) *Error { return n.a.Delete(typ, id, now, 0) }
	wantCode(t, del(typeVpc, n.vpc), "DependencyViolation", "The vpc '"+n.vpc+"' has dependencies and cannot be deleted.")
	wantCode(t, del(typeSubnet, n.subnet), "DependencyViolation", "The subnet '"+n.subnet+"' has dependencies")
	wantCode(t, del(typeInternetGateway, n.igw), "DependencyViolation", "has some mapped public address(es)")
	wantCode(t, del(typeEip, n.eip), "InvalidIPAddress.InUse", n.nat)
	wantCode(t, del(typeRouteTable, n.rt), "DependencyViolation", "The routeTable '"+n.rt+"' has dependencies")

	// A NAT gateway that is being deleted still holds its address and its subnet.
	if err := n.a.Delete(typeNatGateway, n.nat, now, time.Minute); err != nil {
		t.Fatal(err)
	}
	wantCode(t, del(typeEip, n.eip), "AuthFailure", "You do not have permission")
	wantCode(t, del(typeSubnet, n.subnet), "DependencyViolation", "has dependencies")
	n.a.Settle(now.Add(time.Minute))

	// In dependency order, everything goes, and nothing more is refused.
	refused := len(n.a.Refusals)
	for _, r := range n.a.live(typeRouteAssociation, nil) {
		if err := del(r.Type, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []struct{ typ, id string }{
		{typeRouteTable, n.rt}, {typeEip, n.eip}, {typeInternetGateway, n.igw}, {typeSubnet, n.subnet}, {typeVpc, n.vpc},
	} {
		if err := del(step.typ, step.id); err != nil {
			t.Fatalf("deleting %s: %v", kind(step.typ), err)
		}
	}
	if len(n.a.Resources) != 0 || len(n.a.Refusals) != refused {
		t.Errorf("left %v, refused %d more", n.a.Summary(), len(n.a.Refusals)-refused)
	}
}

func TestEveryTypeIsSimulatedWithADuration(t *testing.T) {
	for _, typ := range Simulated() {
		h := handlers[typ]
		if h.prefix == "" || h.create == nil || h.took.create == 0 || h.took.delete == 0 {
			t.Errorf("%s: prefix %q, create %v, durations %v", typ, h.prefix, h.create != nil, h.took)
		}
	}
	if create, del := Took(typeNatGateway, 1.0/60); create != 1500*time.Millisecond || del != time.Second {
		t.Errorf("a NAT gateway at 1/60 takes %v and %v, want 1.5s and 1s", create, del)
	}
}

// The twin diffs with the table the offline preview predicts with: a type the twin simulates and the
// table does not know would be updated in place whatever changed.
func TestEveryTypeHasItsReplacementRules(t *testing.T) {
	if got, want := Simulated(), replacement.AWSTypes(); !slices.Equal(got, want) {
		t.Errorf("the twin simulates %v;\nthe replacement table knows %v", got, want)
	}
}

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func TestIamRules(t *testing.T) {
	a := NewAccount("eu-central-1")
	role := mustCreate(t, a, typeRole, map[string]any{"name": "cluster-role", "assumeRolePolicy": trust})
	if role != "cluster-role" || a.Resources[role].Outputs["arn"] != "arn:aws:iam::123456789012:role/cluster-role" {
		t.Errorf("role %s %v", role, a.Resources[role].Outputs)
	}
	_, err := a.Create(typeRole, map[string]any{"name": strings.Repeat("r", 65), "assumeRolePolicy": trust})
	wantCode(t, err, "ValidationError", "Member must have length less than or equal to 64")
	_, err = a.Create(typeRole, map[string]any{"name": "bad-trust", "assumeRolePolicy": "{"})
	wantCode(t, err, "MalformedPolicyDocument", "invalid Json")
	_, err = a.Create(typeRolePolicyAttach, map[string]any{"role": role, "policyArn": "arn:aws:iam::aws:policy/AmazonEKSClusterPolicyy"})
	wantCode(t, err, "NoSuchEntity", "AmazonEKSClusterPolicyy does not exist or is not attachable")
	_, err = a.Create(typeRolePolicyAttach, map[string]any{"role": "nobody", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"})
	wantCode(t, err, "NoSuchEntity", "The role with name nobody cannot be found.")
	attachment := mustCreate(t, a, typeRolePolicyAttach, map[string]any{"role": role, "policyArn": "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"})
	_, err = a.Create(typeRolePolicy, map[string]any{"role": role, "name": "big", "policy": `{"Version":"2012-10-17","Statement":[` + strings.Repeat(" ", 10300) + `{}]}`})
	wantCode(t, err, "LimitExceeded", "Maximum policy size of 10240 bytes exceeded for role cluster-role")
	inline := mustCreate(t, a, typeRolePolicy, map[string]any{"role": role, "name": "small", "policy": `{"Version":"2012-10-17","Statement":[]}`})

	now := time.Now()
	wantCode(t, a.Delete(typeRole, role, now, 0), "DeleteConflict", "must detach all policies first")
	if err := a.Delete(typeRolePolicyAttach, attachment, now, 0); err != nil {
		t.Fatal(err)
	}
	wantCode(t, a.Delete(typeRole, role, now, 0), "DeleteConflict", "must delete policies first")
	if err := a.Delete(typeRolePolicy, inline, now, 0); err != nil {
		t.Fatal(err)
	}
	if err := a.Delete(typeRole, role, now, 0); err != nil {
		t.Errorf("the role is still blocked: %v", err)
	}

	mustCreate(t, a, typeOidcProvider, map[string]any{"url": "https://oidc.eks.eu-central-1.amazonaws.com/id/ABC"})
	_, err = a.Create(typeOidcProvider, map[string]any{"url": "https://oidc.eks.eu-central-1.amazonaws.com/id/ABC"})
	wantCode(t, err, "EntityAlreadyExists", "already exists")
}

// eksNet is newNet with a second zone's subnet, a cluster role and a node role.
func eksNet(t *testing.T) (*network, string) {
	n := newNet(t)
	v6 := n.a.Resources[n.vpc].Outputs["ipv6CidrBlock"].(string)
	second := mustCreate(t, n.a, typeSubnet, map[string]any{"vpcId": n.vpc, "cidrBlock": "192.168.32.0/19",
		"ipv6CidrBlock": strings.Replace(v6, "00::/56", "01::/64", 1), "availabilityZone": "eu-central-1b"})
	mustCreate(t, n.a, typeRole, map[string]any{"name": "cluster-role", "assumeRolePolicy": trust})
	mustCreate(t, n.a, typeRole, map[string]any{"name": "node-role", "assumeRolePolicy": trust})
	// What nodes need to join: the node role's policies, and a way out from both subnets.
	for _, policy := range []string{"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"} {
		mustCreate(t, n.a, typeRolePolicyAttach, map[string]any{"role": "node-role", "policyArn": "arn:aws:iam::aws:policy/" + policy})
	}
	mustCreate(t, n.a, typeRoute, map[string]any{"routeTableId": n.rt, "destinationCidrBlock": "0.0.0.0/0", "natGatewayId": n.nat})
	mustCreate(t, n.a, typeRouteAssociation, map[string]any{"subnetId": second, "routeTableId": n.rt})
	return n, second
}

// eksCluster creates a 1.35 cluster with the cluster role in two subnets, and returns its name.
func eksCluster(t *testing.T, a *Account, name string, subnets ...any) string {
	t.Helper()
	return mustCreate(t, a, typeCluster, map[string]any{"name": name, "version": "1.35", "roleArn": "arn:aws:iam::123456789012:role/cluster-role",
		"vpcConfig": map[string]any{"subnetIds": subnets}})
}

// nodeGroupIn is a node group of cluster in subnets: eksNet's node role, one t3.medium node. A test
// changes what it is about.
func nodeGroupIn(cluster, name string, subnets ...any) map[string]any {
	return map[string]any{"clusterName": cluster, "nodeGroupName": name, "nodeRoleArn": "arn:aws:iam::123456789012:role/node-role",
		"subnetIds": subnets, "instanceTypes": []any{"t3.medium"}, "scalingConfig": map[string]any{"minSize": 1.0, "desiredSize": 1.0, "maxSize": 1.0}}
}

func TestEksRules(t *testing.T) {
	n, second := eksNet(t)
	a := n.a
	clusterIn := func(subnets ...any) map[string]any {
		return map[string]any{"name": "chapter", "version": "1.35", "roleArn": "arn:aws:iam::123456789012:role/cluster-role",
			"vpcConfig": map[string]any{"subnetIds": subnets}, "kubernetesNetworkConfig": map[string]any{"ipFamily": "ipv6"},
			"accessConfig": map[string]any{"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": true}}
	}
	_, err := a.Create(typeCluster, clusterIn(n.subnet))
	wantCode(t, err, "InvalidParameterException", "Subnets specified must be in at least two different AZs")
	old := clusterIn(n.subnet, second)
	old["version"] = "1.29"
	_, err = a.Create(typeCluster, old)
	wantCode(t, err, "InvalidParameterException", "unsupported Kubernetes version 1.29")
	cluster := mustCreate(t, a, typeCluster, clusterIn(n.subnet, second))

	// Add-ons: versions EKS offers for 1.35 only; without a version, EKS's default for 1.35.
	_, err = a.Create(typeAddon, map[string]any{"clusterName": cluster, "addonName": "kube-proxy", "addonVersion": "v1.34.9-eksbuild.1"})
	wantCode(t, err, "InvalidParameterException", "Addon version specified is not supported")
	_, err = a.Create(typeAddon, map[string]any{"clusterName": cluster, "addonName": "vpc-cni", "addonVersion": "v1.20.1-eksbuild.3"})
	wantCode(t, err, "InvalidParameterException", "Addon version specified is not supported")
	mustCreate(t, a, typeAddon, map[string]any{"clusterName": cluster, "addonName": "kube-proxy", "addonVersion": "v1.35.6-eksbuild.1"})
	mustCreate(t, a, typeAddon, map[string]any{"clusterName": cluster, "addonName": "vpc-cni", "addonVersion": "v1.23.2-eksbuild.1",
		"configurationValues": `{"env":{"ENABLE_V4_EGRESS":"true"}}`})
	coredns := mustCreate(t, a, typeAddon, map[string]any{"clusterName": cluster, "addonName": "coredns"})
	if got := a.Resources[coredns].Outputs["addonVersion"]; got != "v1.14.3-eksbuild.11" {
		t.Errorf("coredns without a version got %v, want EKS's default for 1.35", got)
	}
	_, err = a.Create(typeAddon, map[string]any{"clusterName": "nope", "addonName": "kube-proxy"})
	wantCode(t, err, "ResourceNotFoundException", "No cluster found for name: nope.")

	// Access entries: the creator has one already.
	_, err = a.Create(typeAccessEntry, map[string]any{"clusterName": cluster, "principalArn": CallerArn})
	wantCode(t, err, "ResourceInUseException", "already in use on this cluster")
	mustCreate(t, a, typeAccessEntry, map[string]any{"clusterName": cluster, "principalArn": "arn:aws:iam::123456789012:role/node-role", "type": "EC2_LINUX"})
	_, err = a.Create(typeAccessAssociation, map[string]any{"clusterName": cluster, "principalArn": "arn:aws:iam::123456789012:role/node-role",
		"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"})
	wantCode(t, err, "InvalidParameterException", `type of "STANDARD"`)

	// Node groups: a launch template with an instance profile, or instance types twice, is refused.
	withProfile := mustCreate(t, a, typeLaunchTemplate, map[string]any{"name": "lt-profile", "iamInstanceProfile": map[string]any{"name": "x"}})
	plainLt := mustCreate(t, a, typeLaunchTemplate, map[string]any{"name": "lt", "instanceType": "t3.medium"})
	group := func(lt string, types ...any) map[string]any {
		return map[string]any{"clusterName": cluster, "nodeGroupName": "ng", "nodeRoleArn": "arn:aws:iam::123456789012:role/node-role",
			"subnetIds": []any{n.subnet, second}, "instanceTypes": types,
			"scalingConfig":  map[string]any{"minSize": 1.0, "desiredSize": 2.0, "maxSize": 2.0},
			"launchTemplate": map[string]any{"id": lt, "version": "1"}}
	}
	_, err = a.Create(typeNodeGroup, group(withProfile))
	wantCode(t, err, "InvalidParameterException", "should not specify an instance profile")
	_, err = a.Create(typeNodeGroup, group(plainLt, "t3.medium"))
	wantCode(t, err, "InvalidRequestException", "Cannot specify instance types in launch template and API request")
	ng := mustCreate(t, a, typeNodeGroup, group(plainLt))

	// A launch template naming the image takes AMI type CUSTOM, and CUSTOM takes an image. An update
	// that turns the image on keeps the group's old AMI type, which EKS then refuses: why the program
	// gives such a change a new node group.
	x86Image, _ := awsdata.AmiParameter("/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/image_id", "")
	imageLt := mustCreate(t, a, typeLaunchTemplate, map[string]any{"name": "lt-image", "imageId": x86Image})
	typed := group(imageLt)
	typed["nodeGroupName"], typed["amiType"] = "ng-typed", "AL2023_x86_64_STANDARD"
	_, err = a.Create(typeNodeGroup, typed)
	wantCode(t, err, "InvalidParameterException", "You cannot specify an AMI Type other than CUSTOM")
	custom := group(plainLt)
	custom["nodeGroupName"], custom["amiType"] = "ng-custom", "CUSTOM"
	_, err = a.Create(typeNodeGroup, custom)
	wantCode(t, err, "InvalidParameterException", "must specify an image id")
	standard := group(plainLt)
	standard["nodeGroupName"], standard["amiType"] = "ng-standard", "AL2023_x86_64_STANDARD"
	standardNg := mustCreate(t, a, typeNodeGroup, standard)
	toImage := group(imageLt)
	toImage["nodeGroupName"] = "ng-standard"
	_, err = a.Update(typeNodeGroup, standardNg, toImage)
	wantCode(t, err, "InvalidParameterException", "You cannot specify an AMI Type other than CUSTOM")
	if err := a.Delete(typeNodeGroup, standardNg, time.Now(), 0); err != nil {
		t.Fatal(err)
	}

	// Down: not the cluster while it has node groups, nor the VPC while EKS's security group is in it.
	now := time.Now()
	wantCode(t, a.Delete(typeCluster, cluster, now, 0), "ResourceInUseException", "Cluster has nodegroups attached")
	if err := a.Delete(typeNodeGroup, ng, now, 0); err != nil {
		t.Fatal(err)
	}
	sgs := a.live(typeSecurityGroup, func(r *Record) bool { return r.str("vpcId") == n.vpc })
	if len(sgs) != 1 {
		t.Fatalf("EKS's cluster security group: %v", a.Summary())
	}
	if err := a.Delete(typeCluster, cluster, now, 0); err != nil {
		t.Fatal(err)
	}
	if left := a.live(typeAddon, nil); len(left) != 0 || len(a.live(typeSecurityGroup, nil)) != 0 || len(a.live(typeAccessEntry, nil)) != 0 {
		t.Errorf("the cluster left %v", a.Summary())
	}
}

// UpdateClusterVersion moves one minor up at a time, once every managed node group runs the control
// plane's version; node groups follow with versions and release versions EKS accepts; the program's
// lookups read what the account holds.
func TestClusterVersionUpdatesAsEksDoes(t *testing.T) {
	n, second := eksNet(t)
	a := n.a
	clusterIn := func(version string) map[string]any {
		return map[string]any{"name": "chapter", "version": version, "roleArn": "arn:aws:iam::123456789012:role/cluster-role",
			"vpcConfig": map[string]any{"subnetIds": []any{n.subnet, second}}}
	}
	cluster := mustCreate(t, a, typeCluster, clusterIn("1.34"))
	standard := func(version, release string) map[string]any {
		g := nodeGroupIn(cluster, "ng", n.subnet, second)
		g["amiType"], g["version"], g["releaseVersion"] = "AL2023_x86_64_STANDARD", version, release
		return g
	}
	_, err := a.Create(typeNodeGroup, standard("1.35", "1.35.6-20260625"))
	wantCode(t, err, "InvalidParameterException", "Nodegroup version 1.35 is newer than the cluster's Kubernetes version 1.34")
	_, err = a.Create(typeNodeGroup, standard("1.34", "1.35.6-20260625"))
	wantCode(t, err, "InvalidParameterException", "Requested release version 1.35.6-20260625 is not valid for kubernetes version 1.34")
	ng := mustCreate(t, a, typeNodeGroup, standard("1.34", "1.34.9-20260625"))
	image, _ := awsdata.AmiParameter("/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/recommended/image_id", "")
	lt := mustCreate(t, a, typeLaunchTemplate, map[string]any{"name": "lt-image", "imageId": image})
	custom := nodeGroupIn(cluster, "ng-custom", n.subnet, second)
	custom["amiType"], custom["version"], custom["launchTemplate"] = "CUSTOM", "1.34", map[string]any{"id": lt, "version": "1"}
	_, err = a.Create(typeNodeGroup, custom)
	wantCode(t, err, "InvalidParameterException", "You cannot specify a kubernetes version to use when specifying an image id")
	delete(custom, "version")
	mustCreate(t, a, typeNodeGroup, custom)

	_, err = a.Update(typeCluster, cluster, clusterIn("1.36"))
	wantCode(t, err, "InvalidParameterException", "Unsupported Kubernetes minor version update from 1.34 to 1.36")
	_, err = a.Update(typeCluster, cluster, clusterIn("1.33"))
	wantCode(t, err, "InvalidParameterException", "Unsupported Kubernetes minor version update from 1.34 to 1.33")
	if _, err := a.Update(typeCluster, cluster, clusterIn("1.35")); err != nil {
		t.Fatalf("1.34 to 1.35 with every node group on 1.34: %v", err)
	}
	if v := a.Resources[cluster].Outputs["version"]; v != "1.35" {
		t.Errorf("after the update the cluster reports %v, want 1.35", v)
	}
	// The standard group is still on 1.34; the custom-AMI group holds no version EKS checks.
	_, err = a.Update(typeCluster, cluster, clusterIn("1.36"))
	wantCode(t, err, "InvalidParameterException", "Nodegroups ng must be updated to match cluster version 1.35 before updating cluster version")
	if _, err := a.Update(typeNodeGroup, ng, standard("1.35", "1.35.6-20260625")); err != nil {
		t.Fatalf("the node group to the control plane's 1.35: %v", err)
	}

	// What the program reads before it plans.
	clusters, _ := a.Answer("aws:eks/getClusters:getClusters", nil)
	groups, _ := a.Answer("aws:eks/getNodeGroups:getNodeGroups", map[string]any{"clusterName": cluster})
	described, _ := a.Answer("aws:eks/getNodeGroup:getNodeGroup", map[string]any{"clusterName": cluster, "nodeGroupName": "ng"})
	if fmt.Sprintf("%v %v %v %v %v", clusters["names"], groups["names"], described["version"], described["releaseVersion"], described["amiType"]) !=
		"[chapter] [ng ng-custom] 1.35 1.35.6-20260625 AL2023_x86_64_STANDARD" {
		t.Errorf("the lookups answer %v, %v, %v", clusters, groups, described)
	}
	_, err = a.Answer("aws:eks/getNodeGroup:getNodeGroup", map[string]any{"clusterName": cluster, "nodeGroupName": "nope"})
	wantCode(t, err, "ResourceNotFoundException", "No node group found for name: nope.")
	_, err = a.Answer("aws:eks/getNodeGroups:getNodeGroups", map[string]any{"clusterName": "nope"})
	wantCode(t, err, "ResourceNotFoundException", "No cluster found for name: nope.")

	if _, err := a.Update(typeCluster, cluster, clusterIn("1.36")); err != nil {
		t.Fatalf("1.35 to 1.36 with the node group on 1.35: %v", err)
	}
}

func TestLongestPathIsTheCriticalPath(t *testing.T) {
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	took := map[string]time.Duration{
		"vpc": sec(2), "subnet": sec(2), "igw": sec(3), "nat": sec(90), "role": sec(1), "cluster": sec(720), "nodegroup": sec(120),
	}
	deps := map[string][]string{
		"subnet": {"vpc"}, "igw": {"vpc"}, "nat": {"subnet", "igw"}, "cluster": {"subnet", "role", "component"},
		"component": {"role"}, "nodegroup": {"cluster"},
	}
	total, path := LongestPath(took, deps)
	if total != sec(844) || strings.Join(path, " ") != "vpc subnet cluster nodegroup" {
		t.Errorf("critical path %v, %v", total, path)
	}
	if total, path := LongestPath(nil, nil); total != 0 || path != nil {
		t.Errorf("empty run: %v %v", total, path)
	}
}

func TestTheEndpointAnswersOnlyADeployerItsAccessAllows(t *testing.T) {
	a := NewAccount("eu-central-1")
	a.ApiServer = ApiServer{Endpoint: "https://127.0.0.1:6443", Deployer: "198.51.100.7"}
	for _, tc := range []struct {
		name      string
		vpcConfig map[string]any
		reaches   bool
	}{
		{"pulumi-aws's defaults: public, from anywhere", map[string]any{}, true},
		{"public, the deployer's /32", map[string]any{"endpointPublicAccess": true, "publicAccessCidrs": []any{"198.51.100.7/32"}}, true},
		{"public, another address", map[string]any{"endpointPublicAccess": true, "publicAccessCidrs": []any{"203.0.113.9/32"}}, false},
		{"private only", map[string]any{"endpointPublicAccess": false, "endpointPrivateAccess": true}, false},
	} {
		if got := a.deployerReaches(tc.vpcConfig); got != tc.reaches {
			t.Errorf("%s: reaches %v, want %v", tc.name, got, tc.reaches)
		}
	}
}

func TestNodesAreWhatEksWouldRegister(t *testing.T) {
	n, second := eksNet(t)
	a := n.a
	cluster := mustCreate(t, a, typeCluster, map[string]any{"name": "chapter", "version": "1.35", "roleArn": "cluster-role",
		"vpcConfig": map[string]any{"subnetIds": []any{n.subnet, second}}, "kubernetesNetworkConfig": map[string]any{"ipFamily": "ipv6"}})
	prefixMode := base64.StdEncoding.EncodeToString([]byte("kubelet:\n  config:\n    maxPods: 110\n# eks-advanced-networking/multus\n"))
	lt := mustCreate(t, a, typeLaunchTemplate, map[string]any{"name": "multus", "userData": prefixMode})
	ng, err := a.Create(typeNodeGroup, map[string]any{"clusterName": cluster, "nodeGroupName": "multus-a", "nodeRoleArn": "node-role",
		"subnetIds": []any{n.subnet, second}, "instanceTypes": []any{"t3.medium"}, "labels": map[string]any{"role": "multus"},
		"taints":         []any{map[string]any{"key": "dedicated", "value": "multus", "effect": "NO_SCHEDULE"}},
		"scalingConfig":  map[string]any{"minSize": 1.0, "desiredSize": 3.0, "maxSize": 3.0},
		"launchTemplate": map[string]any{"id": lt, "version": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	nodes := a.NodesFor(ng)
	if len(nodes) != 3 {
		t.Fatalf("%d nodes", len(nodes))
	}
	zones := map[string]int{}
	for _, node := range nodes {
		l := node.Labels
		zones[l["topology.kubernetes.io/zone"]]++
		// The Multus label is the boot unit's to set once the ENI is attached, not EKS's.
		if l["eks.amazonaws.com/nodegroup"] != "multus-a" || l["role"] != "multus" || l["eks-advanced-networking/multus"] != "" || l["kubernetes.io/os"] != "linux" {
			t.Errorf("labels %v", l)
		}
		if len(node.Spec.Taints) != 1 || node.Spec.Taints[0].Effect != "NoSchedule" {
			t.Errorf("taints %v", node.Spec.Taints)
		}
		if pods := node.Status.Capacity.Pods().Value(); pods != 110 {
			t.Errorf("pods %d, want the user data's 110", pods)
		}
		if addr := node.Status.Addresses[0].Address; !strings.Contains(addr, ":") {
			t.Errorf("an IPv6 cluster's node has InternalIP %s", addr)
		}
	}
	if zones["eu-central-1a"] != 2 || zones["eu-central-1b"] != 1 {
		t.Errorf("zones %v", zones)
	}
	expression := base64.StdEncoding.EncodeToString([]byte("kubelet:\n  maxPodsExpression: \"12\"\n"))
	if got, _ := MaxPods("t3.medium", expression); got != 12 {
		t.Errorf("max pods %d from maxPodsExpression 12", got)
	}
	// The VPC CNI's eni-max-pods.txt has t3.medium 17 and m5.large 29.
	for instanceType, want := range map[string]int{"t3.medium": 17, "m5.large": 29} {
		if got, err := MaxPods(instanceType, ""); got != want || err != nil {
			t.Errorf("max pods of %s: %d, %v; want %d", instanceType, got, err, want)
		}
	}
	_, err = MaxPods("x9.huge", "")
	wantCode(t, err, "InvalidInstanceType", "The following supplied instance types do not exist: [x9.huge]")
}

func TestAnAttachedEniCannotBeDeleted(t *testing.T) {
	n := newNet(t)
	a, now := n.a, time.Now()
	eni := mustCreate(t, a, typeNetworkInterface, map[string]any{"subnetId": n.subnet,
		"tags": map[string]any{"multus": "true", "Zone": "eu-central-1a", "cluster": "chapter"}})
	attachment := mustCreate(t, a, typeEniAttachment, map[string]any{"instanceId": "i-1", "networkInterfaceId": eni, "deviceIndex": 1.0})
	_, err := a.Create(typeEniAttachment, map[string]any{"instanceId": "i-2", "networkInterfaceId": eni, "deviceIndex": 1.0})
	wantCode(t, err, "InvalidNetworkInterface.InUse", eni)
	// A second ENI for the same instance outside the account: not at the index the first holds.
	second := mustCreate(t, a, typeNetworkInterface, map[string]any{"subnetId": n.subnet})
	_, err = a.Create(typeEniAttachment, map[string]any{"instanceId": "i-1", "networkInterfaceId": second, "deviceIndex": 1.0})
	wantCode(t, err, "InvalidParameterValue", "Instance 'i-1' already has an interface attached at device index '1'.")
	mustCreate(t, a, typeEniAttachment, map[string]any{"instanceId": "i-1", "networkInterfaceId": second, "deviceIndex": 2.0})
	wantCode(t, a.Delete(typeNetworkInterface, eni, now, 0), "InvalidParameterValue", "is currently in use")
	if err := a.Delete(typeEniAttachment, attachment, now, 0); err != nil {
		t.Fatal(err)
	}
}

// A cluster with logging on and no log group of its own gets one from EKS, with no retention, which
// outlives the cluster; a group created first is used instead. Retentions CloudWatch does not offer,
// and a second group of the same name, are refused.
func TestControlPlaneLogGroup(t *testing.T) {
	n, second := eksNet(t)
	a := n.a
	clusterIn := func(name string) map[string]any {
		return map[string]any{"name": name, "version": "1.35", "roleArn": "arn:aws:iam::123456789012:role/cluster-role",
			"vpcConfig": map[string]any{"subnetIds": []any{n.subnet, second}}, "enabledClusterLogTypes": []any{"api"}}
	}
	_, err := a.Create(typeLogGroup, map[string]any{"name": "/aws/eks/ours/cluster", "retentionInDays": 45.0})
	wantCode(t, err, "InvalidParameterException", "retentionInDays")
	ours := mustCreate(t, a, typeLogGroup, map[string]any{"name": "/aws/eks/ours/cluster", "retentionInDays": 90.0})
	_, err = a.Create(typeLogGroup, map[string]any{"name": "/aws/eks/ours/cluster"})
	wantCode(t, err, "ResourceAlreadyExistsException", "already exists")

	now := time.Now()
	for _, name := range []string{"ours", "eks-made"} {
		cluster := mustCreate(t, a, typeCluster, clusterIn(name))
		if err := a.Delete(typeCluster, cluster, now, 0); err != nil {
			t.Fatal(err)
		}
	}
	groups := a.live(typeLogGroup, nil)
	if len(groups) != 2 {
		t.Fatalf("log groups %v, want ours and the one EKS made", a.Summary())
	}
	if err := a.Delete(typeLogGroup, ours, now, 0); err != nil {
		t.Fatal(err)
	}
	left := a.live(typeLogGroup, nil)
	if len(left) != 1 || left[0].ID != "/aws/eks/eks-made/cluster" || left[0].Inputs["retentionInDays"] != nil {
		t.Errorf("after both clusters and our group: %v, want EKS's group for eks-made, with no retention", a.Summary())
	}
}

// EKS's network interfaces for a cluster, and the node group's instances' own, keep their subnets
// and security groups in use until the cluster's or the group's delete has completed: a destroy
// that deletes the network any earlier is refused, as on AWS.
func TestAwsOwnedInterfacesHoldTheNetworkUntilTheirOwnerIsGone(t *testing.T) {
	now := time.Now()
	n, second := eksNet(t)
	a := n.a
	sg := mustCreate(t, a, typeSecurityGroup, map[string]any{"vpcId": n.vpc, "name": "control-plane", "description": "x"})
	cluster := mustCreate(t, a, typeCluster, map[string]any{"name": "chapter", "version": "1.35",
		"roleArn":   "arn:aws:iam::123456789012:role/cluster-role",
		"vpcConfig": map[string]any{"subnetIds": []any{second, n.subnet}, "securityGroupIds": []any{sg}}})
	var owned []*Record
	for _, r := range a.ownedBy(cluster) {
		if r.Type == typeNetworkInterface {
			owned = append(owned, r)
		}
	}
	if len(owned) != 2 || owned[0].str("subnetId") != second || !containsString(owned[0].Inputs["securityGroups"], sg) {
		t.Fatalf("EKS's interfaces: %+v", owned)
	}
	wantCode(t, a.Delete(typeSubnet, second, now, 0), "DependencyViolation", "NetworkInterface")
	wantCode(t, a.Delete(typeSecurityGroup, sg, now, 0), "DependencyViolation", "NetworkInterface")

	// Deleting takes ten minutes; until then the interfaces stay, and so does the refusal.
	if err := a.Delete(typeCluster, cluster, now, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	a.Settle(now.Add(9 * time.Minute))
	wantCode(t, a.Delete(typeSubnet, second, now.Add(9*time.Minute), 0), "DependencyViolation", "NetworkInterface")
	a.Settle(now.Add(10 * time.Minute))
	if left := a.ownedBy(cluster); len(left) != 0 {
		t.Errorf("EKS's interfaces outlive the cluster: %+v", left)
	}
	if err := a.Delete(typeSecurityGroup, sg, now.Add(10*time.Minute), 0); err != nil {
		t.Errorf("the group is still held: %v", err)
	}
}

func TestNodeGroupInterfacesFollowItsSize(t *testing.T) {
	n, second := eksNet(t)
	a := n.a
	cluster := mustCreate(t, a, typeCluster, map[string]any{"name": "chapter", "version": "1.35",
		"roleArn": "arn:aws:iam::123456789012:role/cluster-role", "vpcConfig": map[string]any{"subnetIds": []any{second, n.subnet}}})
	mustCreate(t, a, typeAccessEntry, map[string]any{"clusterName": cluster, "principalArn": "arn:aws:iam::123456789012:role/node-role", "type": "EC2_LINUX"})
	in := map[string]any{"clusterName": cluster, "nodeGroupName": "ng", "nodeRoleArn": "arn:aws:iam::123456789012:role/node-role",
		"subnetIds": []any{n.subnet}, "instanceTypes": []any{"t3.medium"}, "amiType": "AL2023_x86_64_STANDARD",
		"scalingConfig": map[string]any{"minSize": 1.0, "desiredSize": 2.0, "maxSize": 3.0}}
	group := mustCreate(t, a, typeNodeGroup, in)
	if got := len(a.ownedBy(group)); got != 2 {
		t.Fatalf("%d node interfaces for 2 nodes", got)
	}
	in["scalingConfig"] = map[string]any{"minSize": 1.0, "desiredSize": 3.0, "maxSize": 3.0}
	if _, err := a.Update(typeNodeGroup, group, in); err != nil {
		t.Fatal(err)
	}
	if got := len(a.ownedBy(group)); got != 3 {
		t.Errorf("%d node interfaces for 3 nodes", got)
	}
}

// The load balancer controller's NLB lives in the subnets its scheme's role tag names, with a
// security group and an ELB interface per subnet; until the controller deletes it, the subnet and
// the VPC stay in use.
func TestAServicesLoadBalancerHoldsTheNetwork(t *testing.T) {
	n := newNet(t)
	a := n.a
	if _, err := a.AddServiceLoadBalancer("demo/web", "internet-facing"); err == nil || err.Code != "SubnetNotFound" {
		t.Fatalf("no subnet tagged for it, and still %v", err)
	}
	public := mustCreate(t, a, typeSubnet, map[string]any{"vpcId": n.vpc, "cidrBlock": "192.168.64.0/19", "availabilityZone": "eu-central-1b",
		"tags": map[string]any{"kubernetes.io/role/elb": "1"}})
	lb, err := a.AddServiceLoadBalancer("demo/web", "internet-facing")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := a.AddServiceLoadBalancer("demo/web", "internet-facing"); again.ID != lb.ID {
		t.Errorf("a second load balancer for one Service")
	}
	owned := a.ownedBy(lb.ID)
	if len(owned) != 2 || !slices.Equal(a.ServiceLoadBalancers(), []string{"demo/web"}) {
		t.Fatalf("the load balancer's security group and interface: %+v", owned)
	}
	now := time.Now()
	wantCode(t, a.Delete(typeSubnet, public, now, 0), "DependencyViolation", "NetworkInterface")
	a.RemoveServiceLoadBalancer("demo/web")
	if len(a.live(TypeLoadBalancer, nil)) != 0 || len(a.ownedBy(lb.ID)) != 0 {
		t.Errorf("left %v", a.Summary())
	}
	if err := a.Delete(typeSubnet, public, now, 0); err != nil {
		t.Errorf("the subnet is still held: %v", err)
	}
}

// A node group whose nodes cannot join fails as EKS reports it: a node role without the worker or
// ECR policy, a subnet with no way out, or user data nodeadm refuses on a group whose launch
// template names the AMI (EKS then adds nothing to it).
func TestNodesThatCannotJoinFailTheirGroup(t *testing.T) {
	n, second := eksNet(t)
	a := n.a
	cluster := eksCluster(t, a, "join", n.subnet, second)
	mustCreate(t, a, typeRole, map[string]any{"name": "bare-role", "assumeRolePolicy": trust})
	mustCreate(t, a, typeRolePolicyAttach, map[string]any{"role": "bare-role", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"})
	v6 := a.Resources[n.vpc].Outputs["ipv6CidrBlock"].(string)
	isolated := mustCreate(t, a, typeSubnet, map[string]any{"vpcId": n.vpc, "cidrBlock": "192.168.64.0/19",
		"ipv6CidrBlock": strings.Replace(v6, "00::/56", "02::/64", 1), "availabilityZone": "eu-central-1c"})
	group := func(name, role string, subnets ...any) map[string]any {
		in := nodeGroupIn(cluster, name, subnets...)
		in["nodeRoleArn"], in["amiType"] = "arn:aws:iam::123456789012:role/"+role, "AL2023_x86_64_STANDARD"
		return in
	}
	// EKS takes each group; its nodes try to join at the end of its create (Provider.finishCreate).
	joins := func(in map[string]any) *Error {
		t.Helper()
		return a.checkNodesCanJoin(a.Resources[mustCreate(t, a, typeNodeGroup, in)])
	}
	wantCode(t, joins(group("no-ecr", "bare-role", n.subnet)), "NodeCreationFailure", "has none of [AmazonEC2ContainerRegistryReadOnly AmazonEC2ContainerRegistryPullOnly] attached")
	wantCode(t, joins(group("isolated", "node-role", n.subnet, isolated)), "NodeCreationFailure", "subnet "+isolated+" has no route to the internet")
	// NAT64 alone is no way out, nor is a default route to a NAT gateway still being created.
	nat64Only := mustCreate(t, a, typeRouteTable, map[string]any{"vpcId": n.vpc})
	mustCreate(t, a, typeRouteAssociation, map[string]any{"subnetId": isolated, "routeTableId": nat64Only})
	mustCreate(t, a, typeRoute, map[string]any{"routeTableId": nat64Only, "destinationIpv6CidrBlock": "64:ff9b::/96", "natGatewayId": n.nat})
	wantCode(t, joins(group("nat64-only", "node-role", isolated)), "NodeCreationFailure", "subnet "+isolated+" has no route to the internet")
	mustCreate(t, a, typeRoute, map[string]any{"routeTableId": nat64Only, "destinationCidrBlock": "0.0.0.0/0", "natGatewayId": n.nat})
	until := time.Now().Add(time.Minute)
	a.Resources[n.nat].CreatingUntil = &until
	wantCode(t, joins(group("nat-pending", "node-role", isolated)), "NodeCreationFailure", "subnet "+isolated+" has no route to the internet")
	a.Resources[n.nat].CreatingUntil = nil
	if err := joins(group("joins", "node-role", n.subnet, second)); err != nil {
		t.Errorf("a group whose nodes can join: %v", err)
	}

	image, _ := awsdata.AmiParameter("/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/image_id", "")
	a.checkUserData = func(userData string) error {
		if !strings.Contains(decodedUserData(userData), "kind: NodeConfig") {
			return errors.New("no NodeConfig")
		}
		return nil
	}
	for _, tc := range []struct {
		userData string
		refused  bool
	}{{"#!/bin/bash\necho not a NodeConfig\n", true}, {"apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\n", false}} {
		lt := mustCreate(t, a, typeLaunchTemplate, map[string]any{"name": fmt.Sprintf("lt-%t", tc.refused), "imageId": image,
			"instanceType": "t3.medium", "userData": base64.StdEncoding.EncodeToString([]byte(tc.userData))})
		custom := group(fmt.Sprintf("custom-%t", tc.refused), "node-role", n.subnet)
		delete(custom, "instanceTypes")
		custom["amiType"], custom["launchTemplate"] = "CUSTOM", map[string]any{"id": lt, "version": "1"}
		err := joins(custom)
		if tc.refused {
			wantCode(t, err, "NodeCreationFailure", "nodeadm refuses the launch template's user data: no NodeConfig")
		} else if err != nil {
			t.Errorf("a NodeConfig nodeadm accepts: %v", err)
		}
	}
}

// CoreDNS as a managed add-on needs a node it may run on: a finished node group of its cluster with
// nodes and no taint it does not tolerate. Without one, EKS reports it DEGRADED.
func TestCorednsNeedsANodeToRunOn(t *testing.T) {
	n, second := eksNet(t)
	a := n.a
	cluster := eksCluster(t, a, "dns", n.subnet, second)
	coredns := a.Resources[mustCreate(t, a, typeAddon, map[string]any{"clusterName": cluster, "addonName": "coredns"})]
	wantCode(t, a.checkAddonHealthy(coredns), "InsufficientNumberOfReplicas", "unexpected state 'DEGRADED'")
	group := func(name string, desired float64, taints ...any) *Record {
		in := nodeGroupIn(cluster, name, n.subnet)
		in["taints"], in["scalingConfig"] = taints, map[string]any{"minSize": 0.0, "desiredSize": desired, "maxSize": 1.0}
		return a.Resources[mustCreate(t, a, typeNodeGroup, in)]
	}
	group("multus", 1, map[string]any{"key": "multus", "value": "true", "effect": "NO_SCHEDULE"})
	group("empty", 0)
	creating := group("creating", 1)
	until := time.Now().Add(time.Minute)
	creating.CreatingUntil = &until
	wantCode(t, a.checkAddonHealthy(coredns), "InsufficientNumberOfReplicas", "no node CoreDNS can run on")
	group("critical", 1, map[string]any{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"})
	if err := a.checkAddonHealthy(coredns); err != nil {
		t.Errorf("a node group CoreDNS tolerates: %v", err)
	}
}

// What kubelet leaves allocatable after nodeadm's reservations. The kubeReserved memory, 442Mi for
// 17 pods and 1465Mi for 110, is what the real nodeadm computes in e2e's
// TestNodeadmReservesMemoryForOurMaxPods; the CPU is getCPUMillicoresToReserve's ranges worked by
// hand; 100Mi more is the hard eviction threshold.
func TestNodeResourcesAfterNodeadmsReservations(t *testing.T) {
	for _, tc := range []struct {
		instanceType      string
		pods              int
		cpu, memory       string // capacity
		allocCPU, allocMe string
	}{
		{"t3.medium", 17, "2", "4Gi", "1930m", "3554Mi"},       // 60m + 10m; 4096 - 442 - 100
		{"m5.4xlarge", 110, "16", "64Gi", "15890m", "63971Mi"}, // 60 + 10 + 10 + 12 cores × 2.5m; 65536 - 1465 - 100
	} {
		instance, ok := awsdata.Instance(tc.instanceType)
		if !ok {
			t.Fatalf("%s is not in the data", tc.instanceType)
		}
		capacity, allocatable := nodeResources(instance, tc.pods)
		for name, pair := range map[string][2]string{
			"cpu":                {capacity.Cpu().String(), tc.cpu},
			"memory":             {capacity.Memory().String(), tc.memory},
			"allocatable cpu":    {allocatable.Cpu().String(), tc.allocCPU},
			"allocatable memory": {allocatable.Memory().String(), tc.allocMe},
			"pods":               {allocatable.Pods().String(), fmt.Sprint(tc.pods)},
		} {
			if pair[0] != pair[1] {
				t.Errorf("%s with %d pods: %s %s, want %s", tc.instanceType, tc.pods, name, pair[0], pair[1])
			}
		}
	}
}
