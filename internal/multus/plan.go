// Package multus is the pure side of the Multus secondary network: one IP plan that both the ENIs
// (their secondary addresses or /28 prefixes, and the subnet reservations) and the
// NetworkAttachmentDefinitions are built from, so the two cannot disagree; the NAD's CNI
// configuration; the node user data that attaches the ENI; and the Multus objects themselves.
package multus

import (
	"fmt"
	"net/netip"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"eks-advanced-networking/internal/clusterspec"
)

// Subnet is a subnet the secondary network may use.
type Subnet struct {
	AvailabilityZone string
	Cidr             string
}

// Input is what the plan is computed from.
type Input struct {
	// NetworkPrefix names the NADs: <prefix>-<az letter>, e.g. ipvlan-private-a.
	NetworkPrefix string
	// Subnets are the candidate subnets, one per AZ (by default the VPC's private subnets).
	Subnets []Subnet
	// Zones are the AZs that get a Multus network; empty means the first subnet's AZ (the chapter).
	Zones []string
	// Ranges are the pod address ranges, "first-last", one per zone; empty means offsets 20 to 40 of
	// each subnet (the chapter's 192.168.96.20-192.168.96.40).
	Ranges     []string
	NodesPerAz int
	// Node are the facts of the nodes' instance type (clusterspec.Settings.NodeFacts): the Multus
	// nodes run the cluster's type, whose ENI limits bound the secondary slots.
	Node clusterspec.NodeFacts
}

// Network is one AZ's secondary network: its NAD and the ENI that makes its pod addresses routable.
type Network struct {
	Name             string // the NAD's name
	AvailabilityZone string
	Subnet           netip.Prefix
	RangeStart       netip.Addr
	RangeEnd         netip.Addr
	// Gateway is the subnet's first host, the VPC router.
	Gateway netip.Addr
	Eni     Eni
	// Reservations are the subnet CIDR reservations (explicit) that keep EC2 from handing the pod
	// addresses to anything else.
	Reservations []netip.Prefix
}

// Eni is the secondary interface of a network's node. Each of its secondary slots carries either one
// address or one /28 prefix; the plan uses addresses while the range fits in the slots, and prefixes
// beyond that.
type Eni struct {
	// PrimaryIp is set in address mode: the address just below the range, reserved with it, since an
	// interface that lists its addresses must name its primary one. In prefix mode EC2 picks it.
	PrimaryIp    netip.Addr
	SecondaryIps []netip.Addr
	Prefixes     []netip.Prefix
}

// Slots is how many secondary slots the ENI uses.
func (e Eni) Slots() int { return len(e.SecondaryIps) + len(e.Prefixes) }

// DefaultRangeOffsets are the chapter's: .20 to .40 of the subnet.
const (
	defaultRangeFirst = 20
	defaultRangeLast  = 40
)

