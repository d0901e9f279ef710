package awstwin

import (
	"slices"
	"strings"
	"testing"

	"eks-advanced-networking/test/awstwin/awsdata"
)

// The data sources answer from AWS's data, refuse what AWS refuses, and never fall back to a default.
func TestDataSourcesAnswerFromAwsData(t *testing.T) {
	a := NewAccount("eu-central-1")
	answer := func(token string, args map[string]any) map[string]any {
		t.Helper()
		out, err := a.Answer(token, args)
		if err != nil {
			t.Fatalf("%s %v: %v", token, args, err)
		}
		return out
	}
	zones := answer("aws:index/getAvailabilityZones:getAvailabilityZones", map[string]any{"state": "available",
		"filters": []any{map[string]any{"name": "opt-in-status", "values": []any{"opt-in-not-required"}}}})
	if got := zones["names"]; !slices.Equal(anyStrings(got), []string{"eu-central-1a", "eu-central-1b", "eu-central-1c"}) {
		t.Errorf("zones %v", got)
	}
	if got := answer("aws:index/getAvailabilityZones:getAvailabilityZones", map[string]any{"excludeNames": []any{"eu-central-1b"}})["zoneIds"]; !slices.Equal(anyStrings(got), []string{"euc1-az2", "euc1-az1"}) {
		t.Errorf("zone ids without eu-central-1b: %v", got)
	}
	if got := answer("aws:index/getAvailabilityZones:getAvailabilityZones", map[string]any{"state": "impaired"})["names"]; len(anyList(got)) != 0 {
		t.Errorf("impaired zones: %v", got)
	}
	if got := answer("aws:index/getAvailabilityZones:getAvailabilityZones", map[string]any{"excludeZoneIds": []any{"euc1-az2"}})["names"]; !slices.Equal(anyStrings(got), []string{"eu-central-1b", "eu-central-1c"}) {
		t.Errorf("zones without euc1-az2: %v", got)
	}
	if got := answer("aws:index/getRegion:getRegion", nil); got["name"] != "eu-central-1" || got["description"] != "Europe (Frankfurt)" || got["endpoint"] != "ec2.eu-central-1.amazonaws.com" {
		t.Errorf("region %v", got)
	}
	if got := answer("aws:index/getCallerIdentity:getCallerIdentity", nil); got["arn"] != "arn:aws:iam::123456789012:user/Alice" || got["accountId"] != AccountID {
		t.Errorf("caller %v", got)
	}
	if got := answer("aws:index/getPartition:getPartition", nil); got["partition"] != "aws" || got["dnsSuffix"] != "amazonaws.com" || got["reverseDnsPrefix"] != "com.amazonaws" {
		t.Errorf("partition %v", got)
	}
	// A user is its own issuer; an assumed role's issuer is the role.
	if got := answer("aws:iam/getSessionContext:getSessionContext", map[string]any{"arn": CallerArn}); got["issuerArn"] != CallerArn {
		t.Errorf("session context of a user %v", got)
	}
	if got := answer("aws:iam/getSessionContext:getSessionContext", map[string]any{"arn": "arn:aws:sts::123456789012:assumed-role/deployer/ci-run"}); got["issuerArn"] != "arn:aws:iam::123456789012:role/deployer" || got["sessionName"] != "ci-run" {
		t.Errorf("session context of an assumed role %v", got)
	}
	// mostRecent is the newest offered; without it, EKS's default.
	latest := answer("aws:eks/getAddonVersion:getAddonVersion", map[string]any{"addonName": "vpc-cni", "kubernetesVersion": "1.33", "mostRecent": true})
	byDefault := answer("aws:eks/getAddonVersion:getAddonVersion", map[string]any{"addonName": "vpc-cni", "kubernetesVersion": "1.33"})
	if latest["version"] != "v1.23.2-eksbuild.1" || byDefault["version"] != "v1.20.1-eksbuild.3" {
		t.Errorf("vpc-cni for 1.33: most recent %v, default %v", latest["version"], byDefault["version"])
	}
	if got := answer("aws:ec2/getInstanceType:getInstanceType", map[string]any{"instanceType": "m7g.large"}); got["defaultVcpus"] != 2 || got["memorySize"] != 8192 || !slices.Equal(anyStrings(got["supportedArchitectures"]), []string{"arm64"}) {
		t.Errorf("m7g.large %v", got)
	}
	image := answer("aws:ssm/getParameter:getParameter", map[string]any{"name": "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/image_id"})["value"].(string)
	release := answer("aws:ssm/getParameter:getParameter", map[string]any{"name": "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/release_version"})["value"]
	if release != "1.35.6-20260714" || image != awsdata.ImageID("amazon-eks-node-al2023-x86_64-standard-1.35-v20260714") {
		t.Errorf("the newest 1.35 AMI: %v, release %v", image, release)
	}
	// A new AMI release between two runs moves the parameters.
	a.AmiRelease = "v20260625"
	if older := answer("aws:ssm/getParameter:getParameter", map[string]any{"name": "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/image_id"})["value"]; older == image {
		t.Errorf("the image id did not change with the release: %v", older)
	}

	// A VPC and a subnet are what the account holds; an id of another type names nothing.
	n := newNet(t)
	if got, err := n.a.Answer("aws:ec2/getVpc:getVpc", map[string]any{"id": n.vpc}); err != nil || got["cidrBlock"] != n.a.Resources[n.vpc].str("cidrBlock") ||
		got["ipv6CidrBlock"] == "" || got["ipv6CidrBlock"] != n.a.Resources[n.vpc].str("ipv6CidrBlock") {
		t.Errorf("the VPC: %v %v", got, err)
	}
	subnet := n.a.Resources[n.subnet]
	if got, err := n.a.Answer("aws:ec2/getSubnet:getSubnet", map[string]any{"id": n.subnet}); err != nil || got["cidrBlock"] != subnet.str("cidrBlock") || got["availabilityZone"] != subnet.str("availabilityZone") || got["vpcId"] != n.vpc {
		t.Errorf("the subnet: %v %v", got, err)
	}
	if _, err := n.a.Answer("aws:ec2/getVpc:getVpc", map[string]any{"id": n.subnet}); err == nil {
		t.Error("a subnet's id answered as a VPC")
	}

	for _, tc := range []struct {
		token     string
		args      map[string]any
		code, say string
	}{
		{"aws:ec2/getInstanceType:getInstanceType", map[string]any{"instanceType": "x9.huge"}, "InvalidInstanceType", "[x9.huge]"},
		{"aws:ssm/getParameter:getParameter", map[string]any{"name": "/aws/service/eks/optimized-ami/1.35/amazon-linux-2/recommended/image_id"}, "ParameterNotFound", "amazon-linux-2/"},
		{"aws:ssm/getParameter:getParameter", map[string]any{"name": "/aws/service/eks/optimized-ami/1.29/amazon-linux-2023/x86_64/standard/recommended/image_id"}, "ParameterNotFound", "1.29"},
		{"aws:eks/getAddonVersion:getAddonVersion", map[string]any{"addonName": "kube-proxy", "kubernetesVersion": "1.29", "mostRecent": true}, "InvalidParameterException", "1.29"},
		{"aws:eks/getAddonVersion:getAddonVersion", map[string]any{"addonName": "cilium", "kubernetesVersion": "1.35"}, "ResourceNotFoundException", "cilium"},
		{"aws:eks/getCluster:getCluster", map[string]any{"name": "nope"}, "ResourceNotFoundException", "nope"},
		{"aws:index/getAvailabilityZones:getAvailabilityZones", map[string]any{"filters": []any{map[string]any{"name": "colour", "values": []any{"red"}}}}, "InvalidParameterValue", "colour"},
		{"aws:index/getRegion:getRegion", map[string]any{"name": "eu-middle-9"}, "InvalidParameterValue", "eu-middle-9"},
		{"aws:ec2/getVpcs:getVpcs", nil, "UnsupportedOperation", "getVpcs"},
		{"aws:ec2/getVpc:getVpc", map[string]any{"id": "vpc-0123"}, "InvalidVpcID.NotFound", "vpc-0123"},
		{"aws:ec2/getSubnet:getSubnet", map[string]any{"id": "subnet-0123"}, "InvalidSubnetID.NotFound", "subnet-0123"},
	} {
		_, err := a.Answer(tc.token, tc.args)
		wantCode(t, err, tc.code, tc.say)
	}
	if _, err := NewAccount("ap-east-2").Answer("aws:index/getAvailabilityZones:getAvailabilityZones", nil); err == nil || !strings.Contains(err.Message, "ap-east-2") {
		t.Errorf("zones of a region the twin holds none for: %v", err)
	}
}

