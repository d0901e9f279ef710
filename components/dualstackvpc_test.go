package components

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/netplan"
	"eks-advanced-networking/internal/plan"
)

const (
	typeVpc     = "aws:ec2/vpc:Vpc"
	typeSubnet  = "aws:ec2/subnet:Subnet"
	typeIgw     = "aws:ec2/internetGateway:InternetGateway"
	typeEigw    = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
	typeEip     = "aws:ec2/eip:Eip"
	typeNat     = "aws:ec2/natGateway:NatGateway"
	typeRtb     = "aws:ec2/routeTable:RouteTable"
	typeRoute   = "aws:ec2/route:Route"
	typeRtbAssc = "aws:ec2/routeTableAssociation:RouteTableAssociation"
)

var zones = []string{"eu-central-1a", "eu-central-1b", "eu-central-1c"}

// chapterVpcInput is the chapter's dual-stack VPC in three zones.
func chapterVpcInput() netplan.VpcInput {
	return netplan.VpcInput{
		CidrBlock: "192.168.0.0/16", AvailabilityZones: zones, SubnetPrefixLength: 19,
		Ipv6: true, NatGateways: netplan.NatGatewaySingle, PrivateDns64: true,
	}
}

func chapterVpc() *DualStackVpcArgs { return vpcArgs(chapterVpcInput()) }

// vpcArgs are a VPC's arguments as the stacks make them: the input's layout, with a tag.
func vpcArgs(in netplan.VpcInput) *DualStackVpcArgs {
	layout, err := netplan.PlanVpc(in)
	if err != nil {
		panic(fmt.Sprintf("a test's VPC input does not plan: %v", err)) // the inputs are the tests' own constants
	}
	return &DualStackVpcArgs{Layout: layout, Tags: map[string]string{"team": "platform"}}
}

