package components

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/clusterspec"
)

// This file is the cluster core that Ipv6Cluster and Ipv4Cluster share: one EKS cluster from
// pulumi-eks v2 with its known defects routed around. pulumi-eks's own VPC CNI (v1.16.0, with
// ENABLE_IPv4 left on next to IPv6) is off (UseDefaultVpcCni), and vpc-cni, coredns and kube-proxy
// are managed add-ons with JSON we marshal ourselves (pulumi-eks v2's Addon writes unsorted JSON);
// the security groups are ours, with IPv6 egress (pulumi-eks #1700); the CNI's permissions come
// through IRSA, not the node role (pulumi-eks #1522).

// ClusterArgs are the settings both cluster components take.
type ClusterArgs struct {
	// ClusterName is the EKS cluster's name. It is set, not generated, so add-ons and access entries
	// can name the cluster before it exists.
	ClusterName       string
	KubernetesVersion string
	// Vpc is where the cluster lives: control plane in all subnets, nodes in the private ones.
	Vpc *DualStackVpc
	// ClusterLogTypes go to CloudWatch Logs; empty turns control-plane logging off.
	ClusterLogTypes []string
	// EndpointPublicAccessCidrs may reach the public API endpoint. Empty turns the public endpoint off.
	EndpointPublicAccessCidrs []string
	// EndpointPrivateAccessCidrs may reach the private endpoint on 443 through the control plane's
	// security group: networks inside or connected to the VPC, such as a CI runner's.
	EndpointPrivateAccessCidrs []string
	// AdminArns are IAM roles or users that get cluster admin: an access entry with
	// AmazonEKSClusterAdminPolicy, cluster scope. With access entries, only the cluster's creator is
	// admin otherwise. Do not list the creator: EKS refuses a second entry for it.
	AdminArns []string
	// Region and AwsProfile go into the kubeconfig's token command (AwsProfile may be empty).
	Region     string
	AwsProfile string
	NodeGroup  NodeGroupArgs
	Addons     AddonVersions
	// WarmPrefixTarget is the VPC CNI's WARM_PREFIX_TARGET (used when prefix delegation is on).
	WarmPrefixTarget int
	// VpcCniIpvlan requires a vpc-cni release that installs the ipvlan plugin, which Multus's
	// ipvlan networks use (clusterspec.CheckVpcCniForMultus); a "latest" without it is refused too.
	VpcCniIpvlan bool
	// PolicyEngine says who enforces NetworkPolicies, which sets the vpc-cni add-on to match: its own
	// agent on (vpc-cni), or off with ANNOTATE_POD_IP for Calico (calico), or off (none).
	PolicyEngine clusterspec.PolicyEngine
	Tags         map[string]string
}

// NodeGroupArgs describe the managed node group.
type NodeGroupArgs struct {
	// Name is the node group's name in EKS (the chapter's ipv6mng).
	Name                          string
	InstanceType                  string
	MinSize, DesiredSize, MaxSize int
}

// AddonVersions are the managed add-ons' versions: a version such as v1.22.1-eksbuild.2, or latest.
type AddonVersions struct {
	VpcCni, Coredns, KubeProxy string
}

// ClusterOutputs are the outputs both cluster components have.
type ClusterOutputs struct {
	ClusterName         pulumi.StringOutput `pulumi:"clusterName"`
	Kubeconfig          pulumi.StringOutput `pulumi:"kubeconfig"`
	OidcProviderArn     pulumi.StringOutput `pulumi:"oidcProviderArn"`
	OidcIssuer          pulumi.StringOutput `pulumi:"oidcIssuer"`
	NodeGroupName       pulumi.StringOutput `pulumi:"nodeGroupName"`
	NodeRoleArn         pulumi.StringOutput `pulumi:"nodeRoleArn"`
	NodeRoleName        pulumi.StringOutput `pulumi:"nodeRoleName"`
	NodeSecurityGroupId pulumi.StringOutput `pulumi:"nodeSecurityGroupId"`
	VpcCniRoleArn       pulumi.StringOutput `pulumi:"vpcCniRoleArn"`
	// VpcCniConfiguration is the vpc-cni add-on's configurationValues.
	VpcCniConfiguration pulumi.StringOutput `pulumi:"vpcCniConfiguration"`
	// Endpoint, CertificateAuthorityData (base64) and ServiceCidr are what a node needs to join.
	Endpoint                 pulumi.StringOutput `pulumi:"endpoint"`
	CertificateAuthorityData pulumi.StringOutput `pulumi:"certificateAuthorityData"`
	ServiceCidr              pulumi.StringOutput `pulumi:"serviceCidr"`
}

