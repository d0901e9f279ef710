// Package config is the one place stack configuration is read: it decodes the raw key/value pairs
// strictly (an unknown key is an error), applies the defaults that Pulumi.yaml also declares, and
// validates everything before a single resource is registered. Every error names the key, the value
// and what would be valid.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"eks-advanced-networking/internal/calico"
	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/netplan"
)

// Project is the Pulumi project name and so the namespace of our config keys.
const Project = "eks-advanced-networking"

// Ipv4Egress is how pods of an IPv6 cluster reach IPv4-only destinations.
type Ipv4Egress string

const (
	// Ipv4EgressNodeSnat is the VPC CNI's ENABLE_V4_EGRESS path: each pod gets a v4if0 address from
	// 169.254.172.0/22 and the node SNATs it to its own IPv4 address.
	Ipv4EgressNodeSnat Ipv4Egress = "node-snat"
	// Ipv4EgressNat64 turns on DNS64 in the private subnets and routes 64:ff9b::/96 to the NAT gateway.
	Ipv4EgressNat64 Ipv4Egress = "nat64"
	// Ipv4EgressBoth is the chapter's setup: node SNAT and DNS64/NAT64 together.
	Ipv4EgressBoth Ipv4Egress = "both"
	// Ipv4EgressNone gives IPv6 pods no path to IPv4.
	Ipv4EgressNone Ipv4Egress = "none"
)

// Ipv4EgressModes lists the valid modes.
var Ipv4EgressModes = []Ipv4Egress{Ipv4EgressNodeSnat, Ipv4EgressNat64, Ipv4EgressBoth, Ipv4EgressNone}

// ClusterMode says whether the program creates the cluster or brings its Kubernetes layer to one
// that exists.
type ClusterMode string

const (
	ClusterModeCreate   ClusterMode = "create"
	ClusterModeExisting ClusterMode = "existing"
)

// NodeSnat says whether pods of an IPv6 cluster get the VPC CNI's v4if0 path (ENABLE_V4_EGRESS).
func (e Ipv4Egress) NodeSnat() bool { return e == Ipv4EgressNodeSnat || e == Ipv4EgressBoth }

// UsesNat64 says whether the mode needs DNS64 and the NAT64 route in the private subnets.
func (e Ipv4Egress) UsesNat64() bool { return e == Ipv4EgressNat64 || e == Ipv4EgressBoth }

// Config is the decoded, defaulted and validated stack configuration.
type Config struct {
	Scenario              Scenario
	Region                string // aws:region
	Profile               string // aws:profile, optional
	VpcCidr               string
	VpcIpv6               bool
	AvailabilityZoneCount int
	// AvailabilityZones, when set, wins over AvailabilityZoneCount.
	AvailabilityZones  []string
	SubnetPrefixLength int
	NatGateways        netplan.NatGatewayMode
	Ipv4Egress         Ipv4Egress
	PublicSubnetsDns64 bool

	ClusterName               string // empty: eks-<stack>
	KubernetesVersion         string
	ClusterLogTypes           []string
	EndpointPublicAccessCidrs []string
	// EndpointPrivateAccessCidrs are networks inside or connected to the VPC that may reach the
	// private endpoint (the deployer's, when pulumi runs there).
	EndpointPrivateAccessCidrs []string
	// ClusterAdminArns get cluster admin through access entries.
	ClusterAdminArns []string
	ServiceIpv4Cidr  string
	NodeInstanceType string
	NodeMinSize      int
	NodeDesiredSize  int
	NodeMaxSize      int
	VpcCniVersion    string
	CorednsVersion   string
	KubeProxyVersion string
	WarmPrefixTarget int

	PolicyEngine  clusterspec.PolicyEngine
	CalicoVersion string
	// CalicoChartRepository is an HTTP(S) or OCI chart repository, or a local directory.
	CalicoChartRepository string
	DemoApps              bool
	DenyEgressPolicy      bool
	AllowDnsEgress        bool

	Multus                  bool
	MultusAvailabilityZones []string
	MultusRanges            []string
	MultusSubnetTier        netplan.Tier
	MultusNodesPerAz        int
	MultusAttachment        multus.Attachment
	MultusInstanceIds       []string
	MultusImage             string
	MultusDemoPod           bool

	ClusterMode       ClusterMode
	Kubeconfig        string
	MultusSubnetCidrs []string
	SkipAwait         bool

	// Warnings are worth telling the user but do not stop the deployment (paid extended support, an
	// API endpoint open to the internet).
	Warnings []string
}

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
const MinAvailabilityZones = 2

