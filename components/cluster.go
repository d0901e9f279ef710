package components

import (
	"fmt"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/netplan"
	"eks-advanced-networking/internal/nodeadm"
	"eks-advanced-networking/internal/settings"
)

// This file is the cluster core that Ipv6Cluster and Ipv4Cluster share: one EKS cluster from
// pulumi-eks v2 with its known defects routed around. pulumi-eks's own VPC CNI (v1.16.0, with
// ENABLE_IPv4 left on next to IPv6) is off (UseDefaultVpcCni), and vpc-cni, coredns and kube-proxy
// are managed add-ons with JSON we marshal ourselves (pulumi-eks v2's Addon writes unsorted JSON);
// the security groups are ours, with IPv6 egress (pulumi-eks #1700); the CNI's permissions come
// through IRSA, not the node role (pulumi-eks #1522).

// ClusterArgs are the settings both cluster components take.
type ClusterArgs struct {
	// Settings are the cluster's own settings as the stack file's keys set them (clusterspec.Keys),
	// refused with the same rules and messages. Name "" is eks-<stack>; an add-on version "latest" is
	// the most recent EKS offers for the Kubernetes version, looked up at deploy time.
	clusterspec.Settings
	// Vpc is where the cluster lives: control plane in all subnets, nodes in the private ones.
	Vpc *DualStackVpc
	// Region and AwsProfile go into the kubeconfig's token command (AwsProfile may be empty).
	Region     string
	AwsProfile string
	// NodeGroupName is the node group's name in EKS (the chapter's ipv6mng), before the suffix that
	// makes its successors' names differ (clusterspec.NodeGroupName).
	NodeGroupName string
	// VpcCniIpvlan requires a vpc-cni release that installs the ipvlan plugin, which Multus's
	// ipvlan networks use (clusterspec.CheckVpcCniForMultus); a "latest" without it is refused too.
	VpcCniIpvlan bool
	// PolicyEngine says who enforces NetworkPolicies, which sets the vpc-cni add-on to match: its own
	// agent on (vpc-cni), or off with ANNOTATE_POD_IP for Calico (calico), or off (none).
	PolicyEngine clusterspec.PolicyEngine
	Tags         map[string]string
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

// ClusterParts are what both cluster components hold besides their resource state: the outputs,
// and Go-only handles for programs that compose the cluster with more (methods below).
type ClusterParts struct {
	ClusterOutputs
	// settings are the cluster's, with the add-on versions EKS resolved; eksName its EKS name.
	settings        clusterspec.Settings
	eksName, region string
	// node are the nodes' instance type's facts, looked up once when the settings were checked.
	node              clusterspec.NodeFacts
	vpc               *DualStackVpc
	ready             []pulumi.Resource
	eksCluster        *eks.Cluster
	nodePrerequisites []pulumi.Resource
	nodeMaxPods       int
	nodesRevision     pulumi.StringOutput
	teardownNeeds     []pulumi.Resource
}

// TeardownNeeds are the cluster's resources that nothing else depends on, so that destroy would
// delete them at once, while deleting the Kubernetes objects still needs them: the security group
// rules (the nodes' ways out to AWS's APIs, the deployer's way to a private endpoint), the node
// role's policies, and the cluster admins' access. Depend on them for what must go while they hold,
// such as the objects whose deletion a controller on the nodes carries out. Go only.
func (p *ClusterParts) TeardownNeeds() []pulumi.Resource { return p.teardownNeeds }

// NodesRevision changes whenever the nodes or their networking do (the node group's launch template
// version, the Kubernetes version, the vpc-cni configuration): what the scenario's checks look at.
// Go only.
func (p *ClusterParts) NodesRevision() pulumi.StringOutput { return p.nodesRevision }

// NodeMaxPods is the pod limit the cluster's nodes get from us (IPv4 prefix delegation), or 0 where
// EKS sets it.
func (p *ClusterParts) NodeMaxPods() int { return p.nodeMaxPods }

// Ready are the resources that are done once the cluster takes workloads (nodes joined, add-ons
// active): depend on these, not on the component, whose children the Go SDK may not have finished
// collecting. Go only.
func (p *ClusterParts) Ready() []pulumi.Resource { return p.ready }

// EksCluster is the pulumi-eks cluster, for node groups added beside the component's own. Go only.
func (p *ClusterParts) EksCluster() *eks.Cluster { return p.eksCluster }

// NodePrerequisites are what a node group of this cluster must wait for: the CNI with its
// permissions, kube-proxy and the node role's access entry. Another node group depending on these,
// not on Ready, starts beside the cluster's own instead of after it. Go only.
func (p *ClusterParts) NodePrerequisites() []pulumi.Resource { return p.nodePrerequisites }

// Settings are the cluster's settings, each add-on version "latest" resolved to EKS's answer. Go only.
func (p *ClusterParts) Settings() clusterspec.Settings { return p.settings }

// EksName is the cluster's name in EKS, known before the cluster exists. Go only.
func (p *ClusterParts) EksName() string { return p.eksName }

// NodeFacts are the cluster's node instance type (its settings' nodeInstanceType, checked) and its
// ENI limits, for node groups of the same type. Go only.
func (p *ClusterParts) NodeFacts() clusterspec.NodeFacts { return p.node }

// Region is the cluster's region. Go only.
func (p *ClusterParts) Region() string { return p.region }

// Vpc is the VPC the cluster runs in. Go only.
func (p *ClusterParts) Vpc() *DualStackVpc { return p.vpc }

func (p *ClusterParts) parts() *ClusterParts { return p }

// clusterComponent is Ipv4Cluster or Ipv6Cluster.
type clusterComponent interface {
	pulumi.ComponentResource
	parts() *ClusterParts
}

// buildCluster registers the component c and builds the cluster under it.
func buildCluster(ctx *pulumi.Context, typ, label, name string, c clusterComponent, args *ClusterArgs, family ipFamily,
	node clusterspec.NodeFacts, opts []pulumi.ResourceOption) error {
	if err := ctx.RegisterComponentResource(typ, name, c, opts...); err != nil {
		return err
	}
	b := &clusterBuilder{ctx: ctx, name: name, label: label, args: args, clusterName: args.EksName(ctx.Stack()), node: node,
		component: c, parent: pulumi.Parent(c), family: family}
	built, err := b.build()
	if err != nil {
		return err
	}
	p := c.parts()
	p.ClusterOutputs, p.ready, p.eksCluster, p.nodePrerequisites = built.outputs, built.ready, built.eks, built.nodePrerequisites
	p.nodeMaxPods, p.nodesRevision = built.nodeMaxPods, built.nodesRevision
	p.teardownNeeds = b.teardownNeeds
	p.settings, p.eksName, p.region, p.vpc, p.node = built.settings, b.clusterName, args.Region, args.Vpc, node
	return ctx.RegisterResourceOutputs(c, p.toMap())
}

// ipFamily is what differs between the IPv4 and the IPv6 cluster.
type ipFamily struct {
	name clusterspec.IpFamily
	// cniPolicy grants the VPC CNI's permissions to its IRSA role.
	cniPolicy func(ctx *pulumi.Context, name, partition string, role *iam.Role, opts ...pulumi.ResourceOption) error
	// vpcCni is the add-on configuration apart from the prefix and policy settings.
	vpcCni clusterspec.VpcCniOptions
}

// validateClusterArgs refuses what EKS or our design would refuse, before anything registers: the
// cluster's settings by their own rules (clusterspec.Settings.Validate, as the stack file's are),
// and what a Go caller must give besides.
func validateClusterArgs(component string, args *ClusterArgs, family ipFamily) (clusterspec.NodeFacts, error) {
	bad := func(field, value, reason string) (clusterspec.NodeFacts, error) {
		return clusterspec.NodeFacts{}, fmt.Errorf("%s: %s = %q: %s", component, field, value, reason)
	}
	if args.Vpc == nil {
		return bad("Vpc", "", "a DualStackVpc is required")
	}
	if args.NodeGroupName == "" {
		return bad("NodeGroupName", "", "a node group name is required")
	}
	if args.Region == "" {
		return bad("Region", "", "the cluster's region is required (the kubeconfig names it)")
	}
	if !args.PolicyEngine.Valid() {
		return bad("PolicyEngine", string(args.PolicyEngine), fmt.Sprintf("use one of %v", clusterspec.PolicyEngines))
	}
	if err := settings.Errors(component+": ", args.Validate(family.validation(args))); err != nil {
		return clusterspec.NodeFacts{}, err
	}
	return args.NodeFacts()
}

// validation is what the cluster's rules read besides its settings.
func (f ipFamily) validation(args *ClusterArgs) clusterspec.ValidationContext {
	return clusterspec.ValidationContext{Today: time.Now().UTC(), Family: f.name, Ipvlan: args.VpcCniIpvlan}
}

// clusterBuilder registers the cluster's resources under one parent component.
type clusterBuilder struct {
	ctx  *pulumi.Context
	name string
	args *ClusterArgs
	// label names the component in errors ("Ipv6Cluster cluster").
	label string
	// clusterName is the EKS cluster's name (clusterspec.Settings.EksName). It is set, not generated,
	// so add-ons and access entries can name the cluster before it exists.
	clusterName string
	family      ipFamily
	node        clusterspec.NodeFacts
	// component is the cluster component; parent makes a resource its child.
	component pulumi.Resource
	parent    pulumi.ResourceOrInvokeOption
	// teardownNeeds are what the Kubernetes objects' deletion needs and nothing else depends on: see
	// ClusterParts.TeardownNeeds.
	teardownNeeds []pulumi.Resource
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
	nodeMaxPods       int
	nodesRevision     pulumi.StringOutput
	// settings are the cluster's, with the add-on versions resolved.
	settings clusterspec.Settings
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
		Name:                   pulumi.String(b.clusterName),
		Version:                pulumi.String(args.KubernetesVersion),
		IpFamily:               pulumi.String(string(b.family.name)),
		VpcId:                  args.Vpc.VpcId.ToStringOutput(),
		PublicSubnetIds:        args.Vpc.PublicSubnetIds,
		PrivateSubnetIds:       args.Vpc.PrivateSubnetIds,
		ClusterSecurityGroup:   controlPlaneSg,
		EndpointPrivateAccess:  pulumi.Bool(true),
		EndpointPublicAccess:   pulumi.Bool(endpointPublic),
		EnabledClusterLogTypes: pulumi.ToStringArray(args.LogTypes),
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
	if args.ServiceIpv4Cidr != "" {
		clusterArgs.KubernetesServiceIpAddressRange = pulumi.String(args.ServiceIpv4Cidr)
	}
	if endpointPublic {
		clusterArgs.PublicAccessCidrs = pulumi.ToStringArray(args.EndpointPublicAccessCidrs)
	}
	// The security group goes in as a resource reference, which does not count as a dependency.
	clusterDeps := []pulumi.Resource{controlPlaneSg}
	if len(args.LogTypes) > 0 {
		logs, err := b.controlPlaneLogGroup()
		if err != nil {
			return builtCluster{}, err
		}
		clusterDeps = append(clusterDeps, logs)
	}
	cluster, err := eks.NewCluster(ctx, name, clusterArgs, b.parent, pulumi.DependsOn(clusterDeps))
	if err != nil {
		return builtCluster{}, err
	}

	// The cluster as EKS describes it: its OIDC issuer and the endpoint and CA for the kubeconfig.
	// pulumi-eks v2 hands its inner resources back as references, which a preview cannot always
	// resolve; a lookup that waits for the cluster can.
	described := awseks.LookupClusterOutput(ctx, awseks.LookupClusterOutputArgs{
		Name: pulumi.String(b.clusterName),
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{cluster}))
	oidc, issuer, err := b.oidcProvider(described)
	if err != nil {
		return builtCluster{}, err
	}
	endpoint := described.Endpoint()
	certificateAuthority := described.CertificateAuthorities().ApplyT(func(cas []awseks.GetClusterCertificateAuthority) (string, error) {
		if len(cas) == 0 || cas[0].Data == "" {
			return "", fmt.Errorf("cluster %s has no certificate authority", b.clusterName)
		}
		return cas[0].Data, nil
	}).(pulumi.StringOutput)
	kubeconfig := b.kubeconfig(endpoint, certificateAuthority)
	serviceCidr := described.KubernetesNetworkConfigs().ApplyT(func(cs []awseks.GetClusterKubernetesNetworkConfig) string {
		if len(cs) == 0 {
			return ""
		}
		if cs[0].ServiceIpv4Cidr != "" {
			return cs[0].ServiceIpv4Cidr
		}
		return cs[0].ServiceIpv6Cidr
	}).(pulumi.StringOutput)
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
	engine := args.PolicyEngine.Spec()
	vpcCniPolicy := engine.VpcCniAgent
	cniOptions.NetworkPolicy = &vpcCniPolicy
	cniOptions.AnnotatePodIP = engine.AnnotatePodIP
	cniConfiguration, err := clusterspec.VpcCniConfigurationValues(cniOptions)
	if err != nil {
		return builtCluster{}, err
	}
	vpcCni, err := b.addon("vpc-cni", versions.VpcCniVersion, &awseks.AddonArgs{
		ServiceAccountRoleArn: cniRole.Arn,
		ConfigurationValues:   pulumi.String(cniConfiguration),
	}, cluster)
	if err != nil {
		return builtCluster{}, err
	}
	kubeProxy, err := b.addon("kube-proxy", versions.KubeProxyVersion, &awseks.AddonArgs{}, cluster)
	if err != nil {
		return builtCluster{}, err
	}

	// With access entries, the node role needs one to join; declaring it keeps it in Pulumi's hands.
	accessEntry, err := awseks.NewAccessEntry(ctx, name+"-nodes", &awseks.AccessEntryArgs{
		ClusterName:  pulumi.String(b.clusterName),
		PrincipalArn: nodeRole.Arn,
		Type:         pulumi.String("EC2_LINUX"),
		Tags:         b.tags(name + "-nodes"),
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{cluster}))
	if err != nil {
		return builtCluster{}, err
	}

	nodePrerequisites := []pulumi.Resource{vpcCni, kubeProxy, accessEntry}
	prefixMode := b.family.vpcCni.PrefixDelegation && b.family.name == clusterspec.Ipv4
	group := managedNodeGroup{
		component:         b.component,
		clusterName:       b.clusterName,
		cluster:           cluster,
		nodeGroupName:     clusterspec.NodeGroupName(args.NodeGroupName, b.node.Instance, prefixMode, args.Vpc.SubnetCidrs(netplan.Private)),
		kubernetesVersion: args.KubernetesVersion,
		description:       "Nodes of " + b.clusterName,
		nodeRoleArn:       nodeRole.Arn,
		subnetIds:         args.Vpc.PrivateSubnetIds,
		instance:          b.node.Instance,
		amiFamily:         clusterspec.AL2023,
		size:              args.Nodes,
		ipv6:              b.family.name == clusterspec.Ipv6,
		securityGroupId:   nodeSg.ID().ToStringOutput(),
		tags:              args.Tags,
	}
	maxPods := 0
	if prefixMode {
		if maxPods, err = b.prefixModeNodes(&group, endpoint, certificateAuthority, serviceCidr); err != nil {
			return builtCluster{}, err
		}
	} else if group.releaseVersion, err = b.recommendedReleaseVersion(); err != nil {
		return builtCluster{}, err
	}
	// Nodes start only once the CNI they need runs with its permissions and kube-proxy is there.
	nodeGroup, nodeGroupRevision, err := newManagedNodeGroup(ctx, name+"-"+args.NodeGroupName, group, b.parent, nodePrerequisites)
	if err != nil {
		return builtCluster{}, err
	}
	// CoreDNS needs nodes to run on; created earlier, the add-on sits degraded until they join.
	coredns, err := b.addon("coredns", versions.CorednsVersion, &awseks.AddonArgs{}, cluster, pulumi.DependsOn([]pulumi.Resource{nodeGroup}))
	if err != nil {
		return builtCluster{}, err
	}
	ready := []pulumi.Resource{vpcCni, kubeProxy, nodeGroup, coredns}

	nodesRevision := pulumi.Sprintf("%s kubernetes=%s vpc-cni=%s", nodeGroupRevision, args.KubernetesVersion, cniConfiguration)
	return builtCluster{settings: versions, ready: ready, eks: cluster, nodePrerequisites: nodePrerequisites, nodeMaxPods: maxPods, nodesRevision: nodesRevision, outputs: ClusterOutputs{
		ClusterName:              pulumi.String(b.clusterName).ToStringOutput(),
		Kubeconfig:               pulumi.ToSecret(kubeconfig).(pulumi.StringOutput),
		OidcProviderArn:          oidc.Arn,
		OidcIssuer:               issuer,
		NodeGroupName:            pulumi.String(group.nodeGroupName).ToStringOutput(),
		NodeRoleArn:              nodeRole.Arn,
		NodeRoleName:             nodeRole.Name,
		NodeSecurityGroupId:      nodeSg.ID().ToStringOutput(),
		VpcCniRoleArn:            cniRole.Arn,
		VpcCniConfiguration:      pulumi.String(cniConfiguration).ToStringOutput(),
		Endpoint:                 endpoint,
		CertificateAuthorityData: certificateAuthority,
		ServiceCidr:              serviceCidr,
	}}, nil
}

// recommendedReleaseVersion is the release of the recommended EKS AMI for the cluster's version and
// the node instance type, from its public SSM parameter.
func (b *clusterBuilder) recommendedReleaseVersion() (pulumi.StringInput, error) {
	parameter, err := clusterspec.RecommendedReleaseVersionParameter(clusterspec.AL2023, b.args.KubernetesVersion, b.node.Instance)
	if err != nil {
		return nil, err
	}
	release, err := ssm.LookupParameter(b.ctx, &ssm.LookupParameterArgs{Name: parameter}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("looking up the EKS AMI release for %s (%s): %w", b.node.Instance.Name, parameter, err)
	}
	return pulumi.String(release.Value), nil
}

// prefixModeNodes makes the node group's kubelet admit the pods prefix mode can address: maxPods by
// AWS's formula (clusterspec.PrefixModeMaxPods, with the instance's vCPUs from EC2), set in a
// complete NodeConfig on the recommended AL2023 AMI named by id, since EKS's own NodeConfig would
// override it otherwise (see internal/nodeadm).
func (b *clusterBuilder) prefixModeNodes(group *managedNodeGroup, endpoint, certificateAuthority, serviceCidr pulumi.StringOutput) (int, error) {
	if b.node.EniErr != nil {
		return 0, b.node.EniErr
	}
	limits := b.node.Eni
	info, err := ec2.GetInstanceType(b.ctx, &ec2.GetInstanceTypeArgs{InstanceType: b.node.Instance.Name}, b.parent)
	if err != nil {
		return 0, fmt.Errorf("looking up %s's vCPUs: %w", b.node.Instance.Name, err)
	}
	maxPods := clusterspec.PrefixModeMaxPods(limits, info.DefaultVcpus)
	launch, err := recommendedAmiLaunch(b.ctx, b.parent, group.amiFamily, b.args.KubernetesVersion, b.node.Instance,
		clusterJoin{b.clusterName, endpoint, certificateAuthority, serviceCidr},
		nodeadm.Node{MaxPods: maxPods, NodeGroup: group.nodeGroupName}, nil)
	if err != nil {
		return 0, err
	}
	group.imageId, group.userData = launch.imageId, launch.userData
	return maxPods, nil
}