func (o ClusterOutputs) toMap() pulumi.Map {
	return pulumi.Map{
		"clusterName":              o.ClusterName,
		"kubeconfig":               o.Kubeconfig,
		"oidcProviderArn":          o.OidcProviderArn,
		"oidcIssuer":               o.OidcIssuer,
		"nodeGroupName":            o.NodeGroupName,
		"nodeRoleArn":              o.NodeRoleArn,
		"nodeRoleName":             o.NodeRoleName,
		"nodeSecurityGroupId":      o.NodeSecurityGroupId,
		"vpcCniRoleArn":            o.VpcCniRoleArn,
		"vpcCniConfiguration":      o.VpcCniConfiguration,
		"endpoint":                 o.Endpoint,
		"certificateAuthorityData": o.CertificateAuthorityData,
		"serviceCidr":              o.ServiceCidr,
	}
}

// ClusterParts are what both cluster components hold besides their resource state.
type ClusterParts struct {
	ClusterOutputs
	// Ready are the resources that are done once the cluster takes workloads: depend on these, not
	// on the component, whose children the Go SDK may not have finished collecting.
	Ready []pulumi.Resource
	// EksCluster is the pulumi-eks cluster, for node groups added beside the component's own.
	EksCluster *eks.Cluster
	// NodePrerequisites are what a node group of this cluster must wait for: the CNI with its
	// permissions, kube-proxy and the node role's access entry. Another node group depending on these,
	// not on Ready, starts beside the cluster's own instead of after it.
	NodePrerequisites []pulumi.Resource
	// Addons are the add-on versions in use, "latest" resolved.
	Addons AddonVersions
}

func (p *ClusterParts) parts() *ClusterParts { return p }

// clusterComponent is Ipv4Cluster or Ipv6Cluster.
type clusterComponent interface {
	pulumi.ComponentResource
	parts() *ClusterParts
}

// buildCluster registers the component c and builds the cluster under it.
func buildCluster(ctx *pulumi.Context, typ, name string, c clusterComponent, args *ClusterArgs, family ipFamily,
	instance clusterspec.InstanceType, opts []pulumi.ResourceOption) error {
	if err := ctx.RegisterComponentResource(typ, name, c, opts...); err != nil {
		return err
	}
	b := &clusterBuilder{ctx: ctx, name: name, args: args, instance: instance, parent: pulumi.Parent(c), family: family}
	built, err := b.build()
	if err != nil {
		return err
	}
	p := c.parts()
	p.ClusterOutputs, p.Ready, p.EksCluster, p.NodePrerequisites, p.Addons = built.outputs, built.ready, built.eks, built.nodePrerequisites, built.addons
	return ctx.RegisterResourceOutputs(c, p.ClusterOutputs.toMap())
}

// ipFamily is what differs between the IPv4 and the IPv6 cluster.
type ipFamily struct {
	name clusterspec.IpFamily
	// cniPolicy grants the VPC CNI's permissions to its IRSA role.
	cniPolicy func(ctx *pulumi.Context, name, partition string, role *iam.Role, opts ...pulumi.ResourceOption) error
	// vpcCni is the add-on configuration apart from the prefix and policy settings.
	vpcCni clusterspec.VpcCniOptions
	// serviceIpv4Cidr is the Kubernetes service block of an IPv4 cluster ("" lets EKS choose).
	serviceIpv4Cidr string
}