// Plan computes the secondary networks and checks everything AWS and host-local IPAM would trip on.
func Plan(in Input) ([]Network, error) {
	if in.Node.EniErr != nil {
		return nil, field.Invalid(field.NewPath(KeyInstanceType), in.Node.Instance.Name, in.Node.EniErr.Error())
	}
	limits := in.Node.Eni
	if !limits.Nitro {
		return nil, field.Invalid(field.NewPath(KeyInstanceType), in.Node.Instance.Name, "not a Nitro instance type; ENI prefixes and Multus need Nitro")
	}
	if in.NodesPerAz != 1 {
		return nil, field.Invalid(field.NewPath(KeyNodesPerAz), fmt.Sprint(in.NodesPerAz),
			"host-local IPAM allocates on each node from the whole range, so two nodes sharing an AZ's range hand out the same addresses; use 1")
	}
	if len(in.Subnets) == 0 {
		return nil, field.Invalid(field.NewPath(KeyAvailabilityZones), "", "no subnets to put the secondary network in")
	}
	zones := in.Zones
	if len(zones) == 0 {
		zones = []string{in.Subnets[0].AvailabilityZone}
	}
	if len(in.Ranges) > 0 && len(in.Ranges) != len(zones) {
		return nil, field.Invalid(field.NewPath(KeyRanges), strings.Join(in.Ranges, ","),
			fmt.Sprintf("%d ranges for %d zones (%s); give one range per zone, in the same order", len(in.Ranges), len(zones), strings.Join(zones, ", ")))
	}
	var out []Network
	seen := map[string]bool{}
	for i, az := range zones {
		if seen[az] {
			return nil, field.Invalid(field.NewPath(KeyAvailabilityZones), strings.Join(zones, ","), fmt.Sprintf("%s is listed twice", az))
		}
		seen[az] = true
		var subnet *Subnet
		for j := range in.Subnets {
			if in.Subnets[j].AvailabilityZone == az {
				subnet = &in.Subnets[j]
			}
		}
		if subnet == nil {
			var have []string
			for _, s := range in.Subnets {
				have = append(have, s.AvailabilityZone)
			}
			return nil, field.Invalid(field.NewPath(KeyAvailabilityZones), az, "no Multus subnet in this zone; the stack's zones are "+strings.Join(have, ", "))
		}
		prefix, err := netip.ParsePrefix(subnet.Cidr)
		if err != nil || !prefix.Addr().Is4() {
			return nil, fmt.Errorf("subnet %q of %s is not an IPv4 CIDR; the secondary network is IPv4 (ipvlan with host-local)", subnet.Cidr, az)
		}
		rangeText := ""
		if len(in.Ranges) > 0 {
			rangeText = in.Ranges[i]
		}
		n, err := planNetwork(in.NetworkPrefix, az, prefix, rangeText, limits)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func planNetwork(prefix, az string, subnet netip.Prefix, rangeText string, limits clusterspec.EniLimit) (Network, error) {
	bad := func(reason string) (Network, error) {
		return Network{}, field.Invalid(field.NewPath(KeyRanges), rangeText, fmt.Sprintf("%s (%s, subnet %s): %s", az, prefix+"-"+zoneLetter(az), subnet, reason))
	}
	first, last := nth(subnet, defaultRangeFirst), nth(subnet, defaultRangeLast)
	if rangeText != "" {
		a, b, ok := strings.Cut(rangeText, "-")
		var err1, err2 error
		first, err1 = netip.ParseAddr(strings.TrimSpace(a))
		last, err2 = netip.ParseAddr(strings.TrimSpace(b))
		if !ok || err1 != nil || err2 != nil || !first.Is4() || !last.Is4() {
			return bad("not a range; write first-last, e.g. 192.168.96.20-192.168.96.40")
		}
	}
	if last.Less(first) {
		return bad("the range ends before it starts")
	}
	// AWS keeps the first four addresses of a subnet and its last one.
	usableFirst, usableLast := nth(subnet, 4), lastAddr(subnet).Prev()
	if !subnet.Contains(first) || !subnet.Contains(last) {
		return bad("the range lies outside the subnet")
	}
	if first.Less(usableFirst) || usableLast.Less(last) {
		return bad(fmt.Sprintf("AWS reserves the subnet's first four addresses and its last; use addresses from %s to %s", usableFirst, usableLast))
	}
	// The gateway is the VPC router, the subnet's first host: inside the subnet and, since the range
	// starts at its fifth address or later, never inside the range.
	n := Network{
		Name: prefix + "-" + zoneLetter(az), AvailabilityZone: az, Subnet: subnet,
		RangeStart: first, RangeEnd: last, Gateway: nth(subnet, 1),
	}
	size := int(addrIndex(last) - addrIndex(first) + 1)
	slots := limits.SecondarySlots()
	switch {
	case size <= slots && usableFirst.Less(first):
		n.Eni.PrimaryIp = first.Prev()
		for a := first; !last.Less(a); a = a.Next() {
			n.Eni.SecondaryIps = append(n.Eni.SecondaryIps, a)
		}
		n.Reservations = cover(n.Eni.PrimaryIp, last)
	default:
		for p := netip.PrefixFrom(first, 28).Masked(); !last.Less(p.Addr()); p = netip.PrefixFrom(lastAddr(p).Next(), 28) {
			n.Eni.Prefixes = append(n.Eni.Prefixes, p)
		}
		for _, p := range n.Eni.Prefixes {
			if p.Addr().Less(usableFirst) || usableLast.Less(lastAddr(p)) {
				return bad(fmt.Sprintf("the /28 prefix %s that would carry it overlaps addresses AWS reserves; move the range", p))
			}
		}
		n.Reservations = n.Eni.Prefixes
		if len(n.Eni.Prefixes) > slots {
			return bad(fmt.Sprintf("%d addresses need %d /28 prefixes, but an ENI of this instance type has %d secondary slots; shorten the range",
				size, len(n.Eni.Prefixes), slots))
		}
	}
	return n, nil
}

// Size is how many pod addresses the network has.
func (n Network) Size() int { return int(addrIndex(n.RangeEnd) - addrIndex(n.RangeStart) + 1) }

func zoneLetter(az string) string { return az[len(az)-1:] }

func addrIndex(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func fromIndex(i uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)})
}

func nth(p netip.Prefix, n int) netip.Addr {
	return fromIndex(addrIndex(p.Masked().Addr()) + uint32(n))
}

func lastAddr(p netip.Prefix) netip.Addr {
	return fromIndex(addrIndex(p.Masked().Addr()) | (1<<(32-p.Bits()) - 1))
}

// cover returns the fewest CIDR blocks that hold exactly first..last.
func cover(first, last netip.Addr) []netip.Prefix {
	var out []netip.Prefix
	for lo, hi := uint64(addrIndex(first)), uint64(addrIndex(last)); lo <= hi; {
		bits := 32
		for bits > 0 {
			size := uint64(1) << (32 - bits + 1)
			if lo%size != 0 || lo+size-1 > hi {
				break
			}
			bits--
		}
		out = append(out, netip.PrefixFrom(fromIndex(uint32(lo)), bits))
		lo += uint64(1) << (32 - bits)
	}
	return out
}
