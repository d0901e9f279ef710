// Package netplan holds the pure address and routing arithmetic of the VPC: which subnet gets which
// IPv4 block and IPv6 /64, which route table sends what where. Nothing here talks to Pulumi or AWS, so
// every rule is a table test away from being checked, and the components only translate a plan into
// resources.
package netplan

import (
	"fmt"
	"math/bits"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// NatGatewayMode says how many NAT gateways the VPC gets.
type NatGatewayMode string

const (
	// NatGatewaySingle is eksctl's default: one NAT gateway in the first public subnet.
	NatGatewaySingle NatGatewayMode = "single"
	// NatGatewayPerAz puts one NAT gateway in every AZ, so an AZ outage does not cut the others' egress.
	NatGatewayPerAz NatGatewayMode = "per-az"
	// NatGatewayNone leaves private subnets without IPv4 egress.
	NatGatewayNone NatGatewayMode = "none"
)

// NatGatewayModes lists the valid modes in the order the docs present them.
var NatGatewayModes = []NatGatewayMode{NatGatewaySingle, NatGatewayPerAz, NatGatewayNone}

// Tier is a subnet's role.
type Tier string

// The tiers.
const (
	Public  Tier = "public"
	Private Tier = "private"
)

// Nat64Prefix is the well-known prefix (RFC 6052) that Route 53 Resolver's DNS64 synthesizes addresses
// in; a subnet with DNS64 on must route it to a NAT gateway or IPv4-only names become unreachable.
const Nat64Prefix = "64:ff9b::/96"

// Limits AWS puts on a VPC and its subnets.
const (
	MaxAvailabilityZones = 6
	minVpcPrefix         = 16 // AWS accepts VPC blocks from /16 ...
	maxVpcPrefix         = 28 // ... to /28
	maxSubnetPrefix      = 28
	ipv6SubnetPrefix     = 64 // every VPC subnet's IPv6 block is a /64
)

// VpcInput is what a VPC plan is computed from.
type VpcInput struct {
	CidrBlock          string
	AvailabilityZones  []string
	SubnetPrefixLength int
	Ipv6               bool
	NatGateways        NatGatewayMode
	PublicDns64        bool
	PrivateDns64       bool
}

// Subnet is one planned subnet.
type Subnet struct {
	Tier             Tier
	AvailabilityZone string
	// Slot is the subnet's position among the VPC's equal-sized blocks: public subnets take slots
	// 0..n-1 and private n..2n-1 (eksctl's layout). The IPv6 /64 uses the same number.
	Slot     int
	Ipv4Cidr string
	Dns64    bool
	Routes   []Route
}

// Name is the short, stable name of the subnet, e.g. "public-eu-central-1a".
func (s Subnet) Name() string { return string(s.Tier) + "-" + s.AvailabilityZone }

// NatGateway is one planned NAT gateway, placed in a public subnet.
type NatGateway struct {
	AvailabilityZone string
	// PublicSubnet indexes VpcPlan.Subnets.
	PublicSubnet int
}

// Name is the short, stable name of the NAT gateway.
func (n NatGateway) Name() string { return "nat-" + n.AvailabilityZone }

// Target is where a route sends traffic.
type Target string

// The targets a route can have.
const (
	InternetGateway           Target = "internet-gateway"
	EgressOnlyInternetGateway Target = "egress-only-internet-gateway"
	NatGatewayTarget          Target = "nat-gateway"
)

// Route is one route of a subnet's route table. NAT gateway routes always name the gateway itself
// (natGatewayId): AWS refuses a NAT gateway's network interface as the next hop of an IPv6
// destination, which is what broke eksctl's NAT64.
type Route struct {
	DestinationCidr     string // IPv4 destination, or ""
	DestinationIpv6Cidr string // IPv6 destination, or ""
	Target              Target
	// NatGateway indexes VpcPlan.NatGateways when Target is NatGatewayTarget.
	NatGateway int
}

// Destination is whichever destination the route has.
func (r Route) Destination() string {
	if r.DestinationCidr != "" {
		return r.DestinationCidr
	}
	return r.DestinationIpv6Cidr
}

// Name is a short, stable name for the route, used in resource names.
func (r Route) Name() string {
	switch r.Destination() {
	case "0.0.0.0/0":
		return "ipv4-default"
	case "::/0":
		return "ipv6-default"
	case Nat64Prefix:
		return "nat64"
	}
	return strings.NewReplacer("/", "-", ":", "-", ".", "-").Replace(r.Destination())
}

// VpcPlan is the complete layout of a VPC.
type VpcPlan struct {
	Input       VpcInput
	Subnets     []Subnet // public subnets by AZ, then private subnets by AZ
	NatGateways []NatGateway
}

// EgressRevision says, in one stable line, how each subnet's traffic leaves: DNS64 and every route
// with its target. What checks egress re-runs when it changes.
func (p VpcPlan) EgressRevision() string {
	parts := make([]string, 0, len(p.Subnets))
	for _, s := range p.Subnets {
		part := s.Name()
		if s.Dns64 {
			part += " dns64"
		}
		for _, r := range s.Routes {
			part += " " + r.Destination() + ">" + string(r.Target)
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}

// SubnetsOf returns the subnets of one tier in AZ order.
func (p VpcPlan) SubnetsOf(t Tier) []Subnet {
	var out []Subnet
	for _, s := range p.Subnets {
		if s.Tier == t {
			out = append(out, s)
		}
	}
	return out
}

// FieldPrivateDns64 names VpcInput.PrivateDns64 in its errors. It has no key of its own (the stack
// derives it from ipv4Egress); the other fields' errors name their keys (Settings).
const FieldPrivateDns64 = "PrivateDns64"

var privateIpv4Ranges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
}

// ParseVpcCidr checks a VPC IPv4 block the way AWS does, plus the rule that it be private.
func ParseVpcCidr(cidr string) (netip.Prefix, error) {
	bad := func(reason string) (netip.Prefix, error) {
		return netip.Prefix{}, field.Invalid(field.NewPath(KeyCidrBlock), cidr, reason)
	}
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return bad("not a CIDR block; use an IPv4 block such as 192.168.0.0/16")
	}
	if !p.Addr().Is4() {
		return bad("not an IPv4 block; the VPC's primary block is IPv4 (its IPv6 /56 is assigned by Amazon)")
	}
	if p.Masked() != p {
		return bad(fmt.Sprintf("host bits are set; did you mean %s?", p.Masked()))
	}
	if p.Bits() < minVpcPrefix || p.Bits() > maxVpcPrefix {
		return bad(fmt.Sprintf("AWS accepts VPC blocks from /%d to /%d", minVpcPrefix, maxVpcPrefix))
	}
	for _, r := range privateIpv4Ranges {
		if r.Overlaps(p) && r.Bits() <= p.Bits() {
			return p, nil
		}
	}
	return bad("not a private range; use a block inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10")
}

var azPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$`)

// ValidateAvailabilityZones checks AZ names against the region: count, format, region and duplicates.
func ValidateAvailabilityZones(region string, zones []string) error {
	value := strings.Join(zones, ",")
	bad := func(reason string) error {
		return field.Invalid(field.NewPath(KeyAvailabilityZones), value, reason)
	}
	if len(zones) == 0 || len(zones) > MaxAvailabilityZones {
		return bad(fmt.Sprintf("%d availability zones; use 1 to %d", len(zones), MaxAvailabilityZones))
	}
	seen := map[string]bool{}
	for _, z := range zones {
		if !azPattern.MatchString(z) {
			return bad(fmt.Sprintf("%q is not an availability zone name; names look like %sa", z, region))
		}
		if !strings.HasPrefix(z, region) || len(z) != len(region)+1 {
			return bad(fmt.Sprintf("%q is not in region %s; use zones named %sa, %sb, ...", z, region, region, region))
		}
		if seen[z] {
			return bad(fmt.Sprintf("%q is listed twice; each zone gets one public and one private subnet", z))
		}
		seen[z] = true
	}
	return nil
}

// subnetBitsFor is how many bits split the VPC block into enough slots for a public and a private
// subnet per AZ.
func subnetBitsFor(zones int) int {
	return bits.Len(uint(2*zones - 1))
}

// PlanVpc lays out the VPC: eksctl's IPv4 layout (public slots first, then private), an IPv6 /64 per
// subnet at the same slot, one route table per subnet, and NAT gateways per the mode. DNS64 subnets
// always get the NAT64 route to a NAT gateway.
func PlanVpc(in VpcInput) (VpcPlan, error) {
	vpc, err := ParseVpcCidr(in.CidrBlock)
	if err != nil {
		return VpcPlan{}, err
	}
	n := len(in.AvailabilityZones)
	if n == 0 || n > MaxAvailabilityZones {
		return VpcPlan{}, field.Invalid(field.NewPath(KeyAvailabilityZones), strings.Join(in.AvailabilityZones, ","),
			fmt.Sprintf("%d availability zones; use 1 to %d", n, MaxAvailabilityZones))
	}
	if err := checkSubnetPrefix(vpc, in.SubnetPrefixLength, n); err != nil {
		return VpcPlan{}, err
	}
	switch in.NatGateways {
	case NatGatewaySingle, NatGatewayPerAz, NatGatewayNone:
	default:
		return VpcPlan{}, field.Invalid(field.NewPath(KeyNatGateways), string(in.NatGateways),
			"unknown mode; use one of "+joinModes())
	}
	for _, d := range []struct {
		field string
		on    bool
	}{{KeyPublicDns64, in.PublicDns64}, {FieldPrivateDns64, in.PrivateDns64}} {
		if !d.on {
			continue
		}
		if !in.Ipv6 {
			return VpcPlan{}, field.Invalid(field.NewPath(d.field), "true",
				"DNS64 needs IPv6 subnets; turn "+KeyIpv6+" on or DNS64 off")
		}
		if in.NatGateways == NatGatewayNone {
			return VpcPlan{}, field.Invalid(field.NewPath(d.field), "true",
				"DNS64 needs a NAT gateway to translate 64:ff9b::/96 (NAT64); set "+KeyNatGateways+" to single or per-az, or turn DNS64 off")
		}
	}

	plan := VpcPlan{Input: in}
	slot := 0
	for _, tier := range []Tier{Public, Private} {
		for _, az := range in.AvailabilityZones {
			block, err := nthSubnet(vpc, in.SubnetPrefixLength, slot)
			if err != nil {
				return VpcPlan{}, err
			}
			plan.Subnets = append(plan.Subnets, Subnet{
				Tier: tier, AvailabilityZone: az, Slot: slot, Ipv4Cidr: block.String(),
				Dns64: (tier == Public && in.PublicDns64) || (tier == Private && in.PrivateDns64),
			})
			slot++
		}
	}
	switch in.NatGateways {
	case NatGatewaySingle:
		plan.NatGateways = []NatGateway{{AvailabilityZone: in.AvailabilityZones[0], PublicSubnet: 0}}
	case NatGatewayPerAz:
		for i, az := range in.AvailabilityZones {
			plan.NatGateways = append(plan.NatGateways, NatGateway{AvailabilityZone: az, PublicSubnet: i})
		}
	}
	for i := range plan.Subnets {
		plan.Subnets[i].Routes = plan.routesFor(i%n, plan.Subnets[i])
	}
	return plan, nil
}

// InZones is the same layout in other zones, one for one in order: the subnets' blocks, routes and
// NAT gateways stay, their zones are renamed. The layout depends on how many zones there are, not on
// their names, so a stack whose zones are counted plans its VPC once, before AWS names the zones, and
// takes the names when they come.
func (p VpcPlan) InZones(zones []string) (VpcPlan, error) {
	n := len(p.Input.AvailabilityZones)
	if len(zones) != n {
		return VpcPlan{}, field.Invalid(field.NewPath(KeyAvailabilityZones), strings.Join(zones, ","),
			fmt.Sprintf("%d zones for a layout planned in %d", len(zones), n))
	}
	out := VpcPlan{Input: p.Input, Subnets: slices.Clone(p.Subnets), NatGateways: slices.Clone(p.NatGateways)}
	out.Input.AvailabilityZones = slices.Clone(zones)
	for i := range out.Subnets {
		out.Subnets[i].AvailabilityZone = zones[out.Subnets[i].Slot%n]
	}
	for i := range out.NatGateways {
		out.NatGateways[i].AvailabilityZone = out.Subnets[out.NatGateways[i].PublicSubnet].AvailabilityZone
	}
	return out, nil
}

// routesFor builds a subnet's route table. azIndex picks the AZ's own NAT gateway in per-az mode.
func (p VpcPlan) routesFor(azIndex int, s Subnet) []Route {
	nat := -1
	if len(p.NatGateways) == 1 {
		nat = 0
	} else if len(p.NatGateways) > 1 {
		nat = azIndex
	}
	var routes []Route
	switch s.Tier {
	case Public:
		routes = append(routes, Route{DestinationCidr: "0.0.0.0/0", Target: InternetGateway})
		if p.Input.Ipv6 {
			routes = append(routes, Route{DestinationIpv6Cidr: "::/0", Target: InternetGateway})
		}
	case Private:
		if nat >= 0 {
			routes = append(routes, Route{DestinationCidr: "0.0.0.0/0", Target: NatGatewayTarget, NatGateway: nat})
		}
		if p.Input.Ipv6 {
			routes = append(routes, Route{DestinationIpv6Cidr: "::/0", Target: EgressOnlyInternetGateway})
		}
	}
	if s.Dns64 {
		routes = append(routes, Route{DestinationIpv6Cidr: Nat64Prefix, Target: NatGatewayTarget, NatGateway: nat})
	}
	return routes
}

func checkSubnetPrefix(vpc netip.Prefix, prefix, zones int) error {
	value := fmt.Sprint(prefix)
	need := 2 * zones
	if prefix < vpc.Bits() || prefix > maxSubnetPrefix {
		return field.Invalid(field.NewPath(KeySubnetPrefixLength), value,
			fmt.Sprintf("use a prefix from /%d (the VPC's) to /%d (the smallest AWS subnet)", vpc.Bits(), maxSubnetPrefix))
	}
	if fits := 1 << (prefix - vpc.Bits()); fits < need {
		smallest := vpc.Bits() + subnetBitsFor(zones)
		return field.Invalid(field.NewPath(KeyCidrBlock), vpc.String(),
			fmt.Sprintf("holds %d subnets of /%d but %d availability zones need %d (a public and a private subnet each); use a larger VPC block or "+KeySubnetPrefixLength+" %d",
				fits, prefix, zones, need, smallest))
	}
	return nil
}

func nthSubnet(parent netip.Prefix, prefix, n int) (netip.Prefix, error) {
	size := uint32(1) << (32 - prefix)
	base := parent.Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	addr := start + uint32(n)*size
	return netip.AddrFrom4([4]byte{byte(addr >> 24), byte(addr >> 16), byte(addr >> 8), byte(addr)}).Prefix(prefix)
}

// SubnetIpv6Cidr returns the slot-th /64 of the VPC's IPv6 block (Amazon assigns a /56, so 256 slots).
func SubnetIpv6Cidr(vpcIpv6Cidr string, slot int) (string, error) {
	p, err := netip.ParsePrefix(vpcIpv6Cidr)
	if err != nil || !p.Addr().Is6() || p.Addr().Is4In6() {
		return "", fmt.Errorf("VPC IPv6 block %q is not an IPv6 CIDR", vpcIpv6Cidr)
	}
	if p.Bits() > ipv6SubnetPrefix {
		return "", fmt.Errorf("VPC IPv6 block %s is smaller than a /64", p)
	}
	if slots := uint64(1) << min(63, ipv6SubnetPrefix-p.Bits()); slot < 0 || uint64(slot) >= slots {
		return "", fmt.Errorf("subnet slot %d is outside the %d /64s of %s", slot, slots, p)
	}
	a := p.Masked().Addr().As16()
	// The /64 number lives in bytes 0..7; add the slot to the network part.
	hi := uint64(0)
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(a[i])
	}
	hi += uint64(slot)
	for i := 7; i >= 0; i-- {
		a[i] = byte(hi)
		hi >>= 8
	}
	return netip.PrefixFrom(netip.AddrFrom16(a), ipv6SubnetPrefix).String(), nil
}

func joinModes() string {
	names := make([]string, len(NatGatewayModes))
	for i, m := range NatGatewayModes {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}

// RunningVpc is the VPC the stack's EKS cluster runs in now, as EC2 describes it, with the subnets
// the cluster was given.
type RunningVpc struct {
	ID       string
	Ipv4Cidr string
	// Ipv6Cidr is its Amazon-provided IPv6 block, "" when it has none.
	Ipv6Cidr string
	Subnets  []RunningSubnet
}

// RunningSubnet is one subnet of a running cluster.
type RunningSubnet struct {
	ID               string
	AvailabilityZone string
	Ipv4Cidr         string
}

// CheckReaddressing says whether the plan keeps every subnet the running cluster uses at its zone
// and block, and, when it does not, which field moves it and how to keep it. EC2 changes neither a
// VPC's primary block nor a subnet's (both are ForceNew in terraform-provider-aws,
// internal/service/ec2/vpc_.go and vpc_subnet.go, which pulumi-aws bridges), so a move is a
// replacement: the new subnet's block overlaps the old one (EC2 refuses it, InvalidSubnet.Conflict),
// or the old one, holding the cluster's and the nodes' network interfaces, cannot be deleted
// (DependencyViolation), and the VPC cannot be replaced under a cluster at all. Refusing before
// anything registers is the only outcome that leaves the stack as it was.
//
// A VPC that has IPv6 keeps it. EC2 gives a VPC's IPv6 block back (DisassociateVpcCidrBlock) only
// once nothing uses it, its subnets' /64s included, and the engine updates the VPC before the
// subnets that read its block, so turning vpcIpv6 off would fail half-way through the up. Turning
// it on is an update in place (AssociateVpcCidrBlock, then AssociateSubnetCidrBlock).
func CheckReaddressing(running RunningVpc, plan VpcPlan) error {
	if running.Ipv6Cidr != "" && !plan.Input.Ipv6 {
		return field.Invalid(field.NewPath(KeyIpv6), "false",
			fmt.Sprintf("the running cluster's VPC %s has the IPv6 block %s, with a /64 of it in each subnet, and EC2 gives a VPC's IPv6 block back only once no subnet holds part of it, which Pulumi's update order does not allow; set it back to true (an IPv4 cluster does not use it), or make the IPv4-only network in a new stack",
				running.ID, running.Ipv6Cidr))
	}
	if running.Ipv4Cidr != plan.Input.CidrBlock {
		return field.Invalid(field.NewPath(KeyCidrBlock), plan.Input.CidrBlock,
			fmt.Sprintf("the running cluster's VPC %s has %s, and EC2 cannot change a VPC's primary block: a new one replaces the VPC with everything in it, the EKS cluster too; set it back to %s (a VPC grows by secondary blocks, which this program does not manage)",
				running.ID, running.Ipv4Cidr, running.Ipv4Cidr))
	}
	planned := map[string]string{}
	for _, s := range plan.Subnets {
		planned[s.AvailabilityZone+" "+s.Ipv4Cidr] = s.Name()
	}
	zones := slices.Sorted(slices.Values(plan.Input.AvailabilityZones))
	for _, s := range running.Subnets {
		if planned[s.AvailabilityZone+" "+s.Ipv4Cidr] != "" {
			continue
		}
		moved := fmt.Sprintf("the running cluster uses subnet %s, %s in %s", s.ID, s.Ipv4Cidr, s.AvailabilityZone)
		const cannot = "EC2 cannot re-address a subnet, and one that holds the cluster's network interfaces cannot be deleted"
		if !slices.Contains(zones, s.AvailabilityZone) {
			return field.Invalid(field.NewPath(KeyAvailabilityZones), strings.Join(plan.Input.AvailabilityZones, ","),
				fmt.Sprintf("%s, which this drops; %s; keep %s", moved, cannot, s.AvailabilityZone))
		}
		if prefix, err := netip.ParsePrefix(s.Ipv4Cidr); err == nil && prefix.Bits() != plan.Input.SubnetPrefixLength {
			return field.Invalid(field.NewPath(KeySubnetPrefixLength), fmt.Sprint(plan.Input.SubnetPrefixLength),
				fmt.Sprintf("%s, and a new length re-addresses every subnet; %s; set it back to %d", moved, cannot, prefix.Bits()))
		}
		// The same length, another place: the zones' count or order moved the subnet to another slot
		// (public subnets take the first slots, one per zone, then the private ones).
		return field.Invalid(field.NewPath(KeyAvailabilityZones), strings.Join(plan.Input.AvailabilityZones, ","),
			fmt.Sprintf("%s, which this moves to another block (subnets take their blocks in zone order, public ones first, so adding, removing or reordering zones moves them); %s; keep the running zones %s in their order, or make the new layout in a new stack",
				moved, cannot, strings.Join(runningZones(running), ", ")))
	}
	return nil
}

// runningZones are the running subnets' zones, each once, in the order the subnets' blocks give
// them (the order the zones were planned in).
func runningZones(running RunningVpc) []string {
	subnets := slices.Clone(running.Subnets)
	slices.SortStableFunc(subnets, func(a, b RunningSubnet) int {
		pa, errA := netip.ParsePrefix(a.Ipv4Cidr)
		pb, errB := netip.ParsePrefix(b.Ipv4Cidr)
		if errA != nil || errB != nil {
			return strings.Compare(a.Ipv4Cidr, b.Ipv4Cidr)
		}
		return pa.Addr().Compare(pb.Addr())
	})
	var zones []string
	for _, s := range subnets {
		if !slices.Contains(zones, s.AvailabilityZone) {
			zones = append(zones, s.AvailabilityZone)
		}
	}
	return zones
}
