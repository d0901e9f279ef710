package netplan

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"eks-advanced-networking/internal/settings"
)

// Settings are the VPC's stack-file keys, as internal/config decodes them. The plan's input
// (VpcInput) adds what the stack derives: the zones themselves, and DNS64 in the private subnets.
type Settings struct {
	// CidrBlock is the VPC's IPv4 block.
	CidrBlock string
	// Ipv6 gives the VPC an Amazon-provided /56 and every subnet a /64 of it.
	Ipv6 bool
	// AvailabilityZoneCount zones are taken in name order from the region's, unless
	// AvailabilityZones names them.
	AvailabilityZoneCount int
	AvailabilityZones     []string
	// SubnetPrefixLength is every subnet's IPv4 prefix length.
	SubnetPrefixLength int
	NatGateways        NatGatewayMode
	// PublicDns64 turns DNS64 on in the public subnets too.
	PublicDns64 bool
}

// The keys' names, which are also the field paths of the errors PlanVpc, CheckReaddressing,
// ValidateAvailabilityZones and Validate return.
const (
	KeyCidrBlock             = "vpcCidr"
	KeyIpv6                  = "vpcIpv6"
	KeyAvailabilityZoneCount = "availabilityZoneCount"
	KeyAvailabilityZones     = "availabilityZones"
	KeySubnetPrefixLength    = "subnetPrefixLength"
	KeyNatGateways           = "natGateways"
	KeyPublicDns64           = "publicSubnetsDns64"
)

// Keys are the VPC's keys up to natGateways, in the order the docs list them; ipv4Egress, which
// spans the VPC and the cluster's CNI, follows them, then DnsKeys.
var Keys = []settings.Key[Settings]{
	{Name: KeyCidrBlock, Type: "string", Default: "192.168.0.0/16",
		Description: "IPv4 block of the VPC (/16 to /28, private range). Subnets are cut from it in eksctl's layout: public first, then private.",
		Decode:      func(s *Settings, raw string) error { s.CidrBlock = raw; return nil }},
	{Name: KeyIpv6, Type: "boolean", Default: true,
		Description: "Give the VPC an Amazon-provided IPv6 /56 and every subnet a /64 of it. Required by the ipv6 scenario.",
		Decode:      func(s *Settings, raw string) (err error) { s.Ipv6, err = settings.ParseBool(raw); return }},
	{Name: KeyAvailabilityZoneCount, Type: "integer", Default: 3,
		Description: "How many availability zones to use (2 to 6), taken in name order from those available in aws:region. Ignored when availabilityZones is set.",
		Decode: func(s *Settings, raw string) (err error) {
			s.AvailabilityZoneCount, err = settings.ParseInt(raw)
			return
		}},
	{Name: KeyAvailabilityZones, Type: "array", Default: []any{},
		Description: "Explicit availability zone names, e.g. [eu-central-1a, eu-central-1b, eu-central-1c]. Empty means: pick availabilityZoneCount zones.",
		Decode: func(s *Settings, raw string) (err error) {
			s.AvailabilityZones, err = settings.ParseStrings(raw)
			return
		}},
	{Name: KeySubnetPrefixLength, Type: "integer", Default: 19,
		Description: "Prefix length of every subnet's IPv4 block. The VPC block must hold two per availability zone (six /19s fill 192.168.0.0/16 up to 192.168.191.255).",
		Decode:      func(s *Settings, raw string) (err error) { s.SubnetPrefixLength, err = settings.ParseInt(raw); return }},
	{Name: KeyNatGateways, Type: "string", Default: string(NatGatewaySingle),
		Description: "NAT gateways for private subnets' IPv4 egress (and NAT64): single (eksctl's default, one in the first AZ) or per-az. none leaves the private subnets, where the nodes run, without egress, so every scenario refuses it.",
		Decode:      func(s *Settings, raw string) error { s.NatGateways = NatGatewayMode(raw); return nil }},
}

// DnsKeys are the VPC's keys after ipv4Egress.
var DnsKeys = []settings.Key[Settings]{
	{Name: KeyPublicDns64, Type: "boolean", Default: false,
		Description: "Turn DNS64 on in the public subnets too; they then also route 64:ff9b::/96 to a NAT gateway.",
		Decode:      func(s *Settings, raw string) (err error) { s.PublicDns64, err = settings.ParseBool(raw); return }},
}

// Input is the plan's input for these settings in the given zones, with DNS64 in the private subnets
// as the stack derives it.
func (s Settings) Input(zones []string, privateDns64 bool) VpcInput {
	return VpcInput{
		CidrBlock: s.CidrBlock, AvailabilityZones: zones, SubnetPrefixLength: s.SubnetPrefixLength, Ipv6: s.Ipv6,
		NatGateways: s.NatGateways, PublicDns64: s.PublicDns64, PrivateDns64: privateDns64,
	}
}

// MinAvailabilityZones is EKS's floor, which this VPC is for: a cluster needs subnets in at least
// two zones.
const MinAvailabilityZones = 2

// Validate checks how many zones the settings ask for. Their names need the region, and the blocks
// the derived input: PlanVpc checks those.
func (s Settings) Validate() field.ErrorList {
	switch {
	case len(s.AvailabilityZones) == 0 && (s.AvailabilityZoneCount < MinAvailabilityZones || s.AvailabilityZoneCount > MaxAvailabilityZones):
		return field.ErrorList{field.Invalid(field.NewPath(KeyAvailabilityZoneCount), strconv.Itoa(s.AvailabilityZoneCount),
			fmt.Sprintf("use %d to %d: EKS needs subnets in at least two zones", MinAvailabilityZones, MaxAvailabilityZones))}
	case len(s.AvailabilityZones) > 0 && len(s.AvailabilityZones) < MinAvailabilityZones:
		return field.ErrorList{field.Invalid(field.NewPath(KeyAvailabilityZones), strings.Join(s.AvailabilityZones, ","),
			fmt.Sprintf("EKS needs subnets in at least %d zones; list %d to %d", MinAvailabilityZones, MinAvailabilityZones, MaxAvailabilityZones))}
	}
	return nil
}