// runVpc registers one DualStackVpc under mocks and returns the plan.
func runVpc(t *testing.T, args *DualStackVpcArgs) *plan.Plan {
	t.Helper()
	p, err := plan.Run(plan.Options{Project: "test", Stack: "test", Config: map[string]string{"aws:region": "eu-central-1"}},
		func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
			vpc, err := NewDualStackVpc(ctx, "vpc", args)
			if err != nil {
				return nil, err
			}
			return map[string]pulumi.Output{
				"publicSubnetIds": vpc.PublicSubnetIds, "privateSubnetIds": vpc.PrivateSubnetIds,
				"natGatewayIds": vpc.NatGatewayIds, "ipv6CidrBlock": vpc.Ipv6CidrBlock,
				"privateRouteTableIds": vpc.PrivateRouteTableIds,
			}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// get returns the resource of a type and name, failing the test if there is none.
func get(t *testing.T, p *plan.Plan, typ, name string) plan.Resource {
	t.Helper()
	r, err := p.Get(typ, name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// hasInputs reports each input of r that differs from want (dotted paths), naming the resource.
func hasInputs(t *testing.T, r plan.Resource, want map[string]any) {
	t.Helper()
	for _, m := range r.Mismatches(want) {
		t.Errorf("%s %s: %s", r.Type, r.Name, m)
	}
}

func TestDualStackVpcResources(t *testing.T) {
	p := runVpc(t, chapterVpc())
	component := get(t, p, DualStackVpcType, "vpc")
	vpc := get(t, p, typeVpc, "vpc")
	for path, want := range map[string]any{
		"cidrBlock": "192.168.0.0/16", "enableDnsSupport": true, "enableDnsHostnames": true,
		"assignGeneratedIpv6CidrBlock": true, "tags.Name": "vpc", "tags.team": "platform",
	} {
		if got := vpc.Input(path); got != want {
			t.Errorf("VPC %s = %v, want %v", path, got, want)
		}
	}
	for _, r := range p.Resources {
		if r.URN != component.URN && r.Parent != component.URN {
			t.Errorf("%s %s is not parented to the DualStackVpc", r.Type, r.Name)
		}
	}

	for i, az := range zones {
		for _, tc := range []struct {
			tier          string
			slot          int
			cidr, roleTag string
			public, dns64 bool
		}{
			{"public", i, fmt.Sprintf("192.168.%d.0/19", 32*i), "kubernetes.io/role/elb", true, false},
			{"private", 3 + i, fmt.Sprintf("192.168.%d.0/19", 96+32*i), "kubernetes.io/role/internal-elb", false, true},
		} {
			s := get(t, p, typeSubnet, "vpc-"+tc.tier+"-"+az)
			want := map[string]any{
				"vpcId": vpc.ID, "availabilityZone": az, "cidrBlock": tc.cidr,
				"ipv6CidrBlock":               fmt.Sprintf("2a05:d014:ec6:2f%02x::/64", tc.slot),
				"assignIpv6AddressOnCreation": true, "mapPublicIpOnLaunch": tc.public, "enableDns64": tc.dns64,
			}
			for path, w := range want {
				if got := s.Input(path); got != w {
					t.Errorf("subnet %s: %s = %v, want %v", s.Name, path, got, w)
				}
			}
			// Tag keys contain dots, so they are read from the map, not by path.
			if tags, _ := s.Input("tags").(map[string]any); tags[tc.roleTag] != "1" {
				t.Errorf("subnet %s: tags %v, want %s=1", s.Name, tags, tc.roleTag)
			}
		}
	}

	igw := get(t, p, typeIgw, "vpc")
	eigw := get(t, p, typeEigw, "vpc")
	hasInputs(t, igw, map[string]any{"vpcId": vpc.ID})
	hasInputs(t, eigw, map[string]any{"vpcId": vpc.ID})
	eip := get(t, p, typeEip, "vpc-nat-eu-central-1a")
	nat := get(t, p, typeNat, "vpc-nat-eu-central-1a")
	publicA := get(t, p, typeSubnet, "vpc-public-eu-central-1a")
	if eip.String("domain") != "vpc" || nat.String("allocationId") != eip.ID || nat.String("subnetId") != publicA.ID ||
		nat.String("connectivityType") != "public" || !nat.DependsOn(igw.URN) {
		t.Errorf("NAT gateway %v (deps %v), want the EIP, the first public subnet and a dependency on the IGW", nat.Inputs, nat.Dependencies)
	}
	if n := len(p.ByType(typeNat)); n != 1 {
		t.Errorf("%d NAT gateways in single mode", n)
	}
	if got, want := p.Outputs["natGatewayIds"], []any{nat.ID}; !reflect.DeepEqual(got, want) {
		t.Errorf("natGatewayIds = %v, want %v", got, want)
	}
	if got := p.Outputs["ipv6CidrBlock"]; got != plan.MockVpcIpv6Cidr {
		t.Errorf("ipv6CidrBlock output = %v", got)
	}
}

// routeTable follows a subnet to its route table through the association, and returns the routes as
// destination -> target id.
func routeTable(t *testing.T, p *plan.Plan, subnetName string) (plan.Resource, map[string]string) {
	t.Helper()
	subnet := get(t, p, typeSubnet, subnetName)
	var assoc []plan.Resource
	for _, a := range p.ByType(typeRtbAssc) {
		if a.String("subnetId") == subnet.ID {
			assoc = append(assoc, a)
		}
	}
	if len(assoc) != 1 {
		t.Fatalf("subnet %s has %d route table associations, want exactly 1", subnetName, len(assoc))
	}
	rt, ok := p.ByID(assoc[0].String("routeTableId"))
	if !ok {
		t.Fatalf("association of %s points at unknown route table %s", subnetName, assoc[0].String("routeTableId"))
	}
	routes := map[string]string{}
	for _, r := range p.ByType(typeRoute) {
		if r.String("routeTableId") != rt.ID {
			continue
		}
		if r.Input("networkInterfaceId") != nil {
			t.Errorf("route %s targets a network interface; NAT routes must use natGatewayId", r.Name)
		}
		dest := r.String("destinationCidrBlock") + r.String("destinationIpv6CidrBlock")
		target := r.String("gatewayId") + r.String("egressOnlyGatewayId") + r.String("natGatewayId")
		if _, dup := routes[dest]; dup {
			t.Errorf("route table of %s has two routes to %s", subnetName, dest)
		}
		routes[dest] = target
	}
	return rt, routes
}

func TestDualStackVpcRouting(t *testing.T) {
	p := runVpc(t, chapterVpc())
	igw := get(t, p, typeIgw, "vpc")
	eigw := get(t, p, typeEigw, "vpc")
	nat := get(t, p, typeNat, "vpc-nat-eu-central-1a")
	if n := len(p.ByType(typeRtb)); n != 6 {
		t.Errorf("%d route tables, want one per subnet (6)", n)
	}
	for _, az := range zones {
		_, public := routeTable(t, p, "vpc-public-"+az)
		if want := map[string]string{"0.0.0.0/0": igw.ID, "::/0": igw.ID}; !reflect.DeepEqual(public, want) {
			t.Errorf("public %s routes = %v, want %v", az, public, want)
		}
		_, private := routeTable(t, p, "vpc-private-"+az)
		want := map[string]string{"0.0.0.0/0": nat.ID, "::/0": eigw.ID, netplan.Nat64Prefix: nat.ID}
		if !reflect.DeepEqual(private, want) {
			t.Errorf("private %s routes = %v, want %v", az, private, want)
		}
	}
}

func TestDualStackVpcPerAzNatAndPublicDns64(t *testing.T) {
	in := chapterVpcInput()
	in.NatGateways, in.PublicDns64 = netplan.NatGatewayPerAz, true
	p := runVpc(t, vpcArgs(in))
	for _, az := range zones {
		nat := get(t, p, typeNat, "vpc-nat-"+az)
		publicSubnet := get(t, p, typeSubnet, "vpc-public-"+az)
		if nat.String("subnetId") != publicSubnet.ID {
			t.Errorf("NAT gateway of %s is in subnet %s, want its own public subnet", az, nat.String("subnetId"))
		}
		if publicSubnet.Input("enableDns64") != true {
			t.Errorf("public subnet %s: DNS64 off", az)
		}
		// terraform-aws-vpc #972: DNS64 on a public subnet without the NAT64 route breaks IPv4-only names.
		_, public := routeTable(t, p, "vpc-public-"+az)
		_, private := routeTable(t, p, "vpc-private-"+az)
		if public[netplan.Nat64Prefix] != nat.ID || private[netplan.Nat64Prefix] != nat.ID || private["0.0.0.0/0"] != nat.ID {
			t.Errorf("%s: NAT64 public %q private %q, IPv4 default %q; want all on %s", az,
				public[netplan.Nat64Prefix], private[netplan.Nat64Prefix], private["0.0.0.0/0"], nat.ID)
		}
	}
}

func TestIpv4OnlyVpc(t *testing.T) {
	in := chapterVpcInput()
	in.Ipv6, in.PrivateDns64 = false, false
	p := runVpc(t, vpcArgs(in))
	if vpc := get(t, p, typeVpc, "vpc"); vpc.Input("assignGeneratedIpv6CidrBlock") != false {
		t.Errorf("IPv4 VPC asks for an IPv6 block")
	}
	if n := len(p.ByType(typeEigw)); n != 0 {
		t.Errorf("%d egress-only gateways in an IPv4 VPC", n)
	}
	for _, s := range p.ByType(typeSubnet) {
		for _, k := range []string{"ipv6CidrBlock", "assignIpv6AddressOnCreation", "enableDns64"} {
			if v, ok := s.Inputs[k]; ok {
				t.Errorf("subnet %s sets %s = %v in an IPv4 VPC", s.Name, k, v)
			}
		}
	}
	for _, r := range p.ByType(typeRoute) {
		if r.Input("destinationIpv6CidrBlock") != nil {
			t.Errorf("route %s has an IPv6 destination in an IPv4 VPC", r.Name)
		}
	}
	if got := p.Outputs["ipv6CidrBlock"]; got != "" {
		t.Errorf("ipv6CidrBlock output = %v, want empty", got)
	}
}

func TestDualStackVpcOutputsAreOrderedByAz(t *testing.T) {
	p := runVpc(t, chapterVpc())
	for _, tier := range []string{"public", "private"} {
		var want []any
		for _, az := range zones {
			want = append(want, get(t, p, typeSubnet, "vpc-"+tier+"-"+az).ID)
		}
		if got := p.Outputs[tier+"SubnetIds"]; !reflect.DeepEqual(got, want) {
			t.Errorf("%sSubnetIds = %v, want %v", tier, got, want)
		}
	}
}

// A VPC without a layout is refused before anything registers; netplan.PlanVpc, which makes the
// layout, refuses bad settings in the stack file's words (netplan and blueprint tests).
func TestVpcWithoutALayoutRegistersNothing(t *testing.T) {
	p, err := plan.Run(plan.Options{Project: "test", Stack: "test", Config: map[string]string{"aws:region": "eu-central-1"}},
		func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
			_, err := NewDualStackVpc(ctx, "vpc", &DualStackVpcArgs{})
			return nil, err
		})
	if err == nil || !strings.Contains(err.Error(), "DualStackVpc vpc: Layout has no subnets") || !strings.Contains(err.Error(), "netplan.PlanVpc") {
		t.Fatalf("err = %v, want the missing layout named, and how to make one", err)
	}
	if len(p.Resources) != 0 {
		t.Errorf("registered %d resources before refusing the input", len(p.Resources))
	}
}
