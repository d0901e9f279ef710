package components

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/calico"
	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/netplan"
	"eks-advanced-networking/internal/plan"
	"eks-advanced-networking/internal/policydemo"
	"eks-advanced-networking/internal/workload"
)

// chapterPrivateSubnets are the chapter VPC's private subnets (192.168.0.0/16 in three zones, /19s,
// public first, as eksctl lays them out).
var chapterPrivateSubnets = []string{"192.168.96.0/19", "192.168.128.0/19", "192.168.160.0/19"}

// chapterNodeGroupName is the EKS name of a chapter node group on t3.medium in the given subnets.
func chapterNodeGroupName(base string, customAmi bool, subnets ...string) string {
	t3, _ := clusterspec.ParseInstanceType("t3.medium")
	return clusterspec.NodeGroupName(base, t3, customAmi, subnets)
}

func mustInstanceType(t *testing.T, name string) clusterspec.InstanceType {
	t.Helper()
	it, err := clusterspec.ParseInstanceType(name)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func runProgram(t *testing.T, program func(ctx *pulumi.Context) error) (*plan.Plan, error) {
	t.Helper()
	return plan.Run(plan.Options{Project: "test", Stack: "test", Config: map[string]string{"aws:region": "eu-central-1"}},
		func(ctx *pulumi.Context) (map[string]pulumi.Output, error) { return nil, program(ctx) })
}

func TestCalicoPolicyEngine(t *testing.T) {
	p, err := plan.Run(plan.Options{Project: "test", Stack: "test", Config: map[string]string{"aws:region": "eu-central-1"}},
		func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
			engine, err := NewCalicoPolicyEngine(ctx, "calico", &CalicoPolicyEngineArgs{Settings: calico.Settings{Version: "v3.33.1"}})
			if err != nil {
				return nil, err
			}
			return map[string]pulumi.Output{"namespace": engine.Namespace}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if p.Outputs["namespace"] != "tigera-operator" {
		t.Errorf("the engine's namespace output is %v, want tigera-operator", p.Outputs["namespace"])
	}
	ns := get(t, p, "kubernetes:core/v1:Namespace", "calico-namespace")
	hasInputs(t, ns, map[string]any{"metadata.name": "tigera-operator"})
	crds := get(t, p, "kubernetes:helm.sh/v4:Chart", "calico-crds")
	operator := get(t, p, "kubernetes:helm.sh/v4:Chart", "calico-operator")
	for _, c := range []struct {
		r     plan.Resource
		chart string
	}{{crds, "crd.projectcalico.org.v1"}, {operator, "tigera-operator"}} {
		if !c.r.Remote || c.r.String("chart") != c.chart || c.r.String("version") != "v3.33.1" ||
			c.r.String("repositoryOpts.repo") != "https://docs.tigera.io/calico/charts" || c.r.String("namespace") != "tigera-operator" ||
			!c.r.DependsOn(ns.URN) {
			t.Errorf("chart %s: %v (deps %v)", c.r.Name, c.r.Inputs, c.r.Dependencies)
		}
	}
	if !operator.DependsOn(crds.URN) {
		t.Error("the operator chart does not wait for the CRD chart")
	}
	// The chart renders the operator alone; the Installation and APIServer are ours, after the
	// operator on the way up and so before it on the way down (destroy runs dependencies in reverse):
	// the operator is still there to remove their finalizers.
	for _, cr := range []string{"installation", "apiServer", "goldmane", "whisker"} {
		if got := operator.Input("values." + cr + ".enabled"); got != false {
			t.Errorf("values.%s.enabled = %v, want false", cr, got)
		}
	}
	installation := get(t, p, "kubernetes:operator.tigera.io/v1:Installation", "calico-installation")
	apiServer := get(t, p, "kubernetes:operator.tigera.io/v1:APIServer", "calico-apiserver")
	for path, w := range map[string]any{"metadata.name": "default", "spec.kubernetesProvider": "EKS", "spec.cni.type": "AmazonVPC", "spec.calicoNetwork.bgp": "Disabled"} {
		if got := installation.Input(path); got != w {
			t.Errorf("Installation %s = %v, want %v", path, got, w)
		}
	}
	for _, cr := range []plan.Resource{installation, apiServer} {
		if !cr.DependsOn(operator.URN) || !cr.DependsOn(crds.URN) {
			t.Errorf("%s does not depend on the operator and CRD charts: %v", cr.Name, cr.Dependencies)
		}
	}
	hasInputs(t, apiServer, map[string]any{"metadata.name": "default"})

	role := get(t, p, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "calico-aws-node-role")
	rules, _ := json.Marshal(role.Input("rules"))
	if string(rules) != `[{"apiGroups":[""],"resources":["pods"],"verbs":["patch"]}]` {
		t.Errorf("aws-node role rules %s, want patch on pods only", rules)
	}
	binding := get(t, p, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "calico-aws-node-binding")
	hasInputs(t, binding, map[string]any{
		"subjects":     []any{map[string]any{"kind": "ServiceAccount", "name": "aws-node", "namespace": "kube-system"}},
		"roleRef.name": role.String("metadata.name"),
	})

	p, err = runProgram(t, func(ctx *pulumi.Context) error {
		_, err := NewCalicoPolicyEngine(ctx, "calico", &CalicoPolicyEngineArgs{Settings: calico.Settings{Version: "3.33"}})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), `CalicoPolicyEngine calico: calicoVersion = "3.33": not a Calico chart version`) || len(p.Resources) != 0 {
		t.Errorf("bad version: err %v, %d resources", err, len(p.Resources))
	}
	// A Go caller hears what a stack file's author does, past the prefix.
	sameAsTheStackFile(t, err, "CalicoPolicyEngine calico: ", "calicoVersion", map[string]string{"scenario": "ipv4-calico", "vpcIpv6": "false",
		"policyEngine": "calico", "calicoVersion": "3.33"})
}

// sameAsTheStackFile: a component's refusal says, past its prefix, what the stack file's refusal of
// the same value says about key (keys are the project's, without the namespace).
func sameAsTheStackFile(t *testing.T, err error, prefix, key string, keys map[string]string) {
	t.Helper()
	raw := map[string]string{}
	for k, v := range keys {
		raw[config.Project+":"+k] = v
	}
	_, stackFileErr := config.Decode(raw)
	var stackFileSays string
	if stackFileErr != nil {
		for _, line := range strings.Split(stackFileErr.Error(), "\n") {
			if strings.HasPrefix(line, "config "+config.Project+":"+key+" ") {
				stackFileSays = strings.TrimPrefix(line, "config "+config.Project+":")
			}
		}
	}
	if err == nil || stackFileSays == "" || strings.TrimPrefix(err.Error(), prefix) != stackFileSays {
		t.Errorf("the component says %v; the stack file %q", err, stackFileSays)
	}
}

// A mirror or an air-gapped copy: an OCI registry names the chart by reference, with no repository.
func TestCalicoChartsFromOci(t *testing.T) {
	p, err := runProgram(t, func(ctx *pulumi.Context) error {
		_, err := NewCalicoPolicyEngine(ctx, "calico", &CalicoPolicyEngineArgs{Settings: calico.Settings{Version: "v3.33.1", ChartRepository: "oci://quay.io/calico/charts"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	operator := get(t, p, "kubernetes:helm.sh/v4:Chart", "calico-operator")
	hasInputs(t, operator, map[string]any{"chart": "oci://quay.io/calico/charts/tigera-operator", "repositoryOpts": nil})
	p, err = runProgram(t, func(ctx *pulumi.Context) error {
		_, err := NewCalicoPolicyEngine(ctx, "calico", &CalicoPolicyEngineArgs{Settings: calico.Settings{Version: "v3.33.1", ChartRepository: "calico-charts"}})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "absolute path") || len(p.Resources) != 0 {
		t.Errorf("relative directory: err %v, %d resources", err, len(p.Resources))
	}
}

// plainJSON is an object as the provider receives it: JSON without the server's status.
func plainJSON(t *testing.T, obj any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "status")
	return m
}

func TestNetworkPolicyDemo(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   NetworkPolicyDemoArgs
		policy bool
	}{
		{"before: no policy", NetworkPolicyDemoArgs{}, false},
		{"after: deny egress", NetworkPolicyDemoArgs{DenyEgress: true}, true},
		{"after, DNS allowed", NetworkPolicyDemoArgs{DenyEgress: true, AllowDns: true}, true},
		{"from a private mirror", NetworkPolicyDemoArgs{Image: "registry.example.com/mirror/busybox:1.37"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := runProgram(t, func(ctx *pulumi.Context) error {
				demo, err := NewNetworkPolicyDemo(ctx, "demo", &tc.args)
				if err == nil && (demo == nil || demo.TestCommands == (pulumi.StringArrayOutput{})) {
					return fmt.Errorf("NewNetworkPolicyDemo gave neither an error nor a demo with its test commands: %v", demo)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			image := tc.args.Image
			if image == "" {
				image = workload.DefaultImage
			}
			for _, d := range policydemo.Deployments(image) {
				r := get(t, p, "kubernetes:apps/v1:Deployment", "demo-"+d.Namespace+"-"+d.Name)
				ns := get(t, p, "kubernetes:core/v1:Namespace", "demo-"+d.Namespace)
				if !reflect.DeepEqual(r.Inputs, plainJSON(t, d)) || !r.DependsOn(ns.URN) {
					t.Errorf("deployment %s differs from internal/policydemo's or does not wait for its namespace", r.Name)
				}
			}
			policies := p.ByType("kubernetes:networking.k8s.io/v1:NetworkPolicy")
			if len(policies) != map[bool]int{false: 0, true: 1}[tc.policy] {
				t.Fatalf("%d policies", len(policies))
			}
			if tc.policy && !reflect.DeepEqual(policies[0].Inputs, plainJSON(t, policydemo.DenyEgressPolicy(tc.args.AllowDns))) {
				t.Errorf("policy %v is not internal/policydemo's", policies[0].Inputs)
			}
		})
	}
	_, err := runProgram(t, func(ctx *pulumi.Context) error {
		_, err := NewNetworkPolicyDemo(ctx, "demo", &NetworkPolicyDemoArgs{AllowDns: true})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "DenyEgress") {
		t.Errorf("AllowDns without DenyEgress: %v", err)
	}
	p, err := runProgram(t, func(ctx *pulumi.Context) error {
		_, err := NewNetworkPolicyDemo(ctx, "demo", &NetworkPolicyDemoArgs{Image: "Busybox:latest"})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), `Image "Busybox:latest"`) || len(p.Resources) != 0 {
		t.Errorf("a bad image: %v, %d resources registered; want a refusal naming Image and nothing registered", err, len(p.Resources))
	}
}

// ipv4VpcInput is the chapter's IPv4 VPC in three zones.
func ipv4VpcInput() netplan.VpcInput {
	return netplan.VpcInput{
		CidrBlock: "192.168.0.0/16", AvailabilityZones: zones, SubnetPrefixLength: 19, NatGateways: netplan.NatGatewaySingle,
	}
}

func ipv4Vpc() *DualStackVpcArgs { return vpcArgs(ipv4VpcInput()) }

// runIpv4ClusterWith registers the chapter's IPv4 VPC and an Ipv4Cluster on it, with the cluster's
// arguments changed by change.
func runIpv4ClusterWith(t *testing.T, change func(*Ipv4ClusterArgs)) (*plan.Plan, error) {
	t.Helper()
	return runProgram(t, func(ctx *pulumi.Context) error {
		vpc, err := NewDualStackVpc(ctx, "vpc", ipv4Vpc())
		if err != nil {
			return err
		}
		args := &Ipv4ClusterArgs{ClusterArgs: chapterCluster().ClusterArgs}
		args.Vpc, args.NodeGroupName = vpc, "ipv4mng"
		change(args)
		_, err = NewIpv4Cluster(ctx, "cluster", args)
		return err
	})
}

func runIpv4Cluster(t *testing.T, engine clusterspec.PolicyEngine, serviceCidr string) *plan.Plan {
	t.Helper()
	p, err := runIpv4ClusterWith(t, func(a *Ipv4ClusterArgs) { a.PolicyEngine, a.ServiceIpv4Cidr = engine, serviceCidr })
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestIpv4Cluster(t *testing.T) {
	p := runIpv4Cluster(t, clusterspec.PolicyEngineNone, "10.100.0.0/16")
	cluster := get(t, p, typeCluster, "cluster")
	hasInputs(t, cluster, map[string]any{"ipFamily": "ipv4", "kubernetesServiceIpAddressRange": "10.100.0.0/16"})
	irsa := get(t, p, typeRole, "cluster-vpc-cni")
	var cniPolicies []string
	for _, a := range p.ByType(typeAttachment) {
		if a.String("role") == irsa.ID {
			cniPolicies = append(cniPolicies, a.String("policyArn"))
		}
	}
	if !slices.Equal(cniPolicies, []string{"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"}) {
		t.Errorf("IRSA role policies %v", cniPolicies)
	}
	if len(p.ByType(typeRolePolicy)) != 0 {
		t.Error("an IPv4 cluster carries the IPv6 inline CNI policy")
	}
	if got := get(t, p, typeLaunchTpl, "cluster-ipv4mng").Input("metadataOptions.httpProtocolIpv6"); got != "disabled" {
		t.Errorf("IPv6 metadata endpoint %v on an IPv4 cluster", got)
	}
	for _, r := range p.ByType(typeEgress) {
		if r.Input("cidrIpv6") != nil {
			t.Errorf("IPv6 egress rule %s on an IPv4 cluster", r.Name)
		}
	}
	hasInputs(t, get(t, p, typeNodeGroup, "cluster-ipv4mng"), map[string]any{"nodeGroupName": chapterNodeGroupName("ipv4mng", false, chapterPrivateSubnets...)})
}

// The policy engine is one switch: the add-on's own agent is on only for vpc-cni, and Calico gets
// ANNOTATE_POD_IP.
func TestPolicyEngineSetsTheVpcCniAddon(t *testing.T) {
	for _, tc := range []struct {
		engine        clusterspec.PolicyEngine
		networkPolicy string
		annotate      any
	}{
		{clusterspec.PolicyEngineNone, "false", nil},
		{clusterspec.PolicyEngineVpcCni, "true", nil},
		{clusterspec.PolicyEngineCalico, "false", "true"},
	} {
		config := addonConfig(t, get(t, runIpv4Cluster(t, tc.engine, ""), typeAddon, "cluster-vpc-cni"))
		env := config["env"].(map[string]any)
		if config["enableNetworkPolicy"] != tc.networkPolicy || env["ANNOTATE_POD_IP"] != tc.annotate || env["ENABLE_V4_EGRESS"] != nil {
			t.Errorf("%s: vpc-cni configuration %v", tc.engine, config)
		}
	}
	_, err := runProgram(t, func(ctx *pulumi.Context) error {
		vpc, err := NewDualStackVpc(ctx, "vpc", ipv4Vpc())
		if err != nil {
			return err
		}
		args := chapterCluster().ClusterArgs
		args.Vpc, args.PolicyEngine = vpc, "cilium"
		_, err = NewIpv4Cluster(ctx, "cluster", &Ipv4ClusterArgs{ClusterArgs: args})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "PolicyEngine") {
		t.Errorf("unknown engine: %v", err)
	}
}

// runPrefixCluster registers an IPv4 cluster with prefix delegation on the given instance type.
func runPrefixCluster(t *testing.T, instanceType string) (*plan.Plan, error) {
	t.Helper()
	return runIpv4ClusterWith(t, func(a *Ipv4ClusterArgs) {
		a.NodeInstanceType, a.WarmPrefixTarget, a.PrefixDelegation = instanceType, 2, true
	})
}

// IPv4 prefix delegation: the add-on hands out /28 prefixes, WARM_PREFIX_TARGET means something, and
// kubelet's maxPods follows the instance type by AWS's formula, in a NodeConfig EKS cannot override.
func TestIpv4PrefixDelegation(t *testing.T) {
	p, err := runPrefixCluster(t, "m5.8xlarge")
	if err != nil {
		t.Fatal(err)
	}
	env := addonConfig(t, get(t, p, typeAddon, "cluster-vpc-cni"))["env"].(map[string]any)
	if env["ENABLE_PREFIX_DELEGATION"] != "true" || env["WARM_PREFIX_TARGET"] != "2" {
		t.Errorf("vpc-cni env %v", env)
	}
	ng := get(t, p, typeNodeGroup, "cluster-ipv4mng")
	lt := get(t, p, typeLaunchTpl, "cluster-ipv4mng")
	if ng.Input("amiType") != "CUSTOM" || ng.Input("version") != nil || !strings.HasPrefix(lt.String("imageId"), "ami-0") ||
		ng.String("nodeGroupName") != clusterspec.NodeGroupName("ipv4mng", mustInstanceType(t, "m5.8xlarge"), true, chapterPrivateSubnets) {
		t.Errorf("node group %s AMI type %v version %v, launch template image %q: want the AMI by id, AMI type CUSTOM, no version, and the custom-AMI group's name",
			ng.String("nodeGroupName"), ng.Input("amiType"), ng.Input("version"), lt.String("imageId"))
	}
	raw, err := base64.StdEncoding.DecodeString(lt.String("userData"))
	if err != nil {
		t.Fatal(err)
	}
	configs := nodeConfigs(t, string(raw))
	// m5.8xlarge: 8 ENIs x ((30 - 1) x 16) + 2 = 3714, capped at 250 (32 vCPUs, more than 30).
	if len(configs) != 1 || configs[0].Spec.Kubelet.MaxPodsExpression != "250" || configs[0].Spec.Cluster.Name != "chapter" {
		t.Errorf("NodeConfigs %+v", configs)
	}

	// Without prefix delegation EKS picks the AMI and sets maxPods itself.
	plain := runIpv4Cluster(t, clusterspec.PolicyEngineNone, "")
	if lt := get(t, plain, typeLaunchTpl, "cluster-ipv4mng"); lt.Input("imageId") != nil || lt.Input("userData") != nil {
		t.Errorf("launch template without prefix delegation: image %v, user data %v", lt.Input("imageId"), lt.Input("userData"))
	}

	if p, err := runPrefixCluster(t, "m4.large"); err == nil || !strings.Contains(err.Error(), "prefixDelegation = \"true\": m4.large is not a Nitro instance type") || len(p.ByType(typeCluster)) != 0 {
		t.Errorf("prefix delegation on m4.large: %v", err)
	}
}
