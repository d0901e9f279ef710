package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/netplan"
)

// DualStackVpcType is the component's type token.
const DualStackVpcType = "eks-advanced-networking:network:DualStackVpc"

// DualStackVpcArgs describes the VPC: its layout and extra tags.
type DualStackVpcArgs struct {
	// Layout is what netplan.PlanVpc makes of the VPC's settings in its zones, and refuses bad
	// settings with. The component builds the layout it is given, so whatever else the caller
	// derives from it (the stacks check a running VPC against it and plan the Multus networks in it)
	// reads the same plan.
	Layout netplan.VpcPlan
	// Tags go on every resource, next to the Name tag.
	Tags map[string]string
}

// DualStackVpc is what eksctl builds for an IPv6 cluster, plus the DNS64/NAT64 eksctl dropped: a VPC
// with an Amazon /56, public and private subnets per AZ with a /64 each, internet, egress-only internet
// and NAT gateways, and one route table per subnet. With Ipv6 off it is a plain IPv4 VPC.
type DualStackVpc struct {
	pulumi.ResourceState

	VpcId         pulumi.IDOutput     `pulumi:"vpcId"`
	Ipv6CidrBlock pulumi.StringOutput `pulumi:"ipv6CidrBlock"`
	// Subnet, route table and NAT gateway ids, ordered by AZ.
	PublicSubnetIds      pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
	PrivateSubnetIds     pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	PublicRouteTableIds  pulumi.StringArrayOutput `pulumi:"publicRouteTableIds"`
	PrivateRouteTableIds pulumi.StringArrayOutput `pulumi:"privateRouteTableIds"`
	NatGatewayIds        pulumi.StringArrayOutput `pulumi:"natGatewayIds"`

	// Plan is the layout the VPC was built from, for Go callers that cut addresses from its subnets.
	Plan netplan.VpcPlan
	// subnets are aligned with Plan.Subnets.
	subnets []*ec2.Subnet
	// egress are the routes and route table associations: every other resource of the VPC is behind
	// one of them.
	egress []pulumi.Resource
}

// NewDualStackVpc builds the VPC its layout describes, and registers nothing without one.
func NewDualStackVpc(ctx *pulumi.Context, name string, args *DualStackVpcArgs, opts ...pulumi.ResourceOption) (*DualStackVpc, error) {
	if args == nil {
		return nil, fmt.Errorf("DualStackVpc %s: args are required", name)
	}
	layout := args.Layout
	if len(layout.Subnets) == 0 {
		return nil, fmt.Errorf("DualStackVpc %s: Layout has no subnets; make it with netplan.PlanVpc from the VPC's settings and zones", name)
	}
	c := &DualStackVpc{Plan: layout}
	if err := ctx.RegisterComponentResource(DualStackVpcType, name, c, opts...); err != nil {
		return nil, err
	}
	b := vpcBuilder{ctx: ctx, name: name, args: args, layout: layout, parent: pulumi.Parent(c)}
	if err := b.build(c); err != nil {
		return nil, err
	}
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"vpcId":                c.VpcId,
		"ipv6CidrBlock":        c.Ipv6CidrBlock,
		"publicSubnetIds":      c.PublicSubnetIds,
		"privateSubnetIds":     c.PrivateSubnetIds,
		"publicRouteTableIds":  c.PublicRouteTableIds,
		"privateRouteTableIds": c.PrivateRouteTableIds,
		"natGatewayIds":        c.NatGatewayIds,
	})
}

// Egress are the VPC's routes and route table associations; every other resource of the VPC is
// behind one of them, so what depends on these is deleted before any of the VPC. Depend on them for
// what must go while the network still works: on destroy, a load balancer controller deleting its
// load balancers needs the NAT gateway, and the deployer needs the API endpoint. Go only.
func (v *DualStackVpc) Egress() []pulumi.Resource { return v.egress }

type vpcBuilder struct {
	ctx    *pulumi.Context
	name   string
	args   *DualStackVpcArgs
	layout netplan.VpcPlan
	parent pulumi.ResourceOption
}