// Keys is every key of the project namespace, in the order the docs list them.
var Keys = []Key{
	{"scenario", "string", string(ScenarioIpv6),
		"Which composition in stacks/ to run: " + joinNames(Scenarios) + ".",
		func(c *Config, raw string) error { c.Scenario = Scenario(raw); return nil }},
	{"vpcCidr", "string", "192.168.0.0/16",
		"IPv4 block of the VPC (/16 to /28, private range). Subnets are cut from it in eksctl's layout: public first, then private.",
		func(c *Config, raw string) error { c.VpcCidr = raw; return nil }},
	{"vpcIpv6", "boolean", true,
		"Give the VPC an Amazon-provided IPv6 /56 and every subnet a /64 of it. Required by the ipv6 scenario.",
		func(c *Config, raw string) (err error) { c.VpcIpv6, err = parseBool(raw); return }},
	{"availabilityZoneCount", "integer", 3,
		"How many availability zones to use (2 to 6), taken in name order from those available in aws:region. Ignored when availabilityZones is set.",
		func(c *Config, raw string) (err error) { c.AvailabilityZoneCount, err = parseInt(raw); return }},
	{"availabilityZones", "array", []any{},
		"Explicit availability zone names, e.g. [eu-central-1a, eu-central-1b, eu-central-1c]. Empty means: pick availabilityZoneCount zones.",
		func(c *Config, raw string) (err error) { c.AvailabilityZones, err = parseStrings(raw); return }},
	{"subnetPrefixLength", "integer", 19,
		"Prefix length of every subnet's IPv4 block. The VPC block must hold two per availability zone (six /19s fill 192.168.0.0/16 up to 192.168.191.255).",
		func(c *Config, raw string) (err error) { c.SubnetPrefixLength, err = parseInt(raw); return }},
	{"natGateways", "string", string(netplan.NatGatewaySingle),
		"NAT gateways for private subnets' IPv4 egress (and NAT64): single (eksctl's default, one in the first AZ), per-az, or none.",
		func(c *Config, raw string) error { c.NatGateways = netplan.NatGatewayMode(raw); return nil }},
	{"ipv4Egress", "string", string(Ipv4EgressNodeSnat),
		"How pods of an IPv6 cluster reach IPv4: node-snat (VPC CNI ENABLE_V4_EGRESS), nat64 (DNS64 + NAT64 in the private subnets), both (the chapter), none. IPv4 scenarios leave it at node-snat.",
		func(c *Config, raw string) error { c.Ipv4Egress = Ipv4Egress(raw); return nil }},
	{"publicSubnetsDns64", "boolean", false,
		"Turn DNS64 on in the public subnets too; they then also route 64:ff9b::/96 to a NAT gateway.",
		func(c *Config, raw string) (err error) { c.PublicSubnetsDns64, err = parseBool(raw); return }},
	{"clusterName", "string", "",
		"EKS cluster name. Empty means eks-<stack>.",
		func(c *Config, raw string) error { c.ClusterName = raw; return nil }},
	{"kubernetesVersion", "string", clusterspec.DefaultKubernetesVersion,
		"Kubernetes version of the cluster. Versions EKS can no longer create are refused; versions in paid extended support are warned about.",
		func(c *Config, raw string) error { c.KubernetesVersion = raw; return nil }},
	{"clusterLogTypes", "array", []any{"api", "audit", "authenticator"},
		"Control-plane log types sent to CloudWatch Logs: any of api, audit, authenticator, controllerManager, scheduler. Empty turns logging off.",
		func(c *Config, raw string) (err error) { c.ClusterLogTypes, err = parseStrings(raw); return }},
	{"endpointPublicAccessCidrs", "array", []any{},
		"Public addresses that may reach the cluster's public API endpoint, e.g. [203.0.113.7/32] for the machine that runs pulumi and kubectl (IPv6 blocks too on the ipv6 scenario, whose endpoint is dual-stack). Empty turns the public endpoint off. A stack with a Kubernetes layer (Calico, demoApps, Multus) needs this or endpointPrivateAccessCidrs.",
		func(c *Config, raw string) (err error) { c.EndpointPublicAccessCidrs, err = parseStrings(raw); return }},
	{"endpointPrivateAccessCidrs", "array", []any{},
		"Networks inside or connected to the VPC (a CI runner in the VPC, a VPN, peering) that may reach the private API endpoint on port 443, e.g. [10.20.0.0/16]. Set it when pulumi runs there and the endpoint stays private.",
		func(c *Config, raw string) (err error) { c.EndpointPrivateAccessCidrs, err = parseStrings(raw); return }},
	{"clusterAdminArns", "array", []any{},
		"IAM role or user ARNs that get cluster admin (an access entry with AmazonEKSClusterAdminPolicy, cluster scope), e.g. [arn:aws:iam::123456789012:role/platform-admins]. The identity that creates the cluster is admin already; do not list it.",
		func(c *Config, raw string) (err error) { c.ClusterAdminArns, err = parseStrings(raw); return }},
	{"serviceIpv4Cidr", "string", "",
		"IPv4 block for Kubernetes services of an IPv4 cluster (EKS picks one when empty). IPv6 clusters take their service block from EKS and must leave it empty.",
		func(c *Config, raw string) error { c.ServiceIpv4Cidr = raw; return nil }},
	{"nodeInstanceType", "string", "t3.medium",
		"EC2 instance type of the managed node group. Graviton types (m7g.large) get the ARM64 AL2023 AMI.",
		func(c *Config, raw string) error { c.NodeInstanceType = raw; return nil }},
	{"nodeMinSize", "integer", 2,
		"Minimum number of nodes (0 lets the group scale to zero).",
		func(c *Config, raw string) (err error) { c.NodeMinSize, err = parseInt(raw); return }},
	{"nodeDesiredSize", "integer", 2,
		"Desired number of nodes, between nodeMinSize and nodeMaxSize.",
		func(c *Config, raw string) (err error) { c.NodeDesiredSize, err = parseInt(raw); return }},
	{"nodeMaxSize", "integer", 2,
		"Maximum number of nodes.",
		func(c *Config, raw string) (err error) { c.NodeMaxSize, err = parseInt(raw); return }},
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
		"VPC CNI WARM_PREFIX_TARGET: how many spare address prefixes each node keeps (1 to 8). IPv6 nodes get a /80 per prefix.",
		func(c *Config, raw string) (err error) { c.WarmPrefixTarget, err = parseInt(raw); return }},
	{"policyEngine", "string", string(clusterspec.PolicyEngineNone),
		"Who enforces NetworkPolicies: calico (tigera-operator, VPC CNI policy off), vpc-cni (the add-on's own agent), or none. Exactly one, by construction.",
		func(c *Config, raw string) error { c.PolicyEngine = clusterspec.PolicyEngine(raw); return nil }},
	{"calicoVersion", "string", calico.DefaultVersion,
		"tigera-operator Helm chart version (Calico release) when policyEngine is calico, e.g. v3.33.1.",
		func(c *Config, raw string) error { c.CalicoVersion = raw; return nil }},
	{"calicoChartRepository", "string", calico.Repository,
		"Where the Calico charts come from: Tigera's repository (https://docs.tigera.io/calico/charts), oci://quay.io/calico/charts, a mirror of either, or a local directory holding tigera-operator/ and crd.projectcalico.org.v1/ (air-gapped).",
		func(c *Config, raw string) error { c.CalicoChartRepository = raw; return nil }},
	{"demoApps", "boolean", false,
		"Deploy the chapter's test applications: busybox Deployments in namespaces deploy1 and deploy2.",
		func(c *Config, raw string) (err error) { c.DemoApps, err = parseBool(raw); return }},
	{"denyEgressPolicy", "boolean", false,
		"Apply the chapter's default-deny egress NetworkPolicy in deploy2 (the chapter names it default-deny-ingress; it denies egress). Needs demoApps.",
		func(c *Config, raw string) (err error) { c.DenyEgressPolicy, err = parseBool(raw); return }},
	{"allowDnsEgress", "boolean", false,
		"With denyEgressPolicy, still let deploy2 reach CoreDNS on port 53.",
		func(c *Config, raw string) (err error) { c.AllowDnsEgress, err = parseBool(raw); return }},
	{"multus", "boolean", false,
		"Add Multus secondary networks (ipvlan on a tagged ENI per zone). The ipv4-multus scenario needs it; ipv4-calico may turn it on.",
		func(c *Config, raw string) (err error) { c.Multus, err = parseBool(raw); return }},
	{"multusAvailabilityZones", "array", []any{},
		"Zones that get a Multus network and node. Empty means the first zone, as in the chapter.",
		func(c *Config, raw string) (err error) { c.MultusAvailabilityZones, err = parseStrings(raw); return }},
	{"multusRanges", "array", []any{},
		"Pod address range per Multus zone, first-last, in the zone's subnet, e.g. [192.168.96.20-192.168.96.40]. Empty means addresses 20 to 40 of each subnet (the chapter's).",
		func(c *Config, raw string) (err error) { c.MultusRanges, err = parseStrings(raw); return }},
	{"multusSubnetTier", "string", string(netplan.Private),
		"Subnet tier the Multus ENIs live in: private (the chapter's 192.168.96.0/19 is the first private subnet) or public.",
		func(c *Config, raw string) error { c.MultusSubnetTier = netplan.Tier(raw); return nil }},
	{"multusNodesPerAz", "integer", 1,
		"Multus nodes per zone. host-local IPAM allocates per node, so only 1 is safe.",
		func(c *Config, raw string) (err error) { c.MultusNodesPerAz, err = parseInt(raw); return }},
	{"multusAttachment", "string", string(multus.AttachNodeGroup),
		"How the ENIs reach nodes: node-group (a managed node group per zone whose user data attaches the zone's ENI at boot) or instances (the chapter's way for fixed instances, given in multusInstanceIds).",
		func(c *Config, raw string) error { c.MultusAttachment = multus.Attachment(raw); return nil }},
	{"multusInstanceIds", "array", []any{},
		"With multusAttachment instances: the instance per Multus zone, in the same order.",
		func(c *Config, raw string) (err error) { c.MultusInstanceIds, err = parseStrings(raw); return }},
	{"multusImage", "string", "",
		"Multus thick plugin image. Empty means AWS's EKS build (" + multus.MultusImageTag + ") from the EKS registry of aws:region.",
		func(c *Config, raw string) error { c.MultusImage = raw; return nil }},
	{"multusDemoPod", "boolean", false,
		"Run the chapter's multus-pod (busybox with the ipvlan network) on the first Multus network.",
		func(c *Config, raw string) (err error) { c.MultusDemoPod, err = parseBool(raw); return }},
	{"clusterMode", "string", string(ClusterModeCreate),
		"create: build the VPC, the EKS cluster and everything in it. existing: only the scenario's Kubernetes objects, on the cluster kubeconfig points at; no AWS resource is created.",
		func(c *Config, raw string) error { c.ClusterMode = ClusterMode(raw); return nil }},
	{"kubeconfig", "string", "",
		"With clusterMode existing: the kubeconfig (a path, or its contents) of the cluster. Empty means KUBECONFIG or ~/.kube/config.",
		func(c *Config, raw string) error { c.Kubeconfig = raw; return nil }},
	{"multusSubnetCidrs", "array", []any{},
		"With clusterMode existing and multus: the IPv4 block of each Multus zone's subnet, in the order of multusAvailabilityZones (AWS's subnets are not looked up then).",
		func(c *Config, raw string) (err error) { c.MultusSubnetCidrs, err = parseStrings(raw); return }},
	{"skipAwait", "boolean", false,
		"Do not wait for Deployments, DaemonSets and Pods to become ready, e.g. on a cluster without nodes.",
		func(c *Config, raw string) (err error) { c.SkipAwait, err = parseBool(raw); return }},
}