// A node's instance type must exist and match its AMI's architecture, whether the AMI comes from
// the node group's AMI type or the launch template's image.
func TestNodeGroupsRefuseAnotherArchitecture(t *testing.T) {
	n, second := eksNet(t)
	a := n.a
	cluster := eksCluster(t, a, "arch", n.subnet, second)
	group := func(name, amiType string, types ...any) map[string]any {
		in := nodeGroupIn(cluster, name, n.subnet, second)
		in["instanceTypes"], in["amiType"] = types, amiType
		return in
	}
	_, err := a.Create(typeNodeGroup, group("unknown", "AL2023_x86_64_STANDARD", "x9.huge"))
	wantCode(t, err, "InvalidParameterException", "[x9.huge]")
	_, err = a.Create(typeNodeGroup, group("arm-on-x86", "AL2023_x86_64_STANDARD", "m7g.large"))
	wantCode(t, err, "InvalidParameterException", "not a valid instance type for requested amiType AL2023_x86_64_STANDARD")
	mustCreate(t, a, typeNodeGroup, group("arm", "AL2023_ARM_64_STANDARD", "m7g.large"))

	armImage, _ := awsdata.AmiParameter("/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/arm64/standard/recommended/image_id", "")
	for _, tc := range []struct{ image, code, say string }{
		{armImage, "InvalidParameterValue", "'x86_64' of the specified instance type does not match the architecture 'arm64'"},
		{"ami-0123456789abcdef0", "InvalidAMIID.NotFound", "ami-0123456789abcdef0"},
	} {
		lt := mustCreate(t, a, typeLaunchTemplate, map[string]any{"name": "lt-" + tc.code, "imageId": tc.image, "instanceType": "t3.medium"})
		custom := group("custom-"+tc.code, "CUSTOM")
		custom["launchTemplate"] = map[string]any{"id": lt, "version": "1"}
		_, err = a.Create(typeNodeGroup, custom)
		wantCode(t, err, tc.code, tc.say)
	}
}

func anyStrings(v any) []string {
	var out []string
	for _, s := range anyList(v) {
		str, _ := s.(string)
		out = append(out, str)
	}
	return out
}
