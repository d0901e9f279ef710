// Package stacks composes components into the scenarios a stack file selects
// (eks-advanced-networking:scenario): ipv6.go, ipv4.go (ipv4-calico and ipv4-multus), kubernetes.go
// (what runs inside the cluster) and existing.go (bring your own cluster). This file dispatches and
// holds what every scenario shares: the AWS provider, the zones and the VPC.
package stacks

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/components"
	"eks-advanced-networking/internal/blueprint"
	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/netplan"
)

// Outputs are a scenario's stack outputs. main.go exports them; the offline plan reads them.
type Outputs = map[string]pulumi.Output

// Program decodes and validates the raw stack configuration, then runs the scenario it names. Bad
// configuration returns an error before any resource registers.
func Program(raw map[string]string) func(ctx *pulumi.Context) (Outputs, error) {
	return func(ctx *pulumi.Context) (Outputs, error) {
		cfg, err := config.Decode(raw)
		if err != nil {
			return nil, err
		}
		for _, w := range cfg.Warnings {
			if err := ctx.Log.Warn(w, nil); err != nil {
				return nil, err
			}
		}
		// What the configuration implies, derived once and refused before any resource registers.
		bp, err := blueprint.New(cfg)
		if err != nil {
			return nil, err
		}
		if cfg.ClusterMode == config.ClusterModeExisting {
			return ExistingCluster(ctx, cfg, bp)
		}
		// A scenario's composition follows its cluster's IP family; what the scenario turns on
		// inside it comes from the configuration.
		switch cfg.ScenarioSpec().IpFamily {
		case clusterspec.Ipv6:
			return Ipv6(ctx, cfg, bp)
		case clusterspec.Ipv4:
			return Ipv4(ctx, cfg, bp)
		}
		return nil, fmt.Errorf("scenario %q has no composition", cfg.Scenario) // config.Decode refuses it first
	}
}

// Run is the Pulumi program main.go runs: Program, with its outputs exported in name order.
func Run(raw map[string]string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		outputs, err := Program(raw)(ctx)
		if err != nil {
			return err
		}
		for _, name := range slices.Sorted(maps.Keys(outputs)) {
			ctx.Export(name, outputs[name])
		}
		return nil
	}
}

// base is what every scenario starts from: the AWS provider, the VPC, and the Multus networks when
// they are on.
type base struct {
	blueprint      *blueprint.Blueprint
	provider       pulumi.ProviderResource
	vpc            *components.DualStackVpc
	multusNetworks []multus.Network
	// multusDeviceIndexes are where multusAttachment instances attaches each zone's ENI.
	multusDeviceIndexes []int
}

// The tags that name the project and stack of everything the AWS provider creates; a renamed
// cluster is found by them (clusterOfThisStack).
const (
	projectTag = "project"
	stackTag   = "stack"
)

// newBase creates the explicit AWS provider, resolves the availability zones and builds the VPC from
// the configuration. The provider tags everything it creates with the project and stack, and ignores
// the kubernetes.io/cluster/* tags EKS adds to subnets, which would otherwise flip back and forth on
// every refresh and up (pulumi-eks #271).
func newBase(ctx *pulumi.Context, cfg *config.Config, bp *blueprint.Blueprint) (*base, error) {
	tags := map[string]string{
		projectTag:   ctx.Project(),
		stackTag:     ctx.Stack(),
		"managed-by": "pulumi",
	}
	args := &aws.ProviderArgs{
		Region:      pulumi.String(cfg.Region),
		DefaultTags: &aws.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(tags)},
		IgnoreTags:  &aws.ProviderIgnoreTagsArgs{KeyPrefixes: pulumi.ToStringArray([]string{"kubernetes.io/cluster/"})},
	}
	if cfg.Profile != "" {
		args.Profile = pulumi.String(cfg.Profile)
	}
	provider, err := aws.NewProvider(ctx, "aws", args)
	if err != nil {
		return nil, err
	}
	zones, err := availabilityZones(ctx, cfg, provider)
	if err != nil {
		return nil, err
	}
	// "latest" add-on versions are EKS's answer now, checked before the VPC registers. The cluster
	// component asks again and checks the same way; the settings it gets keep "latest", since only a
	// pin is held to the versions recorded here (EKS's answer may be newer).
	resolved, err := components.ResolveAddonVersions(ctx, cfg.Cluster, pulumi.Provider(provider))
	if err != nil {
		return nil, err
	}
	if err := cfg.CheckResolvedVpcCni(resolved.VpcCniVersion); err != nil {
		return nil, err
	}
	// The blueprint in the zones AWS named: what it can refuse is refused before the VPC registers.
	network, err := bp.InZones(zones)
	if err != nil {
		return nil, err
	}
	layout := network.Vpc
	// A cluster this stack already runs moves only as EKS and EC2 allow: one minor version up at a
	// time, in the network it was made in.
	running, runningVpc, err := runningCluster(ctx, cfg.Cluster.EksName(ctx.Stack()), provider)
	if err != nil {
		return nil, err
	}
	if running != nil {
		if err := bp.CheckRunningCluster(ctx.Stack(), *running, *runningVpc, layout); err != nil {
			return nil, err
		}
	}
	networks := network.Multus
	var deviceIndexes []int
	if cfg.Multus.Enabled {
		if running != nil {
			enis, err := runningMultusEnis(ctx, cfg.Cluster.EksName(ctx.Stack()), provider)
			if err != nil {
				return nil, err
			}
			if err := bp.CheckRunningMultus(networks, enis); err != nil {
				return nil, err
			}
		}
		if cfg.Multus.Attachment == multus.AttachInstances {
			if deviceIndexes, err = multusDeviceIndexes(ctx, cfg, networks, provider); err != nil {
				return nil, err
			}
		}
	}
	vpc, err := components.NewDualStackVpc(ctx, "vpc", &components.DualStackVpcArgs{Layout: layout}, pulumi.Provider(provider))
	if err != nil {
		return nil, err
	}
	return &base{blueprint: bp, provider: provider, vpc: vpc, multusNetworks: networks, multusDeviceIndexes: deviceIndexes}, nil
}

