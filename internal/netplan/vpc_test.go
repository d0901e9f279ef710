package netplan

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

var threeAzs = []string{"eu-central-1a", "eu-central-1b", "eu-central-1c"}

func chapterInput() VpcInput {
	return VpcInput{
		CidrBlock: "192.168.0.0/16", AvailabilityZones: threeAzs, SubnetPrefixLength: 19,
		Ipv6: true, NatGateways: NatGatewaySingle, PrivateDns64: true,
	}
}

func TestPlanVpcReproducesEksctlLayout(t *testing.T) {
	plan, err := PlanVpc(chapterInput())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name, cidr string
		slot       int
	}{
		{"public-eu-central-1a", "192.168.0.0/19", 0},
		{"public-eu-central-1b", "192.168.32.0/19", 1},
		{"public-eu-central-1c", "192.168.64.0/19", 2},
		{"private-eu-central-1a", "192.168.96.0/19", 3},
		{"private-eu-central-1b", "192.168.128.0/19", 4},
		{"private-eu-central-1c", "192.168.160.0/19", 5},
	}
	if len(plan.Subnets) != len(want) {
		t.Fatalf("got %d subnets, want %d", len(plan.Subnets), len(want))
	}
	for i, w := range want {
		s := plan.Subnets[i]
		if s.Name() != w.name || s.Ipv4Cidr != w.cidr || s.Slot != w.slot {
			t.Errorf("subnet %d = %s %s slot %d, want %s %s slot %d", i, s.Name(), s.Ipv4Cidr, s.Slot, w.name, w.cidr, w.slot)
		}
	}
	if len(plan.NatGateways) != 1 || plan.NatGateways[0].PublicSubnet != 0 {
		t.Errorf("single mode: NAT gateways = %+v, want one in the first public subnet", plan.NatGateways)
	}
}

func TestRoutesPerTier(t *testing.T) {
	in := chapterInput()
	in.PublicDns64 = true
	in.NatGateways = NatGatewayPerAz
	plan, err := PlanVpc(in)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range plan.Subnets {
		got := map[string]Route{}
		for _, r := range s.Routes {
			if _, dup := got[r.Destination()]; dup {
				t.Errorf("%s: two routes for %s", s.Name(), r.Destination())
			}
			got[r.Destination()] = r
		}
		azIndex := i % len(threeAzs)
		switch s.Tier {
		case Public:
			if got["0.0.0.0/0"].Target != InternetGateway || got["::/0"].Target != InternetGateway {
				t.Errorf("%s: default routes %+v, want both to the internet gateway", s.Name(), s.Routes)
			}
		case Private:
			if r := got["0.0.0.0/0"]; r.Target != NatGatewayTarget || r.NatGateway != azIndex {
				t.Errorf("%s: 0.0.0.0/0 -> %+v, want its own AZ's NAT gateway %d", s.Name(), r, azIndex)
			}
			if got["::/0"].Target != EgressOnlyInternetGateway {
				t.Errorf("%s: ::/0 -> %+v, want the egress-only internet gateway", s.Name(), got["::/0"])
			}
		}
		// Every DNS64 subnet, public ones too, routes the NAT64 prefix to a NAT gateway of its AZ.
		if r, ok := got[Nat64Prefix]; !ok || r.Target != NatGatewayTarget || r.NatGateway != azIndex || r.DestinationIpv6Cidr != Nat64Prefix {
			t.Errorf("%s: DNS64 is on but the NAT64 route is %+v", s.Name(), r)
		}
		if plan.NatGateways[azIndex].AvailabilityZone != s.AvailabilityZone {
			t.Errorf("%s: NAT gateway %d is in %s", s.Name(), azIndex, plan.NatGateways[azIndex].AvailabilityZone)
		}
	}
}

