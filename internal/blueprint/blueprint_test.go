package blueprint

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"eks-advanced-networking/internal/config"
)

func raw(kv ...string) map[string]string {
	m := map[string]string{config.RegionKey: "eu-central-1"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[config.Project+":"+kv[i]] = kv[i+1]
	}
	return m
}

// today pins the date, since which Kubernetes versions EKS creates depends on it.
var today = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// derive is what the program does with a stack's configuration before any resource registers:
// decode and check it, then derive its blueprint.
func derive(raw map[string]string) (*config.Config, *Blueprint, error) {
	c, err := config.DecodeOn(raw, today)
	if err != nil {
		return nil, nil, err
	}
	b, err := New(c)
	return c, b, err
}

func TestIpv4EgressDrivesPrivateDns64(t *testing.T) {
	for mode, want := range map[config.Ipv4Egress]bool{
		config.Ipv4EgressNodeSnat: false, config.Ipv4EgressNat64: true, config.Ipv4EgressBoth: true, config.Ipv4EgressNone: false,
	} {
		_, b, err := derive(raw("ipv4Egress", string(mode)))
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if got := b.vpc.Input.PrivateDns64; got != want {
			t.Errorf("ipv4Egress %s: private DNS64 = %v, want %v", mode, got, want)
		}
	}
}