// multusDeviceIndexes are the device indexes at which the fixed instances of multusAttachment
// instances take their zones' ENIs (multus.InstanceDeviceIndex), from the interfaces EC2 reports
// attached to each instance now.
func multusDeviceIndexes(ctx *pulumi.Context, cfg *config.Config, networks []multus.Network, provider pulumi.ProviderResource) ([]int, error) {
	cluster := cfg.Cluster.EksName(ctx.Stack())
	indexes := make([]int, len(networks))
	for i, n := range networks {
		instance := cfg.Multus.InstanceIds[i]
		enis, err := describeNetworkInterfaces(ctx, provider, ec2.GetNetworkInterfacesFilter{Name: "attachment.instance-id", Values: []string{instance}})
		if err != nil {
			return nil, fmt.Errorf("config %s:%s: the network interfaces of %s: %w", config.Project, multus.KeyInstanceIds, instance, err)
		}
		if len(enis) == 0 {
			return nil, fmt.Errorf("config %s:%s = %q: EC2 reports no network interface attached to it; is it a running instance of this region?", config.Project, multus.KeyInstanceIds, instance)
		}
		var attached []multus.AttachedInterface
		for _, eni := range enis {
			for _, a := range eni.Attachments {
				if a.InstanceId == instance {
					attached = append(attached, multus.AttachedInterface{DeviceIndex: a.DeviceIndex, Ours: n.HoldsEni(eni.Tags, cluster)})
				}
			}
		}
		indexes[i] = multus.InstanceDeviceIndex(attached)
	}
	return indexes, nil
}

// runningMultusEnis are the cluster's Multus ENIs as EC2 describes them now (tagged multus=true and
// with the cluster's name, as multusEni tags them), in id order.
func runningMultusEnis(ctx *pulumi.Context, cluster string, provider pulumi.ProviderResource) ([]multus.RunningEni, error) {
	described, err := describeNetworkInterfaces(ctx, provider,
		ec2.GetNetworkInterfacesFilter{Name: "tag:cluster", Values: []string{cluster}}, ec2.GetNetworkInterfacesFilter{Name: "tag:multus", Values: []string{"true"}})
	if err != nil {
		return nil, fmt.Errorf("the Multus network interfaces of the EKS cluster %s: %w", cluster, err)
	}
	var enis []multus.RunningEni
	for _, eni := range described {
		running := multus.RunningEni{ID: eni.Id, Network: eni.Tags[multus.NetworkTag], Attachment: multus.Attachment(eni.Tags[multus.AttachmentTag])}
		for _, a := range eni.Attachments {
			running.Instance = a.InstanceId
		}
		enis = append(enis, running)
	}
	return enis, nil
}