func TestNoIpv6RoutesWithoutIpv6(t *testing.T) {
	in := chapterInput()
	in.Ipv6, in.PrivateDns64 = false, false
	plan, err := PlanVpc(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range plan.Subnets {
		if s.Dns64 {
			t.Errorf("%s has DNS64 without IPv6", s.Name())
		}
		for _, r := range s.Routes {
			if r.DestinationIpv6Cidr != "" {
				t.Errorf("%s has IPv6 route %+v in an IPv4-only VPC", s.Name(), r)
			}
		}
	}
}

func TestDns64OnlyOnTheRequestedTier(t *testing.T) {
	plan, err := PlanVpc(chapterInput())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range plan.Subnets {
		hasNat64 := false
		for _, r := range s.Routes {
			hasNat64 = hasNat64 || r.DestinationIpv6Cidr == Nat64Prefix
		}
		if s.Dns64 != (s.Tier == Private) || hasNat64 != s.Dns64 {
			t.Errorf("%s: dns64=%v nat64 route=%v, want both exactly on private subnets", s.Name(), s.Dns64, hasNat64)
		}
	}
}

func TestNoNatGatewayMeansNoIpv4DefaultRouteForPrivate(t *testing.T) {
	in := chapterInput()
	in.NatGateways, in.PrivateDns64 = NatGatewayNone, false
	plan, err := PlanVpc(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.NatGateways) != 0 {
		t.Fatalf("NAT gateways %+v in mode none", plan.NatGateways)
	}
	for _, s := range plan.SubnetsOf(Private) {
		for _, r := range s.Routes {
			if r.Target == NatGatewayTarget {
				t.Errorf("%s routes to a NAT gateway in mode none", s.Name())
			}
		}
	}
}

func TestSubnetPrefixScalesWithZones(t *testing.T) {
	in := chapterInput()
	in.AvailabilityZones = []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"}
	in.SubnetPrefixLength = 20
	plan, err := PlanVpc(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Subnets[11].Ipv4Cidr; got != "192.168.176.0/20" {
		t.Errorf("12th /20 = %s, want 192.168.176.0/20", got)
	}
}

func TestSubnetIpv6Cidr(t *testing.T) {
	for _, tc := range []struct {
		vpc  string
		slot int
		want string
	}{
		{"2a05:d014:ec6:2f00::/56", 0, "2a05:d014:ec6:2f00::/64"},
		{"2a05:d014:ec6:2f00::/56", 3, "2a05:d014:ec6:2f03::/64"},
		{"2a05:d014:ec6:2f00::/56", 255, "2a05:d014:ec6:2fff::/64"},
		{"2600:1f14:abc:ff00::/56", 1, "2600:1f14:abc:ff01::/64"},
	} {
		got, err := SubnetIpv6Cidr(tc.vpc, tc.slot)
		if err != nil || got != tc.want {
			t.Errorf("SubnetIpv6Cidr(%s, %d) = %q, %v; want %s", tc.vpc, tc.slot, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		vpc  string
		slot int
	}{
		{"2a05:d014:ec6:2f00::/56", 256},
		{"2a05:d014:ec6:2f00::/56", -1},
		{"192.168.0.0/16", 0},
		{"2a05:d014:ec6:2f00::/72", 0},
		{"nonsense", 0},
	} {
		if got, err := SubnetIpv6Cidr(tc.vpc, tc.slot); err == nil {
			t.Errorf("SubnetIpv6Cidr(%s, %d) = %s, want an error", tc.vpc, tc.slot, got)
		}
	}
}

func TestPlanVpcRejects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*VpcInput)
		field  string
		says   string
	}{
		{"not a CIDR", func(in *VpcInput) { in.CidrBlock = "192.168.0.0" }, KeyCidrBlock, "not a CIDR"},
		{"IPv6 primary block", func(in *VpcInput) { in.CidrBlock = "fd00::/56" }, KeyCidrBlock, "not an IPv4 block"},
		{"host bits", func(in *VpcInput) { in.CidrBlock = "192.168.1.0/16" }, KeyCidrBlock, "192.168.0.0/16"},
		{"too large", func(in *VpcInput) { in.CidrBlock = "10.0.0.0/8" }, KeyCidrBlock, "/16 to /28"},
		{"public range", func(in *VpcInput) { in.CidrBlock = "8.8.0.0/16" }, KeyCidrBlock, "not a private range"},
		{"too small for six /19s", func(in *VpcInput) { in.CidrBlock = "192.168.0.0/17" }, KeyCidrBlock, "holds 4 subnets of /19"},
		{"prefix beyond /28", func(in *VpcInput) { in.SubnetPrefixLength = 29 }, KeySubnetPrefixLength, "/28"},
		{"prefix wider than VPC", func(in *VpcInput) { in.SubnetPrefixLength = 15 }, KeySubnetPrefixLength, "/16"},
		{"no zones", func(in *VpcInput) { in.AvailabilityZones = nil }, KeyAvailabilityZones, "1 to 6"},
		{"unknown NAT mode", func(in *VpcInput) { in.NatGateways = "two" }, KeyNatGateways, "single, per-az, none"},
		{"DNS64 without IPv6", func(in *VpcInput) { in.Ipv6 = false }, FieldPrivateDns64, "turn vpcIpv6 on"},
		{"public DNS64 without IPv6", func(in *VpcInput) { in.Ipv6, in.PrivateDns64, in.PublicDns64 = false, false, true }, KeyPublicDns64, "turn vpcIpv6 on"},
		{"DNS64 without NAT", func(in *VpcInput) { in.NatGateways = NatGatewayNone }, FieldPrivateDns64, "NAT gateway"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := chapterInput()
			tc.mutate(&in)
			_, err := PlanVpc(in)
			var fe *field.Error
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *field.Error", err)
			}
			if fe.Field != tc.field || !strings.Contains(fe.Error(), tc.says) {
				t.Errorf("err = %v (field %s), want field %s mentioning %q", err, fe.Field, tc.field, tc.says)
			}
		})
	}
}

