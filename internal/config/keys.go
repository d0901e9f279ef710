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
// its settings declares its keys in its own package (netplan.Keys, clusterspec.Keys,
// lbcontroller.Keys, calico.Keys through policyEngineSettings, multus.Keys, verify.Keys); the keys
// that span features or choose between them are here.
var Keys = slices.Concat(
	scenarioKey,
	section(netplan.Keys, func(c *Config) *netplan.Settings { return &c.Vpc }),
	ipv4EgressKey,
	section(netplan.DnsKeys, func(c *Config) *netplan.Settings { return &c.Vpc }),
	section(clusterspec.Keys, func(c *Config) *clusterspec.Settings { return &c.Cluster }),
	loadBalancerControllerKey,
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

// loadBalancerControllerKey follows the cluster's keys (clusterspec.Keys); the controller's own
// (lbcontroller.Keys) follow it.
var loadBalancerControllerKey = []Key{
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