// describeNetworkInterfaces are the network interfaces EC2 lists for filters, each as EC2 describes
// it, in id order.
func describeNetworkInterfaces(ctx *pulumi.Context, provider pulumi.ProviderResource, filters ...ec2.GetNetworkInterfacesFilter) ([]*ec2.LookupNetworkInterfaceResult, error) {
	found, err := ec2.GetNetworkInterfaces(ctx, &ec2.GetNetworkInterfacesArgs{Filters: filters}, pulumi.Provider(provider))
	if err != nil {
		return nil, fmt.Errorf("listing: %w", err)
	}
	var out []*ec2.LookupNetworkInterfaceResult
	for _, id := range slices.Sorted(slices.Values(found.Ids)) {
		eni, err := ec2.LookupNetworkInterface(ctx, &ec2.LookupNetworkInterfaceArgs{Id: pulumi.StringRef(id)}, pulumi.Provider(provider))
		if err != nil {
			return nil, fmt.Errorf("describing %s: %w", id, err)
		}
		out = append(out, eni)
	}
	return out, nil
}

// runningCluster is what EKS and EC2 report now of the cluster named name and the VPC it runs in, or
// nil when there is none (the stack's first up). It is read from AWS rather than from the stack's
// state, so an update made outside Pulumi (the console, eksctl, another laptop's interrupted up)
// counts too.
func runningCluster(ctx *pulumi.Context, name string, provider pulumi.ProviderResource) (*clusterspec.RunningCluster, *netplan.RunningVpc, error) {
	clusters, err := awseks.GetClusters(ctx, pulumi.Provider(provider))
	if err != nil {
		return nil, nil, fmt.Errorf("listing the EKS clusters: %w", err)
	}
	if !slices.Contains(clusters.Names, name) {
		// Not under this name: the stack's first up, or clusterName changed on a running stack, which
		// CheckRunningCluster refuses once it knows the cluster the stack runs.
		if name, err = clusterOfThisStack(ctx, clusters.Names, provider); err != nil || name == "" {
			return nil, nil, err
		}
	}
	cluster, err := awseks.LookupCluster(ctx, &awseks.LookupClusterArgs{Name: name}, pulumi.Provider(provider))
	if err != nil {
		return nil, nil, fmt.Errorf("describing the EKS cluster %s: %w", name, err)
	}
	groups, err := awseks.GetNodeGroups(ctx, &awseks.GetNodeGroupsArgs{ClusterName: name}, pulumi.Provider(provider))
	if err != nil {
		return nil, nil, fmt.Errorf("listing the node groups of the EKS cluster %s: %w", name, err)
	}
	running := &clusterspec.RunningCluster{Name: name, Version: cluster.Version}
	for _, n := range cluster.KubernetesNetworkConfigs {
		running.IpFamily, running.ServiceIpv4Cidr = clusterspec.IpFamily(n.IpFamily), n.ServiceIpv4Cidr
	}
	for _, group := range slices.Sorted(slices.Values(groups.Names)) {
		g, err := awseks.LookupNodeGroup(ctx, &awseks.LookupNodeGroupArgs{ClusterName: name, NodeGroupName: group}, pulumi.Provider(provider))
		if err != nil {
			return nil, nil, fmt.Errorf("describing the node group %s of the EKS cluster %s: %w", group, name, err)
		}
		// EKS holds no Kubernetes version of its own for a group on a custom AMI ("You cannot specify the
		// field kubernetesVersion when using custom AMIs", eksctl-io/eksctl#5748): its AMI says it.
		if g.AmiType == clusterspec.CustomAmiType {
			continue
		}
		running.NodeGroups = append(running.NodeGroups, clusterspec.RunningNodeGroup{Name: group, Version: g.Version})
	}
	vpc, err := ec2.LookupVpc(ctx, &ec2.LookupVpcArgs{Id: pulumi.StringRef(cluster.VpcConfig.VpcId)}, pulumi.Provider(provider))
	if err != nil {
		return nil, nil, fmt.Errorf("describing the VPC %s of the EKS cluster %s: %w", cluster.VpcConfig.VpcId, name, err)
	}
	runningVpc := &netplan.RunningVpc{ID: vpc.Id, Ipv4Cidr: vpc.CidrBlock, Ipv6Cidr: vpc.Ipv6CidrBlock}
	for _, id := range slices.Sorted(slices.Values(cluster.VpcConfig.SubnetIds)) {
		subnet, err := ec2.LookupSubnet(ctx, &ec2.LookupSubnetArgs{Id: pulumi.StringRef(id)}, pulumi.Provider(provider))
		if err != nil {
			return nil, nil, fmt.Errorf("describing the subnet %s of the EKS cluster %s: %w", id, name, err)
		}
		runningVpc.Subnets = append(runningVpc.Subnets, netplan.RunningSubnet{ID: id, AvailabilityZone: subnet.AvailabilityZone, Ipv4Cidr: subnet.CidrBlock})
	}
	return running, runningVpc, nil
}