// validateClusterArgs refuses what EKS or our design would refuse, before anything registers.
func validateClusterArgs(component string, args *ClusterArgs, family ipFamily) (clusterspec.InstanceType, error) {
	bad := func(field, value, reason string) (clusterspec.InstanceType, error) {
		return clusterspec.InstanceType{}, fmt.Errorf("%s: %s = %q: %s", component, field, value, reason)
	}
	if args.Vpc == nil {
		return bad("Vpc", "", "a DualStackVpc is required")
	}
	if args.ClusterName == "" {
		return bad("ClusterName", "", "a cluster name is required")
	}
	if args.NodeGroup.Name == "" {
		return bad("NodeGroup.Name", "", "a node group name is required")
	}
	if args.Region == "" {
		return bad("Region", "", "the cluster's region is required (the kubeconfig names it)")
	}
	for _, cidr := range args.EndpointPublicAccessCidrs {
		if _, err := clusterspec.CheckPublicAccessCidr(cidr, family.name == clusterspec.Ipv6); err != nil {
			return bad("EndpointPublicAccessCidrs", cidr, err.Error())
		}
	}
	for _, cidr := range args.EndpointPrivateAccessCidrs {
		if _, err := clusterspec.CheckPrivateAccessCidr(cidr); err != nil {
			return bad("EndpointPrivateAccessCidrs", cidr, err.Error())
		}
	}
	for _, arn := range args.AdminArns {
		if _, err := clusterspec.ParseIamPrincipal(arn); err != nil {
			return bad("AdminArns", arn, err.Error())
		}
	}
	it, err := clusterspec.ParseInstanceType(args.NodeGroup.InstanceType)
	if err != nil {
		return bad("NodeGroup.InstanceType", args.NodeGroup.InstanceType, err.Error())
	}
	if err := clusterspec.CheckInstanceType(it.Name); err != nil {
		return bad("NodeGroup.InstanceType", args.NodeGroup.InstanceType, err.Error())
	}
	if _, err := clusterspec.AmiType(clusterspec.AL2023, it); err != nil {
		return bad("NodeGroup.InstanceType", args.NodeGroup.InstanceType, err.Error())
	}
	if !args.PolicyEngine.Valid() {
		return bad("PolicyEngine", string(args.PolicyEngine), fmt.Sprintf("use one of %v", clusterspec.PolicyEngines))
	}
	n := args.NodeGroup
	if errs := (clusterspec.NodeGroupSize{MinSize: n.MinSize, DesiredSize: n.DesiredSize, MaxSize: n.MaxSize}).Errors(); len(errs) > 0 {
		return bad("NodeGroup."+errs[0].Field, errs[0].Value, errs[0].Reason)
	}
	if args.Addons.VpcCni != clusterspec.Latest {
		if err := checkVpcCni(args, family, args.Addons.VpcCni); err != nil {
			return bad("Addons.VpcCni", args.Addons.VpcCni, err.Error())
		}
	}
	for _, a := range []struct{ field, addon, version string }{
		{"VpcCni", "vpc-cni", args.Addons.VpcCni}, {"Coredns", "coredns", args.Addons.Coredns}, {"KubeProxy", "kube-proxy", args.Addons.KubeProxy},
	} {
		if a.version == clusterspec.Latest {
			continue
		}
		v, err := clusterspec.ParseAddonVersion(a.version)
		if err != nil {
			return bad("Addons."+a.field, a.version, err.Error())
		}
		if err := clusterspec.CheckAddonForKubernetes(a.addon, v, args.KubernetesVersion); err != nil {
			return bad("Addons."+a.field, a.version, err.Error())
		}
	}
	return it, nil
}

// checkVpcCni says whether a vpc-cni version can serve the IP family and, with ipvlan, Multus.
func checkVpcCni(args *ClusterArgs, f ipFamily, version string) error {
	if err := f.checkVpcCni(version); err != nil {
		return err
	}
	if !args.VpcCniIpvlan {
		return nil
	}
	v, err := clusterspec.ParseAddonVersion(version)
	if err != nil {
		return err
	}
	return clusterspec.CheckVpcCniForMultus(v)
}

// checkVpcCni says whether a vpc-cni version can serve the IP family.
func (f ipFamily) checkVpcCni(version string) error {
	if f.name != clusterspec.Ipv6 {
		return nil
	}
	v, err := clusterspec.ParseAddonVersion(version)
	if err != nil {
		return err
	}
	return clusterspec.CheckVpcCniForIpv6(v)
}

// clusterBuilder registers the cluster's resources under one parent component.
type clusterBuilder struct {
	ctx      *pulumi.Context
	name     string
	args     *ClusterArgs
	family   ipFamily
	instance clusterspec.InstanceType
	parent   pulumi.ResourceOrInvokeOption
}

func (b *clusterBuilder) tags(name string) pulumi.StringMap { return nameTags(name, b.args.Tags) }