// The AWS keys this program forwards to its explicit AWS provider. Any other aws: key would be silently
// ignored by an explicit provider, so it is refused instead.
const (
	RegionKey  = "aws:region"
	ProfileKey = "aws:profile"
)

// engineNamespace holds the Pulumi engine's own keys (pulumi:tags and the like), which we leave alone.
const engineNamespace = "pulumi"

// Defaults returns the configuration with every key at its default.
func Defaults() Config {
	var c Config
	for _, k := range Keys {
		if err := k.decode(&c, k.DefaultString()); err != nil {
			panic(fmt.Sprintf("default of %s does not decode: %v", k.Name, err)) // a programming error, caught by tests
		}
	}
	return c
}

// Decode reads raw stack configuration ("namespace:key" to value, structured values as JSON, as the
// Pulumi engine passes them), applies defaults and validates as of today. It reports every problem at
// once.
func Decode(raw map[string]string) (*Config, error) {
	return DecodeOn(raw, time.Now().UTC())
}

// DecodeOn is Decode on a given day: which Kubernetes versions EKS creates depends on the date.
func DecodeOn(raw map[string]string, today time.Time) (*Config, error) {
	c := Defaults()
	var errs []error
	for _, full := range slices.Sorted(maps.Keys(raw)) {
		value := raw[full]
		ns, name, ok := strings.Cut(full, ":")
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("config key %q has no namespace; write %s:%s", full, Project, full))
		case ns == Project:
			i := slices.IndexFunc(Keys, func(k Key) bool { return k.Name == name })
			if i < 0 {
				errs = append(errs, fmt.Errorf("unknown config key %s; valid keys are %s", full, strings.Join(keyNames(), ", ")))
				continue
			}
			if err := Keys[i].decode(&c, value); err != nil {
				errs = append(errs, keyError(name, value, err.Error()))
			}
		case full == RegionKey:
			c.Region = value
		case full == ProfileKey:
			c.Profile = value
		case ns == "aws":
			errs = append(errs, fmt.Errorf("config key %s is not used: this program's explicit AWS provider reads only %s and %s; set other AWS settings through the environment (AWS_* variables)",
				full, RegionKey, ProfileKey))
		case ns == engineNamespace:
		default:
			errs = append(errs, fmt.Errorf("config key %s is in namespace %q, which this program does not read; use %s:<key> (valid keys: %s), %s or %s",
				full, ns, Project, strings.Join(keyNames(), ", "), RegionKey, ProfileKey))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := c.Validate(today); err != nil {
		return nil, err
	}
	return &c, nil
}

