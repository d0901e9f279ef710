// Package blueprint derives what a stack builds from its decoded configuration, once per run, and
// checks what only the derivation can tell: the VPC's layout (netplan.PlanVpc) and the Multus
// networks in it (multus.PlanNetworks), the region and its zones, the admins' partition, prefix
// mode's room in the subnets, the images. internal/config decodes the keys and checks each feature's
// settings and the rules between them; this package comes next, before any resource registers, and
// stacks/ passes what it derives down to the components (DualStackVpc builds the layout it is given,
// MultusNetwork the networks).
//
// The layout needs the zones' names only to label the subnets, so a stack whose zones are counted
// plans it here in stand-in names and renames it once AWS has named the zones (InZones). The Multus
// networks take their names from the zones' letters, so they are planned in the real zones; with
// counted zones, New plans them in the stand-in ones first only to refuse a bad range before the AWS
// provider registers.
package blueprint

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/netplan"
	"eks-advanced-networking/internal/verify"
	"eks-advanced-networking/internal/workload"
)

// Blueprint is what a validated configuration builds, before AWS has named the zones.
type Blueprint struct {
	cfg *config.Config
	// vpc is the VPC's layout: in the configured zones when namedZones, else in stand-in names.
	vpc        netplan.VpcPlan
	namedZones bool
	// multusNetworks are planned in New when the zones are known there (named zones, an existing
	// cluster's subnets), else by InZones.
	multusNetworks []multus.Network
	multusImage    string
	// node are the nodes' instance type's facts, looked up once for prefix mode's room and the Multus
	// ENIs' slots (nodeErr when config has not checked the type: an existing cluster's).
	node    clusterspec.NodeFacts
	nodeErr error
}

// Network is the VPC's layout in the stack's zones and the Multus networks in it.
type Network struct {
	Vpc    netplan.VpcPlan
	Multus []multus.Network
}

// New derives the blueprint of a configuration config.Decode accepted, and refuses what the
// derivation shows wrong, every error naming its key.
func New(cfg *config.Config) (*Blueprint, error) {
	b := &Blueprint{cfg: cfg}
	b.node, b.nodeErr = cfg.Cluster.NodeFacts()
	var errs []error
	if err := workload.ValidateImage(cfg.BusyboxImage); err != nil {
		errs = append(errs, config.KeyError("busyboxImage", cfg.BusyboxImage, err.Error()))
	}
	if cfg.Multus.Enabled {
		errs = append(errs, b.planMultusImage())
	}
	if cfg.ClusterMode == config.ClusterModeExisting {
		if cfg.Multus.Enabled {
			networks, err := b.planMultus(multus.GivenSubnets)
			errs = append(errs, err)
			b.multusNetworks = networks
		}
		return b, errors.Join(errs...)
	}
	if err := clusterspec.CheckRegion(cfg.Region); err != nil {
		return nil, errors.Join(append(errs, fmt.Errorf("config %s = %q: %w", config.RegionKey, cfg.Region, err))...)
	}
	errs = append(errs, b.checkAdminPartition()...)
	errs = append(errs, b.checkPrefixCapacity())
	if err := errors.Join(append(errs, b.planVpc())...); err != nil {
		return nil, err
	}
	return b, nil
}

// planVpc lays out the VPC, and the Multus networks in it when the zones' names are known. With
// counted zones the networks are planned in stand-in names too, to be refused now if they do not
// fit, unless their own zones are named (InZones checks those against AWS's).
func (b *Blueprint) planVpc() error {
	cfg := b.cfg
	zones := cfg.Vpc.AvailabilityZones
	b.namedZones = len(zones) > 0
	if b.namedZones {
		// The zones' names belong to the region.
		if err := netplan.ValidateAvailabilityZones(cfg.Region, zones); err != nil {
			return b.vpcError(err)
		}
	} else {
		zones = make([]string, cfg.Vpc.AvailabilityZoneCount)
		for i := range zones {
			zones[i] = fmt.Sprintf("%s%c", cfg.Region, 'a'+i)
		}
	}
	vpc, err := netplan.PlanVpc(b.vpcInput(zones))
	if err != nil {
		return b.vpcError(err)
	}
	b.vpc = vpc
	switch {
	case !cfg.Multus.Enabled:
	case b.namedZones:
		b.multusNetworks, err = b.planMultus(vpcSubnets(vpc))
	case len(cfg.Multus.AvailabilityZones) == 0:
		_, err = b.planMultus(vpcSubnets(vpc))
	}
	return err
}

