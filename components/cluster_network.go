package components

import (
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/clusterspec"
)

// securityGroups are the control plane's and the nodes'. pulumi-eks v2's defaults allow egress to
// 0.0.0.0/0 only, which breaks CoreDNS and everything else on IPv6 (pulumi-eks #1700); ours allow
// ::/0 too, node to node, and what the control plane needs to reach kubelets and webhooks.
func (b *clusterBuilder) securityGroups() (*ec2.SecurityGroup, *ec2.SecurityGroup, error) {
	ctx, name := b.ctx, b.name
	vpcId := b.args.Vpc.VpcId.ToStringOutput()
	controlPlane, err := ec2.NewSecurityGroup(ctx, name+"-control-plane", &ec2.SecurityGroupArgs{
		VpcId:       vpcId,
		Description: pulumi.String("EKS control plane: API server ENIs"),
		Tags:        b.tags(name + "-control-plane"),
	}, b.parent)
	if err != nil {
		return nil, nil, err
	}
	nodes, err := ec2.NewSecurityGroup(ctx, name+"-nodes", &ec2.SecurityGroupArgs{
		VpcId:       vpcId,
		Description: pulumi.String("EKS nodes and their pods"),
		Tags:        b.tags(name + "-nodes"),
	}, b.parent)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range clusterspec.ClusterSecurityGroupRules(b.family.name == clusterspec.Ipv6) {
		sg, other := nodes, controlPlane
		if r.Group == clusterspec.ControlPlaneGroup {
			sg, other = controlPlane, nodes
		}
		var from, to pulumi.IntPtrInput
		if r.Protocol != "-1" {
			from, to = pulumi.Int(r.FromPort), pulumi.Int(r.ToPort)
		}
		var peerGroup, cidrIpv4, cidrIpv6 pulumi.StringPtrInput
		switch r.Peer {
		case clusterspec.PeerSelf:
			peerGroup = sg.ID()
		case clusterspec.PeerOther:
			peerGroup = other.ID()
		case clusterspec.PeerAnyIpv4:
			cidrIpv4 = pulumi.String(string(r.Peer))
		case clusterspec.PeerAnyIpv6:
			cidrIpv6 = pulumi.String(string(r.Peer))
		}
		ruleName := name + "-" + r.Name
		var err error
		var rule pulumi.Resource
		if r.Ingress {
			rule, err = vpc.NewSecurityGroupIngressRule(ctx, ruleName, &vpc.SecurityGroupIngressRuleArgs{
				SecurityGroupId: sg.ID(), IpProtocol: pulumi.String(r.Protocol), Description: pulumi.String(r.Description),
				FromPort: from, ToPort: to, ReferencedSecurityGroupId: peerGroup, CidrIpv4: cidrIpv4, CidrIpv6: cidrIpv6,
			}, b.parent)
		} else {
			rule, err = vpc.NewSecurityGroupEgressRule(ctx, ruleName, &vpc.SecurityGroupEgressRuleArgs{
				SecurityGroupId: sg.ID(), IpProtocol: pulumi.String(r.Protocol), Description: pulumi.String(r.Description),
				FromPort: from, ToPort: to, ReferencedSecurityGroupId: peerGroup, CidrIpv4: cidrIpv4, CidrIpv6: cidrIpv6,
			}, b.parent)
		}
		if err != nil {
			return nil, nil, err
		}
		b.teardownNeeds = append(b.teardownNeeds, rule)
	}
	return controlPlane, nodes, nil
}

// resourceSafe turns a CIDR or an IAM path into a piece of a resource name: 10.20.0.0/16 ->
// 10-20-0-0-16, 2001:db8::/32 -> 2001-db8---32, teams/platform -> teams-platform.
func resourceSafe(s string) string {
	return strings.NewReplacer(".", "-", "/", "-", ":", "-").Replace(s)
}