// clusterOfThisStack is the name of the EKS cluster among names that carries this stack's tags
// (newBase's provider tags everything it creates with its project and stack), or "" when none does.
// Each is described in turn (EKS lists names only), which costs a call per cluster in the region,
// and only when the configured name is not among them. A cluster the deployer may not describe, or
// one gone since the list, is not this stack's: the deployer made this stack's, so it can describe it.
func clusterOfThisStack(ctx *pulumi.Context, names []string, provider pulumi.ProviderResource) (string, error) {
	for _, name := range slices.Sorted(slices.Values(names)) {
		cluster, err := awseks.LookupCluster(ctx, &awseks.LookupClusterArgs{Name: name}, pulumi.Provider(provider))
		if err != nil && (strings.Contains(err.Error(), "AccessDeniedException") || strings.Contains(err.Error(), "ResourceNotFoundException")) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("describing the EKS cluster %s, to see whether this stack made it: %w", name, err)
		}
		if cluster.Tags[projectTag] == ctx.Project() && cluster.Tags[stackTag] == ctx.Stack() {
			return name, nil
		}
	}
	return "", nil
}

// availabilityZones returns the configured zones after checking that the region offers them, or the
// first availabilityZoneCount zones of the region in name order (stable from run to run).
func availabilityZones(ctx *pulumi.Context, cfg *config.Config, provider pulumi.ProviderResource) ([]string, error) {
	available, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{
		State: pulumi.StringRef("available"),
		// Local and Wavelength zones need an opt-in and cannot host EKS control-plane subnets.
		Filters: []aws.GetAvailabilityZonesFilter{{Name: "opt-in-status", Values: []string{"opt-in-not-required"}}},
	}, pulumi.Provider(provider))
	if err != nil {
		return nil, fmt.Errorf("looking up the availability zones of %s: %w", cfg.Region, err)
	}
	names := slices.Sorted(slices.Values(available.Names))
	if len(cfg.Vpc.AvailabilityZones) > 0 {
		for _, z := range cfg.Vpc.AvailabilityZones {
			if !slices.Contains(names, z) {
				return nil, fmt.Errorf("config %s:availabilityZones: %q is not an available zone of %s; available: %s",
					config.Project, z, cfg.Region, strings.Join(names, ", "))
			}
		}
		return cfg.Vpc.AvailabilityZones, nil
	}
	if len(names) < cfg.Vpc.AvailabilityZoneCount {
		return nil, fmt.Errorf("config %s:availabilityZoneCount = %q: %s has only %d available zones (%s); use at most %d",
			config.Project, fmt.Sprint(cfg.Vpc.AvailabilityZoneCount), cfg.Region, len(names), strings.Join(names, ", "), len(names))
	}
	return names[:cfg.Vpc.AvailabilityZoneCount], nil
}

// clusterArgs are the cluster settings every scenario takes from the configuration.
func (b *base) clusterArgs(cfg *config.Config, nodeGroupName string) components.ClusterArgs {
	return components.ClusterArgs{
		Settings:      cfg.Cluster,
		Vpc:           b.vpc,
		Region:        cfg.Region,
		AwsProfile:    cfg.Profile,
		NodeGroupName: nodeGroupName,
		VpcCniIpvlan:  cfg.Multus.Enabled,
		PolicyEngine:  cfg.PolicyEngine,
	}
}

// addClusterOutputs adds the stack outputs every cluster has.
func addClusterOutputs(out Outputs, c components.ClusterOutputs) {
	out["clusterName"] = c.ClusterName
	out["kubeconfig"] = c.Kubeconfig
	out["oidcProviderArn"] = c.OidcProviderArn
	out["nodeGroupName"] = c.NodeGroupName
	out["vpcCniRoleArn"] = c.VpcCniRoleArn
}

// outputs are the stack outputs every scenario has.
func (b *base) outputs() Outputs {
	vpc := b.vpc
	out := Outputs{
		"vpcId":                vpc.VpcId.ToStringOutput(),
		"publicSubnetIds":      vpc.PublicSubnetIds,
		"privateSubnetIds":     vpc.PrivateSubnetIds,
		"publicRouteTableIds":  vpc.PublicRouteTableIds,
		"privateRouteTableIds": vpc.PrivateRouteTableIds,
		"natGatewayIds":        vpc.NatGatewayIds,
	}
	if vpc.Plan.Input.Ipv6 {
		out["vpcIpv6CidrBlock"] = vpc.Ipv6CidrBlock
	}
	return out
}
