package config

import (
	"encoding/json"
	"slices"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/lbcontroller"
	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/netplan"
	"eks-advanced-networking/internal/settings"
	"eks-advanced-networking/internal/verify"
	"eks-advanced-networking/internal/workload"
)

// Key describes one project config key. Pulumi.yaml declares the same keys with the same types and
// defaults; a test keeps the two equal.
type Key struct {
	Name        string
	Type        string // Pulumi.yaml type: string, integer, boolean or array (of strings)
	Default     any
	Description string
	decode      func(c *Config, raw string) error
}

// MinAvailabilityZones is EKS's floor: a cluster needs subnets in at least two AZs.
const MinAvailabilityZones = netplan.MinAvailabilityZones

// Keys is every key of the project namespace, in the order the docs list them. A feature that owns
// its settings declares its keys in its own package (lbcontroller.Keys, calico.Keys through
// policyEngineSettings, netplan.Keys, multus.Keys, verify.Keys); the rest are still here.
var Keys = slices.Concat(
	scenarioKey,
	section(netplan.Keys, func(c *Config) *netplan.Settings { return &c.Vpc }),
	ipv4EgressKey,
	section(netplan.DnsKeys, func(c *Config) *netplan.Settings { return &c.Vpc }),
	keysBeforeLoadBalancerController,
	section(lbcontroller.Keys, func(c *Config) *lbcontroller.Settings { return &c.LoadBalancer }),
	section(lbcontroller.DemoKeys, func(c *Config) *lbcontroller.DemoSettings { return &c.LoadBalancerDemo }),
	policyEngineKey,
	policyEngineKeys(),
	keysAfterPolicyEngines,
	section(multus.Keys, func(c *Config) *multus.Settings { return &c.Multus }),
	keysAfterMultus,
	section(multus.ExistingClusterKeys, func(c *Config) *multus.Settings { return &c.Multus }),
	keysBeforeVerify,
	section(verify.Keys, func(c *Config) *verify.Settings { return &c.VerifyTargets }),
)

// scenarioKey comes first; the VPC's keys (netplan.Keys) follow it.
var scenarioKey = []Key{
	{"scenario", "string", string(ScenarioIpv6),
		"Which composition in stacks/ to run: " + joinNames(Scenarios) + ".",
		func(c *Config, raw string) error { c.Scenario = Scenario(raw); return nil }},
}

// ipv4EgressKey spans the VPC (DNS64 and NAT64) and the cluster (the VPC CNI); the VPC's keys
// (netplan.Keys) come before it, its DNS keys (netplan.DnsKeys) after.
var ipv4EgressKey = []Key{
	{"ipv4Egress", "string", string(Ipv4EgressNodeSnat),
		"How pods of an IPv6 cluster reach IPv4: node-snat (VPC CNI ENABLE_V4_EGRESS), nat64 (DNS64 + NAT64 in the private subnets), both (the chapter), none. IPv4 scenarios leave it at node-snat.",
		func(c *Config, raw string) error { c.Ipv4Egress = Ipv4Egress(raw); return nil }},
}