// InZones is the blueprint in the zones the stack runs in: those the configuration names, or the
// region's first ones as AWS lists them.
func (b *Blueprint) InZones(zones []string) (*Network, error) {
	if b.namedZones {
		if !slices.Equal(zones, b.vpc.Input.AvailabilityZones) {
			return nil, fmt.Errorf("the VPC was planned in the configured zones %v, not in %v", b.vpc.Input.AvailabilityZones, zones)
		}
		return &Network{Vpc: b.vpc, Multus: b.multusNetworks}, nil
	}
	vpc, err := b.vpc.InZones(zones)
	if err != nil {
		return nil, b.vpcError(err)
	}
	n := &Network{Vpc: vpc}
	if b.cfg.Multus.Enabled {
		if n.Multus, err = b.planMultus(vpcSubnets(vpc)); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// vpcInput is the layout's input in the given zones. DNS64 in the private subnets follows
// ipv4Egress, so the VPC and the cluster's CNI cannot disagree.
func (b *Blueprint) vpcInput(zones []string) netplan.VpcInput {
	return b.cfg.Vpc.Input(zones, b.cfg.Ipv6Cluster() && b.cfg.Ipv4Egress.UsesNat64())
}

// vpcError turns a netplan field error, which names its key, into a config key error.
// PrivateDns64 is not a key of its own: it follows ipv4Egress.
func (b *Blueprint) vpcError(err error) error {
	var fe *field.Error
	if !errors.As(err, &fe) {
		return err
	}
	if fe.Field == netplan.FieldPrivateDns64 {
		return config.KeyError("ipv4Egress", string(b.cfg.Ipv4Egress), fe.Detail+" (nat64 and both turn DNS64 on in the private subnets)")
	}
	return config.FieldErrors(field.ErrorList{fe})
}

// vpcSubnets gives each Multus network the VPC's subnets of its tier.
func vpcSubnets(vpc netplan.VpcPlan) func(multus.NetworkSettings) []multus.Subnet {
	return func(n multus.NetworkSettings) []multus.Subnet {
		var subnets []multus.Subnet
		for _, s := range vpc.SubnetsOf(n.SubnetTier) {
			subnets = append(subnets, multus.Subnet{AvailabilityZone: s.AvailabilityZone, Cidr: s.Ipv4Cidr})
		}
		return subnets
	}
}

// planMultus plans the secondary networks in the given subnets, with errors naming the config key.
func (b *Blueprint) planMultus(subnetsOf func(multus.NetworkSettings) []multus.Subnet) ([]multus.Network, error) {
	if b.nodeErr != nil {
		return nil, config.KeyError(clusterspec.KeyNodeInstanceType, b.cfg.Cluster.NodeInstanceType, b.nodeErr.Error())
	}
	networks, err := multus.PlanNetworks(b.cfg.Multus, b.node, subnetsOf)
	var fe *field.Error
	if errors.As(err, &fe) {
		return nil, config.FieldErrors(field.ErrorList{fe})
	}
	return networks, err
}

// planMultusImage is multusImage, or AWS's build from the EKS registry of the stack's region.
func (b *Blueprint) planMultusImage() error {
	cfg := b.cfg
	if cfg.Multus.Image != "" {
		b.multusImage = cfg.Multus.Image
		return nil
	}
	if cfg.Region == "" {
		return config.KeyError(multus.KeyImage, "", "AWS's Multus build comes from the EKS registry of the cluster's region: set "+config.RegionKey+", or give the image")
	}
	image, err := multus.EksImage(cfg.Region, multus.MultusImageTag)
	if err != nil {
		return config.KeyError(multus.KeyImage, "", err.Error())
	}
	b.multusImage = image
	return nil
}

// checkAdminPartition: the principals that get cluster admin are in the region's partition. (Their
// form is the cluster's settings' to check.)
func (b *Blueprint) checkAdminPartition() []error {
	var errs []error
	partition := clusterspec.PartitionOf(b.cfg.Region)
	for _, arn := range b.cfg.Cluster.AdminArns {
		if p, err := clusterspec.ParseIamPrincipal(arn); err == nil && p.Partition != partition {
			errs = append(errs, config.KeyError(clusterspec.KeyAdminArns, arn, fmt.Sprintf("%s is in partition %s; this ARN is in %s", b.cfg.Region, partition, p.Partition)))
		}
	}
	return errs
}

// checkPrefixCapacity: IPv4 prefix mode's /28s fit the subnets. A full node holds a /28 for every 16
// of its pods, and warmPrefixTarget spare ones; at worst all nodes sit in one zone's subnet. The
// pods per node are prefix mode's, counted at 110: EC2 tells the vCPUs (above 30, 250 pods) only at
// deploy time.
func (b *Blueprint) checkPrefixCapacity() error {
	cl, vpc := b.cfg.Cluster, b.cfg.Vpc
	if !cl.PrefixDelegation || b.cfg.Ipv6Cluster() {
		return nil
	}
	if b.nodeErr != nil || b.node.EniErr != nil {
		return nil // the cluster's settings say why
	}
	pods := clusterspec.PrefixModeMaxPods(b.node.Eni, 0)
	perNode := clusterspec.PrefixesPerNode(pods, cl.WarmPrefixTarget)
	need := cl.Nodes.MaxSize * perNode
	if have := clusterspec.PrefixBlocksPerSubnet(vpc.SubnetPrefixLength); have < need {
		return config.KeyError(netplan.KeySubnetPrefixLength, strconv.Itoa(vpc.SubnetPrefixLength), fmt.Sprintf(
			"with prefixDelegation, each of up to nodeMaxSize (%d) nodes holds a /28 per 16 of its %d pods and keeps warmPrefixTarget (%d) spare: %d per node, %d whole /28s, and a /%d subnet holds %d; use a longer subnet block (a smaller prefix length)",
			cl.Nodes.MaxSize, pods, cl.WarmPrefixTarget, perNode, need, vpc.SubnetPrefixLength, have))
	}
	return nil
}

// ExistingMultusNetworks are the secondary networks of an existing cluster, in the subnets the
// configuration gives.
func (b *Blueprint) ExistingMultusNetworks() []multus.Network { return b.multusNetworks }

// MultusImage is the Multus image the stack runs.
func (b *Blueprint) MultusImage() string { return b.multusImage }

// VerifyInput is what the checks follow: the same switches the resources are built from, and the
// Multus networks the stack built (the first one's demo pod is checked).
func (b *Blueprint) VerifyInput(networks []multus.Network) verify.Input {
	c := b.cfg
	in := verify.Input{Image: c.BusyboxImage, KubernetesVersion: c.Cluster.KubernetesVersion}
	if c.Ipv6Cluster() {
		// config has refused targets that do not parse.
		ipv4, ipv6, _ := c.VerifyTargets.Targets()
		in.Ipv6 = &verify.Ipv6Input{NodeSnat: c.Ipv4Egress.NodeSnat(), Nat64: c.Ipv4Egress.UsesNat64(), Ipv4Target: ipv4, Ipv6Target: ipv6}
	}
	if c.DemoApps {
		in.Policy = &verify.PolicyInput{
			Calico:     c.PolicyEngine == clusterspec.PolicyEngineCalico,
			Enforced:   c.PolicyEngine != clusterspec.PolicyEngineNone,
			DenyEgress: c.DenyEgressPolicy, AllowDns: c.AllowDnsEgress,
		}
	}
	if c.Multus.Enabled && c.Multus.DemoPod && len(networks) > 0 {
		in.Multus = &verify.MultusInput{Network: networks[0]}
	}
	return in
}

// CheckRunningCluster checks, at preview, that one pulumi up can take the cluster the stack already
// runs, and the VPC it runs in, to this configuration without replacing either: the cluster keeps
// its name (clusterspec.CheckNameUpdate), EKS moves it one minor version up
// (clusterspec.CheckVersionUpdate), keeps its IP family and service block, and every subnet it uses
// stays at its zone and block (netplan.CheckReaddressing). Each is refused before anything changes
// rather than after the VPC and IAM have, or after a delete. stack names the stack, whose name an
// empty clusterName takes.
func (b *Blueprint) CheckRunningCluster(stack string, running clusterspec.RunningCluster, vpc netplan.RunningVpc, layout netplan.VpcPlan) error {
	c := b.cfg
	var errs []error
	if err := clusterspec.CheckNameUpdate(running, c.Cluster.EksName(stack), clusterspec.Settings{}.EksName(stack)); err != nil {
		errs = append(errs, config.KeyError(clusterspec.KeyName, c.Cluster.Name, err.Error()))
	}
	if err := clusterspec.CheckVersionUpdate(running, c.Cluster.KubernetesVersion); err != nil {
		errs = append(errs, config.KeyError(clusterspec.KeyKubernetesVersion, c.Cluster.KubernetesVersion, err.Error()))
	}
	if err := clusterspec.CheckIpFamilyUpdate(running, c.ScenarioSpec().IpFamily); err != nil {
		errs = append(errs, config.KeyError("scenario", string(c.Scenario), err.Error()))
	}
	if err := clusterspec.CheckServiceCidrUpdate(running, c.Cluster.ServiceIpv4Cidr); err != nil {
		errs = append(errs, config.KeyError(clusterspec.KeyServiceIpv4Cidr, c.Cluster.ServiceIpv4Cidr, err.Error()))
	}
	if err := netplan.CheckReaddressing(vpc, layout); err != nil {
		var fe *field.Error
		if errors.As(err, &fe) && fe.Field == netplan.KeyAvailabilityZones && len(c.Vpc.AvailabilityZones) == 0 {
			// The zones came from availabilityZoneCount (the region's first ones).
			err = config.KeyError(netplan.KeyAvailabilityZoneCount, strconv.Itoa(c.Vpc.AvailabilityZoneCount), fe.Detail)
		} else {
			err = b.vpcError(err)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// CheckRunningMultus checks, at preview, that one pulumi up can move the Multus networks the cluster
// runs (its ENIs as EC2 describes them) to the configured attachment (multus.CheckAttachmentChange).
func (b *Blueprint) CheckRunningMultus(networks []multus.Network, running []multus.RunningEni) error {
	if fe := multus.CheckAttachmentChange(b.cfg.Multus.Attachment, networks, b.cfg.Multus.InstanceIds, running); fe != nil {
		return config.FieldErrors(field.ErrorList{fe})
	}
	return nil
}
