package multus

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/netplan"
	"eks-advanced-networking/internal/settings"
)

// Settings are the Multus stack-file keys, as internal/config decodes them. The networks themselves
// are planned from them and the stack's subnets (Plan).
type Settings struct {
	// Enabled adds the secondary networks.
	Enabled bool
	// AvailabilityZones get a network and a node each; empty means the first zone (the chapter).
	AvailabilityZones []string
	// Ranges are the pod address ranges, first-last, one per zone; empty means addresses 20 to 40 of
	// each subnet.
	Ranges []string
	// SubnetTier is where the ENIs live: the private subnets (the chapter's) or the public ones.
	SubnetTier netplan.Tier
	// NodesPerAz is how many Multus nodes each zone gets; host-local IPAM makes 1 the only safe value.
	NodesPerAz int
	// Attachment is how the ENIs reach their nodes, and InstanceIds the nodes of AttachInstances.
	Attachment  Attachment
	InstanceIds []string
	// Image is the Multus thick plugin's; empty means AWS's EKS build from the stack region's registry.
	Image string
	// DemoPod runs the chapter's multus-pod on the first network.
	DemoPod bool
	// SubnetCidrs are, with an existing cluster, the IPv4 block of each zone's subnet.
	SubnetCidrs []string
}

// The keys' names, which are also the field paths of the errors Plan, ValidateAttachment and
// Validate return.
const (
	KeyEnabled           = "multus"
	KeyAvailabilityZones = "multusAvailabilityZones"
	KeyRanges            = "multusRanges"
	KeySubnetTier        = "multusSubnetTier"
	KeyNodesPerAz        = "multusNodesPerAz"
	KeyAttachment        = "multusAttachment"
	KeyInstanceIds       = "multusInstanceIds"
	KeyImage             = "multusImage"
	KeyDemoPod           = "multusDemoPod"
	KeySubnetCidrs       = "multusSubnetCidrs"
	// KeyInstanceType is the cluster's key the Multus nodes' instance type comes from.
	KeyInstanceType = "nodeInstanceType"
)

// Keys are the Multus keys of a stack that creates its cluster, in the order the docs list them.
var Keys = []settings.Key[Settings]{
	{Name: KeyEnabled, Type: "boolean", Default: false,
		Description: "Add Multus secondary networks (ipvlan on a tagged ENI per zone). The ipv4-multus scenario needs it; ipv4-calico may turn it on.",
		Decode:      func(s *Settings, raw string) (err error) { s.Enabled, err = settings.ParseBool(raw); return }},
	{Name: KeyAvailabilityZones, Type: "array", Default: []any{},
		Description: "Zones that get a Multus network and node. Empty means the first zone, as in the chapter.",
		Decode: func(s *Settings, raw string) (err error) {
			s.AvailabilityZones, err = settings.ParseStrings(raw)
			return
		}},
	{Name: KeyRanges, Type: "array", Default: []any{},
		Description: "Pod address range per Multus zone, first-last, in the zone's subnet, e.g. [192.168.96.20-192.168.96.40]. Empty means addresses 20 to 40 of each subnet (the chapter's).",
		Decode:      func(s *Settings, raw string) (err error) { s.Ranges, err = settings.ParseStrings(raw); return }},
	{Name: KeySubnetTier, Type: "string", Default: string(netplan.Private),
		Description: "Subnet tier the Multus ENIs live in: private (the chapter's 192.168.96.0/19 is the first private subnet) or public.",
		Decode:      func(s *Settings, raw string) error { s.SubnetTier = netplan.Tier(raw); return nil }},
	{Name: KeyNodesPerAz, Type: "integer", Default: 1,
		Description: "Multus nodes per zone. host-local IPAM allocates per node, so only 1 is safe.",
		Decode:      func(s *Settings, raw string) (err error) { s.NodesPerAz, err = settings.ParseInt(raw); return }},
	{Name: KeyAttachment, Type: "string", Default: string(AttachNodeGroup),
		Description: "How the ENIs reach nodes: node-group (a managed node group per zone whose user data attaches the zone's ENI at boot) or instances (the chapter's way for fixed instances, given in multusInstanceIds).",
		Decode:      func(s *Settings, raw string) error { s.Attachment = Attachment(raw); return nil }},
	{Name: KeyInstanceIds, Type: "array", Default: []any{},
		Description: "With multusAttachment instances: the instance per Multus zone, in the same order.",
		Decode:      func(s *Settings, raw string) (err error) { s.InstanceIds, err = settings.ParseStrings(raw); return }},
	{Name: KeyImage, Type: "string", Default: "",
		Description: "Multus thick plugin image. Empty means AWS's EKS build (" + MultusImageTag + ") from the EKS registry of aws:region.",
		Decode:      func(s *Settings, raw string) error { s.Image = raw; return nil }},
	{Name: KeyDemoPod, Type: "boolean", Default: false,
		Description: "Run the chapter's multus-pod (busybox with the ipvlan network) on the first Multus network.",
		Decode:      func(s *Settings, raw string) (err error) { s.DemoPod, err = settings.ParseBool(raw); return }},
}