func (b vpcBuilder) tags(name string, extra map[string]string) pulumi.StringMap {
	return nameTags(name, b.args.Tags, extra)
}

// subnetTags are the tags the AWS load balancer controller looks for.
var subnetTags = map[netplan.Tier]map[string]string{
	netplan.Public:  {"kubernetes.io/role/elb": "1"},
	netplan.Private: {"kubernetes.io/role/internal-elb": "1"},
}

func (b vpcBuilder) build(c *DualStackVpc) error {
	ctx, name, in := b.ctx, b.name, b.layout.Input
	vpc, err := ec2.NewVpc(ctx, name, &ec2.VpcArgs{
		CidrBlock:                    pulumi.String(in.CidrBlock),
		EnableDnsSupport:             pulumi.Bool(true),
		EnableDnsHostnames:           pulumi.Bool(true),
		AssignGeneratedIpv6CidrBlock: pulumi.Bool(in.Ipv6),
		Tags:                         b.tags(name, nil),
	}, b.parent)
	if err != nil {
		return err
	}
	c.VpcId = vpc.ID()
	c.Ipv6CidrBlock = pulumi.String("").ToStringOutput()
	if in.Ipv6 {
		c.Ipv6CidrBlock = vpc.Ipv6CidrBlock
	}

	igw, err := ec2.NewInternetGateway(ctx, name, &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(), Tags: b.tags(name, nil),
	}, b.parent)
	if err != nil {
		return err
	}
	var eigw *ec2.EgressOnlyInternetGateway
	if in.Ipv6 {
		if eigw, err = ec2.NewEgressOnlyInternetGateway(ctx, name, &ec2.EgressOnlyInternetGatewayArgs{
			VpcId: vpc.ID(), Tags: b.tags(name, nil),
		}, b.parent); err != nil {
			return err
		}
	}

	subnets := make([]*ec2.Subnet, len(b.layout.Subnets))
	for i, s := range b.layout.Subnets {
		if subnets[i], err = b.subnet(vpc, s); err != nil {
			return err
		}
	}
	c.subnets = subnets

	nats := make([]*ec2.NatGateway, len(b.layout.NatGateways))
	natIds := pulumi.StringArray{}
	for i, n := range b.layout.NatGateways {
		resourceName := name + "-" + n.Name()
		eip, err := ec2.NewEip(ctx, resourceName, &ec2.EipArgs{
			Domain: pulumi.String("vpc"), Tags: b.tags(resourceName, nil),
		}, b.parent)
		if err != nil {
			return err
		}
		// AWS needs the internet gateway attached before a public NAT gateway can work.
		if nats[i], err = ec2.NewNatGateway(ctx, resourceName, &ec2.NatGatewayArgs{
			AllocationId:     eip.AllocationId,
			SubnetId:         subnets[n.PublicSubnet].ID(),
			ConnectivityType: pulumi.String("public"),
			Tags:             b.tags(resourceName, nil),
		}, b.parent, pulumi.DependsOn([]pulumi.Resource{igw})); err != nil {
			return err
		}
		natIds = append(natIds, nats[i].ID().ToStringOutput())
	}

	routeTableIds := map[netplan.Tier]pulumi.StringArray{}
	subnetIds := map[netplan.Tier]pulumi.StringArray{}
	for i, s := range b.layout.Subnets {
		resourceName := name + "-" + s.Name()
		rt, err := ec2.NewRouteTable(ctx, resourceName, &ec2.RouteTableArgs{
			VpcId: vpc.ID(), Tags: b.tags(resourceName, nil),
		}, b.parent)
		if err != nil {
			return err
		}
		for _, r := range s.Routes {
			args := &ec2.RouteArgs{RouteTableId: rt.ID()}
			if r.DestinationCidr != "" {
				args.DestinationCidrBlock = pulumi.String(r.DestinationCidr)
			} else {
				args.DestinationIpv6CidrBlock = pulumi.String(r.DestinationIpv6Cidr)
			}
			switch r.Target {
			case netplan.InternetGateway:
				args.GatewayId = igw.ID()
			case netplan.EgressOnlyInternetGateway:
				args.EgressOnlyGatewayId = eigw.ID()
			case netplan.NatGatewayTarget:
				// natGatewayId, never the gateway's network interface (AWS refuses that for IPv6 destinations, eksctl #4603).
				args.NatGatewayId = nats[r.NatGateway].ID()
			}
			route, err := ec2.NewRoute(ctx, resourceName+"-"+r.Name(), args, b.parent)
			if err != nil {
				return err
			}
			c.egress = append(c.egress, route)
		}
		association, err := ec2.NewRouteTableAssociation(ctx, resourceName, &ec2.RouteTableAssociationArgs{
			SubnetId: subnets[i].ID(), RouteTableId: rt.ID(),
		}, b.parent)
		if err != nil {
			return err
		}
		c.egress = append(c.egress, association)
		routeTableIds[s.Tier] = append(routeTableIds[s.Tier], rt.ID().ToStringOutput())
		subnetIds[s.Tier] = append(subnetIds[s.Tier], subnets[i].ID().ToStringOutput())
	}

	c.PublicSubnetIds = subnetIds[netplan.Public].ToStringArrayOutput()
	c.PrivateSubnetIds = subnetIds[netplan.Private].ToStringArrayOutput()
	c.PublicRouteTableIds = routeTableIds[netplan.Public].ToStringArrayOutput()
	c.PrivateRouteTableIds = routeTableIds[netplan.Private].ToStringArrayOutput()
	c.NatGatewayIds = natIds.ToStringArrayOutput()
	return nil
}

