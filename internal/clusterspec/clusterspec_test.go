package clusterspec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSupportOn(t *testing.T) {
	today := day("2026-11-26")
	for _, tc := range []struct {
		version  string
		extended bool
		warns    string
	}{
		{"1.35", false, ""},
		{"1.36", false, ""},
		{"1.34", false, "standard support of Kubernetes 1.34 ends on 2026-12-02"},
		{"1.33", true, "extended support only"},
		{"1.32", true, "until 2027-03-23"},
	} {
		s, err := SupportOn(tc.version, today)
		if err != nil {
			t.Errorf("%s: %v", tc.version, err)
			continue
		}
		if s.Extended != tc.extended || (tc.warns == "") != (s.Warning == "") || !strings.Contains(s.Warning, tc.warns) {
			t.Errorf("%s: extended %v warning %q; want %v and a warning containing %q", tc.version, s.Extended, s.Warning, tc.extended, tc.warns)
		}
	}
	for _, v := range []string{"1.21", "1.19", "1.31", "2.0", "latest"} {
		_, err := SupportOn(v, today)
		if err == nil || !strings.Contains(err.Error(), "1.35") || !strings.Contains(err.Error(), "1.32 (extended support only, paid)") {
			t.Errorf("%s: err = %v, want a refusal listing the creatable versions", v, err)
		}
	}
	// 1.36's dates are known to the month: its warning says so.
	if s, err := SupportOn("1.36", day("2027-07-15")); err != nil || !strings.Contains(s.Warning, "ends on August 2027 (approximate)") {
		t.Errorf("1.36 a month before its approximate end: %+v %v", s, err)
	}
	// A year on, 1.32 can no longer be created.
	if _, err := SupportOn("1.32", day("2027-04-01")); err == nil {
		t.Error("1.32 accepted after its extended support ended")
	}
}

func TestDefaultVersionIsInStandardSupport(t *testing.T) {
	s, err := SupportOn(DefaultKubernetesVersion, day("2026-11-26"))
	if err != nil || s.Extended {
		t.Errorf("default %s: %+v %v", DefaultKubernetesVersion, s, err)
	}
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return m
}

func TestVpcCniConfigurationUsesOnlySchemaKeys(t *testing.T) {
	yes, no := true, false
	for _, o := range []VpcCniOptions{
		{PrefixDelegation: true, WarmPrefixTarget: 1, V4Egress: &yes},
		{PrefixDelegation: true, WarmPrefixTarget: 2, V4Egress: &no, NetworkPolicy: &yes},
		{NetworkPolicy: &no, AnnotatePodIP: true},
	} {
		s, err := VpcCniConfigurationValues(o)
		if err != nil {
			t.Fatal(err)
		}
		m := decode(t, s)
		for k := range m {
			if !slices.Contains(VpcCniSchemaKeys, k) {
				t.Errorf("%s: key %s is not in the add-on schema", s, k)
			}
		}
		env, _ := m["env"].(map[string]any)
		for k, v := range env {
			if !slices.Contains(VpcCniSchemaEnvKeys, k) {
				t.Errorf("%s: env.%s is not in the add-on schema", s, k)
			}
			if _, ok := v.(string); !ok {
				t.Errorf("%s: env.%s is %T; the schema wants strings", s, k, v)
			}
		}
		if _, ok := env["ENABLE_IPv6"]; ok {
			t.Errorf("%s sets ENABLE_IPv6, which the add-on schema rejects", s)
		}
	}
}

func TestVpcCniConfigurationValues(t *testing.T) {
	yes := true
	s, _ := VpcCniConfigurationValues(VpcCniOptions{PrefixDelegation: true, WarmPrefixTarget: 1, V4Egress: &yes})
	if want := `{"env":{"ENABLE_PREFIX_DELEGATION":"true","ENABLE_V4_EGRESS":"true","WARM_PREFIX_TARGET":"1"}}`; s != want {
		t.Errorf("got %s\nwant %s", s, want)
	}
	s, _ = VpcCniConfigurationValues(VpcCniOptions{NetworkPolicy: &yes})
	if want := `{"enableNetworkPolicy":"true","env":{"ENABLE_PREFIX_DELEGATION":"false"}}`; s != want {
		t.Errorf("got %s\nwant %s", s, want)
	}
}