// ExistingClusterKeys are the Multus keys only a stack on an existing cluster reads, where the docs
// list that mode's keys.
var ExistingClusterKeys = []settings.Key[Settings]{
	{Name: KeySubnetCidrs, Type: "array", Default: []any{},
		Description: "With clusterMode existing and multus: the IPv4 block of each Multus zone's subnet, in the order of multusAvailabilityZones (AWS's subnets are not looked up then).",
		Decode:      func(s *Settings, raw string) (err error) { s.SubnetCidrs, err = settings.ParseStrings(raw); return }},
}

// NetworkSettings are one secondary network: the zones that get it, each with a pod range, in the
// subnets of one tier (or, on an existing cluster, the subnets given by their blocks). Each of its
// zones gets an ENI and a NetworkAttachmentDefinition named <Name>-<zone letter>.
type NetworkSettings struct {
	Name              string
	SubnetTier        netplan.Tier
	AvailabilityZones []string
	Ranges            []string
	SubnetCidrs       []string
}

// Networks are the secondary networks the settings describe, in order. The stack file's keys
// describe one, named ipvlan-<tier> (the chapter's ipvlan-private). A second network is a matter of
// data here and of the rules that span networks (distinct names, a zone's ENIs on one node), which
// come with that feature.
func (s Settings) Networks() []NetworkSettings {
	return []NetworkSettings{{
		Name: "ipvlan-" + string(s.SubnetTier), SubnetTier: s.SubnetTier,
		AvailabilityZones: s.AvailabilityZones, Ranges: s.Ranges, SubnetCidrs: s.SubnetCidrs,
	}}
}

// PlanNetworks plans every network of the settings for nodes of the given type: subnetsOf gives
// a network's candidate subnets (the VPC's of its tier, or an existing cluster's given blocks).
func PlanNetworks(s Settings, node clusterspec.NodeFacts, subnetsOf func(NetworkSettings) []Subnet) ([]Network, error) {
	var out []Network
	for _, n := range s.Networks() {
		planned, err := Plan(Input{
			NetworkPrefix: n.Name, Subnets: subnetsOf(n), Zones: n.AvailabilityZones, Ranges: n.Ranges,
			NodesPerAz: s.NodesPerAz, Node: node,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, planned...)
	}
	return out, nil
}

// GivenSubnets are a network's subnets given by their blocks, one per zone in order (an existing
// cluster's; Validate's caller has checked that the lists match).
func GivenSubnets(n NetworkSettings) []Subnet {
	subnets := make([]Subnet, 0, len(n.AvailabilityZones))
	for i, az := range n.AvailabilityZones {
		if i < len(n.SubnetCidrs) {
			subnets = append(subnets, Subnet{AvailabilityZone: az, Cidr: n.SubnetCidrs[i]})
		}
	}
	return subnets
}

// Zones is how many Multus zones the settings name: the zones listed, else the chapter's one.
func (s Settings) Zones() int { return max(1, len(s.AvailabilityZones)) }

// Validate checks what the settings say on their own, with Multus on, for a cluster the stack
// creates: the subnet tier, and how the ENIs reach their nodes. The networks' addresses need the
// stack's subnets and are checked by Plan.
func (s Settings) Validate() field.ErrorList {
	var errs field.ErrorList
	if s.SubnetTier != netplan.Private && s.SubnetTier != netplan.Public {
		errs = append(errs, field.Invalid(field.NewPath(KeySubnetTier), string(s.SubnetTier), "use private or public"))
	}
	if err := ValidateAttachment(s.Attachment, s.InstanceIds, s.Zones()); err != nil {
		errs = append(errs, err)
	}
	return errs
}