// Each bad configuration is refused before any resource exists, and the message names the key, the
// value and what would be valid.
func TestBadConfigurations(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config map[string]string
		says   []string
	}{
		{"unknown key", raw("vpcCdir", "10.0.0.0/16"), []string{"unknown config key eks-advanced-networking:vpcCdir", "vpcCidr"}},
		{"foreign namespace", map[string]string{config.RegionKey: "eu-central-1", "ekss:scenario": "ipv6"}, []string{"ekss:scenario", "namespace"}},
		{"unknown scenario", raw("scenario", "ipv5"), []string{"eks-advanced-networking:scenario", `"ipv5"`, "ipv6, ipv4-calico"}},
		{"image with a scheme", raw("busyboxImage", "https://public.ecr.aws/docker/library/busybox"), []string{"eks-advanced-networking:busyboxImage", `"https://public.ecr.aws/docker/library/busybox"`, "[registry/]name[:tag][@sha256:digest]"}},
		{"image with a short digest", raw("busyboxImage", "busybox@sha256:abc"), []string{"eks-advanced-networking:busyboxImage", "not an image reference"}},
		{"empty image", raw("busyboxImage", ""), []string{"eks-advanced-networking:busyboxImage", "empty"}},
		{"bad CIDR", raw("vpcCidr", "192.168.0.0/33"), []string{"eks-advanced-networking:vpcCidr", "not a CIDR"}},
		{"IPv6 VPC CIDR", raw("vpcCidr", "fd00::/56"), []string{"eks-advanced-networking:vpcCidr", "not an IPv4"}},
		{"host bits set", raw("vpcCidr", "192.168.4.0/16"), []string{"eks-advanced-networking:vpcCidr", "did you mean 192.168.0.0/16"}},
		{"VPC too small for six /19s", raw("vpcCidr", "192.168.0.0/17"), []string{"eks-advanced-networking:vpcCidr", "holds 4 subnets of /19", "need 6", "or subnetPrefixLength 20"}},
		{"VPC too large", raw("vpcCidr", "10.0.0.0/12"), []string{"eks-advanced-networking:vpcCidr", "/16 to /28"}},
		{"public VPC range", raw("vpcCidr", "52.0.0.0/16"), []string{"eks-advanced-networking:vpcCidr", "private range"}},
		{"zero AZs", raw("availabilityZoneCount", "0"), []string{"eks-advanced-networking:availabilityZoneCount", `"0"`, "2 to 6"}},
		{"seven AZs", raw("availabilityZoneCount", "7"), []string{"eks-advanced-networking:availabilityZoneCount", `"7"`, "2 to 6"}},
		{"AZ count not a number", raw("availabilityZoneCount", "three"), []string{"eks-advanced-networking:availabilityZoneCount", "not an integer"}},
		{"AZ outside the region", raw("availabilityZones", `["us-east-1a","us-east-1b"]`), []string{"eks-advanced-networking:availabilityZones", "not in region eu-central-1"}},
		{"one AZ", raw("availabilityZones", `["eu-central-1a"]`), []string{"eks-advanced-networking:availabilityZones", "at least 2"}},
		{"AZ listed twice", raw("availabilityZones", `["eu-central-1a","eu-central-1a"]`), []string{"availabilityZones", "listed twice"}},
		{"AZs not a list", raw("availabilityZones", "eu-central-1a"), []string{"eks-advanced-networking:availabilityZones", "not a list"}},
		{"unknown NAT mode", raw("natGateways", "many"), []string{"eks-advanced-networking:natGateways", `"many"`, "single, per-az, none"}},
		{"unknown egress mode", raw("ipv4Egress", "nat46"), []string{"eks-advanced-networking:ipv4Egress", `"nat46"`, "node-snat, nat64, both, none"}},
		{"DNS64 without IPv6", raw("publicSubnetsDns64", "true", "vpcIpv6", "false", "scenario", "ipv4-calico"), []string{"eks-advanced-networking:publicSubnetsDns64", "vpcIpv6"}},
		{"ipv6 scenario without IPv6 VPC", raw("vpcIpv6", "false"), []string{"eks-advanced-networking:vpcIpv6", "scenario ipv6 has an IPv6 cluster"}},
		{"NAT64 on an IPv4 scenario", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "ipv4Egress", "nat64"), []string{"eks-advanced-networking:ipv4Egress", "only an IPv6 cluster", "scenario ipv4-calico"}},
		{"boolean typo", raw("vpcIpv6", "yes please"), []string{"eks-advanced-networking:vpcIpv6", "true or false"}},
		{"subnet prefix too long", raw("subnetPrefixLength", "29"), []string{"eks-advanced-networking:subnetPrefixLength", `"29"`, "/28"}},
		{"missing region", map[string]string{}, []string{"aws:region", "not set"}},
		{"bad region", map[string]string{config.RegionKey: "Frankfurt"}, []string{"aws:region", "Frankfurt", "eu-central-1"}},
		{"AWS key the provider would ignore", map[string]string{config.RegionKey: "eu-central-1", "aws:skipCredentialsValidation": "true"}, []string{"aws:skipCredentialsValidation", "aws:region"}},
		{"cluster version EKS cannot create", raw("kubernetesVersion", "1.21"), []string{"eks-advanced-networking:kubernetesVersion", `"1.21"`, "does not create clusters of this version", "1.35", "1.32 (extended support only, paid)"}},
		{"version YAML made a number", raw("kubernetesVersion", "1.3"), []string{"eks-advanced-networking:kubernetesVersion", `"1.3"`, "quote the version"}},
		{"not a version", raw("kubernetesVersion", "v1.35"), []string{"eks-advanced-networking:kubernetesVersion", "not a Kubernetes version; versions look like 1.35"}},
		{"service IPv4 CIDR on IPv6", raw("serviceIpv4Cidr", "10.100.0.0/16"), []string{"eks-advanced-networking:serviceIpv4Cidr", "IPv6 cluster"}},
		{"bad service CIDR on IPv4", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "serviceIpv4Cidr", "10.100.0.0/8"), []string{"eks-advanced-networking:serviceIpv4Cidr", "/12 to /24"}},
		{"bad instance type", raw("nodeInstanceType", "t3-medium"), []string{"eks-advanced-networking:nodeInstanceType", `"t3-medium"`, "t3.medium"}},
		{"instance type typo", raw("nodeInstanceType", "t3.mediun"), []string{"eks-advanced-networking:nodeInstanceType", `"t3.mediun"`, "EC2 has no instance type t3.mediun; did you mean t3.medium?"}},
		{"region that does not exist", map[string]string{config.RegionKey: "eu-centrall-1"}, []string{"aws:region", "AWS has no region eu-centrall-1; did you mean eu-central-1?"}},
		{"no nodes ever", raw("nodeMinSize", "0", "nodeDesiredSize", "0", "nodeMaxSize", "0"), []string{"eks-advanced-networking:nodeMaxSize", `"0"`, "at least 1"}},
		{"negative minimum", raw("nodeMinSize", "-1"), []string{"eks-advanced-networking:nodeMinSize", `"-1"`, "0 or more"}},
		{"desired above max", raw("nodeDesiredSize", "3"), []string{"eks-advanced-networking:nodeDesiredSize", `"3"`, "nodeMaxSize (2)"}},
		{"max below min", raw("nodeMinSize", "3", "nodeDesiredSize", "3"), []string{"eks-advanced-networking:nodeMaxSize", "nodeMinSize (3)"}},
		{"vpc-cni without IPv6", raw("vpcCniVersion", "v1.9.3-eksbuild.1"), []string{"eks-advanced-networking:vpcCniVersion", "v1.10.1"}},
		{"vpc-cni without v4 egress", raw("vpcCniVersion", "v1.12.6-eksbuild.2"), []string{"eks-advanced-networking:vpcCniVersion", "ENABLE_V4_EGRESS", "v1.15.1"}},
		{"add-on version typo", raw("corednsVersion", "1.11"), []string{"eks-advanced-networking:corednsVersion", "v1.22.1-eksbuild.2"}},
		{"coredns version EKS does not offer", raw("corednsVersion", "v1.100.0-eksbuild.1"), []string{"eks-advanced-networking:corednsVersion", "EKS offers coredns v1.13 to v1.14.x for Kubernetes 1.35"}},
		{"kube-proxy of another Kubernetes version", raw("kubeProxyVersion", "v1.34.6-eksbuild.2"), []string{"eks-advanced-networking:kubeProxyVersion", "v1.35.x-eksbuild.N"}},
		{"vpc-cni without ipvlan under Multus", raw("scenario", "ipv4-multus", "vpcIpv6", "false", "multus", "true", "vpcCniVersion", "v1.20.3-eksbuild.1"),
			[]string{"eks-advanced-networking:vpcCniVersion", "no ipvlan binary", "v1.20.4"}},
		{"Multus image from a region without a recorded registry", map[string]string{config.RegionKey: "xx-east-9", config.Project + ":scenario": "ipv4-multus", config.Project + ":vpcIpv6": "false", config.Project + ":multus": "true",
			config.Project + ":endpointPublicAccessCidrs": `["198.51.100.7/32"]`}, []string{"eks-advanced-networking:multusImage", "no EKS image registry recorded for region \"xx-east-9\""}},
		{"unknown log type", raw("clusterLogTypes", `["api","kubelet"]`), []string{"eks-advanced-networking:clusterLogTypes", `"kubelet"`, "controllerManager"}},
		{"IPv6 endpoint CIDR on an IPv4 cluster", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "endpointPublicAccessCidrs", `["2600:1f18::/32"]`), []string{"eks-advanced-networking:endpointPublicAccessCidrs", `"2600:1f18::/32"`, "IPv4 only"}},
		{"private block on the public endpoint", raw("endpointPublicAccessCidrs", `["10.0.0.0/8"]`), []string{"eks-advanced-networking:endpointPublicAccessCidrs", `"10.0.0.0/8"`, "not a public address block", "endpointPrivateAccessCidrs"}},
		{"shared address space on the public endpoint", raw("endpointPublicAccessCidrs", `["100.64.1.0/24"]`), []string{"eks-advanced-networking:endpointPublicAccessCidrs", "100.64.0.0/10"}},
		{"more public blocks than EKS takes", raw("endpointPublicAccessCidrs", fortyOneBlocks()), []string{"eks-advanced-networking:endpointPublicAccessCidrs", "41 blocks", "at most 40"}},
		{"endpoint CIDR with host bits", raw("endpointPublicAccessCidrs", `["198.51.100.7/24"]`), []string{"eks-advanced-networking:endpointPublicAccessCidrs", "did you mean 198.51.100.0/24"}},
		{"private endpoint open to all", raw("endpointPrivateAccessCidrs", `["0.0.0.0/0"]`), []string{"eks-advanced-networking:endpointPrivateAccessCidrs", "not the whole address space"}},
		{"Kubernetes layer the deployer cannot reach", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "policyEngine", "calico", "demoApps", "true"),
			[]string{"eks-advanced-networking:endpointPublicAccessCidrs", "installs Calico and the policy demo through", "private", "checkip.amazonaws.com", "eks-advanced-networking:endpointPrivateAccessCidrs"}},
		{"admin given as a session", raw("clusterAdminArns", `["arn:aws:sts::123456789012:assumed-role/platform-admins/jane"]`),
			[]string{"eks-advanced-networking:clusterAdminArns", "arn:aws:iam::123456789012:role/platform-admins"}},
		{"admin not an ARN", raw("clusterAdminArns", `["platform-admins"]`), []string{"eks-advanced-networking:clusterAdminArns", `"platform-admins"`, "arn:aws:iam::123456789012:role/"}},
		{"admin in another partition", raw("clusterAdminArns", `["arn:aws-cn:iam::123456789012:role/admins"]`), []string{"eks-advanced-networking:clusterAdminArns", "partition aws"}},
		{"admin listed twice", raw("clusterAdminArns", `["arn:aws:iam::123456789012:user/jane","arn:aws:iam::123456789012:user/jane"]`), []string{"eks-advanced-networking:clusterAdminArns", "listed twice"}},
		{"bad cluster name", raw("clusterName", "my.cluster"), []string{"eks-advanced-networking:clusterName", `"my.cluster"`}},
		{"warm prefix target", raw("warmPrefixTarget", "0"), []string{"eks-advanced-networking:warmPrefixTarget", "1 to 8"}},
		{"prefix delegation on IPv6", raw("prefixDelegation", "true"), []string{"eks-advanced-networking:prefixDelegation", "IPv6 cluster always hands out prefixes"}},
		{"dual-stack load balancer on an IPv4 VPC", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "loadBalancerController", "true", "loadBalancerIpAddressType", "dualstack", "endpointPublicAccessCidrs", `["198.51.100.7/32"]`),
			[]string{"eks-advanced-networking:loadBalancerIpAddressType", `"dualstack"`, "set vpcIpv6 to true"}},
		{"IPv4 load balancer for IPv6 pods", raw("loadBalancerController", "true", "loadBalancerIpAddressType", "ipv4", "endpointPublicAccessCidrs", `["198.51.100.7/32"]`),
			[]string{"eks-advanced-networking:loadBalancerIpAddressType", "use dualstack"}},
		{"load balancer settings without the controller", raw("loadBalancerIpAddressType", "dualstack"), []string{"eks-advanced-networking:loadBalancerController", "set loadBalancerController to true"}},
		{"load balancer controller the deployer cannot reach", raw("loadBalancerController", "true"), []string{"eks-advanced-networking:endpointPublicAccessCidrs", "the load balancer controller"}},
		{"load balancer controller chart version with a v", raw("loadBalancerController", "true", "loadBalancerControllerVersion", "v3.5.0", "endpointPublicAccessCidrs", `["198.51.100.7/32"]`),
			[]string{"eks-advanced-networking:loadBalancerControllerVersion", "without a v"}},
		{"load balancer controller role on a cluster we create", raw("loadBalancerController", "true", "loadBalancerControllerRoleArn", "arn:aws:iam::123456789012:role/lbc", "endpointPublicAccessCidrs", `["198.51.100.7/32"]`),
			[]string{"eks-advanced-networking:loadBalancerControllerRoleArn", "creates the controller's IRSA role"}},
		{"existing cluster, load balancer controller without a name", map[string]string{config.Project + ":clusterMode": "existing", config.Project + ":loadBalancerController": "true", config.RegionKey: "eu-central-1"},
			[]string{"eks-advanced-networking:clusterName", "needs your cluster's name"}},
		{"existing cluster, load balancer controller without a role", map[string]string{config.Project + ":clusterMode": "existing", config.Project + ":loadBalancerController": "true", config.Project + ":clusterName": "prod"},
			[]string{"eks-advanced-networking:loadBalancerControllerRoleArn", "needs your IRSA role"}},
		{"warm prefixes without prefix mode", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "warmPrefixTarget", "3"),
			[]string{"eks-advanced-networking:warmPrefixTarget", `"3"`, "set prefixDelegation to true"}},
		{"prefixes on a Xen instance", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "prefixDelegation", "true", "nodeInstanceType", "m4.large"),
			[]string{"eks-advanced-networking:prefixDelegation", "m4.large is not a Nitro instance type"}},
		{"subnets too small for the prefixes", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "prefixDelegation", "true", "vpcCidr", "10.0.0.0/20",
			"subnetPrefixLength", "25", "nodeMaxSize", "4", "nodeDesiredSize", "2"),
			[]string{"eks-advanced-networking:subnetPrefixLength", `"25"`, "8 per node", "32 whole /28s", "a /25 subnet holds 6"}},
		// One /28 per node would fit; a full node's 110 pods take seven, plus the warm one.
		{"subnets that hold a /28 per node but not a full node's", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "prefixDelegation", "true", "vpcCidr", "10.0.0.0/20",
			"subnetPrefixLength", "24", "nodeMaxSize", "2", "nodeDesiredSize", "2", "nodeMinSize", "2"),
			[]string{"eks-advanced-networking:subnetPrefixLength", `"24"`, "of its 110 pods", "16 whole /28s", "a /24 subnet holds 14"}},
		{"no NAT gateway for the nodes", raw("natGateways", "none", "ipv4Egress", "node-snat"),
			[]string{"eks-advanced-networking:natGateways", `"none"`, "NodeCreationFailure", "use single or per-az"}},
		{"a retention CloudWatch does not offer", raw("clusterLogRetentionDays", "45"),
			[]string{"eks-advanced-networking:clusterLogRetentionDays", `"45"`, "one of 0, 1, 3"}},
		{"demo source range that is no CIDR", raw("loadBalancerController", "true", "endpointPublicAccessCidrs", `["198.51.100.7/32"]`, "loadBalancerSourceRanges", `["2001:db8::1"]`),
			[]string{"eks-advanced-networking:loadBalancerSourceRanges", `"2001:db8::1"`, "not a CIDR block"}},
		{"IPv6 demo source range on an IPv4 front end", raw("loadBalancerController", "true", "loadBalancerIpAddressType", "ipv4", "scenario", "ipv4-calico",
			"vpcIpv6", "false", "endpointPublicAccessCidrs", `["198.51.100.7/32"]`, "loadBalancerSourceRanges", `["2001:db8:1234::/64"]`),
			[]string{"eks-advanced-networking:loadBalancerSourceRanges", "2001:db8:1234::/64", "only an IPv4 front end"}},
		{"demo source ranges without the controller", raw("loadBalancerSourceRanges", `["203.0.113.0/24"]`),
			[]string{"eks-advanced-networking:loadBalancerController", "loadBalancerSourceRanges"}},
		{"no nodes for CoreDNS", raw("nodeMinSize", "0", "nodeDesiredSize", "0"),
			[]string{"eks-advanced-networking:nodeDesiredSize", `"0"`, "CoreDNS", "at least 1"}},
		{"load balancer controller without IPv4", raw("ipv4Egress", "none", "loadBalancerController", "true", "endpointPublicAccessCidrs", `["198.51.100.7/32"]`),
			[]string{"eks-advanced-networking:ipv4Egress", `"none"`, "STS and Elastic Load Balancing", "node-snat"}},
		{"unknown policy engine", raw("policyEngine", "cilium"), []string{"eks-advanced-networking:policyEngine", `"cilium"`, "calico, vpc-cni, none"}},
		{"Calico on IPv6 with node SNAT", raw("policyEngine", "calico"), []string{"eks-advanced-networking:policyEngine", `"calico"`, "ENABLE_V4_EGRESS", "vpc-cni"}},
		{"bad Calico chart version", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "policyEngine", "calico", "calicoVersion", "3.33.0"), []string{"eks-advanced-networking:calicoVersion", `"3.33.0"`, "v3.33.1"}},
		{"relative Calico chart directory", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "policyEngine", "calico", "calicoChartRepository", "charts/calico"), []string{"eks-advanced-networking:calicoChartRepository", "absolute path"}},
		{"old Calico chart", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "policyEngine", "calico", "calicoVersion", "v3.26.4"), []string{"eks-advanced-networking:calicoVersion", "v3.32.0 or later"}},
		{"policy without demo apps", raw("denyEgressPolicy", "true"), []string{"eks-advanced-networking:denyEgressPolicy", "demoApps"}},
		{"DNS allowance without policy", raw("demoApps", "true", "allowDnsEgress", "true"), []string{"eks-advanced-networking:allowDnsEgress", "denyEgressPolicy"}},
		{"Multus on IPv6", raw("multus", "true"), []string{"eks-advanced-networking:multus", "IPv4"}},
		{"Multus scenario without Multus", raw("scenario", "ipv4-multus", "vpcIpv6", "false"), []string{"eks-advanced-networking:multus", "ipv4-multus"}},
		{"Multus range outside its subnet", raw("scenario", "ipv4-multus", "vpcIpv6", "false", "multus", "true", "multusRanges", `["10.0.0.20-10.0.0.40"]`, "endpointPublicAccessCidrs", `["198.51.100.7/32"]`),
			[]string{"eks-advanced-networking:multusRanges", "outside the subnet"}},
		{"Multus range too big for the ENI", raw("scenario", "ipv4-multus", "vpcIpv6", "false", "multus", "true", "multusRanges", `["192.168.96.20-192.168.97.200"]`, "endpointPublicAccessCidrs", `["198.51.100.7/32"]`),
			[]string{"eks-advanced-networking:multusRanges", "secondary slots"}},
		{"two Multus nodes per zone", raw("scenario", "ipv4-multus", "vpcIpv6", "false", "multus", "true", "multusNodesPerAz", "2", "endpointPublicAccessCidrs", `["198.51.100.7/32"]`),
			[]string{"eks-advanced-networking:multusNodesPerAz", "host-local"}},
		{"Multus zone without a subnet", raw("scenario", "ipv4-multus", "vpcIpv6", "false", "multus", "true", "availabilityZones", `["eu-central-1a","eu-central-1b"]`, "multusAvailabilityZones", `["eu-central-1c"]`, "endpointPublicAccessCidrs", `["198.51.100.7/32"]`),
			[]string{"eks-advanced-networking:multusAvailabilityZones", "no Multus subnet"}},
		{"Multus on an instance type without ENI limits", raw("scenario", "ipv4-multus", "vpcIpv6", "false", "multus", "true", "nodeInstanceType", "r9g.large", "endpointPublicAccessCidrs", `["198.51.100.7/32"]`),
			[]string{"eks-advanced-networking:nodeInstanceType", "no ENI limits"}},
		{"Multus fixed instances missing", raw("scenario", "ipv4-multus", "vpcIpv6", "false", "multus", "true", "multusAttachment", "instances"),
			[]string{"eks-advanced-networking:multusInstanceIds", "one instance per Multus zone"}},
		{"Multus unknown attachment", raw("scenario", "ipv4-multus", "vpcIpv6", "false", "multus", "true", "multusAttachment", "lambda"),
			[]string{"eks-advanced-networking:multusAttachment", "node-group or instances"}},
		{"unknown cluster mode", raw("clusterMode", "borrowed"), []string{"eks-advanced-networking:clusterMode", `"borrowed"`, "create or existing"}},
		{"existing cluster, Multus without subnets", map[string]string{config.Project + ":clusterMode": "existing", config.Project + ":scenario": "ipv4-multus", config.Project + ":multus": "true",
			config.Project + ":multusAvailabilityZones": `["eu-central-1a"]`}, []string{"eks-advanced-networking:multusSubnetCidrs", "same order"}},
		{"existing cluster, Multus range outside the subnet", map[string]string{config.Project + ":clusterMode": "existing", config.Project + ":scenario": "ipv4-multus", config.Project + ":multus": "true",
			config.Project + ":multusAvailabilityZones": `["eu-central-1a"]`, config.Project + ":multusSubnetCidrs": `["10.1.0.0/24"]`, config.Project + ":multusRanges": `["10.2.0.20-10.2.0.40"]`},
			[]string{"eks-advanced-networking:multusRanges", "outside the subnet"}},
		{"key without namespace", map[string]string{config.RegionKey: "eu-central-1", "scenario": "ipv6"}, []string{`"scenario"`, "eks-advanced-networking:scenario"}},
		{"checks without the endpoint", raw("verify", "true"), []string{"eks-advanced-networking:endpointPublicAccessCidrs", "the checks (verify)"}},
		{"IPv4 target as an address", raw("verifyIpv4Target", "198.51.100.80:80"), []string{"eks-advanced-networking:verifyIpv4Target", `"198.51.100.80:80"`, "name an IPv4-only host"}},
		{"IPv4 target without a port", raw("verifyIpv4Target", "ipv4.google.com"), []string{"eks-advanced-networking:verifyIpv4Target", "host:port"}},
		{"IPv6 target as an IPv4 address", raw("verifyIpv6Target", "198.51.100.80:80"), []string{"eks-advanced-networking:verifyIpv6Target", "IPv6 address or a name"}},
		{"IPv6 target port out of range", raw("verifyIpv6Target", "ipv6.google.com:70000"), []string{"eks-advanced-networking:verifyIpv6Target", "1 to 65535"}},
		{"policy checks without the demo", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "policyEngine", "calico", "verify", "true", "endpointPublicAccessCidrs", `["198.51.100.7/32"]`),
			[]string{"eks-advanced-networking:demoApps", "verify checks what policyEngine calico does"}},
		{"Multus checks without multus-pod", raw("scenario", "ipv4-multus", "vpcIpv6", "false", "multus", "true", "verify", "true", "endpointPublicAccessCidrs", `["198.51.100.7/32"]`),
			[]string{"eks-advanced-networking:multusDemoPod", "multus-pod"}},
		{"checks with nothing to check", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "verify", "true", "endpointPublicAccessCidrs", `["198.51.100.7/32"]`),
			[]string{"eks-advanced-networking:verify", "nothing the checks look at"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := derive(tc.config)
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

func fortyOneBlocks() string {
	blocks := make([]string, 41)
	for i := range blocks {
		blocks[i] = fmt.Sprintf("%q", fmt.Sprintf("198.51.100.%d/32", i))
	}
	return "[" + strings.Join(blocks, ",") + "]"
}

// What EKS takes and an earlier version refused.
func TestAcceptedEdges(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config map[string]string
	}{
		{"scale-to-zero minimum", raw("nodeMinSize", "0")},
		{"prefix delegation on an IPv4 cluster, with spare prefixes", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "prefixDelegation", "true", "warmPrefixTarget", "2")},
		{"IPv6 block on the IPv6 cluster's dual-stack endpoint", raw("endpointPublicAccessCidrs", `["2600:1f18:1234::/48","198.51.100.7/32"]`)},
		{"Multus image from the stack's region", raw("scenario", "ipv4-multus", "vpcIpv6", "false", "multus", "true", "endpointPublicAccessCidrs", `["198.51.100.7/32"]`)},
		{"forty blocks", raw("endpointPublicAccessCidrs", strings.Replace(fortyOneBlocks(), `"198.51.100.0/32",`, "", 1))},
		{"Kubernetes layer through the private endpoint", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "policyEngine", "calico", "endpointPrivateAccessCidrs", `["10.20.0.0/16"]`)},
		{"checks on the IPv6 cluster, private IPv6 target", raw("verify", "true", "verifyIpv6Target", "[2001:db8::80]:8080", "verifyIpv4Target", "proxy.internal.example:3128", "endpointPublicAccessCidrs", `["198.51.100.7/32"]`)},
		{"admins with a path", raw("clusterAdminArns", `["arn:aws:iam::123456789012:role/teams/platform-admins","arn:aws:iam::123456789012:user/jane"]`)},
		// The bounds of the ranges, each end inside.
		{"two zones, EKS's floor", raw("availabilityZoneCount", "2")},
		{"six zones in /20s", raw("availabilityZoneCount", "6", "subnetPrefixLength", "20")},
		{"one spare prefix", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "prefixDelegation", "true", "warmPrefixTarget", "1")},
		{"eight spare prefixes", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "prefixDelegation", "true", "warmPrefixTarget", "8")},
		// A /24 holds 14 whole /28s: exactly one node's 7 for 110 pods and 7 spare.
		{"prefixes that just fit", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "prefixDelegation", "true", "warmPrefixTarget", "7",
			"subnetPrefixLength", "24", "nodeMinSize", "1", "nodeDesiredSize", "1", "nodeMaxSize", "1")},
		{"Multus in the public subnets", raw("scenario", "ipv4-multus", "vpcIpv6", "false", "multus", "true", "multusSubnetTier", "public", "endpointPublicAccessCidrs", `["198.51.100.7/32"]`)},
		// Zones are the region's only at deploy time: a Multus zone outside the placeholders is
		// checked then, not refused here.
		{"a Multus zone the region names", raw("scenario", "ipv4-multus", "vpcIpv6", "false", "multus", "true", "multusAvailabilityZones", `["eu-central-1d"]`, "endpointPublicAccessCidrs", `["198.51.100.7/32"]`)},
		{"the load balancer controller with its region", raw("loadBalancerController", "true", "endpointPublicAccessCidrs", `["198.51.100.7/32"]`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := derive(tc.config); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestExistingClusterNeedsNoRegion(t *testing.T) {
	_, b, err := derive(map[string]string{config.Project + ":clusterMode": "existing", config.Project + ":scenario": "ipv4-multus", config.Project + ":multus": "true",
		config.Project + ":multusAvailabilityZones": `["zone-a"]`, config.Project + ":multusSubnetCidrs": `["10.1.0.0/24"]`, config.Project + ":demoApps": "true",
		config.Project + ":multusImage": "registry.example/multus:v4.1.4"})
	if err != nil {
		t.Fatal(err)
	}
	networks := b.ExistingMultusNetworks()
	if len(networks) != 1 || networks[0].Name != "ipvlan-private-a" || networks[0].RangeStart.String() != "10.1.0.20" {
		t.Errorf("networks %+v", networks)
	}
}

// AWS's Multus build comes from the stack region's EKS registry, not us-west-2's.
func TestMultusImageFollowsTheRegion(t *testing.T) {
	for region, want := range map[string]string{
		"eu-central-1":   "602401143452.dkr.ecr.eu-central-1.amazonaws.com/eks/multus-cni:v4.1.4-eksbuild.3_thick",
		"ap-southeast-3": "296578399912.dkr.ecr.ap-southeast-3.amazonaws.com/eks/multus-cni:v4.1.4-eksbuild.3_thick",
		"cn-north-1":     "918309763551.dkr.ecr.cn-north-1.amazonaws.com.cn/eks/multus-cni:v4.1.4-eksbuild.3_thick",
	} {
		_, b, err := derive(map[string]string{config.RegionKey: region, config.Project + ":scenario": "ipv4-multus", config.Project + ":vpcIpv6": "false",
			config.Project + ":multus": "true", config.Project + ":endpointPublicAccessCidrs": `["198.51.100.7/32"]`})
		if err != nil {
			t.Errorf("%s: %v", region, err)
			continue
		}
		if got := b.MultusImage(); got != want {
			t.Errorf("%s: image %s, want %s", region, got, want)
		}
	}
}

// DNS64 needs a NAT gateway; the stack's own rule for the nodes refuses natGateways none first, so
// only a configuration built in Go reaches the layout's rule, which still names the keys: ipv4Egress
// for the private subnets' DNS64, which follows it, and publicSubnetsDns64 for the public ones'.
func TestDns64WithoutANatGatewayNamesTheKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*config.Config)
		says []string
	}{
		{"private", func(c *config.Config) { c.Ipv4Egress = config.Ipv4EgressBoth },
			[]string{`eks-advanced-networking:ipv4Egress = "both"`, "NAT gateway", "nat64 and both turn DNS64 on in the private subnets"}},
		{"public", func(c *config.Config) { c.Ipv4Egress = config.Ipv4EgressNodeSnat; c.Vpc.PublicDns64 = true },
			[]string{"eks-advanced-networking:publicSubnetsDns64", "NAT gateway"}},
	} {
		c := config.Defaults()
		c.Region = "eu-central-1"
		c.Vpc.NatGateways = "none"
		tc.set(&c)
		_, err := New(&c)
		for _, s := range tc.says {
			if err == nil || !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %v does not mention %q", tc.name, err, s)
			}
		}
	}
}