// builtCluster is what build hands the cluster components.
type builtCluster struct {
	outputs ClusterOutputs
	// ready are the resources that are done when the cluster takes workloads (nodes joined, add-ons
	// active).
	ready             []pulumi.Resource
	eks               *eks.Cluster
	nodePrerequisites []pulumi.Resource
	addons            AddonVersions
}

// build registers everything.
func (b *clusterBuilder) build() (builtCluster, error) {
	ctx, name, args := b.ctx, b.name, b.args
	partition, err := aws.GetPartition(ctx, nil, b.parent)
	if err != nil {
		return builtCluster{}, fmt.Errorf("looking up the AWS partition: %w", err)
	}
	versions, err := b.resolveAddonVersions()
	if err != nil {
		return builtCluster{}, err
	}

	controlPlaneSg, nodeSg, err := b.securityGroups()
	if err != nil {
		return builtCluster{}, err
	}
	if err := b.privateEndpointAccess(controlPlaneSg); err != nil {
		return builtCluster{}, err
	}
	nodeRole, err := b.nodeRole(partition.Partition)
	if err != nil {
		return builtCluster{}, err
	}

	endpointPublic := len(args.EndpointPublicAccessCidrs) > 0
	authenticationMode := eks.AuthenticationModeApi
	clusterArgs := &eks.ClusterArgs{
		Name:                   pulumi.String(args.ClusterName),
		Version:                pulumi.String(args.KubernetesVersion),
		IpFamily:               pulumi.String(string(b.family.name)),
		VpcId:                  args.Vpc.VpcId.ToStringOutput(),
		PublicSubnetIds:        args.Vpc.PublicSubnetIds,
		PrivateSubnetIds:       args.Vpc.PrivateSubnetIds,
		ClusterSecurityGroup:   controlPlaneSg,
		EndpointPrivateAccess:  pulumi.Bool(true),
		EndpointPublicAccess:   pulumi.Bool(endpointPublic),
		EnabledClusterLogTypes: pulumi.ToStringArray(args.ClusterLogTypes),
		// Access entries instead of the aws-auth ConfigMap.
		AuthenticationMode: &authenticationMode,
		// Our own OIDC provider below, so its ARN is a resource output the plan can show.
		CreateOidcProvider:   pulumi.Bool(false),
		SkipDefaultNodeGroup: pulumi.BoolRef(true),
		// pulumi-eks v2 would kubectl-apply VPC CNI v1.16.0 with ENABLE_IPv4=true next to IPv6, which the
		// CNI rejects; the managed vpc-cni add-on below replaces it.
		UseDefaultVpcCni: pulumi.BoolRef(true),
		// Without instance roles pulumi-eks v2.8.1 creates a default instance role (with
		// AmazonEKS_CNI_Policy) and an EC2_LINUX access entry for it, which would let any instance
		// with that role join (nodejs/eks/cluster.ts, createCore). An empty list creates neither; a
		// non-empty one is refused with authenticationMode API. Our node role gets its entry below.
		InstanceRoles: iam.RoleArray{},
	}
	if args.AwsProfile != "" {
		// The kubernetes provider pulumi-eks uses inside the component authenticates with the
		// stack's profile too.
		clusterArgs.ProviderCredentialOpts = &eks.KubeconfigOptionsArgs{ProfileName: pulumi.String(args.AwsProfile)}
	}
	if len(args.Tags) > 0 {
		clusterArgs.Tags = pulumi.ToStringMap(args.Tags)
	}
	if b.family.serviceIpv4Cidr != "" {
		clusterArgs.KubernetesServiceIpAddressRange = pulumi.String(b.family.serviceIpv4Cidr)
	}
	if endpointPublic {
		clusterArgs.PublicAccessCidrs = pulumi.ToStringArray(args.EndpointPublicAccessCidrs)
	}
	// The security group goes in as a resource reference, which does not count as a dependency.
	cluster, err := eks.NewCluster(ctx, name, clusterArgs, b.parent, pulumi.DependsOn([]pulumi.Resource{controlPlaneSg}))
	if err != nil {
		return builtCluster{}, err
	}

	// The cluster as EKS describes it: its OIDC issuer and the endpoint and CA for the kubeconfig.
	// pulumi-eks v2 hands its inner resources back as references, which a preview cannot always
	// resolve; a lookup that waits for the cluster can.
	described := awseks.LookupClusterOutput(ctx, awseks.LookupClusterOutputArgs{
		Name: pulumi.String(args.ClusterName),
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{cluster}))
	oidc, issuer, err := b.oidcProvider(described)
	if err != nil {
		return builtCluster{}, err
	}
	kubeconfig := b.kubeconfig(described)
	if err := b.clusterAdmins(partition.Partition, cluster); err != nil {
		return builtCluster{}, err
	}
	cniRole, err := b.vpcCniRole(partition.Partition, oidc, issuer)
	if err != nil {
		return builtCluster{}, err
	}

	cniOptions := b.family.vpcCni
	cniOptions.WarmPrefixTarget = args.WarmPrefixTarget
	// Said explicitly either way: with Calico the VPC CNI's own policy agent must stay off.
	vpcCniPolicy := args.PolicyEngine == clusterspec.PolicyEngineVpcCni
	cniOptions.NetworkPolicy = &vpcCniPolicy
	cniOptions.AnnotatePodIP = args.PolicyEngine == clusterspec.PolicyEngineCalico
	cniConfiguration, err := clusterspec.VpcCniConfigurationValues(cniOptions)
	if err != nil {
		return builtCluster{}, err
	}
	vpcCni, err := b.addon("vpc-cni", versions.VpcCni, &awseks.AddonArgs{
		ServiceAccountRoleArn: cniRole.Arn,
		ConfigurationValues:   pulumi.String(cniConfiguration),
	}, cluster)
	if err != nil {
		return builtCluster{}, err
	}
	kubeProxy, err := b.addon("kube-proxy", versions.KubeProxy, &awseks.AddonArgs{}, cluster)
	if err != nil {
		return builtCluster{}, err
	}

	// With access entries, the node role needs one to join; declaring it keeps it in Pulumi's hands.
	accessEntry, err := awseks.NewAccessEntry(ctx, name+"-nodes", &awseks.AccessEntryArgs{
		ClusterName:  pulumi.String(args.ClusterName),
		PrincipalArn: nodeRole.Arn,
		Type:         pulumi.String("EC2_LINUX"),
		Tags:         b.tags(name + "-nodes"),
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{cluster}))
	if err != nil {
		return builtCluster{}, err
	}

	ng := args.NodeGroup
	nodePrerequisites := []pulumi.Resource{vpcCni, kubeProxy, accessEntry}
	// Nodes start only once the CNI they need runs with its permissions and kube-proxy is there.
	nodeGroup, err := newManagedNodeGroup(ctx, name+"-"+ng.Name, managedNodeGroup{
		cluster:         cluster,
		nodeGroupName:   ng.Name,
		description:     "Nodes of " + args.ClusterName,
		nodeRoleArn:     nodeRole.Arn,
		subnetIds:       args.Vpc.PrivateSubnetIds,
		instance:        b.instance,
		amiFamily:       clusterspec.AL2023,
		size:            clusterspec.NodeGroupSize{MinSize: ng.MinSize, DesiredSize: ng.DesiredSize, MaxSize: ng.MaxSize},
		ipv6:            b.family.name == clusterspec.Ipv6,
		securityGroupId: nodeSg.ID().ToStringOutput(),
		tags:            args.Tags,
	}, b.parent, nodePrerequisites)
	if err != nil {
		return builtCluster{}, err
	}
	// CoreDNS needs nodes to run on; created earlier, the add-on sits degraded until they join.
	coredns, err := b.addon("coredns", versions.Coredns, &awseks.AddonArgs{}, cluster, pulumi.DependsOn([]pulumi.Resource{nodeGroup}))
	if err != nil {
		return builtCluster{}, err
	}
	ready := []pulumi.Resource{vpcCni, kubeProxy, nodeGroup, coredns}

	return builtCluster{ready: ready, eks: cluster, nodePrerequisites: nodePrerequisites, addons: versions, outputs: ClusterOutputs{
		ClusterName:         pulumi.String(args.ClusterName).ToStringOutput(),
		Kubeconfig:          pulumi.ToSecret(kubeconfig).(pulumi.StringOutput),
		OidcProviderArn:     oidc.Arn,
		OidcIssuer:          issuer,
		NodeGroupName:       pulumi.String(ng.Name).ToStringOutput(),
		NodeRoleArn:         nodeRole.Arn,
		NodeRoleName:        nodeRole.Name,
		NodeSecurityGroupId: nodeSg.ID().ToStringOutput(),
		VpcCniRoleArn:       cniRole.Arn,
		VpcCniConfiguration: pulumi.String(cniConfiguration).ToStringOutput(),
		Endpoint:            described.Endpoint(),
		CertificateAuthorityData: described.CertificateAuthorities().ApplyT(func(cas []awseks.GetClusterCertificateAuthority) string {
			if len(cas) == 0 {
				return ""
			}
			return cas[0].Data
		}).(pulumi.StringOutput),
		ServiceCidr: described.KubernetesNetworkConfigs().ApplyT(func(cs []awseks.GetClusterKubernetesNetworkConfig) string {
			if len(cs) == 0 {
				return ""
			}
			if cs[0].ServiceIpv4Cidr != "" {
				return cs[0].ServiceIpv4Cidr
			}
			return cs[0].ServiceIpv6Cidr
		}).(pulumi.StringOutput),
	}}, nil
}

