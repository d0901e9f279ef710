package stacks

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/distribution/reference"
	pulumiconfig "github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/netplan"
	"eks-advanced-networking/internal/plan"
	"eks-advanced-networking/internal/workload"
)

// projectDir holds Pulumi.yaml and the stack presets.
const projectDir = ".."

func runStack(t *testing.T, dir, stack string, overrides map[string]string) (*plan.Plan, error) {
	t.Helper()
	files, err := plan.LoadStack(dir, stack)
	if err != nil {
		t.Fatal(err)
	}
	maps.Copy(files.Config, overrides)
	return plan.Run(plan.Options{Project: config.Project, Stack: stack, Config: files.Config}, Program(files.Config))
}

// asDeployed is what every real stack adds to a preset: the address pulumi runs from, so the
// Kubernetes layer can reach the API endpoint (presets with a Kubernetes layer stop at validation
// without it). .ci/run and the golden plans add the same; 198.51.100.7 is a documentation address.
var asDeployed = map[string]string{config.Project + ":endpointPublicAccessCidrs": `["198.51.100.7/32"]`}

// deployedStack is a stack file as deployed: its configuration with asDeployed set.
func deployedStack(t *testing.T, stack string) *plan.StackFiles {
	t.Helper()
	files, err := plan.LoadStack(projectDir, stack)
	if err != nil {
		t.Fatal(err)
	}
	maps.Copy(files.Config, asDeployed)
	return files
}

// A later up keeps the running cluster in the network it was made in: a change that would move one of
// its subnets, its VPC's block or its service block is refused at preview, before anything but the
// AWS provider registers, naming the key and the value that keeps it; one that keeps them plans.
func TestARunningClusterKeepsItsNetwork(t *testing.T) {
	files := deployedStack(t, "ipv4-calico")
	running := runningAfterUp(t, "ipv4-calico", files.Config, "1.35", map[string]string{"ipv4mng": "1.35"})
	for _, tc := range []struct {
		change  map[string]string
		refused string
	}{
		{map[string]string{"natGateways": "per-az"}, ""},
		{map[string]string{"serviceIpv4Cidr": "172.20.0.0/16"}, ""}, // the block EKS chose, now written down
		{map[string]string{"vpcCidr": "192.168.0.0/17", "subnetPrefixLength": "20"},
			`config eks-advanced-networking:vpcCidr = "192.168.0.0/17": the running cluster's VPC ` + running.VpcID() + ` has 192.168.0.0/16`},
		{map[string]string{"subnetPrefixLength": "20"}, `subnetPrefixLength = "20": the running cluster uses subnet`},
		{map[string]string{"availabilityZoneCount": "2"}, `availabilityZoneCount = "2": the running cluster uses subnet`},
		{map[string]string{"availabilityZones": `["eu-central-1b","eu-central-1a","eu-central-1c"]`}, "keep the running zones eu-central-1a, eu-central-1b, eu-central-1c in their order"},
		{map[string]string{"serviceIpv4Cidr": "10.100.0.0/16"}, `serviceIpv4Cidr = "10.100.0.0/16": the EKS cluster eks-ipv4-calico has the service block 172.20.0.0/16`},
		{map[string]string{"vpcIpv6": "true"}, ""}, // EC2 associates an IPv6 block in place
	} {
		cfg := maps.Clone(files.Config)
		for k, v := range tc.change {
			cfg[config.Project+":"+k] = v
		}
		p, err := plan.Run(plan.Options{Project: config.Project, Stack: "ipv4-calico", Config: cfg,
			RunningClusters: []plan.RunningCluster{running}}, Program(cfg))
		wantRefusedFirst(t, fmt.Sprint(tc.change), p, err, tc.refused)
	}
}

// A VPC that took IPv6 keeps it: EC2 gives the block back only once no subnet holds part of it.
func TestARunningVpcKeepsItsIpv6(t *testing.T) {
	files := deployedStack(t, "ipv4-calico")
	dual := maps.Clone(files.Config)
	dual[config.Project+":vpcIpv6"] = "true"
	running := runningAfterUp(t, "ipv4-calico", dual, "1.35", map[string]string{"ipv4mng": "1.35"})
	p, err := plan.Run(plan.Options{Project: config.Project, Stack: "ipv4-calico", Config: files.Config,
		RunningClusters: []plan.RunningCluster{running}}, Program(files.Config))
	wantRefusedFirst(t, "vpcIpv6 false", p, err, `config eks-advanced-networking:vpcIpv6 = "false": the running cluster's VPC `+running.VpcID()+` has the IPv6 block `+plan.MockVpcIpv6Cidr)
}

// EKS cannot rename a cluster: a clusterName other than the one the stack's cluster runs under is
// refused at preview, found by the stack's tags, since the configured name finds nothing. Another
// stack's cluster in the account is not this stack's.
func TestARunningClusterKeepsItsName(t *testing.T) {
	files := deployedStack(t, "ipv4-calico")
	running := runningAfterUp(t, "ipv4-calico", files.Config, "1.35", map[string]string{"ipv4mng": "1.35"})
	staging := running
	staging.Name, staging.OtherStack = "eks-staging", "staging"
	hidden := staging
	hidden.Name, hidden.DescribeDenied = "eks-hidden", true
	for _, tc := range []struct {
		name    string
		account []plan.RunningCluster
		change  string
		refused string
	}{
		{"the default name, written down", []plan.RunningCluster{running}, "eks-ipv4-calico", ""},
		{"a new name", []plan.RunningCluster{running}, "platform",
			`config eks-advanced-networking:clusterName = "platform": this stack runs the EKS cluster eks-ipv4-calico, and EKS cannot rename a cluster: platform would replace it and everything on it; set it back to "eks-ipv4-calico" or leave it empty`},
		{"another stack's cluster only", []plan.RunningCluster{staging}, "platform", ""},
		{"another stack's cluster beside this one's", []plan.RunningCluster{staging, running}, "platform", "this stack runs the EKS cluster eks-ipv4-calico"},
		{"a cluster the deployer may not describe", []plan.RunningCluster{hidden}, "platform", ""},
		{"one the deployer may not describe beside this stack's", []plan.RunningCluster{hidden, running}, "platform", "this stack runs the EKS cluster eks-ipv4-calico"},
	} {
		cfg := maps.Clone(files.Config)
		cfg[config.Project+":clusterName"] = tc.change
		p, err := plan.Run(plan.Options{Project: config.Project, Stack: "ipv4-calico", Config: cfg, RunningClusters: tc.account}, Program(cfg))
		wantRefusedFirst(t, tc.name, p, err, tc.refused)
	}
}