func TestValidateAvailabilityZones(t *testing.T) {
	if err := ValidateAvailabilityZones("eu-central-1", threeAzs); err != nil {
		t.Errorf("chapter zones rejected: %v", err)
	}
	for _, tc := range []struct {
		zones []string
		says  string
	}{
		{nil, "0 availability zones"},
		{[]string{"a", "b", "c", "d", "e", "f", "g"}, "7 availability zones"},
		{[]string{"us-east-1a", "us-east-1b"}, "not in region eu-central-1"},
		{[]string{"eu-central-1a", "eu-central-1a"}, "listed twice"},
		{[]string{"eu-central-1"}, "not an availability zone name"},
		{[]string{"eu-central-1-ham-1a"}, "not an availability zone name"},
	} {
		err := ValidateAvailabilityZones("eu-central-1", tc.zones)
		if err == nil || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), KeyAvailabilityZones) {
			t.Errorf("zones %v: err = %v, want one naming %s and saying %q", tc.zones, err, KeyAvailabilityZones, tc.says)
		}
	}
}

// The egress revision changes with exactly what decides how pods leave the VPC: DNS64, a route, a
// target; the same plan gives the same line.
func TestEgressRevision(t *testing.T) {
	base := VpcInput{CidrBlock: "192.168.0.0/16", AvailabilityZones: []string{"eu-central-1a", "eu-central-1b"}, SubnetPrefixLength: 19,
		Ipv6: true, NatGateways: NatGatewaySingle, PrivateDns64: true}
	revision := func(in VpcInput) string {
		t.Helper()
		p, err := PlanVpc(in)
		if err != nil {
			t.Fatal(err)
		}
		return p.EgressRevision()
	}
	want := "public-eu-central-1a 0.0.0.0/0>internet-gateway ::/0>internet-gateway; " +
		"public-eu-central-1b 0.0.0.0/0>internet-gateway ::/0>internet-gateway; " +
		"private-eu-central-1a dns64 0.0.0.0/0>nat-gateway ::/0>egress-only-internet-gateway 64:ff9b::/96>nat-gateway; " +
		"private-eu-central-1b dns64 0.0.0.0/0>nat-gateway ::/0>egress-only-internet-gateway 64:ff9b::/96>nat-gateway"
	if got := revision(base); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	noDns64 := base
	noDns64.PrivateDns64 = false
	noNat := noDns64
	noNat.NatGateways = NatGatewayNone
	for name, in := range map[string]VpcInput{"DNS64 off": noDns64, "no NAT gateway": noNat} {
		if revision(in) == want {
			t.Errorf("%s: the revision did not change", name)
		}
	}
}