// resolveAddonVersions turns "latest" into the most recent version EKS offers for the cluster's
// Kubernetes version, and checks that the vpc-cni can serve the IP family.
func (b *clusterBuilder) resolveAddonVersions() (AddonVersions, error) {
	out, err := ResolveAddonVersions(b.ctx, b.args.KubernetesVersion, b.args.Addons, b.parent)
	if err != nil {
		return out, err
	}
	if err := checkVpcCni(b.args, b.family, out.VpcCni); err != nil {
		return out, fmt.Errorf("the vpc-cni add-on version EKS offers for Kubernetes %s is %s: %w", b.args.KubernetesVersion, out.VpcCni, err)
	}
	return out, nil
}

// ResolveAddonVersions turns "latest" into the most recent version EKS offers for the Kubernetes
// version: a lookup, which registers nothing, so a stack can check the answer before it creates
// anything.
func ResolveAddonVersions(ctx *pulumi.Context, kubernetesVersion string, versions AddonVersions, opts ...pulumi.InvokeOption) (AddonVersions, error) {
	resolve := func(addon, version string) (string, error) {
		if version != clusterspec.Latest {
			return version, nil
		}
		v, err := awseks.GetAddonVersion(ctx, &awseks.GetAddonVersionArgs{
			AddonName: addon, KubernetesVersion: kubernetesVersion, MostRecent: pulumi.BoolRef(true),
		}, opts...)
		if err != nil {
			return "", fmt.Errorf("looking up the latest %s add-on for Kubernetes %s: %w", addon, kubernetesVersion, err)
		}
		return v.Version, nil
	}
	var out AddonVersions
	var err error
	if out.VpcCni, err = resolve("vpc-cni", versions.VpcCni); err != nil {
		return out, err
	}
	if out.Coredns, err = resolve("coredns", versions.Coredns); err != nil {
		return out, err
	}
	out.KubeProxy, err = resolve("kube-proxy", versions.KubeProxy)
	return out, err
}

