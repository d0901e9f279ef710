package stacks

import (
	"slices"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/components"
	"eks-advanced-networking/internal/blueprint"
	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/verify"
)

// newKubernetesProvider talks to the new cluster. It waits until the cluster takes workloads (node
// group and add-ons done), and depends on the network that the Kubernetes objects' deletion needs,
// so `pulumi destroy` deletes every Kubernetes object before any of that.
//
// deleteUnreachable stays off. With it, a destroy that cannot reach the endpoint (the deployer's
// address not in endpointPublicAccessCidrs, an expired SSO token, an identity without an access
// entry) drops every object from the state without deleting it (pulumi-kubernetes
// provider/pkg/provider/provider.go, Configure and Delete): a LoadBalancer Service's NLB, target group
// and security groups then stay, billed, and block the subnets and the VPC. Without it, such a
// destroy fails on the first object, before the network behind it goes; the README says how to
// fix the access, and how to finish when the cluster is truly gone (PULUMI_K8S_DELETE_UNREACHABLE).
func newKubernetesProvider(ctx *pulumi.Context, kubeconfig pulumi.StringOutput, dependsOn []pulumi.Resource) (pulumi.ProviderResource, error) {
	return kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{
		Kubeconfig:            kubeconfig,
		EnableServerSideApply: pulumi.Bool(true),
	}, pulumi.DependsOn(dependsOn))
}

// kubernetesLayer is everything a scenario runs inside the cluster: the policy engine (when it is
// Calico; the VPC CNI's engine is an add-on setting), the chapter's policy demo, the Multus
// networks, and last the checks (verify) that run against all of them. It needs only a Kubernetes
// provider; multusAws adds the AWS side of Multus, and is nil where the nodes and their ENIs exist
// already.
func kubernetesLayer(ctx *pulumi.Context, cfg *config.Config, bp *blueprint.Blueprint, k8s pulumi.ProviderResource, networks []multus.Network,
	multusAws *components.MultusAwsArgs, clusterAws *clusterAws) (Outputs, error) {
	out := Outputs{}
	opts := []pulumi.ResourceOption{pulumi.Provider(k8s)}
	// checked is what the checks run against: they start once it is all up, and go first on destroy.
	var checked []pulumi.Resource
	var awsProvider pulumi.ProviderResource
	if clusterAws != nil {
		awsProvider = clusterAws.provider
	}
	// The load balancer controller first: its webhooks intercept Services and pods, so what creates
	// them waits for it, and on destroy goes before it.
	var loadBalancerReady []pulumi.Resource
	if cfg.LoadBalancerController {
		args := &components.LoadBalancerControllerArgs{
			ClusterName: cfg.Cluster.EksName(ctx.Stack()), Region: cfg.Region, Settings: cfg.LoadBalancer, SkipAwait: cfg.SkipAwait,
		}
		providers := []pulumi.ProviderResource{k8s}
		if clusterAws != nil {
			args.VpcId, args.OidcProviderArn, args.OidcIssuer = clusterAws.vpcId, clusterAws.oidcProviderArn, clusterAws.oidcIssuer
			providers = append(providers, clusterAws.provider)
		}
		controller, err := components.NewLoadBalancerController(ctx, "load-balancer-controller", args, pulumi.Providers(providers...))
		if err != nil {
			return nil, err
		}
		out["loadBalancerControllerRoleArn"] = controller.RoleArn
		loadBalancerReady = controller.Ready()
		checked = append(checked, loadBalancerReady...)
		if cfg.DemoApps {
			demo, err := components.NewLoadBalancerDemo(ctx, "load-balancer-demo", &components.LoadBalancerDemoArgs{
				AddressType: cfg.LoadBalancerAddressType(), SourceRanges: cfg.DemoSourceRanges(), SkipAwait: cfg.SkipAwait, Image: cfg.BusyboxImage,
			}, pulumi.Provider(k8s), pulumi.DependsOn(loadBalancerReady))
			if err != nil {
				return nil, err
			}
			out["loadBalancerDemoAddress"] = demo.Address
		}
	}
	// Everything else the layer installs creates Services and pods (Calico's operator creates its own
	// at run time), which the controller's webhooks refuse until it serves them (failurePolicy Fail).
	if len(loadBalancerReady) > 0 {
		opts = append(opts, pulumi.DependsOn(loadBalancerReady))
	}
	if install, ok := inClusterPolicyEngines[cfg.PolicyEngine]; ok {
		ready, err := install(ctx, cfg, out, opts)
		if err != nil {
			return nil, err
		}
		// The demo's policy means something only once the engine runs.
		opts = append(opts, pulumi.DependsOn(ready))
		checked = append(checked, ready...)
	}
	if cfg.DemoApps {
		demo, err := components.NewNetworkPolicyDemo(ctx, "policy-demo", &components.NetworkPolicyDemoArgs{
			DenyEgress: cfg.DenyEgressPolicy,
			AllowDns:   cfg.AllowDnsEgress,
			SkipAwait:  cfg.SkipAwait,
			Image:      cfg.BusyboxImage,
		}, opts...)
		if err != nil {
			return nil, err
		}
		out["policyTestCommands"] = demo.TestCommands
		checked = append(checked, demo.Ready()...)
	}
	// What the checks look at: every node group's nodes, so a replaced node of any group runs them again.
	var revisions pulumi.StringArray
	if clusterAws != nil {
		revisions = append(revisions, clusterAws.nodesRevision, pulumi.String("network: "+clusterAws.egressRevision))
		checked = append(checked, clusterAws.network)
	}
	if cfg.Multus.Enabled {
		providers := []pulumi.ProviderResource{k8s}
		if awsProvider != nil {
			providers = append(providers, awsProvider)
		}
		m, err := components.NewMultusNetwork(ctx, "multus", &components.MultusNetworkArgs{
			Networks: networks, Image: bp.MultusImage(), DemoPod: cfg.Multus.DemoPod, DemoPodImage: cfg.BusyboxImage, Aws: multusAws, SkipAwait: cfg.SkipAwait,
		}, pulumi.Providers(providers...))
		if err != nil {
			return nil, err
		}
		if multusAws != nil {
			revisions = append(revisions, pulumi.Sprintf("multus: %s", m.NodesRevision()))
		}
		out["multusNetworks"] = m.NadNames
		out["multusCheckCommands"] = m.CheckCommands
		checked = append(checked, m.Ready()...)
	}
	if cfg.Verify {
		checks, err := verify.Checks(bp.VerifyInput(networks))
		if err != nil {
			return nil, err
		}
		args := &components.ScenarioChecksArgs{Checks: checks, Checked: checked, SkipAwait: cfg.SkipAwait, Image: cfg.BusyboxImage}
		if len(revisions) > 0 {
			args.Revision = revisions.ToStringArrayOutput().ApplyT(func(parts []string) string { return strings.Join(parts, " | ") }).(pulumi.StringOutput)
		}
		c, err := components.NewScenarioChecks(ctx, "verify", args, pulumi.Provider(k8s))
		if err != nil {
			return nil, err
		}
		out["verifyChecks"] = c.Checks
	}
	return out, nil
}