// runningAs is the VPC a cluster made from in runs in: every subnet of the plan, as EC2 would
// describe it.
func runningAs(t *testing.T, in VpcInput) RunningVpc {
	t.Helper()
	plan, err := PlanVpc(in)
	if err != nil {
		t.Fatal(err)
	}
	running := RunningVpc{ID: "vpc-0running", Ipv4Cidr: in.CidrBlock}
	if in.Ipv6 {
		running.Ipv6Cidr = "2a05:d014:ec6:100::/56"
	}
	for _, s := range plan.Subnets {
		running.Subnets = append(running.Subnets, RunningSubnet{ID: "subnet-" + s.Name(), AvailabilityZone: s.AvailabilityZone, Ipv4Cidr: s.Ipv4Cidr})
	}
	return running
}

func TestCheckReaddressing(t *testing.T) {
	running := runningAs(t, chapterInput())
	for _, tc := range []struct {
		name   string
		change func(*VpcInput)
		field  string
		reason string // a part of the refusal
	}{
		{"the same layout", func(*VpcInput) {}, "", ""},
		{"another NAT mode", func(in *VpcInput) { in.NatGateways = NatGatewayPerAz }, "", ""},
		{"DNS64 off", func(in *VpcInput) { in.PrivateDns64 = false }, "", ""},
		{"a smaller VPC", func(in *VpcInput) { in.CidrBlock = "192.168.0.0/17"; in.SubnetPrefixLength = 20 }, KeyCidrBlock, "set it back to 192.168.0.0/16"},
		{"another VPC block", func(in *VpcInput) { in.CidrBlock = "10.0.0.0/16" }, KeyCidrBlock, "EC2 cannot change a VPC's primary block"},
		{"smaller subnets", func(in *VpcInput) { in.SubnetPrefixLength = 20 }, KeySubnetPrefixLength, "set it back to 19"},
		{"a zone dropped", func(in *VpcInput) { in.AvailabilityZones = threeAzs[:2] }, KeyAvailabilityZones, "192.168.64.0/19 in eu-central-1c, which this drops"},
		{"the last zone dropped, each subnet moving", func(in *VpcInput) { in.AvailabilityZones = threeAzs[1:] }, KeyAvailabilityZones, "which this drops; EC2 cannot re-address a subnet, and one that holds the cluster's network interfaces cannot be deleted; keep eu-central-1a"},
		{"zones reordered", func(in *VpcInput) { in.AvailabilityZones = []string{threeAzs[1], threeAzs[0], threeAzs[2]} }, KeyAvailabilityZones, "keep the running zones eu-central-1a, eu-central-1b, eu-central-1c in their order"},
		{"a zone added", func(in *VpcInput) { in.AvailabilityZones = append(slices.Clone(threeAzs), "eu-central-1d") }, KeyAvailabilityZones, "which this moves to another block"},
		{"IPv6 off", func(in *VpcInput) { in.Ipv6, in.PrivateDns64 = false, false }, KeyIpv6, "has the IPv6 block 2a05:d014:ec6:100::/56"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := chapterInput()
			tc.change(&in)
			plan, err := PlanVpc(in)
			if err != nil {
				t.Fatal(err)
			}
			err = CheckReaddressing(running, plan)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused a change that keeps every subnet: %v", err)
				}
				return
			}
			var fe *field.Error
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a refusal of %s", err, tc.field)
			}
			if fe.Field != tc.field || !strings.Contains(fe.Detail, tc.reason) {
				t.Errorf("got %s: %s\nwant %s with %q", fe.Field, fe.Detail, tc.field, tc.reason)
			}
		})
	}
}

// TestCheckReaddressingOnlyCountsTheClustersSubnets: a cluster given only the private subnets (as
// a user might have made it) keeps them while the public ones would move; the check asks only about
// the subnets the cluster holds.
func TestCheckReaddressingOnlyCountsTheClustersSubnets(t *testing.T) {
	two := chapterInput()
	two.AvailabilityZones = threeAzs[:2]
	running := runningAs(t, two)
	running.Subnets = running.Subnets[:2] // the public ones, slots 0 and 1
	three, err := PlanVpc(chapterInput())
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckReaddressing(running, three); err != nil {
		t.Errorf("the cluster's subnets stay where they are, yet: %v", err)
	}
}