var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// Validate checks the configuration as a whole, including the VPC plan it implies, and collects
// warnings.
func (c *Config) Validate(today time.Time) error {
	var errs []error
	add := func(key, value, reason string) { errs = append(errs, keyError(key, value, reason)) }

	if !slices.Contains(Scenarios, c.Scenario) {
		add("scenario", string(c.Scenario), "unknown scenario; use one of "+joinNames(Scenarios))
	}
	switch c.ClusterMode {
	case ClusterModeCreate:
	case ClusterModeExisting:
		return errors.Join(append(errs, c.validateExisting()...)...)
	default:
		add("clusterMode", string(c.ClusterMode), "use create or existing")
	}
	if c.Region == "" {
		errs = append(errs, fmt.Errorf("config key %s is not set; set it, e.g. pulumi config set %s eu-central-1", RegionKey, RegionKey))
	} else if !regionPattern.MatchString(c.Region) {
		errs = append(errs, fmt.Errorf("config %s = %q: not an AWS region name; regions look like eu-central-1 or us-west-2", RegionKey, c.Region))
	} else if err := clusterspec.CheckRegion(c.Region); err != nil {
		errs = append(errs, fmt.Errorf("config %s = %q: %w", RegionKey, c.Region, err))
	}
	if !slices.Contains(Ipv4EgressModes, c.Ipv4Egress) {
		add("ipv4Egress", string(c.Ipv4Egress), "unknown mode; use one of "+joinNames(Ipv4EgressModes))
	} else if !c.Ipv6Cluster() && c.Ipv4Egress != Ipv4EgressNodeSnat {
		add("ipv4Egress", string(c.Ipv4Egress), fmt.Sprintf("only an IPv6 cluster has IPv6 pods that need an IPv4 path; scenario %s's cluster is IPv4, so leave it at %s", c.Scenario, Ipv4EgressNodeSnat))
	}
	if c.Ipv6Cluster() && !c.VpcIpv6 {
		add("vpcIpv6", "false", fmt.Sprintf("scenario %s has an IPv6 cluster, which needs an IPv6 VPC; set it to true", c.Scenario))
	}
	if len(c.AvailabilityZones) == 0 {
		if c.AvailabilityZoneCount < MinAvailabilityZones || c.AvailabilityZoneCount > netplan.MaxAvailabilityZones {
			add("availabilityZoneCount", strconv.Itoa(c.AvailabilityZoneCount),
				fmt.Sprintf("use %d to %d: EKS needs subnets in at least two zones", MinAvailabilityZones, netplan.MaxAvailabilityZones))
		}
	} else if c.Region != "" {
		if len(c.AvailabilityZones) < MinAvailabilityZones {
			add("availabilityZones", strings.Join(c.AvailabilityZones, ","),
				fmt.Sprintf("EKS needs subnets in at least %d zones; list %d to %d", MinAvailabilityZones, MinAvailabilityZones, netplan.MaxAvailabilityZones))
		} else if err := netplan.ValidateAvailabilityZones(c.Region, c.AvailabilityZones); err != nil {
			errs = append(errs, c.asKeyError(err))
		}
	}
	if len(errs) == 0 {
		// The VPC plan checks the CIDR arithmetic and DNS64/NAT rules; placeholder zone names are
		// enough for that, the real ones are checked above or come from AWS. The Multus plan is
		// checked on it too, and again with the real zones.
		if vpc, err := netplan.PlanVpc(c.VpcInput(placeholderZones(c))); err != nil {
			errs = append(errs, c.asKeyError(err))
		} else if c.Multus && (len(c.MultusAvailabilityZones) == 0 || len(c.AvailabilityZones) > 0) {
			if _, err := c.VpcMultusNetworks(vpc); err != nil {
				errs = append(errs, err)
			}
		}
	}
	errs = append(errs, c.validateCluster(today)...)
	return errors.Join(errs...)
}