// keysBeforeLoadBalancerController run from the cluster's name up to the controller's switch,
// loadBalancerController.
var keysBeforeLoadBalancerController = []Key{
	{"clusterName", "string", "",
		"EKS cluster name. Empty means eks-<stack>.",
		func(c *Config, raw string) error { c.ClusterName = raw; return nil }},
	{"kubernetesVersion", "string", clusterspec.DefaultKubernetesVersion,
		"Kubernetes version of the cluster. Versions EKS can no longer create are refused; versions in paid extended support are warned about.",
		func(c *Config, raw string) error { c.KubernetesVersion = raw; return nil }},
	{"clusterLogTypes", "array", []any{"api", "audit", "authenticator"},
		"Control-plane log types sent to CloudWatch Logs: any of api, audit, authenticator, controllerManager, scheduler. Empty turns logging off.",
		func(c *Config, raw string) (err error) { c.ClusterLogTypes, err = settings.ParseStrings(raw); return }},
	{"clusterLogRetentionDays", "integer", 90,
		"Days CloudWatch Logs keeps the control-plane logs: one of CloudWatch's retention periods (1, 3, 5, 7, 14, 30, 60, 90, 120, 180, 365, ...), or 0 to keep them for ever. The program creates the log group /aws/eks/<cluster>/cluster before the cluster, so destroy removes it.",
		func(c *Config, raw string) (err error) {
			c.ClusterLogRetentionDays, err = settings.ParseInt(raw)
			return
		}},
	{"endpointPublicAccessCidrs", "array", []any{},
		"Public addresses that may reach the cluster's public API endpoint, e.g. [203.0.113.7/32] for the machine that runs pulumi and kubectl (IPv6 blocks too on the ipv6 scenario, whose endpoint is dual-stack). Empty turns the public endpoint off. A stack with a Kubernetes layer (Calico, demoApps, Multus) needs this or endpointPrivateAccessCidrs.",
		func(c *Config, raw string) (err error) {
			c.EndpointPublicAccessCidrs, err = settings.ParseStrings(raw)
			return
		}},
	{"endpointPrivateAccessCidrs", "array", []any{},
		"Networks inside or connected to the VPC (a CI runner in the VPC, a VPN, peering) that may reach the private API endpoint on port 443, e.g. [10.20.0.0/16]. Set it when pulumi runs there and the endpoint stays private.",
		func(c *Config, raw string) (err error) {
			c.EndpointPrivateAccessCidrs, err = settings.ParseStrings(raw)
			return
		}},
	{"clusterAdminArns", "array", []any{},
		"IAM role or user ARNs that get cluster admin (an access entry with AmazonEKSClusterAdminPolicy, cluster scope), e.g. [arn:aws:iam::123456789012:role/platform-admins]. The identity that creates the cluster is admin already; do not list it.",
		func(c *Config, raw string) (err error) { c.ClusterAdminArns, err = settings.ParseStrings(raw); return }},
	{"serviceIpv4Cidr", "string", "",
		"IPv4 block for Kubernetes services of an IPv4 cluster (EKS picks one when empty). IPv6 clusters take their service block from EKS and must leave it empty.",
		func(c *Config, raw string) error { c.ServiceIpv4Cidr = raw; return nil }},
	{"nodeInstanceType", "string", "t3.medium",
		"EC2 instance type of the managed node group. Graviton types (m7g.large) get the ARM64 AL2023 AMI.",
		func(c *Config, raw string) error { c.NodeInstanceType = raw; return nil }},
	{"nodeMinSize", "integer", 2,
		"Minimum number of nodes (0 lets the group scale to zero).",
		func(c *Config, raw string) (err error) { c.NodeMinSize, err = settings.ParseInt(raw); return }},
	{"nodeDesiredSize", "integer", 2,
		"Desired number of nodes, between nodeMinSize and nodeMaxSize.",
		func(c *Config, raw string) (err error) { c.NodeDesiredSize, err = settings.ParseInt(raw); return }},
	{"nodeMaxSize", "integer", 2,
		"Maximum number of nodes.",
		func(c *Config, raw string) (err error) { c.NodeMaxSize, err = settings.ParseInt(raw); return }},
	{"vpcCniVersion", "string", clusterspec.Latest,
		"vpc-cni add-on version, e.g. v1.22.1-eksbuild.2, or latest: the most recent version EKS offers for kubernetesVersion.",
		func(c *Config, raw string) error { c.VpcCniVersion = raw; return nil }},
	{"corednsVersion", "string", clusterspec.Latest,
		"coredns add-on version, or latest.",
		func(c *Config, raw string) error { c.CorednsVersion = raw; return nil }},
	{"kubeProxyVersion", "string", clusterspec.Latest,
		"kube-proxy add-on version, or latest.",
		func(c *Config, raw string) error { c.KubeProxyVersion = raw; return nil }},
	{"warmPrefixTarget", "integer", 1,
		"VPC CNI WARM_PREFIX_TARGET: how many spare address prefixes each node keeps (1 to 8). IPv6 nodes get a /80 per prefix; IPv4 nodes a /28, with prefixDelegation.",
		func(c *Config, raw string) (err error) { c.WarmPrefixTarget, err = settings.ParseInt(raw); return }},
	{"prefixDelegation", "boolean", false,
		"IPv4 clusters: the VPC CNI hands pods addresses from /28 prefixes on the node's ENIs (ENABLE_PREFIX_DELEGATION), so a node holds up to 110 pods (250 from 30 vCPUs) instead of a few per ENI. Nitro instances only. IPv6 clusters always use prefixes.",
		func(c *Config, raw string) (err error) { c.PrefixDelegation, err = settings.ParseBool(raw); return }},
	{"loadBalancerController", "boolean", false,
		"Install the AWS Load Balancer Controller (chart aws-load-balancer-controller, on an IRSA role trusted only by its service account), which Services of type LoadBalancer and Ingresses need; IPv6 clusters have no other way. With demoApps, a demo NLB Service too.",
		func(c *Config, raw string) (err error) {
			c.LoadBalancerController, err = settings.ParseBool(raw)
			return
		}},
}