// The refusal names the running zones in the order of their subnets' addresses, not of the blocks'
// text: a VPC made elsewhere with zone a at 10.0.96.0/19 and zone b at 10.0.128.0/19 runs a, b
// (as text, "10.0.128.0/19" sorts first), and zones planned as b, a, c move both.
func TestCheckReaddressingNamesTheRunningZonesInAddressOrder(t *testing.T) {
	running := RunningVpc{ID: "vpc-0elsewhere", Ipv4Cidr: "10.0.0.0/16", Subnets: []RunningSubnet{
		{ID: "subnet-b", AvailabilityZone: "eu-central-1b", Ipv4Cidr: "10.0.128.0/19"},
		{ID: "subnet-a", AvailabilityZone: "eu-central-1a", Ipv4Cidr: "10.0.96.0/19"},
	}}
	in := chapterInput()
	in.CidrBlock, in.AvailabilityZones = "10.0.0.0/16", []string{"eu-central-1b", "eu-central-1a", "eu-central-1c"}
	plan, err := PlanVpc(in)
	if err != nil {
		t.Fatal(err)
	}
	err = CheckReaddressing(running, plan)
	if err == nil || !strings.Contains(err.Error(), "keep the running zones eu-central-1a, eu-central-1b in their order") {
		t.Errorf("got %v, want the running zones a, b in their order", err)
	}
}

// A layout planned in stand-in zones and then renamed is the layout planned in the real zones: the
// stack relies on it to plan a counted VPC before AWS names the zones.
func TestInZonesIsPlanningInThoseZones(t *testing.T) {
	standIn := []string{"eu-central-1a", "eu-central-1b", "eu-central-1c", "eu-central-1d"}
	named := []string{"eu-central-1b", "eu-central-1c", "eu-central-1d", "eu-central-1e"}
	for _, in := range []VpcInput{
		{CidrBlock: "192.168.0.0/16", SubnetPrefixLength: 19, Ipv6: true, NatGateways: NatGatewaySingle, PrivateDns64: true},
		{CidrBlock: "10.0.0.0/16", SubnetPrefixLength: 20, Ipv6: true, NatGateways: NatGatewayPerAz, PublicDns64: true, PrivateDns64: true},
		{CidrBlock: "10.0.0.0/16", SubnetPrefixLength: 19, NatGateways: NatGatewayNone},
	} {
		for zones := 2; zones <= len(named); zones++ {
			in.AvailabilityZones = standIn[:zones]
			planned, err := PlanVpc(in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := planned.InZones(named[:zones])
			if err != nil {
				t.Fatal(err)
			}
			in.AvailabilityZones = named[:zones]
			want, err := PlanVpc(in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%+v: renamed\n%+v\nwant\n%+v", in, got, want)
			}
			if planned.Subnets[0].AvailabilityZone != standIn[0] {
				t.Errorf("InZones changed the layout it renamed: %+v", planned.Subnets[0])
			}
		}
	}
	planned, err := PlanVpc(VpcInput{CidrBlock: "10.0.0.0/16", SubnetPrefixLength: 19, AvailabilityZones: standIn[:3], NatGateways: NatGatewaySingle})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := planned.InZones(named[:2]); err == nil || !strings.Contains(err.Error(), "2 zones for a layout planned in 3") {
		t.Errorf("two zones for a three-zone layout: %v", err)
	}
}

// A VPC without IPv6 may take it: EC2 associates a block in place.
func TestCheckReaddressingLetsIpv6In(t *testing.T) {
	in := chapterInput()
	in.Ipv6, in.PrivateDns64 = false, false
	running := runningAs(t, in)
	plan, err := PlanVpc(chapterInput())
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckReaddressing(running, plan); err != nil {
		t.Errorf("IPv6 added to a running VPC: %v", err)
	}
}