// vpcCniErrors are what a vpc-cni version cannot do for this stack: IPv6 with ENABLE_V4_EGRESS, or
// the ipvlan plugin Multus needs.
func (c *Config) vpcCniErrors(v clusterspec.AddonVersion) []error {
	var errs []error
	if c.Ipv6Cluster() {
		if err := clusterspec.CheckVpcCniForIpv6(v); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Multus {
		if err := clusterspec.CheckVpcCniForMultus(v); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// CheckResolvedVpcCni checks the vpc-cni version EKS answered for "latest" at deploy time, as a pin
// would have been checked. (Its offered range is not checked: EKS's answer is the authority.)
func (c *Config) CheckResolvedVpcCni(version string) error {
	if c.VpcCniVersion != clusterspec.Latest {
		return nil
	}
	v, err := clusterspec.ParseAddonVersion(version)
	if err != nil {
		return fmt.Errorf("EKS answered %s for the latest vpc-cni: %w", version, err)
	}
	var errs []error
	for _, e := range c.vpcCniErrors(v) {
		errs = append(errs, keyError("vpcCniVersion", clusterspec.Latest, fmt.Sprintf("EKS offers %s as the latest vpc-cni for Kubernetes %s, and %v; pin a version", version, c.KubernetesVersion, e)))
	}
	return errors.Join(errs...)
}

// addonOfKey names the add-on each version key pins.
var addonOfKey = map[string]string{"vpcCniVersion": "vpc-cni", "corednsVersion": "coredns", "kubeProxyVersion": "kube-proxy"}

// ClusterLogTypes are the control-plane log types EKS accepts.
var ClusterLogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

// yamlFloat catches a version like 1.30 that YAML turned into the number 1.3.
var yamlFloat = regexp.MustCompile(`^1\.[0-9]$`)

var clusterNamePattern = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)

// validateCluster checks the keys of the EKS cluster.
func (c *Config) validateCluster(today time.Time) []error {
	var errs []error
	add := func(key, value, reason string) { errs = append(errs, keyError(key, value, reason)) }

	if c.ClusterName != "" && !clusterNamePattern.MatchString(c.ClusterName) {
		add("clusterName", c.ClusterName, "EKS names are 1 to 100 letters, digits, - and _, starting with a letter or digit")
	}
	if support, err := clusterspec.SupportOn(c.KubernetesVersion, today); err != nil {
		reason := err.Error()
		if yamlFloat.MatchString(c.KubernetesVersion) {
			reason += fmt.Sprintf(" (YAML reads 1.%s0 as the number %s: quote the version)", strings.TrimPrefix(c.KubernetesVersion, "1."), c.KubernetesVersion)
		}
		add("kubernetesVersion", c.KubernetesVersion, reason)
	} else if support.Warning != "" {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s:kubernetesVersion: %s", Project, support.Warning))
	}
	for _, t := range c.ClusterLogTypes {
		if !slices.Contains(ClusterLogTypes, t) {
			add("clusterLogTypes", t, "unknown log type; use any of "+strings.Join(ClusterLogTypes, ", "))
		}
	}
	errs = append(errs, c.validateEndpointAccess()...)
	errs = append(errs, c.validateClusterAdmins()...)
	if c.ServiceIpv4Cidr != "" {
		if c.Ipv6Cluster() {
			add("serviceIpv4Cidr", c.ServiceIpv4Cidr, "an IPv6 cluster takes its service block from EKS (an IPv6 /108); leave it empty")
		} else if err := clusterspec.ValidateServiceIpv4Cidr(c.ServiceIpv4Cidr); err != nil {
			add("serviceIpv4Cidr", c.ServiceIpv4Cidr, err.Error())
		}
	}
	if it, err := clusterspec.ParseInstanceType(c.NodeInstanceType); err != nil {
		add("nodeInstanceType", c.NodeInstanceType, err.Error())
	} else if err := clusterspec.CheckInstanceType(c.NodeInstanceType); err != nil {
		add("nodeInstanceType", c.NodeInstanceType, err.Error())
	} else if _, err := clusterspec.AmiType(clusterspec.AL2023, it); err != nil {
		add("nodeInstanceType", c.NodeInstanceType, err.Error())
	}
	for _, fe := range (clusterspec.NodeGroupSize{MinSize: c.NodeMinSize, DesiredSize: c.NodeDesiredSize, MaxSize: c.NodeMaxSize}).Errors() {
		errs = append(errs, fieldKeyError(nodeGroupKeys, fe.Field, fe.Value, fe.Reason))
	}
	for _, a := range []struct{ key, value string }{
		{"vpcCniVersion", c.VpcCniVersion}, {"corednsVersion", c.CorednsVersion}, {"kubeProxyVersion", c.KubeProxyVersion},
	} {
		if a.value == clusterspec.Latest {
			continue
		}
		v, err := clusterspec.ParseAddonVersion(a.value)
		if err != nil {
			add(a.key, a.value, err.Error())
			continue
		}
		if err := clusterspec.CheckAddonForKubernetes(addonOfKey[a.key], v, c.KubernetesVersion); err != nil {
			add(a.key, a.value, err.Error())
		}
		if a.key == "vpcCniVersion" {
			for _, err := range c.vpcCniErrors(v) {
				add(a.key, a.value, err.Error())
			}
		}
	}
	if c.WarmPrefixTarget < 1 || c.WarmPrefixTarget > 8 {
		add("warmPrefixTarget", strconv.Itoa(c.WarmPrefixTarget), "use 1 to 8")
	}
	errs = append(errs, c.validatePolicy()...)
	return append(errs, c.validateMultus()...)
}

// validateMultus checks the Multus keys. With a cluster we create, the IP plan itself is checked by
// VpcMultusNetworks once the zones are known; with an existing cluster the subnets come from config
// and the plan is checked here.
func (c *Config) validateMultus() []error {
	var errs []error
	add := func(key, value, reason string) { errs = append(errs, keyError(key, value, reason)) }
	if c.ScenarioSpec().RequiresMultus && !c.Multus {
		add("multus", "false", fmt.Sprintf("the %s scenario is Multus; set it to true", c.Scenario))
	}
	if !c.Multus {
		return errs
	}
	if c.Ipv6Cluster() {
		add("multus", "true", "the secondary network here is IPv4 (ipvlan with host-local IPAM on IPv4 ENI addresses); use an IPv4 scenario")
	}
	if c.MultusImage == "" {
		// AWS's build, from the stack region's EKS registry.
		image, err := multus.EksImage(c.Region, multus.MultusImageTag)
		switch {
		case c.Region == "":
			add("multusImage", "", "AWS's Multus build comes from the EKS registry of the cluster's region: set "+RegionKey+", or give the image")
		case err != nil:
			add("multusImage", "", err.Error())
		}
		c.MultusImage = image
	}
	if c.ClusterMode == ClusterModeExisting {
		if len(c.MultusAvailabilityZones) == 0 || len(c.MultusSubnetCidrs) != len(c.MultusAvailabilityZones) {
			add("multusSubnetCidrs", strings.Join(c.MultusSubnetCidrs, ","), fmt.Sprintf(
				"with clusterMode existing, list the Multus zones in multusAvailabilityZones and each zone's subnet block here, in the same order (%d zones)", len(c.MultusAvailabilityZones)))
		} else if _, err := c.ExistingMultusNetworks(); err != nil {
			errs = append(errs, err)
		}
		return errs
	}
	if c.MultusSubnetTier != netplan.Private && c.MultusSubnetTier != netplan.Public {
		add("multusSubnetTier", string(c.MultusSubnetTier), "use private or public")
	}
	var fe *multus.FieldError
	if err := multus.ValidateAttachment(c.MultusAttachment, c.MultusInstanceIds, max(1, len(c.MultusAvailabilityZones))); errors.As(err, &fe) {
		errs = append(errs, fieldKeyError(multusKeys, fe.Field, fe.Value, fe.Reason))
	}
	return errs
}

// validateExisting checks a configuration for clusterMode existing: only the Kubernetes layer's keys
// matter.
func (c *Config) validateExisting() []error {
	errs := c.validatePolicy()
	if c.PolicyEngine == clusterspec.PolicyEngineVpcCni {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s:policyEngine vpc-cni is a setting of the vpc-cni add-on, which belongs to the existing cluster; turn enableNetworkPolicy on there", Project))
	}
	return append(errs, c.validateMultus()...)
}

func (c *Config) existingMultusSubnets() []multus.Subnet {
	subnets := make([]multus.Subnet, len(c.MultusAvailabilityZones))
	for i, az := range c.MultusAvailabilityZones {
		subnets[i] = multus.Subnet{AvailabilityZone: az, Cidr: c.MultusSubnetCidrs[i]}
	}
	return subnets
}

// ExistingMultusNetworks are the secondary networks of an existing cluster, from config.
func (c *Config) ExistingMultusNetworks() ([]multus.Network, error) {
	return c.MultusNetworks(c.existingMultusSubnets())
}

// VpcMultusNetworks are the secondary networks in the VPC's subnets of the Multus tier.
func (c *Config) VpcMultusNetworks(vpc netplan.VpcPlan) ([]multus.Network, error) {
	var subnets []multus.Subnet
	for _, s := range vpc.SubnetsOf(c.MultusSubnetTier) {
		subnets = append(subnets, multus.Subnet{AvailabilityZone: s.AvailabilityZone, Cidr: s.Ipv4Cidr})
	}
	return c.MultusNetworks(subnets)
}

// MultusNetworks computes the secondary networks in the given subnets, with errors naming the config
// key.
func (c *Config) MultusNetworks(subnets []multus.Subnet) ([]multus.Network, error) {
	networks, err := multus.Plan(multus.Input{
		NetworkPrefix: "ipvlan-" + string(c.MultusSubnetTier),
		Subnets:       subnets, Zones: c.MultusAvailabilityZones, Ranges: c.MultusRanges,
		NodesPerAz: c.MultusNodesPerAz, InstanceType: c.NodeInstanceType,
	})
	var fe *multus.FieldError
	if errors.As(err, &fe) {
		return nil, fieldKeyError(multusKeys, fe.Field, fe.Value, fe.Reason)
	}
	return networks, err
}

// validatePolicy checks the policy engine and the chapter's demo.
func (c *Config) validatePolicy() []error {
	var errs []error
	add := func(key, value, reason string) { errs = append(errs, keyError(key, value, reason)) }
	warn := func(msg string) { c.Warnings = append(c.Warnings, msg) }
	ipv6NodeSnat := c.Ipv6Cluster() && c.Ipv4Egress.NodeSnat()
	switch c.PolicyEngine {
	case clusterspec.PolicyEngineCalico:
		if ipv6NodeSnat {
			add("policyEngine", string(c.PolicyEngine), fmt.Sprintf(
				"Calico does not enforce policy on IPv6 pods while the VPC CNI's ENABLE_V4_EGRESS is on (ipv4Egress %s); use vpc-cni, or ipv4Egress nat64", c.Ipv4Egress))
		}
		if err := calico.ValidateVersion(c.CalicoVersion); err != nil {
			add("calicoVersion", c.CalicoVersion, err.Error())
		} else if _, err := calico.ParseChartSource(c.CalicoChartRepository, c.CalicoVersion); err != nil {
			add("calicoChartRepository", c.CalicoChartRepository, err.Error())
		}
	case clusterspec.PolicyEngineVpcCni:
		if ipv6NodeSnat {
			warn(fmt.Sprintf("%s:policyEngine vpc-cni does not filter the v4if0 path IPv6 pods use for IPv4 (ipv4Egress %s, aws-network-policy-agent #55): NetworkPolicies do not restrict their IPv4 egress", Project, c.Ipv4Egress))
		}
	case clusterspec.PolicyEngineNone:
	default:
		add("policyEngine", string(c.PolicyEngine), "unknown engine; use one of "+joinNames(clusterspec.PolicyEngines))
	}
	if c.DenyEgressPolicy && !c.DemoApps {
		add("denyEgressPolicy", "true", "the policy lives in the demo's deploy2 namespace; set demoApps to true as well")
	}
	if c.AllowDnsEgress && !c.DenyEgressPolicy {
		add("allowDnsEgress", "true", "it only shapes the deny-egress policy; set denyEgressPolicy to true, or leave this off")
	}
	if c.DenyEgressPolicy && c.PolicyEngine == clusterspec.PolicyEngineNone {
		warn(fmt.Sprintf("%s:denyEgressPolicy is on but policyEngine is none: nothing enforces the policy", Project))
	}
	return errs
}

// EksClusterName is the cluster's name: clusterName, or eks-<stack> with characters EKS refuses
// replaced by -.
func (c *Config) EksClusterName(stack string) string {
	if c.ClusterName != "" {
		return c.ClusterName
	}
	name := []byte("eks-" + stack)
	for i, b := range name {
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_') {
			name[i] = '-'
		}
	}
	return string(name[:min(len(name), 100)])
}

// ZoneCount is how many availability zones the stack uses.
func (c *Config) ZoneCount() int {
	if len(c.AvailabilityZones) > 0 {
		return len(c.AvailabilityZones)
	}
	return c.AvailabilityZoneCount
}

// VpcInput is the VPC plan input this configuration implies, for the given zones. DNS64 in the private
// subnets follows ipv4Egress, so the VPC and the cluster's add-on cannot disagree.
func (c *Config) VpcInput(zones []string) netplan.VpcInput {
	return netplan.VpcInput{
		CidrBlock:          c.VpcCidr,
		AvailabilityZones:  zones,
		SubnetPrefixLength: c.SubnetPrefixLength,
		Ipv6:               c.VpcIpv6,
		NatGateways:        c.NatGateways,
		PublicDns64:        c.PublicSubnetsDns64,
		PrivateDns64:       c.Ipv6Cluster() && c.Ipv4Egress.UsesNat64(),
	}
}

func placeholderZones(c *Config) []string {
	if len(c.AvailabilityZones) > 0 {
		return c.AvailabilityZones
	}
	zones := make([]string, c.ZoneCount())
	for i := range zones {
		zones[i] = fmt.Sprintf("%s%c", c.Region, 'a'+i)
	}
	return zones
}

// asKeyError turns a netplan field error into a config key error. PrivateDns64 is not a key of its
// own: it follows ipv4Egress.
func (c *Config) asKeyError(err error) error {
	var fe *netplan.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	if fe.Field == netplan.FieldPrivateDns64 {
		return keyError("ipv4Egress", string(c.Ipv4Egress), renameFields(netplanKeys, fe.Reason)+" (nat64 and both turn DNS64 on in the private subnets)")
	}
	return fieldKeyError(netplanKeys, fe.Field, fe.Value, fe.Reason)
}

func keyError(name, value, reason string) error {
	if value == "" {
		return fmt.Errorf("config %s:%s: %s", Project, name, reason)
	}
	return fmt.Errorf("config %s:%s = %q: %s", Project, name, value, reason)
}

func parseBool(raw string) (bool, error) {
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return false, errors.New("not a boolean; use true or false")
	}
	return b, nil
}

func parseInt(raw string) (int, error) {
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, errors.New("not an integer")
	}
	return n, nil
}

func parseStrings(raw string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, errors.New("not a list of strings; write a YAML list such as [eu-central-1a, eu-central-1b]")
	}
	return out, nil
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

// joinNames lists the values of a string enum for an error message.
func joinNames[T ~string](values []T) string {
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = string(v)
	}
	return strings.Join(names, ", ")
}