func (b *clusterBuilder) addon(addon, version string, args *awseks.AddonArgs, cluster *eks.Cluster, opts ...pulumi.ResourceOption) (*awseks.Addon, error) {
	args.ClusterName = pulumi.String(b.args.ClusterName)
	args.AddonName = pulumi.String(addon)
	args.AddonVersion = pulumi.String(version)
	// EKS installs self-managed copies when it creates the cluster; the managed add-on takes them over.
	args.ResolveConflictsOnCreate = pulumi.String("OVERWRITE")
	args.ResolveConflictsOnUpdate = pulumi.String("OVERWRITE")
	args.Tags = b.tags(b.name + "-" + addon)
	opts = append([]pulumi.ResourceOption{b.parent, pulumi.DependsOn([]pulumi.Resource{cluster})}, opts...)
	return awseks.NewAddon(b.ctx, b.name+"-"+addon, args, opts...)
}

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
		if r.Ingress {
			_, err = vpc.NewSecurityGroupIngressRule(ctx, ruleName, &vpc.SecurityGroupIngressRuleArgs{
				SecurityGroupId: sg.ID(), IpProtocol: pulumi.String(r.Protocol), Description: pulumi.String(r.Description),
				FromPort: from, ToPort: to, ReferencedSecurityGroupId: peerGroup, CidrIpv4: cidrIpv4, CidrIpv6: cidrIpv6,
			}, b.parent)
		} else {
			_, err = vpc.NewSecurityGroupEgressRule(ctx, ruleName, &vpc.SecurityGroupEgressRuleArgs{
				SecurityGroupId: sg.ID(), IpProtocol: pulumi.String(r.Protocol), Description: pulumi.String(r.Description),
				FromPort: from, ToPort: to, ReferencedSecurityGroupId: peerGroup, CidrIpv4: cidrIpv4, CidrIpv6: cidrIpv6,
			}, b.parent)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return controlPlane, nodes, nil
}

