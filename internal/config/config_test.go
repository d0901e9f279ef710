package config

import (
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"eks-advanced-networking/internal/calico"
	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/lbcontroller"
	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/netplan"
	"eks-advanced-networking/internal/verify"
)

func raw(kv ...string) map[string]string {
	m := map[string]string{RegionKey: "eu-central-1"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[Project+":"+kv[i]] = kv[i+1]
	}
	return m
}

// today pins the date, since which Kubernetes versions EKS creates depends on it.
var today = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

func decode(raw map[string]string) (*Config, error) { return DecodeOn(raw, today) }

func TestDefaultsAreTheChapter(t *testing.T) {
	c, err := decode(raw())
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Scenario: ScenarioIpv6, Region: "eu-central-1",
		Vpc: netplan.Settings{CidrBlock: "192.168.0.0/16", Ipv6: true, AvailabilityZoneCount: 3, AvailabilityZones: []string{},
			SubnetPrefixLength: 19, NatGateways: netplan.NatGatewaySingle},
		Ipv4Egress: Ipv4EgressNodeSnat,
		Cluster: clusterspec.Settings{
			KubernetesVersion: "1.35", LogTypes: []string{"api", "audit", "authenticator"}, LogRetentionDays: 90,
			EndpointPublicAccessCidrs: []string{}, NodeInstanceType: "t3.medium",
			Nodes:         clusterspec.NodeGroupSize{MinSize: 2, DesiredSize: 2, MaxSize: 2},
			VpcCniVersion: "latest", CorednsVersion: "latest", KubeProxyVersion: "latest", WarmPrefixTarget: 1,
			EndpointPrivateAccessCidrs: []string{}, AdminArns: []string{},
		},
		LoadBalancer: lbcontroller.Settings{Version: "3.5.0", ChartRepository: "https://aws.github.io/eks-charts"}, LoadBalancerDemo: lbcontroller.DemoSettings{SourceRanges: []string{}},
		PolicyEngine: clusterspec.PolicyEngineNone, Calico: calico.Settings{Version: "v3.33.1", ChartRepository: "https://docs.tigera.io/calico/charts"},
		Multus: multus.Settings{AvailabilityZones: []string{}, Ranges: []string{}, SubnetTier: netplan.Private, NodesPerAz: 1,
			Attachment: multus.AttachNodeGroup, InstanceIds: []string{}, SubnetCidrs: []string{}},
		BusyboxImage: "public.ecr.aws/docker/library/busybox:1.37", ClusterMode: ClusterModeCreate,
		VerifyTargets: verify.Settings{Ipv4Target: "ipv4.google.com:80", Ipv6Target: "ipv6.google.com:80"},
	}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("defaults = %+v\nwant %+v", *c, want)
	}
}

func TestDecodeReadsEveryType(t *testing.T) {
	c, err := decode(raw(
		"scenario", "ipv4-calico", "vpcIpv6", "false", "availabilityZones", `["eu-central-1b","eu-central-1c"]`,
		"natGateways", "per-az", "subnetPrefixLength", "20", "vpcCidr", "10.20.0.0/16",
	))
	if err != nil {
		t.Fatal(err)
	}
	if c.Scenario != ScenarioIpv4Calico || c.Vpc.Ipv6 || len(c.Vpc.AvailabilityZones) != 2 || c.Vpc.AvailabilityZones[1] != "eu-central-1c" ||
		c.Vpc.NatGateways != netplan.NatGatewayPerAz || c.Vpc.SubnetPrefixLength != 20 || c.Vpc.CidrBlock != "10.20.0.0/16" {
		t.Errorf("decoded %+v", *c)
	}
}

// A message about one part of the Kubernetes layer names it alone.
func TestKubernetesLayerOfOnePart(t *testing.T) {
	_, err := decode(raw("scenario", "ipv4-calico", "vpcIpv6", "false", "policyEngine", "calico"))
	if err == nil || !strings.Contains(err.Error(), "scenario ipv4-calico installs Calico through the cluster's API endpoint") {
		t.Errorf("got %v", err)
	}
}

// On an existing cluster the VPC CNI's policy agent is the cluster's setting: said, not done.
func TestExistingClusterWithTheVpcCniEngine(t *testing.T) {
	existing := raw("clusterMode", "existing", "scenario", "ipv4-calico", "demoApps", "true")
	for _, engine := range []string{"vpc-cni", "none"} {
		cfg := maps.Clone(existing)
		cfg[Project+":policyEngine"] = engine
		c, err := decode(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if warned := strings.Contains(strings.Join(c.Warnings, "\n"), "turn enableNetworkPolicy on there"); warned != (engine == "vpc-cni") {
			t.Errorf("policyEngine %s: warnings %q", engine, c.Warnings)
		}
	}
}

func TestWarnings(t *testing.T) {
	c, err := decode(raw("kubernetesVersion", "1.33", "endpointPublicAccessCidrs", `["0.0.0.0/0"]`))
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(c.Warnings, "\n")
	for _, want := range []string{"extended support", "open to the whole internet"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings %q lack %q", all, want)
		}
	}
	if c, _ := decode(raw()); len(c.Warnings) != 0 {
		t.Errorf("defaults warn: %v", c.Warnings)
	}
}