func TestParseAddonVersion(t *testing.T) {
	v, err := ParseAddonVersion("v1.22.1-eksbuild.2")
	if err != nil || v != (AddonVersion{1, 22, 1, 2}) || v.Less(MinVpcCniIpv6) || !MinVpcCniIpv6.Less(v) {
		t.Errorf("v1.22.1-eksbuild.2 = %+v, %v", v, err)
	}
	old, _ := ParseAddonVersion("v1.9.3-eksbuild.1")
	if !old.Less(MinVpcCniIpv6) {
		t.Errorf("v1.9.3 not older than %v", MinVpcCniIpv6)
	}
	for _, bad := range []string{"1.22.1", "v1.22", "latest", "v1.22.1-eksbuild"} {
		if _, err := ParseAddonVersion(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestVpcCniIpv6Policy(t *testing.T) {
	doc, err := VpcCniIpv6Policy("aws").JSON()
	if err != nil {
		t.Fatal(err)
	}
	var parsed PolicyDocument
	if err := json.Unmarshal([]byte(doc), &parsed); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, s := range parsed.Statement {
		if s.Effect != "Allow" {
			t.Errorf("statement %s is not an Allow", s.Sid)
		}
		for _, a := range s.Action {
			actions = append(actions, a)
			if a == "ec2:CreateTags" && !slices.Equal(s.Resource, []string{"arn:aws:ec2:*:*:network-interface/*"}) {
				t.Errorf("ec2:CreateTags on %v, want network interfaces only", s.Resource)
			}
		}
	}
	// Every action amazon-vpc-cni-k8s docs/iam-policy.md lists for IPv6 (with v1.22.1's two), and no more.
	for _, want := range []string{"ec2:AssignIpv6Addresses", "ec2:DescribeInstances", "ec2:DescribeTags",
		"ec2:DescribeNetworkInterfaces", "ec2:DescribeInstanceTypes", "ec2:DescribeSubnets",
		"ec2:DescribeSecurityGroups", "ec2:CreateTags"} {
		if !slices.Contains(actions, want) {
			t.Errorf("policy lacks %s", want)
		}
	}
	if len(actions) != len(VpcCniIpv6Actions)+1 {
		t.Errorf("policy has actions %v", actions)
	}
}

func TestIrsaTrustPolicy(t *testing.T) {
	arn := "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/ABC"
	doc, err := IrsaTrustPolicy(arn, "https://oidc.eks.eu-central-1.amazonaws.com/id/ABC", "kube-system", "aws-node")
	if err != nil {
		t.Fatal(err)
	}
	s := doc.Statement[0]
	cond := s.Condition["StringEquals"]
	if s.Principal.Federated != arn || s.Action[0] != "sts:AssumeRoleWithWebIdentity" ||
		cond["oidc.eks.eu-central-1.amazonaws.com/id/ABC:sub"].String() != "system:serviceaccount:kube-system:aws-node" ||
		cond["oidc.eks.eu-central-1.amazonaws.com/id/ABC:aud"].String() != "sts.amazonaws.com" || len(cond) != 2 {
		t.Errorf("trust policy %+v", s)
	}
	if _, err := IrsaTrustPolicy(arn, "", "kube-system", "aws-node"); err == nil {
		t.Error("empty issuer accepted")
	}
}

func TestInstanceTypesPickTheirAmi(t *testing.T) {
	for _, tc := range []struct{ name, amiType string }{
		{"t3.medium", "AL2023_x86_64_STANDARD"},
		{"m7g.large", "AL2023_ARM_64_STANDARD"},
		{"c6gn.2xlarge", "AL2023_ARM_64_STANDARD"},
		{"t4g.small", "AL2023_ARM_64_STANDARD"},
		{"a1.large", "AL2023_ARM_64_STANDARD"}, // Graviton's first generation: arm64 without the g attribute
		{"m5.metal", "AL2023_x86_64_STANDARD"},
		{"m7i-flex.large", "AL2023_x86_64_STANDARD"},
		{"g5.xlarge", "AL2023_x86_64_NVIDIA"},
		{"g4dn.xlarge", "AL2023_x86_64_NVIDIA"},
		{"g4ad.xlarge", "AL2023_x86_64_STANDARD"}, // AMD GPU
		{"g5g.xlarge", "AL2023_ARM_64_NVIDIA"},
		{"gr6.4xlarge", "AL2023_x86_64_NVIDIA"},
		{"p5.48xlarge", "AL2023_x86_64_NVIDIA"},
		{"p6-b200.48xlarge", "AL2023_x86_64_NVIDIA"},
		{"inf2.xlarge", "AL2023_x86_64_NEURON"},
		{"trn1.2xlarge", "AL2023_x86_64_NEURON"},
		{"u-6tb1.56xlarge", "AL2023_x86_64_STANDARD"},
		{"u7i-12tb.224xlarge", "AL2023_x86_64_STANDARD"},
	} {
		it, err := ParseInstanceType(tc.name)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got, err := AmiType(AL2023, it); got != tc.amiType || err != nil {
			t.Errorf("%s: AMI type %s %v, want %s", tc.name, got, err, tc.amiType)
		}
	}
	for _, bad := range []string{"t3", "medium", "T3.MEDIUM", "t3.", ".large", "t3 medium", "t3-medium", "t.medium"} {
		if _, err := ParseInstanceType(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestRecommendedAmiParameter(t *testing.T) {
	for _, tc := range []struct{ instance, want string }{
		{"t3.medium", "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/image_id"},
		{"m7g.large", "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/arm64/standard/recommended/image_id"},
		{"g5.xlarge", "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/nvidia/recommended/image_id"},
		{"inf2.xlarge", "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/neuron/recommended/image_id"},
	} {
		it, _ := ParseInstanceType(tc.instance)
		if got, err := RecommendedAmiParameter(AL2023, "1.35", it); got != tc.want || err != nil {
			t.Errorf("%s: %s %v, want %s", tc.instance, got, err, tc.want)
		}
	}
}

func TestMultusEniAttachPolicy(t *testing.T) {
	doc := MultusEniAttachPolicy("aws", "eks-ipv4-multus")
	for _, s := range doc.Statement {
		if slices.Contains(s.Action, "ec2:AttachNetworkInterface") {
			tag := s.Condition["StringEquals"]
			if len(s.Resource) != 1 || s.Resource[0] == "*" || len(tag) != 1 {
				t.Errorf("attach statement %s is not limited: %+v", s.Sid, s)
			}
			for _, v := range tag {
				if v.String() != "eks-ipv4-multus" {
					t.Errorf("attach statement %s names cluster %s", s.Sid, v)
				}
			}
		} else if !slices.Equal(s.Action, []string{"ec2:DescribeNetworkInterfaces"}) {
			t.Errorf("unexpected statement %+v", s)
		}
	}
}

func TestMaxPodsWithAMultusEni(t *testing.T) {
	l, err := LookupEniLimit("t3.medium")
	if err != nil || l.MaxPods(0) != 17 || l.MaxPods(1) != 12 || l.SecondarySlots() != 5 {
		t.Errorf("t3.medium %+v %v: max pods %d/%d", l, err, l.MaxPods(0), l.MaxPods(1))
	}
	if _, err := LookupEniLimit("x9.huge"); err == nil || !strings.Contains(err.Error(), "EC2 has no instance type x9.huge") {
		t.Errorf("unknown type: %v", err)
	}
}

func TestValidateServiceIpv4Cidr(t *testing.T) {
	for cidr, ok := range map[string]bool{
		"10.100.0.0/16": true, "172.16.0.0/12": true, "172.20.0.0/12": false, "10.0.0.0/24": true,
		"10.0.0.0/8": false, "10.0.0.0/25": false, "10.100.0.1/16": false, "fd00::/108": false, "x": false,
	} {
		if err := ValidateServiceIpv4Cidr(cidr); (err == nil) != ok {
			t.Errorf("%s: err = %v, want ok=%v", cidr, err, ok)
		}
	}
}

func TestAddonVersionsOfferedPerKubernetesVersion(t *testing.T) {
	for _, tc := range []struct {
		addon, version, kubernetes, says string
	}{
		{"kube-proxy", "v1.35.3-eksbuild.2", "1.35", ""},
		{"kube-proxy", "v1.34.6-eksbuild.2", "1.35", "v1.35.x-eksbuild.N build for Kubernetes 1.35"},
		{"coredns", "v1.13.2-eksbuild.19", "1.34", ""},
		{"coredns", "v1.14.3-eksbuild.11", "1.35", ""},
		{"coredns", "v1.100.0-eksbuild.1", "1.35", "EKS offers coredns v1.13 to v1.14.x for Kubernetes 1.35, not v1.100.0"},
		{"coredns", "v1.11.4-eksbuild.48", "1.35", "v1.13 to v1.14.x"},
		{"vpc-cni", "v1.22.1-eksbuild.2", "1.35", ""},
		{"vpc-cni", "v1.16.0-eksbuild.1", "1.35", "v1.17.1 to v1.23.x"},
		{"vpc-cni", "v1.100.0-eksbuild.1", "1.35", "v1.17.1 to v1.23.x"},
	} {
		v, err := ParseAddonVersion(tc.version)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckAddonForKubernetes(tc.addon, v, tc.kubernetes)
		if tc.says == "" && err != nil || tc.says != "" && (err == nil || !strings.Contains(err.Error(), tc.says)) {
			t.Errorf("%s %s on %s: %v, want %q", tc.addon, tc.version, tc.kubernetes, err, tc.says)
		}
	}
}

func TestVpcCniForMultus(t *testing.T) {
	for version, ok := range map[string]bool{"v1.20.1-eksbuild.1": true, "v1.20.2-eksbuild.1": false, "v1.20.3-eksbuild.4": false, "v1.20.4-eksbuild.1": true} {
		v, _ := ParseAddonVersion(version)
		if err := CheckVpcCniForMultus(v); (err == nil) != ok {
			t.Errorf("%s: %v", version, err)
		}
	}
}

// Every instance type EC2 has parses, and gets an AMI type.
func TestEveryEc2InstanceTypeParses(t *testing.T) {
	for _, name := range instanceTypeNames {
		it, err := ParseInstanceType(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if _, err := AmiType(AL2023, it); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(instanceTypeNames) < 1000 || len(instanceEniLimits) < 1000 {
		t.Errorf("%d names, %d with ENI limits: the generated table is truncated", len(instanceTypeNames), len(instanceEniLimits))
	}
}

func TestInstanceTypesAndRegionsAreAws(t *testing.T) {
	for _, tc := range []struct {
		err  error
		says string
	}{
		{CheckInstanceType("t3.medium"), ""},
		{CheckInstanceType("p6-b200.48xlarge"), ""},
		{CheckInstanceType("t3.mediun"), "EC2 has no instance type t3.mediun; did you mean t3.medium?"},
		{CheckInstanceType("x9.huge"), "EC2 has no instance type x9.huge"},
		{CheckRegion("eu-central-1"), ""},
		{CheckRegion("ap-southeast-7"), ""},
		{CheckRegion("eu-centrall-1"), "AWS has no region eu-centrall-1; did you mean eu-central-1?"},
		{CheckRegion("mars-north-1"), "AWS has no region mars-north-1"},
	} {
		if tc.says == "" && tc.err != nil || tc.says != "" && (tc.err == nil || !strings.HasPrefix(tc.err.Error(), tc.says)) {
			t.Errorf("%v, want %q", tc.err, tc.says)
		}
	}
	if l, err := LookupEniLimit("t3.medium"); err != nil || l != (EniLimit{Enis: 3, Ipv4PerEni: 6, Nitro: true}) || l.MaxPods(1) != 12 {
		t.Errorf("t3.medium %+v %v", l, err)
	}
	if _, err := LookupEniLimit("r9g.large"); err == nil || !strings.Contains(err.Error(), "no ENI limits for r9g.large") {
		t.Errorf("r9g.large: %v", err)
	}
	if PartitionOf("cn-north-1") != "aws-cn" || PartitionOf("us-gov-west-1") != "aws-us-gov" || PartitionOf("eu-central-1") != "aws" {
		t.Error("partitions")
	}
}

// Max pods in prefix mode, computed by hand from AWS's formula with the VPC CNI's ENI table:
// ENIs x ((IPv4 per ENI - 1) x 16) + 2, capped at 110 (30 vCPUs or fewer) or 250.
func TestPrefixModeMaxPods(t *testing.T) {
	for _, tc := range []struct {
		instance string
		vcpus    int
		want     int
	}{
		{"t3.small", 2, 110},    // 3 ENIs x 4 IPv4: 3 x 48 + 2 = 146 -> 110
		{"t3.micro", 2, 34},     // 2 ENIs x 2 IPv4: 2 x 16 + 2 = 34
		{"t3.nano", 2, 34},      // 2 x 2: 34
		{"m5.large", 2, 110},    // 3 x 10: 3 x 144 + 2 = 434 -> 110
		{"m5.8xlarge", 32, 250}, // 8 x 30: 8 x 464 + 2 = 3714 -> 250
		{"c5.9xlarge", 36, 250}, // 8 x 30 -> 250
		{"m5.4xlarge", 16, 110}, // 8 x 30, 16 vCPUs -> 110
	} {
		l, err := LookupEniLimit(tc.instance)
		if err != nil {
			t.Fatal(err)
		}
		if got := PrefixModeMaxPods(l, tc.vcpus); got != tc.want {
			t.Errorf("%s (%+v, %d vCPUs): %d, want %d", tc.instance, l, tc.vcpus, got, tc.want)
		}
	}
}

func TestPrefixBlocksPerSubnet(t *testing.T) {
	for length, want := range map[int]int{19: 510, 24: 14, 27: 0, 28: 0, 29: 0} {
		if got := PrefixBlocksPerSubnet(length); got != want {
			t.Errorf("/%d: %d, want %d", length, got, want)
		}
	}
}

// A node group's EKS name changes exactly when EKS could not change the group in place: another
// instance type, or switching between EKS's AMI type and an AMI named in the launch template.
func TestNodeGroupNameChangesWithWhatEksCannotUpdate(t *testing.T) {
	t3, _ := ParseInstanceType("t3.medium")
	m5, _ := ParseInstanceType("m5.large")
	subnets := []string{"192.168.96.0/19", "192.168.128.0/19"}
	base := NodeGroupName("ipv4mng", t3, false, subnets)
	if !strings.HasPrefix(base, "ipv4mng-") || len(base) != len("ipv4mng-")+6 || base != NodeGroupName("ipv4mng", t3, false, slices.Clone(subnets)) {
		t.Errorf("name %q: want ipv4mng- and six hex digits, the same every time", base)
	}
	for _, other := range []string{
		NodeGroupName("ipv4mng", m5, false, subnets),
		NodeGroupName("ipv4mng", t3, true, subnets),
		NodeGroupName("ipv6mng", t3, false, subnets),
		NodeGroupName("ipv4mng", t3, false, subnets[:1]),
		NodeGroupName("ipv4mng", t3, false, []string{"192.168.96.0/20", "192.168.128.0/20"}),
	} {
		if other == base {
			t.Errorf("%q does not change with the instance type, the AMI mode, the subnets or the base", other)
		}
	}
}

func TestReleaseVersionParameterIsBesideTheAmiId(t *testing.T) {
	t3, _ := ParseInstanceType("t3.medium")
	image, _ := RecommendedAmiParameter(AL2023, "1.35", t3)
	release, err := RecommendedReleaseVersionParameter(AL2023, "1.35", t3)
	// The parameter as AWS documents it (EKS User Guide, "Retrieve recommended Amazon Linux AMI IDs").
	const documented = "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/release_version"
	if err != nil || release != documented || release != strings.TrimSuffix(image, "image_id")+"release_version" {
		t.Errorf("release version parameter %q (%v), image parameter %q", release, err, image)
	}
}

// Our IPv6 CNI policy is upstream's, statement by statement and action by action (including
// ec2:ModifyNetworkInterfaceAttribute, which upstream's IPv6 mode lists: the CNI sets the security
// groups of the ENIs it manages).
func TestVpcCniIpv6PolicyIsUpstreams(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "vpc-cni-iam-policy-ipv6.json"))
	if err != nil {
		t.Fatal(err)
	}
	var upstream struct {
		Statement []struct {
			Effect   string
			Action   []string
			Resource any
		}
	}
	if err := json.Unmarshal(raw, &upstream); err != nil {
		t.Fatal(err)
	}
	ours := VpcCniIpv6Policy("aws").Statement
	if len(ours) != len(upstream.Statement) {
		t.Fatalf("%d statements, upstream has %d", len(ours), len(upstream.Statement))
	}
	for i, want := range upstream.Statement {
		got := ours[i]
		resources := []string{}
		switch r := want.Resource.(type) {
		case string:
			resources = append(resources, r)
		case []any:
			for _, v := range r {
				resources = append(resources, v.(string))
			}
		}
		if got.Effect != want.Effect || !slices.Equal(slices.Sorted(slices.Values(got.Action)), slices.Sorted(slices.Values(want.Action))) ||
			!slices.Equal(got.Resource, resources) {
			t.Errorf("statement %d: %s %v on %v; upstream %s %v on %v", i, got.Effect, got.Action, got.Resource, want.Effect, want.Action, resources)
		}
	}
}

func TestLogRetention(t *testing.T) {
	for _, ok := range []int{0, 1, 90, 3653} {
		if err := CheckLogRetention(ok); err != nil {
			t.Errorf("%d: %v", ok, err)
		}
	}
	for _, bad := range []int{-1, 2, 91, 4000} {
		if err := CheckLogRetention(bad); err == nil || !strings.Contains(err.Error(), "90") {
			t.Errorf("%d accepted, or the error does not list the valid values: %v", bad, err)
		}
	}
	if ClusterLogGroupName("eks-ipv6") != "/aws/eks/eks-ipv6/cluster" {
		t.Error(ClusterLogGroupName("eks-ipv6"))
	}
}

func TestCreatorAdminWarnings(t *testing.T) {
	const deployer = "arn:aws:iam::123456789012:role/deployer"
	const platform = "arn:aws:iam::123456789012:role/platform-admin"
	if got := CreatorAdminWarnings([]string{platform}, deployer); len(got) != 0 {
		t.Errorf("another role warned about: %v", got)
	}
	got := CreatorAdminWarnings([]string{platform, deployer}, deployer)
	if len(got) != 1 || !strings.HasPrefix(got[0], deployer+" runs this pulumi up") || !strings.Contains(got[0], "ResourceInUseException") {
		t.Errorf("the deployer among the admins: %v", got)
	}
}