func (b *clusterBuilder) nodeRole(partition string) (*iam.Role, error) {
	trust, err := clusterspec.ServiceTrustPolicy("ec2.amazonaws.com").JSON()
	if err != nil {
		return nil, err
	}
	role, err := iam.NewRole(b.ctx, b.name+"-nodes", &iam.RoleArgs{
		Description:      pulumi.String("EKS nodes of " + b.args.ClusterName + " (the VPC CNI's permissions are on its IRSA role)"),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             b.tags(b.name + "-nodes"),
	}, b.parent)
	if err != nil {
		return nil, err
	}
	for _, arn := range clusterspec.NodeManagedPolicies(partition) {
		policyName := arn[strings.LastIndex(arn, "/")+1:]
		if _, err := iam.NewRolePolicyAttachment(b.ctx, b.name+"-nodes-"+policyName, &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String(arn),
		}, b.parent); err != nil {
			return nil, err
		}
	}
	return role, nil
}

// oidcProvider registers the cluster's OIDC issuer with IAM for IRSA.
func (b *clusterBuilder) oidcProvider(described awseks.LookupClusterResultOutput) (*iam.OpenIdConnectProvider, pulumi.StringOutput, error) {
	issuer := described.Identities().ApplyT(func(ids []awseks.GetClusterIdentity) (string, error) {
		if len(ids) == 0 || len(ids[0].Oidcs) == 0 || ids[0].Oidcs[0].Issuer == "" {
			return "", fmt.Errorf("cluster %s has no OIDC issuer", b.args.ClusterName)
		}
		return ids[0].Oidcs[0].Issuer, nil
	}).(pulumi.StringOutput)
	provider, err := iam.NewOpenIdConnectProvider(b.ctx, b.name, &iam.OpenIdConnectProviderArgs{
		Url:           issuer,
		ClientIdLists: pulumi.ToStringArray([]string{"sts.amazonaws.com"}),
		Tags:          b.tags(b.name),
	}, b.parent)
	return provider, issuer, err
}