func TestPolicyWarnings(t *testing.T) {
	for _, tc := range []struct {
		config map[string]string
		warns  string
	}{
		{raw("policyEngine", "vpc-cni"), "v4if0"},
		{raw("demoApps", "true", "denyEgressPolicy", "true", "endpointPublicAccessCidrs", `["198.51.100.7/32"]`), "nothing enforces"},
	} {
		c, err := decode(tc.config)
		if err != nil {
			t.Fatal(err)
		}
		if w := strings.Join(c.Warnings, "\n"); !strings.Contains(w, tc.warns) {
			t.Errorf("%v: warnings %q, want one about %q", tc.config, w, tc.warns)
		}
	}
	// Tigera ties the IPv6 gap to ENABLE_V4_EGRESS; with node SNAT off the combination is allowed.
	if _, err := decode(raw("policyEngine", "calico", "ipv4Egress", "nat64", "endpointPrivateAccessCidrs", `["10.20.0.0/16"]`)); err != nil {
		t.Errorf("Calico with nat64: %v", err)
	}
}

// clusterName names the cluster; left empty, the cluster's name comes from the stack
// (clusterspec TestEksName).
func TestEksClusterName(t *testing.T) {
	c, _ := decode(raw())
	if got := c.Cluster.EksName("ipv6.prod"); got != "eks-ipv6-prod" {
		t.Errorf("derived name %q", got)
	}
	c, _ = decode(raw("clusterName", "chapter"))
	if got := c.Cluster.EksName("ipv6"); got != "chapter" {
		t.Errorf("explicit name %q", got)
	}
}

func TestDecodeReportsAllProblemsAtOnce(t *testing.T) {
	_, err := decode(raw("vpcCdir", "x", "natGatewayz", "y"))
	if err == nil || !strings.Contains(err.Error(), "vpcCdir") || !strings.Contains(err.Error(), "natGatewayz") {
		t.Errorf("err = %v, want both unknown keys named", err)
	}
}

func TestEveryDefaultDecodes(t *testing.T) {
	for _, k := range Keys {
		var c Config
		if err := k.decode(&c, k.DefaultString()); err != nil {
			t.Errorf("%s: default %v does not decode: %v", k.Name, k.Default, err)
		}
		if k.Description == "" {
			t.Errorf("%s has no description", k.Name)
		}
	}
}

// Every scenario is one table entry; what config and the stacks ask of it comes from there.
func TestScenarioTable(t *testing.T) {
	for _, tc := range []struct {
		scenario       Scenario
		ipv6, isMultus bool
	}{
		{ScenarioIpv6, true, false}, {ScenarioIpv4Calico, false, false}, {ScenarioIpv4Multus, false, true},
	} {
		c := &Config{Scenario: tc.scenario}
		if c.Ipv6Cluster() != tc.ipv6 || c.ScenarioSpec().RequiresMultus != tc.isMultus || c.ScenarioSpec().Name != tc.scenario {
			t.Errorf("%s: %+v", tc.scenario, c.ScenarioSpec())
		}
	}
	if _, ok := Scenario("ipv5").Spec(); ok {
		t.Error("an unknown scenario has a spec")
	}
	if len(Scenarios) != len(ScenarioSpecs) {
		t.Errorf("Scenarios %v", Scenarios)
	}
}

// Each feature's own Validate reaches the configuration's error, named by its key; an engine's own
// settings only when it is the chosen engine.
func TestEachFeaturesErrorsReachDecode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		raw    map[string]string
		refuse string
	}{
		{"the VPC's", raw("availabilityZoneCount", "1"), "availabilityZoneCount"},
		{"the cluster's", raw("kubernetesVersion", "1.20"), "kubernetesVersion"},
		{"the chosen engine's", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "policyEngine", "calico", "calicoVersion", "3.33"), "calicoVersion"},
		{"an engine not chosen", raw("scenario", "ipv4-calico", "vpcIpv6", "false", "policyEngine", "none", "calicoVersion", "3.33"), ""},
		{"the checks' targets", raw("verifyIpv4Target", "no-port"), "verifyIpv4Target"},
	} {
		_, err := decode(tc.raw)
		switch {
		case tc.refuse == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.refuse != "" && (err == nil || !strings.Contains(err.Error(), Project+":"+tc.refuse)):
			t.Errorf("%s: %v, want an error naming %s", tc.name, err, tc.refuse)
		}
	}
}