// withKubernetesLayer adds the Kubernetes layer to a scenario whose cluster is up.
func (b *base) withKubernetesLayer(ctx *pulumi.Context, cfg *config.Config, out Outputs, cluster *components.ClusterParts,
	multusAws *components.MultusAwsArgs) (Outputs, error) {
	if !cfg.HasKubernetesLayer() {
		return out, nil
	}
	// The cluster ready, and what its objects' deletion needs: the VPC's routes (and so its NAT
	// gateways), the cluster's security group rules, node role policies and admins' access.
	needs := append(append(slices.Clone(cluster.Ready()), b.vpc.Egress()...), cluster.TeardownNeeds()...)
	k8s, err := newKubernetesProvider(ctx, cluster.Kubeconfig, needs)
	if err != nil {
		return nil, err
	}
	layer, err := kubernetesLayer(ctx, cfg, b.blueprint, k8s, b.multusNetworks, multusAws, &clusterAws{
		provider: b.provider, vpcId: b.vpc.VpcId.ToStringOutput(), oidcProviderArn: cluster.OidcProviderArn, oidcIssuer: cluster.OidcIssuer,
		nodesRevision: cluster.NodesRevision(), network: b.vpc, egressRevision: b.vpc.Plan.EgressRevision(),
	})
	if err != nil {
		return nil, err
	}
	for name, o := range layer {
		out[name] = o
	}
	return out, nil
}

// policyEngineInstaller installs an engine that runs in the cluster, adds its outputs, and returns
// what a policy must wait for.
type policyEngineInstaller func(ctx *pulumi.Context, cfg *config.Config, out Outputs, opts []pulumi.ResourceOption) ([]pulumi.Resource, error)

// inClusterPolicyEngines install the engines whose clusterspec.PolicyEngineSpec says InCluster (a
// test keeps the two in step); the others are settings of the vpc-cni add-on.
var inClusterPolicyEngines = map[clusterspec.PolicyEngine]policyEngineInstaller{
	clusterspec.PolicyEngineCalico: func(ctx *pulumi.Context, cfg *config.Config, out Outputs, opts []pulumi.ResourceOption) ([]pulumi.Resource, error) {
		calico, err := components.NewCalicoPolicyEngine(ctx, "calico", &components.CalicoPolicyEngineArgs{
			Settings: cfg.Calico, SkipAwait: cfg.SkipAwait,
		}, opts...)
		if err != nil {
			return nil, err
		}
		out["calicoStatusCommand"] = calico.StatusCommand
		return calico.Ready(), nil
	},
}

// clusterAws is what the Kubernetes layer needs of a cluster this program created: the AWS provider,
// and the VPC and OIDC provider its IRSA roles (the load balancer controller's) refer to.
type clusterAws struct {
	provider                    pulumi.ProviderResource
	vpcId                       pulumi.StringInput
	oidcProviderArn, oidcIssuer pulumi.StringInput
	// nodesRevision re-runs the checks when the nodes or their networking change.
	nodesRevision pulumi.StringInput
	// network is the VPC: the checks wait for all of it (a component's dependents wait for its
	// children; pulumi sdk v3.274.1 go/pulumi/rpc.go addDependency), so a route the same update
	// adds is there when they run.
	network pulumi.Resource
	// egressRevision re-runs the checks when how traffic leaves the VPC changes (DNS64, routes).
	egressRevision string
}