// vpcCniRole is the aws-node service account's IRSA role, trusted for exactly that service account.
func (b *clusterBuilder) vpcCniRole(partition string, oidc *iam.OpenIdConnectProvider, issuer pulumi.StringOutput) (*iam.Role, error) {
	trust := pulumi.All(oidc.Arn, issuer).ApplyT(func(v []any) (string, error) {
		doc, err := clusterspec.IrsaTrustPolicy(v[0].(string), v[1].(string), "kube-system", "aws-node")
		if err != nil {
			return "", err
		}
		return doc.JSON()
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(b.ctx, b.name+"-vpc-cni", &iam.RoleArgs{
		Description:      pulumi.String("VPC CNI (kube-system/aws-node) of " + b.args.ClusterName),
		AssumeRolePolicy: trust,
		Tags:             b.tags(b.name + "-vpc-cni"),
	}, b.parent)
	if err != nil {
		return nil, err
	}
	return role, b.family.cniPolicy(b.ctx, b.name+"-vpc-cni", partition, role, b.parent)
}

// kubeconfig is the cluster's kubeconfig with the stack's region, and profile when set, on its token
// command (clusterspec.Kubeconfig says why not pulumi-eks's). The Kubernetes layer and the
// kubeconfig output use it.
func (b *clusterBuilder) kubeconfig(described awseks.LookupClusterResultOutput) pulumi.StringOutput {
	return pulumi.All(described.Endpoint(), described.CertificateAuthorities()).ApplyT(func(v []any) (string, error) {
		cas := v[1].([]awseks.GetClusterCertificateAuthority)
		if len(cas) == 0 || cas[0].Data == "" {
			return "", fmt.Errorf("cluster %s has no certificate authority", b.args.ClusterName)
		}
		return clusterspec.Kubeconfig(clusterspec.KubeconfigParams{
			ClusterName: b.args.ClusterName, Endpoint: v[0].(string), CertificateAuthorityData: cas[0].Data,
			Region: b.args.Region, Profile: b.args.AwsProfile,
		})
	}).(pulumi.StringOutput)
}

// privateEndpointAccess lets the configured networks reach the private endpoint on 443: with public
// access off, that is how a deployer inside the VPC (or connected to it) reaches the API server.
func (b *clusterBuilder) privateEndpointAccess(controlPlane *ec2.SecurityGroup) error {
	for _, cidr := range b.args.EndpointPrivateAccessCidrs {
		p, err := clusterspec.CheckPrivateAccessCidr(cidr)
		if err != nil {
			return err
		}
		args := &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId: controlPlane.ID(), IpProtocol: pulumi.String("tcp"),
			FromPort: pulumi.Int(443), ToPort: pulumi.Int(443),
			Description: pulumi.String("Deployer network to the private API endpoint"),
		}
		if p.Addr().Is4() {
			args.CidrIpv4 = pulumi.String(cidr)
		} else {
			args.CidrIpv6 = pulumi.String(cidr)
		}
		if _, err := vpc.NewSecurityGroupIngressRule(b.ctx, b.name+"-control-plane-from-"+resourceSafe(cidr), args, b.parent); err != nil {
			return err
		}
	}
	return nil
}

// clusterAdmins gives each admin principal an access entry and the cluster admin access policy,
// cluster scope. The identity running pulumi is admin as the cluster's creator (pulumi-eks v2.8.1 sets
// bootstrapClusterCreatorAdminPermissions); EKS refuses a second entry for it, so listing it is
// warned about.
func (b *clusterBuilder) clusterAdmins(partition string, cluster *eks.Cluster) error {
	if len(b.args.AdminArns) == 0 {
		return nil
	}
	caller, err := aws.GetCallerIdentity(b.ctx, nil, b.parent)
	if err != nil {
		return fmt.Errorf("looking up who runs pulumi: %w", err)
	}
	session, err := iam.GetSessionContext(b.ctx, &iam.GetSessionContextArgs{Arn: caller.Arn}, b.parent)
	if err != nil {
		return fmt.Errorf("looking up the role behind %s: %w", caller.Arn, err)
	}
	for _, arn := range b.args.AdminArns {
		principal, err := clusterspec.ParseIamPrincipal(arn)
		if err != nil {
			return err
		}
		if arn == session.IssuerArn {
			if err := b.ctx.Log.Warn(fmt.Sprintf("%s runs this pulumi up and is in the cluster admins; if this up creates the cluster, EKS has made it admin as the creator already and refuses a second access entry (ResourceInUseException): leave it out of the list for the first up", arn), nil); err != nil {
				return err
			}
		}
		entryName := b.name + "-admin-" + principal.Account + "-" + principal.Kind + "-" + resourceSafe(principal.PathName)
		entry, err := awseks.NewAccessEntry(b.ctx, entryName, &awseks.AccessEntryArgs{
			ClusterName:  pulumi.String(b.args.ClusterName),
			PrincipalArn: pulumi.String(arn),
			Type:         pulumi.String("STANDARD"),
			Tags:         b.tags(entryName),
		}, b.parent, pulumi.DependsOn([]pulumi.Resource{cluster}))
		if err != nil {
			return err
		}
		if _, err := awseks.NewAccessPolicyAssociation(b.ctx, entryName, &awseks.AccessPolicyAssociationArgs{
			ClusterName:  pulumi.String(b.args.ClusterName),
			PrincipalArn: entry.PrincipalArn,
			PolicyArn:    pulumi.String(clusterspec.ClusterAdminPolicy(partition)),
			AccessScope:  &awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
		}, b.parent); err != nil {
			return err
		}
	}
	return nil
}

// resourceSafe turns a CIDR or an IAM path into a piece of a resource name: 10.20.0.0/16 ->
// 10-20-0-0-16, 2001:db8::/32 -> 2001-db8---32, teams/platform -> teams-platform.
func resourceSafe(s string) string {
	return strings.NewReplacer(".", "-", "/", "-", ":", "-").Replace(s)
}