// policyEngineKey follows the load balancer controller's keys (lbcontroller.Keys, lbcontroller.DemoKeys);
// the engines' own keys follow it.
var policyEngineKey = []Key{
	{"policyEngine", "string", string(clusterspec.PolicyEngineNone),
		"Who enforces NetworkPolicies: calico (tigera-operator, VPC CNI policy off), vpc-cni (the add-on's own agent), or none. Exactly one, by construction.",
		func(c *Config, raw string) error { c.PolicyEngine = clusterspec.PolicyEngine(raw); return nil }},
}

// keysAfterPolicyEngines follow the policy engines' own keys in the docs' order, up to Multus's
// (multus.Keys).
var keysAfterPolicyEngines = []Key{
	{"demoApps", "boolean", false,
		"Deploy the chapter's test applications: busybox Deployments in namespaces deploy1 and deploy2.",
		func(c *Config, raw string) (err error) { c.DemoApps, err = settings.ParseBool(raw); return }},
	{"denyEgressPolicy", "boolean", false,
		"Apply the chapter's default-deny egress NetworkPolicy in deploy2 (the chapter names it default-deny-ingress; it denies egress). Needs demoApps.",
		func(c *Config, raw string) (err error) { c.DenyEgressPolicy, err = settings.ParseBool(raw); return }},
	{"allowDnsEgress", "boolean", false,
		"With denyEgressPolicy, still let deploy2 reach CoreDNS on port 53.",
		func(c *Config, raw string) (err error) { c.AllowDnsEgress, err = settings.ParseBool(raw); return }},
}

// keysAfterMultus run from the busybox image to the existing cluster's own keys, which Multus's key
// for that mode (multus.ExistingClusterKeys) follows.
var keysAfterMultus = []Key{
	{"busyboxImage", "string", workload.DefaultImage,
		"The busybox image of every pod this project writes itself (demo apps, multus-pod, the load balancer demo, the checks and their targets). The default is Docker's official image from ECR Public, pulled from inside AWS; give a private mirror, or pin a digest: registry/name:tag@sha256:<digest>.",
		func(c *Config, raw string) error { c.BusyboxImage = raw; return nil }},
	{"clusterMode", "string", string(ClusterModeCreate),
		"create: build the VPC, the EKS cluster and everything in it. existing: only the scenario's Kubernetes objects, on the cluster kubeconfig points at; no AWS resource is created.",
		func(c *Config, raw string) error { c.ClusterMode = ClusterMode(raw); return nil }},
	{"kubeconfig", "string", "",
		"With clusterMode existing: the kubeconfig (a path, or its contents) of the cluster. Empty means KUBECONFIG or ~/.kube/config.",
		func(c *Config, raw string) error { c.Kubeconfig = raw; return nil }},
}

// keysBeforeVerify run from skipAwait to the checks' switch, verify, which the checks' own keys
// (verify.Keys) follow.
var keysBeforeVerify = []Key{
	{"skipAwait", "boolean", false,
		"Do not wait for Deployments, DaemonSets and Pods to become ready, e.g. on a cluster without nodes.",
		func(c *Config, raw string) (err error) { c.SkipAwait, err = settings.ParseBool(raw); return }},
	{"verify", "boolean", false,
		"End pulumi up with the chapter's checks, run in the cluster as Jobs: IPv6 addressing and the IPv4 path (ipv6), the policy's effect (demoApps), multus-pod's net1 (multusDemoPod). A failed check fails the update, naming the check and showing its output. Needs the API endpoint reachable, like any Kubernetes layer.",
		func(c *Config, raw string) (err error) { c.Verify, err = settings.ParseBool(raw); return }},
}

// The AWS keys this program forwards to its explicit AWS provider. Any other aws: key would be silently
// ignored by an explicit provider, so it is refused instead.
const (
	RegionKey  = "aws:region"
	ProfileKey = "aws:profile"
)

// engineNamespace holds the Pulumi engine's own keys (pulumi:tags and the like), which we leave alone.
const engineNamespace = "pulumi"

// section makes a feature's keys keys of the project, decoding into the feature's Settings inside
// the configuration.
func section[S any](keys []settings.Key[S], of func(*Config) *S) []Key {
	out := make([]Key, len(keys))
	for i, k := range keys {
		out[i] = Key{k.Name, k.Type, k.Default, k.Description, func(c *Config, raw string) error { return k.Decode(of(c), raw) }}
	}
	return out
}

// DefaultString renders the key's default the way the engine passes config to programs.
func (k Key) DefaultString() string {
	if s, ok := k.Default.(string); ok {
		return s
	}
	b, err := json.Marshal(k.Default)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func keyNames() []string {
	names := make([]string, len(Keys))
	for i, k := range Keys {
		names[i] = k.Name
	}
	return names
}