// wantRefusedFirst: a run is refused with a message holding refused (none: it plans), and nothing
// but the AWS provider registered before the refusal.
func wantRefusedFirst(t *testing.T, label string, p *plan.Plan, err error, refused string) {
	t.Helper()
	if refused == "" {
		if err != nil {
			t.Errorf("%s: %v", label, err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), refused) {
		t.Errorf("%s: err = %v, want %q", label, err, refused)
		return
	}
	for _, r := range p.Resources {
		if r.Type != "pulumi:providers:aws" {
			t.Errorf("%s: %s %s registered before the refusal", label, r.Type, r.Name)
		}
	}
}

// runningAfterUp is the cluster a stack of this configuration runs once its up is done, as the
// mocked account holds it: the version, the node groups, and the network the plan gave it.
func runningAfterUp(t *testing.T, stack string, cfg map[string]string, version string, groups map[string]string) plan.RunningCluster {
	t.Helper()
	p, err := plan.Run(plan.Options{Project: config.Project, Stack: stack, Config: cfg}, Program(cfg))
	if err != nil {
		t.Fatal(err)
	}
	running := runningAsPlanned(t, p, version)
	running.NodeGroups, running.CustomAmi = groups, nil
	return running
}

// runningAsPlanned is the cluster the account runs once p is deployed: its network, its node groups
// at their versions, and the cluster at version.
func runningAsPlanned(t *testing.T, p *plan.Plan, version string) plan.RunningCluster {
	t.Helper()
	running := plan.RunningCluster{Version: version, NodeGroups: map[string]string{}}
	for _, r := range p.Resources {
		switch r.Type {
		case "aws:eks/nodeGroup:NodeGroup":
			name, _ := r.Inputs["nodeGroupName"].(string)
			running.NodeGroups[name], _ = r.Inputs["version"].(string)
			if r.Inputs["amiType"] == "CUSTOM" {
				running.CustomAmi = append(running.CustomAmi, name)
			}
		case "eks:index:Cluster":
			running.Name, _ = r.Inputs["name"].(string)
			running.IpFamily, _ = r.Inputs["ipFamily"].(string)
			running.ServiceIpv4Cidr, _ = r.Inputs["kubernetesServiceIpAddressRange"].(string)
		case "aws:ec2/vpc:Vpc":
			running.VpcCidr, _ = r.Inputs["cidrBlock"].(string)
			running.VpcIpv6, _ = r.Inputs["assignGeneratedIpv6CidrBlock"].(bool)
		case "aws:ec2/subnet:Subnet":
			zone, _ := r.Inputs["availabilityZone"].(string)
			cidr, _ := r.Inputs["cidrBlock"].(string)
			running.Subnets = append(running.Subnets, plan.RunningSubnet{AvailabilityZone: zone, Ipv4Cidr: cidr})
		case "aws:ec2/networkInterface:NetworkInterface":
			if tags, _ := r.Inputs["tags"].(map[string]any); tags["multus"] == "true" {
				running.MultusEnis = append(running.MultusEnis, runningMultusEni(p, r, tags))
			}
		}
	}
	if running.Name == "" || running.VpcCidr == "" || len(running.Subnets) == 0 {
		t.Fatalf("the plan holds no cluster, VPC or subnets: %+v", running)
	}
	return running
}

// runningMultusEni is a planned Multus ENI as EC2 would describe it once deployed: attached to the
// instance its attachment names, or else to a node of the zone's Multus node group (whose boot unit
// attaches it).
func runningMultusEni(p *plan.Plan, eni plan.Resource, tags map[string]any) plan.RunningMultusEni {
	network, _ := tags["multus-network"].(string)
	attachment, _ := tags["multus-attachment"].(string)
	running := plan.RunningMultusEni{ID: plan.MockID("eni", eni.Name), Network: network, Attachment: attachment}
	if a, err := p.Get("aws:ec2/networkInterfaceAttachment:NetworkInterfaceAttachment", eni.Name); err == nil {
		running.Instance, _ = a.Inputs["instanceId"].(string)
	} else if zone, _ := tags["Zone"].(string); zone != "" {
		running.Instance = plan.MockID("i", "a node of the Multus node group of "+zone)
	}
	return running
}

// mustGet is the plan's resource of a type and name.
func mustGet(t *testing.T, p *plan.Plan, typ, name string) plan.Resource {
	t.Helper()
	r, err := p.Get(typ, name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// mustRunStack plans a preset as deployed (asDeployed).
func mustRunStack(t *testing.T, stack string) *plan.Plan {
	t.Helper()
	p, err := runStack(t, projectDir, stack, asDeployed)
	if err != nil {
		t.Fatalf("stack %s: %v", stack, err)
	}
	return p
}

// The chapter's three presets exist. (That a plan is the same from run to run, the golden plans
// show: each run of the tests and of .ci/run compares against the checked-in bytes.)
func TestThePresetsExist(t *testing.T) {
	stacks := plan.StackNames(projectDir)
	for _, want := range []string{"ipv6", "ipv4-calico", "ipv4-multus"} {
		if !slices.Contains(stacks, want) {
			t.Errorf("no Pulumi.%s.yaml; stacks: %v", want, stacks)
		}
	}
}

func TestPulumiYamlDeclaresExactlyTheConfigKeys(t *testing.T) {
	files, err := plan.LoadStack(projectDir, "ipv6")
	if err != nil {
		t.Fatal(err)
	}
	project := files.Project
	if string(project.Name) != config.Project || project.Runtime.Name() != "go" {
		t.Errorf("Pulumi.yaml: name %s runtime %s, want %s and go", project.Name, project.Runtime.Name(), config.Project)
	}
	for _, k := range config.Keys {
		declared, ok := project.Config[k.Name]
		if !ok {
			t.Errorf("Pulumi.yaml does not declare %s", k.Name)
			continue
		}
		if declared.Type == nil || *declared.Type != k.Type {
			t.Errorf("Pulumi.yaml: %s has type %v, internal/config says %s", k.Name, declared.Type, k.Type)
		}
		if declared.Description != k.Description {
			t.Errorf("Pulumi.yaml: %s description differs from internal/config:\n  yaml: %s\n  go:   %s", k.Name, declared.Description, k.Description)
		}
		if got := files.Config[config.Project+":"+k.Name]; declared.Default == nil {
			t.Errorf("Pulumi.yaml: %s has no default", k.Name)
		} else if _, setByStack := files.Stack.Config[mustKey(t, k.Name)]; !setByStack && got != k.DefaultString() {
			t.Errorf("Pulumi.yaml: %s default %q, internal/config says %q", k.Name, got, k.DefaultString())
		}
	}
	for name := range project.Config {
		if !slices.ContainsFunc(config.Keys, func(k config.Key) bool { return k.Name == name }) {
			t.Errorf("Pulumi.yaml declares %s, which internal/config does not read", name)
		}
	}
}

func TestStackFilesSetOnlyDeclaredKeys(t *testing.T) {
	for _, stack := range plan.StackNames(projectDir) {
		files, err := plan.LoadStack(projectDir, stack)
		if err != nil {
			t.Fatal(err)
		}
		for key := range files.Stack.Config {
			full := key.String()
			if full == config.RegionKey || full == config.ProfileKey {
				continue
			}
			if _, declared := files.Project.Config[key.Name()]; key.Namespace() != config.Project || !declared {
				t.Errorf("Pulumi.%s.yaml sets %s, which Pulumi.yaml does not declare", stack, full)
			}
		}
	}
	files, _ := plan.LoadStack(projectDir, "ipv6")
	if files.Config[config.RegionKey] != "eu-central-1" {
		t.Errorf("Pulumi.ipv6.yaml region = %q, want the chapter's eu-central-1", files.Config[config.RegionKey])
	}
}

// writeProject makes a project directory with our Pulumi.yaml and one stack file.
func writeProject(t *testing.T, stack, stackYaml string) string {
	t.Helper()
	dir := t.TempDir()
	project, err := os.ReadFile(filepath.Join(projectDir, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), project, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi."+stack+".yaml"), []byte(stackYaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Bad stack files fail with a message naming the key, and register nothing.
func TestBadStackFilesFailBeforeAnyResource(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		says       []string
	}{
		{"unknown key", "config:\n  aws:region: eu-central-1\n  eks-advanced-networking:vpcCdir: 10.0.0.0/16\n",
			[]string{"eks-advanced-networking:vpcCdir", "valid keys"}},
		{"more zones than the region has", "config:\n  aws:region: eu-central-1\n  eks-advanced-networking:availabilityZoneCount: 4\n",
			[]string{"eks-advanced-networking:availabilityZoneCount", `"4"`, "only 3 available zones"}},
		{"zone the region does not offer", "config:\n  aws:region: eu-central-1\n  eks-advanced-networking:availabilityZones: [eu-central-1a, eu-central-1d]\n",
			[]string{"eks-advanced-networking:availabilityZones", "eu-central-1d", "eu-central-1a, eu-central-1b, eu-central-1c"}},
		{"no NAT gateway", "config:\n  aws:region: eu-central-1\n  eks-advanced-networking:ipv4Egress: nat64\n  eks-advanced-networking:natGateways: none\n",
			[]string{"eks-advanced-networking:natGateways", "use single or per-az"}},
		// The blueprint's refusals (internal/blueprint) come before any resource too.
		{"Multus range outside its subnet", "config:\n  aws:region: eu-central-1\n  eks-advanced-networking:scenario: ipv4-multus\n  eks-advanced-networking:vpcIpv6: false\n" +
			"  eks-advanced-networking:multus: true\n  eks-advanced-networking:multusRanges: [10.0.0.20-10.0.0.40]\n  eks-advanced-networking:endpointPublicAccessCidrs: [198.51.100.7/32]\n",
			[]string{"eks-advanced-networking:multusRanges", "outside the subnet"}},
		{"image that is not a reference", "config:\n  aws:region: eu-central-1\n  eks-advanced-networking:busyboxImage: docker.io/Library/BusyBox\n",
			[]string{"eks-advanced-networking:busyboxImage", `"docker.io/Library/BusyBox"`, "[registry/]name[:tag][@sha256:digest]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := runStack(t, writeProject(t, "bad", tc.yaml), "bad", nil)
			if err == nil {
				t.Fatal("the plan succeeded")
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			// The AWS provider may exist (the zone lookup needs it); nothing else may.
			for _, r := range p.Resources {
				if r.Type != "pulumi:providers:aws" {
					t.Errorf("registered %s %s before refusing the configuration", r.Type, r.Name)
				}
			}
		})
	}
}

func TestIpv6PresetTurnsOnDns64WithNat64InPrivateSubnets(t *testing.T) {
	p := mustRunStack(t, "ipv6")
	nats := p.ByType("aws:ec2/natGateway:NatGateway")
	if len(nats) != 1 {
		t.Fatalf("%d NAT gateways, want 1", len(nats))
	}
	for _, s := range p.ByType("aws:ec2/subnet:Subnet") {
		private := strings.Contains(s.Name, "-private-")
		if got := s.Input("enableDns64"); got != private {
			t.Errorf("%s: enableDns64 = %v, want %v (ipv4Egress both: private subnets only)", s.Name, got, private)
		}
		// Routes are named after their subnet's route table, which is named after the subnet.
		route, err := p.Get("aws:ec2/route:Route", s.Name+"-nat64")
		if private && (err != nil || route.String("natGatewayId") != nats[0].ID || route.String("destinationIpv6CidrBlock") != netplan.Nat64Prefix) {
			t.Errorf("%s: NAT64 route %v (%v), want 64:ff9b::/96 to %s", s.Name, route.Inputs, err, nats[0].ID)
		}
	}
}

func TestIpv4CalicoPresetIsIpv4Only(t *testing.T) {
	p := mustRunStack(t, "ipv4-calico")
	if vpc, _ := p.Get("aws:ec2/vpc:Vpc", "vpc"); vpc.Input("assignGeneratedIpv6CidrBlock") != false {
		t.Errorf("ipv4-calico VPC asks for IPv6")
	}
	if _, ok := p.Outputs["vpcIpv6CidrBlock"]; ok {
		t.Errorf("ipv4-calico exports an IPv6 block")
	}
	if n := len(p.ByType("aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway")); n != 0 {
		t.Errorf("%d egress-only gateways in an IPv4 VPC", n)
	}
}

func TestEveryAwsResourceUsesTheExplicitProvider(t *testing.T) {
	for _, stack := range plan.StackNames(projectDir) {
		p := mustRunStack(t, stack)
		providers := p.ByType("pulumi:providers:aws")
		if len(providers) != 1 {
			t.Fatalf("%s: %d AWS providers, want 1", stack, len(providers))
		}
		// EKS tags subnets kubernetes.io/cluster/<name>; without ignoring them every up would strip them.
		for _, m := range providers[0].Mismatches(map[string]any{"ignoreTags.keyPrefixes": []any{"kubernetes.io/cluster/"}, "region": "eu-central-1"}) {
			t.Errorf("%s: AWS provider: %s", stack, m)
		}
		want := providers[0].URN + "::" + providers[0].ID
		for _, r := range p.Resources {
			if strings.HasPrefix(r.Type, "aws:") && r.Provider != want {
				t.Errorf("%s: %s %s uses provider %q, want %q", stack, r.Type, r.Name, r.Provider, want)
			}
		}
	}
}

func mustKey(t *testing.T, name string) pulumiconfig.Key {
	t.Helper()
	k, err := pulumiconfig.ParseKey(config.Project + ":" + name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// ipv4Egress is one switch for two places: the VPC's DNS64 and NAT64 route, and the VPC CNI's node SNAT.
func TestIpv4EgressDrivesVpcAndAddonTogether(t *testing.T) {
	for _, tc := range []struct {
		mode            string
		nat64, nodeSnat bool
	}{
		{"node-snat", false, true}, {"nat64", true, false}, {"both", true, true}, {"none", false, false},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			dir := writeProject(t, "egress", "config:\n  aws:region: eu-central-1\n  eks-advanced-networking:ipv4Egress: "+tc.mode+"\n")
			p, err := runStack(t, dir, "egress", nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range p.ByType("aws:ec2/subnet:Subnet") {
				if !strings.Contains(s.Name, "-private-") {
					continue
				}
				_, routeErr := p.Get("aws:ec2/route:Route", s.Name+"-nat64")
				if s.Input("enableDns64") != tc.nat64 || (routeErr == nil) != tc.nat64 {
					t.Errorf("%s: enableDns64 %v, NAT64 route %v; want both %v", s.Name, s.Input("enableDns64"), routeErr == nil, tc.nat64)
				}
			}
			addon, err := p.Get("aws:eks/addon:Addon", "cluster-vpc-cni")
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf(`"ENABLE_V4_EGRESS":"%v"`, tc.nodeSnat)
			if !strings.Contains(addon.String("configurationValues"), want) {
				t.Errorf("vpc-cni configuration %s, want %s", addon.String("configurationValues"), want)
			}
		})
	}
}

func TestIpv6PresetBuildsTheChapterCluster(t *testing.T) {
	p := mustRunStack(t, "ipv6")
	for _, name := range []string{"clusterName", "kubeconfig", "oidcProviderArn", "nodeGroupName", "verifyCommands", "vpcId", "privateSubnetIds"} {
		if _, ok := p.Outputs[name]; !ok {
			t.Errorf("no stack output %s", name)
		}
	}
	if p.Outputs["kubeconfig"] != plan.Secret || !strings.HasPrefix(fmt.Sprint(p.Outputs["nodeGroupName"]), "ipv6mng-") || p.Outputs["clusterName"] != "eks-ipv6" {
		t.Errorf("outputs %v", p.Outputs)
	}
	cluster, err := p.Get("eks:index:Cluster", "cluster")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range cluster.Mismatches(map[string]any{"ipFamily": "ipv6", "version": "1.35"}) {
		t.Errorf("cluster: %s", m)
	}
}

func urns(p *plan.Plan) map[string]bool {
	out := map[string]bool{}
	for _, r := range p.Resources {
		out[r.URN] = true
	}
	return out
}

func TestIpv4CalicoPresetInstallsCalicoAndTheDemo(t *testing.T) {
	p := mustRunStack(t, "ipv4-calico")
	for _, want := range []struct{ typ, name string }{
		{"eks-advanced-networking:cluster:Ipv4Cluster", "cluster"},
		{"aws:eks/nodeGroup:NodeGroup", "cluster-ipv4mng"},
		{"eks-advanced-networking:policy:CalicoPolicyEngine", "calico"},
		{"kubernetes:helm.sh/v4:Chart", "calico-operator"},
		{"eks-advanced-networking:policy:NetworkPolicyDemo", "policy-demo"},
	} {
		if _, err := p.Get(want.typ, want.name); err != nil {
			t.Error(err)
		}
	}
	addon, _ := p.Get("aws:eks/addon:Addon", "cluster-vpc-cni")
	if c := addon.String("configurationValues"); !strings.Contains(c, `"enableNetworkPolicy":"false"`) || !strings.Contains(c, `"ANNOTATE_POD_IP":"true"`) {
		t.Errorf("vpc-cni configuration with Calico: %s", c)
	}
	if p.Outputs["calicoStatusCommand"] != "kubectl get tigerastatus/calico" {
		t.Errorf("calicoStatusCommand = %v", p.Outputs["calicoStatusCommand"])
	}
	// Every Kubernetes object goes to the cluster's provider, never to an ambient kubeconfig.
	k8s := p.ByType("pulumi:providers:kubernetes")
	if len(k8s) != 1 {
		t.Fatalf("%d kubernetes providers", len(k8s))
	}
	for _, r := range p.Resources {
		if strings.HasPrefix(r.Type, "kubernetes:") && r.Provider != k8s[0].URN+"::"+k8s[0].ID {
			t.Errorf("%s %s uses provider %q", r.Type, r.Name, r.Provider)
		}
	}
}

// The chapter's switch, denyEgressPolicy false -> true, changes exactly one thing: the policy appears.
func TestDenyEgressSwitchAddsOnlyThePolicy(t *testing.T) {
	preset, err := os.ReadFile(filepath.Join(projectDir, "Pulumi.ipv4-calico.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	on := strings.Replace(string(preset), "denyEgressPolicy: false", "denyEgressPolicy: true", 1)
	before := mustRunStack(t, "ipv4-calico")
	after, err := runStack(t, writeProject(t, "ipv4-calico", on), "ipv4-calico", asDeployed)
	if err != nil {
		t.Fatal(err)
	}
	a, b := urns(before), urns(after)
	var added []string
	for u := range b {
		if !a[u] {
			added = append(added, u)
		}
	}
	for u := range a {
		if !b[u] {
			t.Errorf("turning the policy on removes %s", u)
		}
	}
	if len(added) != 1 || !strings.HasSuffix(added[0], "kubernetes:networking.k8s.io/v1:NetworkPolicy::policy-demo-deploy2-default-deny-egress") {
		t.Errorf("turning the policy on adds %v, want just the deny-egress policy", added)
	}
	for _, r := range before.Resources {
		if r2, ok := after.ByURN(r.URN); ok && !reflect.DeepEqual(r.Inputs, r2.Inputs) {
			t.Errorf("turning the policy on changes %s", r.URN)
		}
	}
}

func TestPolicyEngineRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		says       []string
	}{
		{"both engines at once", "scenario: ipv4-calico\n  eks-advanced-networking:vpcIpv6: false\n  eks-advanced-networking:policyEngine: calico,vpc-cni",
			[]string{"eks-advanced-networking:policyEngine", "calico, vpc-cni, none"}},
		{"Calico on the IPv6 cluster", "ipv4Egress: both\n  eks-advanced-networking:policyEngine: calico",
			[]string{"eks-advanced-networking:policyEngine", "ENABLE_V4_EGRESS"}},
		{"bad chart version", "scenario: ipv4-calico\n  eks-advanced-networking:vpcIpv6: false\n  eks-advanced-networking:policyEngine: calico\n  eks-advanced-networking:calicoVersion: latest",
			[]string{"eks-advanced-networking:calicoVersion", `"latest"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := runStack(t, writeProject(t, "bad", "config:\n  aws:region: eu-central-1\n  eks-advanced-networking:"+tc.yaml+"\n"), "bad", nil)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if len(p.Resources) != 0 {
				t.Errorf("%d resources registered before refusing", len(p.Resources))
			}
		})
	}
}

// With multusAttachment instances, each fixed instance takes its zone's ENI at the lowest device
// index EC2 reports free on it, not at 1, which the VPC CNI's second ENI holds on a running node
// (the offline plan's instances have their primary interface at 0 and that ENI at 1).
func TestMultusFixedInstancesTakeAFreeDeviceIndex(t *testing.T) {
	overrides := maps.Clone(asDeployed)
	overrides[config.Project+":multusAttachment"] = "instances"
	overrides[config.Project+":multusInstanceIds"] = `["i-0123456789abcdef0"]`
	p, err := runStack(t, projectDir, "ipv4-multus", overrides)
	if err != nil {
		t.Fatal(err)
	}
	attachment, err := p.Get("aws:ec2/networkInterfaceAttachment:NetworkInterfaceAttachment", "multus-ipvlan-private-a")
	if err != nil {
		t.Fatal(err)
	}
	if got := attachment.Inputs["deviceIndex"]; got != 2.0 || attachment.Inputs["instanceId"] != "i-0123456789abcdef0" {
		t.Errorf("the attachment is at device index %v of %v, want 2 of i-0123456789abcdef0", got, attachment.Inputs["instanceId"])
	}
}

func TestIpv4MultusPresetIsTheChapters(t *testing.T) {
	p := mustRunStack(t, "ipv4-multus")
	nad, err := p.Get("kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition", "multus-ipvlan-private-a")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"cniVersion":"0.3.1","type":"ipvlan","master":"multus","mode":"l3","ipam":{"type":"host-local","subnet":"192.168.96.0/19","rangeStart":"192.168.96.20","rangeEnd":"192.168.96.40","gateway":"192.168.96.1"}}`
	if nad.String("spec.config") != want {
		t.Errorf("NAD config %s", nad.String("spec.config"))
	}
	for _, want := range []struct{ typ, name string }{
		{"aws:ec2/networkInterface:NetworkInterface", "multus-ipvlan-private-a"},
		{"aws:eks/nodeGroup:NodeGroup", "multus-nodes-a"},
		{"aws:eks/nodeGroup:NodeGroup", "cluster-ipv4mng"},
		{"kubernetes:apps/v1:Deployment", "multus-demo"},
	} {
		if _, err := p.Get(want.typ, want.name); err != nil {
			t.Error(err)
		}
	}
	// Multus's Kubernetes objects go to the cluster, its AWS resources to the AWS provider.
	k8s := p.ByType("pulumi:providers:kubernetes")[0]
	awsProvider := p.ByType("pulumi:providers:aws")[0]
	for _, r := range p.Resources {
		if !strings.Contains(r.URN, "MultusNetwork$") || !r.Custom {
			continue // components get a providers map, not a provider
		}
		want := awsProvider
		if strings.HasPrefix(r.Type, "kubernetes:") {
			want = k8s
		}
		if r.Provider != want.URN+"::"+want.ID {
			t.Errorf("%s %s uses provider %s", r.Type, r.Name, r.Provider)
		}
	}
	if cmds, _ := p.Outputs["multusCheckCommands"].([]any); len(cmds) != 1 || !strings.Contains(cmds[0].(string), "inet 192.168.96.20/19") {
		t.Errorf("check commands %v", p.Outputs["multusCheckCommands"])
	}
}

// Bring-your-own-cluster: only Kubernetes objects, none of AWS.
func TestExistingClusterCreatesNoAwsResource(t *testing.T) {
	yaml := `config:
  aws:region: eu-central-1
  eks-advanced-networking:clusterMode: existing
  eks-advanced-networking:kubeconfig: /tmp/kubeconfig
  eks-advanced-networking:scenario: ipv4-multus
  eks-advanced-networking:demoApps: true
  eks-advanced-networking:denyEgressPolicy: true
  eks-advanced-networking:policyEngine: calico
  eks-advanced-networking:multus: true
  eks-advanced-networking:multusAvailabilityZones: [eu-central-1a]
  eks-advanced-networking:multusSubnetCidrs: [192.168.96.0/19]
  eks-advanced-networking:multusDemoPod: true
`
	p, err := runStack(t, writeProject(t, "byo", yaml), "byo", nil)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, r := range p.Resources {
		if strings.HasPrefix(r.Type, "aws:") || strings.HasPrefix(r.Type, "eks:") || r.Type == "pulumi:providers:aws" {
			t.Errorf("bring-your-own-cluster creates %s %s", r.Type, r.Name)
		}
		kinds = append(kinds, r.Type)
	}
	for _, want := range []string{"kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition", "kubernetes:apps/v1:DaemonSet",
		"kubernetes:networking.k8s.io/v1:NetworkPolicy", "kubernetes:helm.sh/v4:Chart", "pulumi:providers:kubernetes"} {
		if !slices.Contains(kinds, want) {
			t.Errorf("no %s in %v", want, kinds)
		}
	}
	k8s := p.ByType("pulumi:providers:kubernetes")
	if len(k8s) != 1 || k8s[0].Input("kubeconfig") != "/tmp/kubeconfig" {
		t.Errorf("kubernetes provider %v", k8s)
	}
}

var update = flag.Bool("update", false, "rewrite testdata/plans/<stack>.json from the current program")

// The offline plan of every stack file is checked in, so a pull request's diff shows what would
// change in every environment. Rewrite them with: go test ./stacks -run TestGoldenPlans -update
// goldenVariants are the plans checked in per stack: as deployed, and as deployed with the checks on
// (<stack>.verify.json), which is how the offline plan shows them.
var goldenVariants = []struct {
	suffix    string
	overrides map[string]string
}{
	{"", asDeployed},
	{".verify", withVerify(asDeployed)},
}

func withVerify(base map[string]string) map[string]string {
	out := maps.Clone(base)
	out[config.Project+":verify"] = "true"
	return out
}

func TestGoldenPlans(t *testing.T) {
	dir := filepath.Join(projectDir, "testdata", "plans")
	stacks := plan.StackNames(projectDir)
	var names []string
	for _, stack := range stacks {
		for _, variant := range goldenVariants {
			name := stack + variant.suffix
			names = append(names, name)
			p, err := runStack(t, projectDir, stack, variant.overrides)
			if err != nil {
				t.Fatalf("stack %s: %v", name, err)
			}
			var got bytes.Buffer
			if err := p.WriteJSON(&got); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, name+".json")
			if *update {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%s: %v; write it with: go test ./stacks -run TestGoldenPlans -update", name, err)
				continue
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("the plan of %s differs from %s:\n%s\nIf the change is intended: go test ./stacks -run TestGoldenPlans -update",
					name, path, firstDifference(string(want), got.String()))
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".json"); !slices.Contains(names, name) {
			t.Errorf("%s belongs to no stack file and variant; delete it", f)
		}
	}
}

// firstDifference shows where two texts part, with a little context.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		if i < len(w) && i < len(g) && w[i] == g[i] {
			continue
		}
		from := max(0, i-3)
		var b strings.Builder
		for j := from; j < i; j++ {
			fmt.Fprintf(&b, "  %s\n", w[j])
		}
		for j := i; j < min(i+4, len(w)); j++ {
			fmt.Fprintf(&b, "- %s\n", w[j])
		}
		for j := i; j < min(i+4, len(g)); j++ {
			fmt.Fprintf(&b, "+ %s\n", g[j])
		}
		return fmt.Sprintf("line %d:\n%s", i+1, b.String())
	}
	return "(same lines, different bytes)"
}

// Every resource but the providers lives inside a component, and every component the stacks create
// is one of ours.
func TestEveryResourceIsParentedToAComponent(t *testing.T) {
	for _, stack := range plan.StackNames(projectDir) {
		p := mustRunStack(t, stack)
		for _, r := range p.Resources {
			parent, inPlan := p.ByURN(r.Parent)
			switch {
			case strings.HasPrefix(r.Type, "pulumi:providers:"):
			case !inPlan:
				if !strings.HasPrefix(r.Type, config.Project+":") {
					t.Errorf("%s: %s %s sits at the top of the stack, outside any component", stack, r.Type, r.Name)
				}
			case parent.Custom:
				t.Errorf("%s: %s %s is parented to a custom resource", stack, r.Type, r.Name)
			}
		}
	}
}

// Security by default, across every preset: no ingress from the whole internet, IMDSv2 only, and the
// kubeconfig never in clear.
func TestPresetsAreSecureByDefault(t *testing.T) {
	for _, stack := range plan.StackNames(projectDir) {
		p := mustRunStack(t, stack)
		for _, r := range p.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
			if c := r.String("cidrIpv4") + r.String("cidrIpv6"); c == "0.0.0.0/0" || c == "::/0" {
				t.Errorf("%s: ingress rule %s is open to %s", stack, r.Name, c)
			}
		}
		templates := p.ByType("aws:ec2/launchTemplate:LaunchTemplate")
		if len(templates) == 0 {
			t.Errorf("%s: no launch template", stack)
		}
		for _, lt := range templates {
			if lt.Input("metadataOptions.httpTokens") != "required" {
				t.Errorf("%s: launch template %s allows IMDSv1", stack, lt.Name)
			}
		}
		if p.Outputs["kubeconfig"] != plan.Secret {
			t.Errorf("%s: kubeconfig output is not secret", stack)
		}
	}
}

// A preset with a Kubernetes layer cannot reach its cluster from a deployer outside the VPC unless
// the stack says how; as shipped it stops at validation, naming the keys and the fix, before any
// resource registers. The ipv6 preset has no Kubernetes layer and plans as shipped.
func TestPresetsAsShippedPlanOrSayWhatToSet(t *testing.T) {
	for _, stack := range plan.StackNames(projectDir) {
		files, err := plan.LoadStack(projectDir, stack)
		if err != nil {
			t.Fatal(err)
		}
		cfg, decodeErr := config.Decode(maps.Clone(files.Config))
		p, err := runStack(t, projectDir, stack, nil)
		layer := decodeErr == nil && cfg.HasKubernetesLayer() || decodeErr != nil
		switch {
		case !layer && err != nil:
			t.Errorf("%s has no Kubernetes layer and should plan as shipped: %v", stack, err)
		case layer && err == nil:
			t.Errorf("%s has a Kubernetes layer and a private endpoint, and planned", stack)
		case layer:
			for _, s := range []string{"eks-advanced-networking:endpointPublicAccessCidrs", "checkip.amazonaws.com", "eks-advanced-networking:endpointPrivateAccessCidrs"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%s: error %q does not mention %q", stack, err, s)
				}
			}
			if len(p.Resources) != 0 {
				t.Errorf("%s: %d resources registered before the error", stack, len(p.Resources))
			}
		}
	}
}

// The Kubernetes layer and the kubeconfig output authenticate with the stack's region and profile:
// pulumi-eks v2.8.1's kubeconfigJson names neither.
func TestKubeconfigCarriesRegionAndProfile(t *testing.T) {
	overrides := maps.Clone(asDeployed)
	overrides[config.ProfileKey] = "platform"
	p, err := runStack(t, projectDir, "ipv4-calico", overrides)
	if err != nil {
		t.Fatal(err)
	}
	var provider plan.Resource
	for _, r := range p.ByType("pulumi:providers:kubernetes") {
		provider = r
	}
	raw, _ := provider.Revealed("kubeconfig").(string)
	var kubeconfig struct {
		Clusters []struct {
			Cluster struct {
				Server string `json:"server"`
				CA     string `json:"certificate-authority-data"`
			} `json:"cluster"`
		} `json:"clusters"`
		Users []struct {
			User struct {
				Exec struct {
					Command string   `json:"command"`
					Args    []string `json:"args"`
					Env     []struct{ Name, Value string }
				} `json:"exec"`
			} `json:"user"`
		} `json:"users"`
	}
	if err := json.Unmarshal([]byte(raw), &kubeconfig); err != nil || len(kubeconfig.Users) != 1 || len(kubeconfig.Clusters) != 1 {
		t.Fatalf("kubernetes provider kubeconfig %q: %v", raw, err)
	}
	exec := kubeconfig.Users[0].User.Exec
	if exec.Command != "aws" || !slices.Equal(exec.Args, []string{"--region", "eu-central-1", "eks", "get-token", "--cluster-name", "eks-ipv4-calico", "--output", "json"}) {
		t.Errorf("token command %s %v", exec.Command, exec.Args)
	}
	if len(exec.Env) != 1 || exec.Env[0].Name != "AWS_PROFILE" || exec.Env[0].Value != "platform" {
		t.Errorf("token command env %v, want AWS_PROFILE=platform", exec.Env)
	}
	if c := kubeconfig.Clusters[0].Cluster; !strings.HasPrefix(c.Server, "https://") || c.CA != plan.MockCertificateAuthorityData {
		t.Errorf("cluster %+v", c)
	}
	if p.Outputs["kubeconfig"] != plan.Secret {
		t.Errorf("kubeconfig output is not secret")
	}
}

// pulumi-eks's cluster is a remote component: its children (an IAM role, a node security group and
// its rules, a rule on our control plane group, two kubernetes providers) exist only at deploy time.
// The offline plan says so rather than implying it shows everything.
func TestOfflinePlanSaysRemoteChildrenAreNotShown(t *testing.T) {
	var b bytes.Buffer
	if err := mustRunStack(t, "ipv6").WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Not shown: the children of remote components (eks:index:Cluster cluster)") {
		t.Errorf("the text plan does not say that remote components' children are missing:\n%s", b.String()[max(0, b.Len()-600):])
	}
}

// The deploy workflow's runner is the deployer: it must say how it reaches the API endpoint, and
// the runner must be configurable, since a GitHub-hosted runner has no fixed address.
func TestDeployWorkflowSaysHowItsRunnerReachesTheEndpoint(t *testing.T) {
	for _, file := range []string{"deploy.yml", "destroy.yml"} {
		b, err := os.ReadFile(filepath.Join(projectDir, ".github", "workflows", file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "runs-on: ${{ vars.DEPLOY_RUNNER || 'ubuntu-24.04' }}") {
			t.Errorf("%s does not run on vars.DEPLOY_RUNNER", file)
		}
	}
	b, _ := os.ReadFile(filepath.Join(projectDir, ".github", "workflows", "deploy.yml"))
	for _, key := range []string{"endpointPublicAccessCidrs", "endpointPrivateAccessCidrs"} {
		if !strings.Contains(string(b), key) {
			t.Errorf("deploy.yml does not say how its runner reaches the endpoint (%s)", key)
		}
	}
}

// vpc-cni v1.20.2 and v1.20.3 ship no ipvlan binary: with Multus on, a "latest" that resolves to one
// is refused before anything but the AWS provider registers.
func TestMultusRefusesALatestVpcCniWithoutIpvlan(t *testing.T) {
	files := deployedStack(t, "ipv4-multus")
	p, err := plan.Run(plan.Options{Project: config.Project, Stack: "ipv4-multus", Config: files.Config,
		LatestAddons: map[string]string{"vpc-cni": "v1.20.3-eksbuild.1"}}, Program(files.Config))
	if err == nil || !strings.Contains(err.Error(), "eks-advanced-networking:vpcCniVersion") || !strings.Contains(err.Error(), "v1.20.3-eksbuild.1") ||
		!strings.Contains(err.Error(), "no ipvlan binary") {
		t.Fatalf("err = %v, want the ipvlan refusal", err)
	}
	for _, r := range p.Resources {
		if r.Type != "pulumi:providers:aws" {
			t.Errorf("%s %s registered before the refusal", r.Type, r.Name)
		}
	}
}

// "latest" is EKS's answer, whatever it is: an add-on version EKS has released since the offered
// versions here were recorded (vpc-cni v1.24, CoreDNS v1.15) plans as usual, and the add-ons take
// it. Only a pin is held to the recorded versions. (EKS publishes add-on versions between two runs
// of a stack.)
func TestLatestAddonsAreEksAnswer(t *testing.T) {
	files := deployedStack(t, "ipv6")
	answer := map[string]string{"vpc-cni": "v1.24.0-eksbuild.1", "coredns": "v1.15.0-eksbuild.1"}
	p, err := plan.Run(plan.Options{Project: config.Project, Stack: "ipv6", Config: files.Config, LatestAddons: answer}, Program(files.Config))
	if err != nil {
		t.Fatalf("EKS's latest add-ons refused: %v", err)
	}
	for addon, version := range answer {
		r, err := p.Get("aws:eks/addon:Addon", "cluster-"+addon)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.String("addonVersion"); got != version {
			t.Errorf("%s takes %s, want EKS's latest %s", addon, got, version)
		}
	}
}

// A stack's later up reads the cluster EKS runs under its name: a version EKS would refuse to move
// to is refused at preview, before anything but the AWS provider registers, with the way through; a
// one-minor upgrade, or a cluster that is not there yet, plans as usual.
func TestARunningClusterMovesOneMinorUpAtATime(t *testing.T) {
	files := deployedStack(t, "ipv6")
	running := func(version string, groups map[string]string) plan.RunningCluster {
		return runningAfterUp(t, "ipv6", files.Config, version, groups)
	}
	custom := running("1.34", map[string]string{"ipv6mng": "1.34", "custom": "1.33"})
	custom.CustomAmi = []string{"custom"}
	for _, tc := range []struct {
		running plan.RunningCluster
		refused string
	}{
		{plan.RunningCluster{Name: "another-stacks-cluster", Version: "1.32", OtherStack: "staging"}, ""},
		{running("1.35", map[string]string{"ipv6mng": "1.35"}), ""},
		{running("1.34", map[string]string{"ipv6mng": "1.34"}), ""},
		{running("1.33", map[string]string{"ipv6mng": "1.33"}),
			`config eks-advanced-networking:kubernetesVersion = "1.35": the EKS cluster eks-ipv6 runs Kubernetes 1.33, and EKS updates a cluster one minor version at a time`},
		{running("1.36", map[string]string{"ipv6mng": "1.36"}), "moves a cluster only up"},
		{running("1.34", map[string]string{"ipv6mng": "1.34", "other": "1.33"}), "node groups other (1.33) do not"},
		// EKS keeps no Kubernetes version of its own for a group on a custom AMI: it is not counted.
		{custom, ""},
	} {
		p, err := plan.Run(plan.Options{Project: config.Project, Stack: "ipv6", Config: files.Config,
			RunningClusters: []plan.RunningCluster{tc.running}}, Program(files.Config))
		wantRefusedFirst(t, fmt.Sprintf("running %s %s", tc.running.Name, tc.running.Version), p, err, tc.refused)
	}
}

// Every engine the table says runs in the cluster has an installer, and only those: a new engine
// cannot be half wired.
func TestEveryInClusterPolicyEngineIsInstalled(t *testing.T) {
	for _, spec := range clusterspec.PolicyEngineSpecs {
		if _, ok := inClusterPolicyEngines[spec.Engine]; ok != spec.InCluster {
			t.Errorf("policy engine %s: in cluster %v, installer %v", spec.Engine, spec.InCluster, ok)
		}
	}
}

// prefixDelegation on an IPv4 preset: the nodes' pod limit is a stack output.
func TestPrefixDelegationSetsTheNodesMaxPods(t *testing.T) {
	overrides := maps.Clone(asDeployed)
	overrides[config.Project+":prefixDelegation"] = "true"
	p, err := runStack(t, projectDir, "ipv4-calico", overrides)
	if err != nil {
		t.Fatal(err)
	}
	// t3.medium: 3 ENIs x ((6 - 1) x 16) + 2 = 242, capped at 110 (2 vCPUs).
	if got := p.Outputs["nodeMaxPods"]; got != 110.0 {
		t.Errorf("nodeMaxPods = %v, want 110", got)
	}
	if _, ok := mustRunStack(t, "ipv4-calico").Outputs["nodeMaxPods"]; ok {
		t.Error("nodeMaxPods without prefix delegation: EKS sets max pods then")
	}
}

// The load balancer controller and its demo on the IPv6 preset: a dual-stack NLB, after the
// controller on the way up and so before it, the nodes and the subnets on the way down.
func TestLoadBalancerControllerOnTheIpv6Cluster(t *testing.T) {
	overrides := maps.Clone(asDeployed)
	overrides[config.Project+":loadBalancerController"] = "true"
	overrides[config.Project+":demoApps"] = "true"
	p, err := runStack(t, projectDir, "ipv6", overrides)
	if err != nil {
		t.Fatal(err)
	}
	chart := mustGet(t, p, "kubernetes:helm.sh/v4:Chart", "load-balancer-controller")
	demo := mustGet(t, p, "eks-advanced-networking:loadbalancer:LoadBalancerDemo", "load-balancer-demo")
	service := mustGet(t, p, "kubernetes:core/v1:Service", "load-balancer-demo-service")
	if !demo.DependsOn(chart.URN) || service.Parent != demo.URN {
		t.Errorf("the demo Service is not after the controller: demo deps %v, service parent %s", demo.Dependencies, service.Parent)
	}
	for _, m := range service.Mismatches(map[string]any{
		"metadata.annotations.service\\.beta\\.kubernetes\\.io/aws-load-balancer-ip-address-type": "dualstack",
		"spec.loadBalancerSourceRanges": []any{"198.51.100.7/32"},
	}) {
		t.Errorf("demo Service: %s", m)
	}
	// The README's recipe for the IPv6 cluster: the deployer's IPv4 address and its IPv6 /64, so that
	// curl -6 reaches the dual-stack load balancer too.
	overrides[config.Project+":loadBalancerSourceRanges"] = `["198.51.100.7/32", "2001:db8:1234::/64"]`
	both, err := runStack(t, projectDir, "ipv6", overrides)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mustGet(t, both, "kubernetes:core/v1:Service", "load-balancer-demo-service").Mismatches(map[string]any{
		"spec.loadBalancerSourceRanges": []any{"198.51.100.7/32", "2001:db8:1234::/64"},
	}) {
		t.Errorf("demo Service with loadBalancerSourceRanges: %s", m)
	}
	// The controller's chart talks to the cluster through the provider that waits for the nodes.
	var k8s plan.Resource
	for _, r := range p.ByType("pulumi:providers:kubernetes") {
		k8s = r
	}
	nodeGroup := mustGet(t, p, "aws:eks/nodeGroup:NodeGroup", "cluster-ipv6mng")
	if !strings.HasPrefix(chart.Provider, k8s.URN) || !k8s.DependsOn(nodeGroup.URN) {
		t.Errorf("chart provider %s; kubernetes provider deps %v", chart.Provider, k8s.Dependencies)
	}
	for _, name := range []string{"loadBalancerControllerRoleArn", "loadBalancerDemoAddress"} {
		if _, ok := p.Outputs[name]; !ok {
			t.Errorf("no %s output", name)
		}
	}
}

// jobs are the plan's check Jobs by check name.
func jobs(p *plan.Plan) map[string]plan.Resource {
	out := map[string]plan.Resource{}
	for _, r := range p.ByType("kubernetes:batch/v1:Job") {
		out[strings.TrimPrefix(r.Name, "verify-")] = r
	}
	return out
}

// jobEnv is a check Job's environment variable.
func jobEnv(j plan.Resource, name string) string {
	containers, _ := j.Input("spec.template.spec.containers").([]any)
	for _, c := range containers {
		env, _ := c.(map[string]any)["env"].([]any)
		for _, e := range env {
			if v := e.(map[string]any); v["name"] == name {
				s, _ := v["value"].(string)
				return s
			}
		}
	}
	return ""
}

const revisionPath = `spec.template.metadata.annotations.eks-advanced-networking/checked-revision`

// With verify on, the checks run last: after everything they check, against the target pods'
// addresses, and again when the nodes change. With it off there are none.
func TestChecksRunLastAgainstWhatTheyCheck(t *testing.T) {
	if len(jobs(mustRunStack(t, "ipv4-calico"))) != 0 {
		t.Error("checks without verify")
	}
	p, err := runStack(t, projectDir, "ipv4-calico", withVerify(asDeployed))
	if err != nil {
		t.Fatal(err)
	}
	checks := jobs(p)
	want := []string{"calico-available", "deploy1-serves", "deploy1-to-deploy2-tcp", "deploy2-dns", "deploy2-to-deploy1-tcp"}
	if got := slices.Sorted(maps.Keys(checks)); !slices.Equal(got, want) {
		t.Fatalf("checks %v, want %v", got, want)
	}
	installation := mustGet(t, p, "kubernetes:operator.tigera.io/v1:Installation", "calico-installation")
	deployment := mustGet(t, p, "kubernetes:apps/v1:Deployment", "policy-demo-deploy1-deploy1")
	target := mustGet(t, p, "kubernetes:core/v1:Pod", "verify-target-deploy1")
	for name, j := range checks {
		if !j.DependsOn(installation.URN) || !j.DependsOn(deployment.URN) {
			t.Errorf("%s does not wait for Calico and the demo", name)
		}
		if r, _ := j.Input(revisionPath).(string); len(r) != 16 {
			t.Errorf("%s carries no revision of the nodes: %q", name, r)
		}
	}
	if !target.DependsOn(deployment.URN) {
		t.Error("the target pod does not wait for the demo's namespace")
	}
	for _, name := range []string{"deploy2-to-deploy1-tcp", "deploy1-serves"} {
		if got := jobEnv(checks[name], "TARGET_IP"); got == "" || !checks[name].DependsOn(target.URN) {
			t.Errorf("%s targets %q and depends on the target pod %v", name, got, checks[name].DependsOn(target.URN))
		}
	}
}

// The chapter's switch flips the expectation, which changes those checks' pod template: the
// kubernetes provider replaces a Job whose template changes, so they run again. The others stay.
func TestDenyEgressSwitchFlipsWhatTheChecksExpect(t *testing.T) {
	preset, err := os.ReadFile(filepath.Join(projectDir, "Pulumi.ipv4-calico.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	before, err := runStack(t, projectDir, "ipv4-calico", withVerify(asDeployed))
	if err != nil {
		t.Fatal(err)
	}
	on := strings.Replace(string(preset), "denyEgressPolicy: false", "denyEgressPolicy: true", 1)
	after, err := runStack(t, writeProject(t, "ipv4-calico", on), "ipv4-calico", withVerify(asDeployed))
	if err != nil {
		t.Fatal(err)
	}
	b, a := jobs(before), jobs(after)
	for name, wantAfter := range map[string]string{
		"deploy2-to-deploy1-tcp": "denied", "deploy2-dns": "denied",
		"deploy1-to-deploy2-tcp": "allowed", "deploy1-serves": "allowed",
	} {
		if got := jobEnv(b[name], "EXPECT"); got != "allowed" {
			t.Errorf("%s expects %s without the policy", name, got)
		}
		if got := jobEnv(a[name], "EXPECT"); got != wantAfter {
			t.Errorf("%s expects %s with the policy, want %s", name, got, wantAfter)
		}
		if changed := !reflect.DeepEqual(b[name].Inputs, a[name].Inputs); changed != (wantAfter == "denied") {
			t.Errorf("%s changed %v", name, changed)
		}
	}
	policy := mustGet(t, after, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "policy-demo-deploy2-default-deny-egress")
	if !a["deploy2-to-deploy1-tcp"].DependsOn(policy.URN) {
		t.Error("the check does not wait for the policy it checks")
	}
}

// A new instance type replaces the nodes, so every check's revision changes; the same stack planned
// twice gives the same revision.
func TestNodeChangesRerunTheChecks(t *testing.T) {
	first, err := runStack(t, projectDir, "ipv6", withVerify(asDeployed))
	if err != nil {
		t.Fatal(err)
	}
	again, err := runStack(t, projectDir, "ipv6", withVerify(asDeployed))
	if err != nil {
		t.Fatal(err)
	}
	overrides := withVerify(asDeployed)
	overrides[config.Project+":nodeInstanceType"] = "m5.large"
	bigger, err := runStack(t, projectDir, "ipv6", overrides)
	if err != nil {
		t.Fatal(err)
	}
	for name, j := range jobs(first) {
		r1, r2, r3 := j.Input(revisionPath), jobs(again)[name].Input(revisionPath), jobs(bigger)[name].Input(revisionPath)
		if r1 == nil || r1 != r2 || r1 == r3 {
			t.Errorf("%s: revisions %v, %v (same stack), %v (m5.large)", name, r1, r2, r3)
		}
	}
	if len(jobs(first)) != 5 {
		t.Errorf("%d checks on the ipv6 preset, want 5 (node address, pod prefix, IPv6, node SNAT, NAT64)", len(jobs(first)))
	}
}

// How pods leave the VPC is part of what the checks look at: switching ipv4Egress or DNS64 changes
// every check's revision (so each runs again), and every check waits for the VPC's routes, so a
// NAT64 route the same update adds exists when they run.
func TestEgressChangesRerunTheChecks(t *testing.T) {
	plans := map[string]*plan.Plan{}
	for _, mode := range []string{"both", "node-snat", "nat64", "none"} {
		overrides := withVerify(asDeployed)
		overrides[config.Project+":ipv4Egress"] = mode
		p, err := runStack(t, projectDir, "ipv6", overrides)
		if err != nil {
			t.Fatalf("ipv4Egress %s: %v", mode, err)
		}
		plans[mode] = p
	}
	nat64Route := mustGet(t, plans["both"], "aws:ec2/route:Route", "vpc-private-eu-central-1a-nat64")
	for name, j := range jobs(plans["both"]) {
		if !j.DependsOn(nat64Route.URN) {
			t.Errorf("%s does not wait for the NAT64 route", name)
		}
		for _, mode := range []string{"node-snat", "nat64", "none"} {
			other, ok := jobs(plans[mode])[name]
			if ok && other.Input(revisionPath) == j.Input(revisionPath) {
				t.Errorf("%s keeps its revision from ipv4Egress both to %s, so it would not run again", name, mode)
			}
		}
	}
}

// podBearers are the kinds whose objects define pods, with where their pod template is.
var podBearers = map[string]string{
	"kubernetes:core/v1:Pod":        "",
	"kubernetes:apps/v1:Deployment": "spec.template",
	"kubernetes:apps/v1:DaemonSet":  "spec.template",
	"kubernetes:batch/v1:Job":       "spec.template",
}

// Every pod this project defines, in every preset with its checks (and on the IPv6 preset the demo
// apps and the load balancer demo too), is admitted by the real PodSecurity checks at its
// namespace's level. Every namespace we create enforces, audits and warns at one level: restricted,
// or the exception workload.Exceptions names. Pods in namespaces we do not create meet restricted,
// but for the upstream workloads workload.UpstreamPrivileged names. No pod runs an image from
// Docker Hub.
func TestEveryPodMeetsItsNamespacesPodSecurityLevel(t *testing.T) {
	ipv6Extras := withVerify(asDeployed)
	ipv6Extras[config.Project+":demoApps"] = "true"
	ipv6Extras[config.Project+":policyEngine"] = "vpc-cni"
	ipv6Extras[config.Project+":loadBalancerController"] = "true"
	upstream := map[string]bool{}
	for _, w := range workload.UpstreamPrivileged() {
		upstream[w.Namespace+"/"+w.Name] = true
	}
	for _, stack := range plan.StackNames(projectDir) {
		overrides := withVerify(asDeployed)
		if stack == "ipv6" {
			overrides = ipv6Extras
		}
		p, err := runStack(t, projectDir, stack, overrides)
		if err != nil {
			t.Fatalf("stack %s: %v", stack, err)
		}
		levels := map[string]workload.Level{}
		for _, r := range p.ByType("kubernetes:core/v1:Namespace") {
			name := r.String("metadata.name")
			labels, _ := r.Input("metadata.labels").(map[string]any)
			enforce, _ := labels[workload.EnforceLabel].(string)
			if labels[workload.AuditLabel] != enforce || labels[workload.WarnLabel] != enforce {
				t.Errorf("%s: namespace %s labels %v: want enforce, audit and warn at one level", stack, name, labels)
			}
			if want := workload.LevelOf(name); workload.Level(enforce) != want {
				t.Errorf("%s: namespace %s enforces %q, want %q", stack, name, enforce, want)
			}
			levels[name] = workload.Level(enforce)
		}
		pods := 0
		for _, typ := range slices.Sorted(maps.Keys(podBearers)) {
			for _, r := range p.ByType(typ) {
				raw, err := json.Marshal(r.Inputs)
				if err != nil {
					t.Fatal(err)
				}
				var obj struct {
					Metadata metav1.ObjectMeta `json:"metadata"`
					Spec     json.RawMessage   `json:"spec"`
				}
				if err := json.Unmarshal(raw, &obj); err != nil {
					t.Fatalf("%s: %s %s: %v", stack, typ, r.Name, err)
				}
				var template corev1.PodTemplateSpec
				if podBearers[typ] == "" {
					template.ObjectMeta = obj.Metadata
					err = json.Unmarshal(obj.Spec, &template.Spec)
				} else {
					var spec struct {
						Template corev1.PodTemplateSpec `json:"template"`
					}
					err = json.Unmarshal(obj.Spec, &spec)
					template = spec.Template
				}
				if err != nil {
					t.Fatalf("%s: %s %s: %v", stack, typ, r.Name, err)
				}
				id := obj.Metadata.Namespace + "/" + obj.Metadata.Name
				level, ours := levels[obj.Metadata.Namespace]
				switch {
				case upstream[id]:
					continue
				case !ours:
					level = workload.Restricted
				}
				pods++
				violations, err := workload.Violations(level, &template.ObjectMeta, &template.Spec)
				if err != nil || len(violations) > 0 {
					t.Errorf("%s: %s %s is refused at %s: %v %v", stack, typ, id, level, violations, err)
				}
				for _, c := range append(template.Spec.InitContainers, template.Spec.Containers...) {
					if ref, err := reference.ParseNormalizedNamed(c.Image); err != nil || reference.Domain(ref) == "docker.io" {
						t.Errorf("%s: %s %s runs %q, from Docker Hub", stack, typ, id, c.Image)
					}
				}
			}
		}
		if pods == 0 {
			t.Errorf("%s: no pods looked at", stack)
		}
	}
}

// workflow reads a workflow file as YAML, with its raw text.
func workflow(t *testing.T, file string) (map[string]any, string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(projectDir, ".github", "workflows", file))
	if err != nil {
		t.Fatal(err)
	}
	var w map[string]any
	if err := sigsyaml.Unmarshal(raw, &w); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return w, string(raw)
}

// triggers are a workflow's events. YAML 1.1 reads the key "on" as true.
func triggers(w map[string]any) map[string]any {
	on, ok := w["on"]
	if !ok {
		on = w["true"]
	}
	out, _ := on.(map[string]any)
	return out
}

// Pull-request code runs with no deploy credentials: no workflow triggers on pull_request_target
// (which runs with the base's secrets), and in the pull-request workflow the only role is the
// read-only preview role, the only environment is preview, and no deploy secret is named. The sample
// trust policies say the same to AWS: the deploy role trusts only the stacks' environments, the
// preview role only the preview environment, and the preview role may only look things up.
func TestPullRequestCodeGetsNoDeployCredentials(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(projectDir, ".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows: %v", err)
	}
	for _, f := range files {
		w, _ := workflow(t, filepath.Base(f))
		if _, ok := triggers(w)["pull_request_target"]; ok {
			t.Errorf("%s triggers on pull_request_target", filepath.Base(f))
		}
	}
	w, text := workflow(t, "pull-request.yml")
	if _, ok := triggers(w)["pull_request"]; !ok {
		t.Fatal("pull-request.yml does not run on pull_request")
	}
	for _, deploy := range []string{"vars.AWS_ROLE_ARN", "secrets.PULUMI_ACCESS_TOKEN", "vars.DEPLOY_RUNNER"} {
		if strings.Contains(text, deploy) {
			t.Errorf("pull-request.yml names %s", deploy)
		}
	}
	jobs, _ := w["jobs"].(map[string]any)
	roles := 0
	for _, name := range slices.Sorted(maps.Keys(jobs)) {
		job, _ := jobs[name].(map[string]any)
		if env, ok := job["environment"]; ok && env != "preview" {
			t.Errorf("job %s uses environment %v; pull requests may use only preview", name, env)
		}
		if uses, _ := job["uses"].(string); uses != "" {
			called := strings.TrimPrefix(uses, "./.github/workflows/")
			if _, calledText := workflow(t, called); strings.Contains(calledText, "role-to-assume") || strings.Contains(calledText, "secrets.") {
				t.Errorf("job %s calls %s, which takes a role or secrets", name, called)
			}
		}
		steps, _ := job["steps"].([]any)
		for _, s := range steps {
			step, _ := s.(map[string]any)
			with, _ := step["with"].(map[string]any)
			if role, ok := with["role-to-assume"]; ok {
				roles++
				if role != "${{ vars.AWS_PREVIEW_ROLE_ARN }}" || job["environment"] != "preview" {
					t.Errorf("job %s assumes %v (environment %v); want only vars.AWS_PREVIEW_ROLE_ARN in environment preview", name, role, job["environment"])
				}
			}
		}
	}
	if roles == 0 {
		t.Error("no job assumes the preview role: the real preview is gone")
	}
	// The previews run the pull request's code without write permission; the job that comments runs
	// none of it (no checkout), so a branch cannot use its token.
	for _, name := range []string{"offline-preview", "twin-preview", "comment"} {
		job, ok := jobs[name].(map[string]any)
		if !ok {
			t.Errorf("pull-request.yml has no job %s", name)
			continue
		}
		perms, _ := job["permissions"].(map[string]any)
		steps, _ := job["steps"].([]any)
		checksOut := slices.ContainsFunc(steps, func(s any) bool {
			uses, _ := s.(map[string]any)["uses"].(string)
			return strings.HasPrefix(uses, "actions/checkout")
		})
		writes := slices.ContainsFunc(slices.Collect(maps.Values(perms)), func(v any) bool { return v == "write" })
		if checksOut && writes {
			t.Errorf("job %s checks out the pull request's code and may write (%v)", name, perms)
		}
	}

	policy := func(file string) map[string]any {
		raw, err := os.ReadFile(filepath.Join(projectDir, "docs", "ci-credentials", file))
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		return doc
	}
	subjects := func(file string) []string {
		statements, _ := policy(file)["Statement"].([]any)
		var out []string
		for _, s := range statements {
			cond, _ := s.(map[string]any)["Condition"].(map[string]any)
			if _, loose := cond["StringLike"]; loose {
				t.Errorf("%s: a StringLike condition would admit more subjects than it names", file)
			}
			equals, _ := cond["StringEquals"].(map[string]any)
			if equals["token.actions.githubusercontent.com:aud"] != "sts.amazonaws.com" {
				t.Errorf("%s: the audience is not pinned", file)
			}
			switch sub := equals["token.actions.githubusercontent.com:sub"].(type) {
			case string:
				out = append(out, sub)
			case []any:
				for _, v := range sub {
					out = append(out, fmt.Sprint(v))
				}
			default:
				t.Errorf("%s: no subject is pinned", file)
			}
		}
		return out
	}
	if got := subjects("preview-role-trust.json"); !slices.Equal(got, []string{"repo:OWNER/REPO:environment:preview"}) {
		t.Errorf("the preview role trusts %v, want only the preview environment", got)
	}
	var wantDeploy []string
	for _, stack := range plan.StackNames(projectDir) {
		wantDeploy = append(wantDeploy, "repo:OWNER/REPO:environment:"+stack)
	}
	if got := subjects("deploy-role-trust.json"); !slices.Equal(got, wantDeploy) {
		t.Errorf("the deploy role trusts %v, want exactly the stacks' environments %v", got, wantDeploy)
	}
	statements, _ := policy("preview-role-permissions.json")["Statement"].([]any)
	for _, s := range statements {
		actions := s.(map[string]any)["Action"]
		list, ok := actions.([]any)
		if !ok {
			list = []any{actions}
		}
		for _, a := range list {
			_, verb, _ := strings.Cut(fmt.Sprint(a), ":")
			if !strings.HasPrefix(verb, "Describe") && !strings.HasPrefix(verb, "Get") && !strings.HasPrefix(verb, "List") {
				t.Errorf("the preview role may %s, which is not a lookup", a)
			}
		}
	}
}

// lookupActions are the IAM actions each data source the program calls needs, read from
// terraform-provider-aws (which pulumi-aws runs): getPartition and getRegion answer from the
// provider's own configuration; getSessionContext calls iam:GetRole on the role of an assumed-role
// ARN (internal/service/iam/session_context_data_source.go, findRoleByName), which is what a CI job's
// OIDC session is. getVpc reads three VPC attributes and the main route table besides the VPC
// (internal/service/ec2/vpc_data_source.go; a refused attribute fails the lookup, a refused route
// table read only warns).
var lookupActions = map[string][]string{
	"aws:index/getAvailabilityZones:getAvailabilityZones": {"ec2:DescribeAvailabilityZones"},
	"aws:index/getCallerIdentity:getCallerIdentity":       {"sts:GetCallerIdentity"},
	"aws:index/getPartition:getPartition":                 nil,
	"aws:index/getRegion:getRegion":                       nil,
	"aws:iam/getSessionContext:getSessionContext":         {"iam:GetRole"},
	"aws:eks/getAddonVersion:getAddonVersion":             {"eks:DescribeAddonVersions"},
	"aws:eks/getCluster:getCluster":                       {"eks:DescribeCluster"},
	"aws:eks/getClusters:getClusters":                     {"eks:ListClusters"},
	"aws:eks/getNodeGroups:getNodeGroups":                 {"eks:ListNodegroups"},
	"aws:eks/getNodeGroup:getNodeGroup":                   {"eks:DescribeNodegroup"},
	"aws:ec2/getInstanceType:getInstanceType":             {"ec2:DescribeInstanceTypes"},
	"aws:ec2/getVpc:getVpc":                               {"ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:DescribeRouteTables"},
	"aws:ec2/getSubnet:getSubnet":                         {"ec2:DescribeSubnets"},
	"aws:ec2/getNetworkInterfaces:getNetworkInterfaces":   {"ec2:DescribeNetworkInterfaces"},
	"aws:ec2/getNetworkInterface:getNetworkInterface":     {"ec2:DescribeNetworkInterfaces"},
	"aws:ssm/getParameter:getParameter":                   {"ssm:GetParameter"},
}

// The preview role may make every lookup a preset's preview makes, a later up's included (the
// account then runs the stack's cluster, so the version check reads it and its node groups), and a
// copy that names cluster admins (which looks up the role behind the caller).
func TestThePreviewRoleMayMakeEveryLookup(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(projectDir, "docs", "ci-credentials", "preview-role-permissions.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Action   any
			Resource any
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{}
	for _, st := range doc.Statement {
		actions, ok := st.Action.([]any)
		if !ok {
			actions = []any{st.Action}
		}
		for _, a := range actions {
			allowed[fmt.Sprint(a)] = true
		}
	}
	called := map[string]bool{}
	for _, stack := range plan.StackNames(projectDir) {
		files := deployedStack(t, stack)
		cfg, err := config.Decode(files.Config)
		if err != nil {
			t.Fatal(err)
		}
		running := runningAfterUp(t, stack, files.Config, cfg.Cluster.KubernetesVersion, map[string]string{"ng": cfg.Cluster.KubernetesVersion})
		withAdmins := maps.Clone(files.Config)
		withAdmins[config.Project+":clusterAdminArns"] = `["arn:aws:iam::123456789012:role/platform-admins"]`
		runs := []struct {
			config  map[string]string
			account []plan.RunningCluster
		}{{files.Config, nil}, {files.Config, []plan.RunningCluster{running}}, {withAdmins, nil}}
		if cfg.Multus.Enabled {
			withInstances := maps.Clone(files.Config)
			withInstances[config.Project+":multusAttachment"] = "instances"
			withInstances[config.Project+":multusInstanceIds"] = `["i-0123456789abcdef0"]`
			runs = append(runs, struct {
				config  map[string]string
				account []plan.RunningCluster
			}{withInstances, nil})
		}
		for _, run := range runs {
			p, err := plan.Run(plan.Options{Project: config.Project, Stack: stack, Config: run.config, RunningClusters: run.account}, Program(run.config))
			if err != nil {
				t.Fatalf("%s: %v", stack, err)
			}
			for _, f := range p.Functions {
				called[f] = true
			}
		}
	}
	if !called["aws:eks/getNodeGroup:getNodeGroup"] || !called["aws:iam/getSessionContext:getSessionContext"] || !called["aws:ec2/getNetworkInterface:getNetworkInterface"] {
		t.Errorf("the runs did not make the lookups they are for: %v", slices.Sorted(maps.Keys(called)))
	}
	for _, f := range slices.Sorted(maps.Keys(called)) {
		actions, known := lookupActions[f]
		if !known {
			t.Errorf("the program calls %s; add the IAM actions it needs to lookupActions", f)
		}
		for _, a := range actions {
			if !allowed[a] {
				t.Errorf("the program calls %s, which needs %s; preview-role-permissions.json does not allow it", f, a)
			}
		}
	}
}

// The load balancer controller's Service webhook refuses every Service until the controller serves
// it, and Calico's operator creates Services: on the ipv4-calico preset Calico (and whatever follows
// it) waits for the controller. Its children wait through the component, whose URN they need.
func TestCalicoWaitsForTheLoadBalancerController(t *testing.T) {
	p := mustRunStack(t, "ipv4-calico")
	calico := mustGet(t, p, "eks-advanced-networking:policy:CalicoPolicyEngine", "calico")
	chart := mustGet(t, p, "kubernetes:helm.sh/v4:Chart", "load-balancer-controller")
	if !calico.DependsOn(chart.URN) {
		t.Errorf("calico depends on %v, not on the load balancer controller", calico.Dependencies)
	}
}

// Day 2 on the cluster's node group. Prefix delegation switches the group between EKS's AMI type and
// an AMI named in the launch template, which EKS cannot do in place: the group gets a new EKS name,
// so Pulumi creates the new group before it deletes the old one (a fixed name would force deleting
// first). The group on EKS's AMI type names the cluster's version and the AMI release, so a version
// bump upgrades the nodes with the control plane.
func TestNodeGroupDayTwo(t *testing.T) {
	run := func(extra map[string]string) plan.Resource {
		overrides := maps.Clone(asDeployed)
		maps.Copy(overrides, extra)
		p, err := runStack(t, projectDir, "ipv4-calico", overrides)
		if err != nil {
			t.Fatal(err)
		}
		return mustGet(t, p, "aws:eks/nodeGroup:NodeGroup", "cluster-ipv4mng")
	}
	off := run(nil)
	on := run(map[string]string{config.Project + ":prefixDelegation": "true"})
	if off.URN != on.URN || off.String("nodeGroupName") == on.String("nodeGroupName") {
		t.Errorf("prefixDelegation on: %s %s -> %s %s; want the same resource under a new EKS name", off.URN, off.String("nodeGroupName"), on.URN, on.String("nodeGroupName"))
	}
	if off.Input("amiType") != "AL2023_x86_64_STANDARD" || on.Input("amiType") != "CUSTOM" {
		t.Errorf("AMI types %v (off), %v (on)", off.Input("amiType"), on.Input("amiType"))
	}
	if off.Input("version") != "1.35" || off.String("releaseVersion") == "" || on.Input("version") != nil {
		t.Errorf("versions %v/%v (off), %v (on): want the cluster's and the AMI release on EKS's AMI type, none with an image id",
			off.Input("version"), off.Input("releaseVersion"), on.Input("version"))
	}
	bigger := run(map[string]string{config.Project + ":nodeInstanceType": "m5.large"})
	if bigger.String("nodeGroupName") == off.String("nodeGroupName") {
		t.Error("another instance type keeps the EKS name: the replacement would delete the only node group first")
	}
}

// On destroy, every Kubernetes object goes before the network its deletion needs: the provider, which
// every object depends on, depends on the VPC's routes and route table associations (everything of the
// VPC is behind them: NAT gateways, gateways, subnets) and on the cluster's security group rules. And
// the provider never drops objects it cannot reach (deleteUnreachable): such a destroy fails first.
func TestKubernetesObjectsGoBeforeTheNetworkTheyNeed(t *testing.T) {
	p := mustRunStack(t, "ipv4-calico")
	provider := mustGet(t, p, "pulumi:providers:kubernetes", "k8s")
	if v, set := provider.Inputs["deleteUnreachable"]; set {
		t.Errorf("the Kubernetes provider sets deleteUnreachable = %v", v)
	}
	var needed []plan.Resource
	for _, typ := range []string{"aws:ec2/route:Route", "aws:ec2/routeTableAssociation:RouteTableAssociation",
		"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"} {
		needed = append(needed, p.ByType(typ)...)
	}
	for _, r := range p.ByType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
		if strings.HasPrefix(r.Name, "cluster-nodes-") {
			needed = append(needed, r) // the node role's policies: the nodes run the objects' deletion
		}
	}
	if len(needed) < 10 {
		t.Fatalf("only %d routes, associations, rules and node role policies", len(needed))
	}
	for _, r := range needed {
		if !provider.DependsOn(r.URN) {
			t.Errorf("the Kubernetes provider does not depend on %s %s: destroy could delete it while objects remain", r.Type, r.Name)
		}
	}
}