func (b vpcBuilder) subnet(vpc *ec2.Vpc, s netplan.Subnet) (*ec2.Subnet, error) {
	resourceName := b.name + "-" + s.Name()
	args := &ec2.SubnetArgs{
		VpcId:               vpc.ID(),
		AvailabilityZone:    pulumi.String(s.AvailabilityZone),
		CidrBlock:           pulumi.String(s.Ipv4Cidr),
		MapPublicIpOnLaunch: pulumi.Bool(s.Tier == netplan.Public),
		Tags:                b.tags(resourceName, subnetTags[s.Tier]),
	}
	if b.layout.Input.Ipv6 {
		slot := s.Slot
		// Derived from the VPC's output, not created inside the apply: the apply only computes a string.
		args.Ipv6CidrBlock = vpc.Ipv6CidrBlock.ApplyT(func(block string) (string, error) {
			return netplan.SubnetIpv6Cidr(block, slot)
		}).(pulumi.StringOutput)
		args.AssignIpv6AddressOnCreation = pulumi.Bool(true)
		args.EnableDns64 = pulumi.Bool(s.Dns64)
	}
	return ec2.NewSubnet(b.ctx, resourceName, args, b.parent)
}

// subnetIndex finds the plan's subnet of a tier in a zone.
func (v *DualStackVpc) subnetIndex(tier netplan.Tier, az string) (int, error) {
	for i, s := range v.Plan.Subnets {
		if s.Tier == tier && s.AvailabilityZone == az {
			return i, nil
		}
	}
	return 0, fmt.Errorf("the VPC has no %s subnet in %s", tier, az)
}

// SubnetCidrs are the IPv4 blocks of the VPC's subnets of a tier, in zone order, as planned.
func (v *DualStackVpc) SubnetCidrs(tier netplan.Tier) []string {
	var out []string
	for _, s := range v.Plan.SubnetsOf(tier) {
		out = append(out, s.Ipv4Cidr)
	}
	return out
}

// subnetCidr is the IPv4 block of the VPC's subnet of a tier in a zone.
func (v *DualStackVpc) subnetCidr(tier netplan.Tier, az string) (string, error) {
	i, err := v.subnetIndex(tier, az)
	if err != nil {
		return "", err
	}
	return v.Plan.Subnets[i].Ipv4Cidr, nil
}

// SubnetId returns the id of the VPC's subnet of a tier in a zone.
func (v *DualStackVpc) SubnetId(tier netplan.Tier, az string) (pulumi.StringOutput, error) {
	i, err := v.subnetIndex(tier, az)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return v.subnets[i].ID().ToStringOutput(), nil
}
