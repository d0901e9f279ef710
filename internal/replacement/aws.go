package replacement

import "slices"

// awsForceNew lists, for each pulumi-aws type the AWS twin simulates, the top-level inputs a change
// to which replaces the resource: the ForceNew arguments of terraform-provider-aws, which
// pulumi-aws bridges (internal/service/<service>/<resource>.go, `ForceNew: true`). A type listed
// with none is updated in place whatever changes. A nested ForceNew argument is listed by its top
// key, as the twin diffs top-level inputs.
var awsForceNew = map[string][]string{
	"aws:cloudwatch/logGroup:LogGroup": {"name", "namePrefix", "logGroupClass"},
	"aws:ec2/eip:Eip":                  {},
	"aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway":   {"vpcId"},
	"aws:ec2/internetGateway:InternetGateway":                       {},
	"aws:ec2/launchTemplate:LaunchTemplate":                         {},
	"aws:ec2/natGateway:NatGateway":                                 {"subnetId", "allocationId", "connectivityType"},
	"aws:ec2/networkInterface:NetworkInterface":                     {"subnetId"},
	"aws:ec2/networkInterfaceAttachment:NetworkInterfaceAttachment": {"instanceId", "networkInterfaceId", "deviceIndex"},
	"aws:ec2/route:Route":                                           {"routeTableId", "destinationCidrBlock", "destinationIpv6CidrBlock", "destinationPrefixListId"},
	"aws:ec2/routeTable:RouteTable":                                 {"vpcId"},
	"aws:ec2/routeTableAssociation:RouteTableAssociation":           {"subnetId", "gatewayId"},
	"aws:ec2/securityGroup:SecurityGroup":                           {"name", "namePrefix", "vpcId", "description"},
	"aws:ec2/securityGroupRule:SecurityGroupRule":                   {"type", "securityGroupId", "protocol", "fromPort", "toPort", "cidrBlocks", "ipv6CidrBlocks", "sourceSecurityGroupId", "self", "prefixListIds"},
	"aws:ec2/subnet:Subnet":                                         {"vpcId", "cidrBlock", "availabilityZone"},
	"aws:ec2/subnetCidrReservation:SubnetCidrReservation":           {"subnetId", "cidrBlock", "reservationType"},
	"aws:ec2/vpc:Vpc":                                               {"cidrBlock"},
	"aws:eks/accessEntry:AccessEntry":                               {"clusterName", "principalArn", "type"},
	"aws:eks/accessPolicyAssociation:AccessPolicyAssociation":       {"clusterName", "principalArn", "policyArn"},
	"aws:eks/addon:Addon":                                           {"clusterName", "addonName"},
	"aws:eks/cluster:Cluster":                                       {"name", "roleArn", "kubernetesNetworkConfig", "encryptionConfig"},
	"aws:eks/nodeGroup:NodeGroup":                                   {"clusterName", "nodeGroupName", "nodeRoleArn", "subnetIds", "amiType", "capacityType", "diskSize", "instanceTypes"},
	"aws:iam/openIdConnectProvider:OpenIdConnectProvider":           {"url"},
	"aws:iam/role:Role":                                             {"name", "namePrefix", "path"},
	"aws:iam/rolePolicy:RolePolicy":                                 {"role", "name"},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":             {"role", "policyArn"},
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":       securityGroupRuleForceNew,
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":     securityGroupRuleForceNew,
}

var securityGroupRuleForceNew = []string{"securityGroupId", "ipProtocol", "fromPort", "toPort", "cidrIpv4", "cidrIpv6", "referencedSecurityGroupId", "prefixListId"}

// AWSForceNew returns the inputs of a pulumi-aws type that force replacement, and whether the type
// is known here at all.
func AWSForceNew(typ string) ([]string, bool) {
	list, ok := awsForceNew[typ]
	return slices.Clone(list), ok
}

// AWSTypes are the pulumi-aws types with known rules, sorted.
func AWSTypes() []string {
	out := make([]string, 0, len(awsForceNew))
	for typ := range awsForceNew {
		out = append(out, typ)
	}
	slices.Sort(out)
	return out
}

func aws(typ, key string) (Verdict, string) {
	list, ok := awsForceNew[typ]
	if !ok {
		return Unknown, "no ForceNew list for " + typ
	}
	if contains(list, key) {
		return Replaces, "forces replacement: " + key
	}
	return InPlace, ""
}
