//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"eks-advanced-networking/components"
	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/lbcontroller"
	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/netplan"
	"eks-advanced-networking/internal/plan"
	"eks-advanced-networking/stacks"
	"eks-advanced-networking/test/awstwin"
	"eks-advanced-networking/test/awstwin/awsdata"
)

// The AWS twin (test/awstwin) as the engine's aws provider: the real engine and the program's
// components against a simulated account that enforces the AWS rules the twin knows. These tests
// cover the twin's first slice, the VPC layer.

// twinTimeScale runs AWS's modelled durations at a minute per second: a NAT gateway takes 1.5 s.
const twinTimeScale = "0.0167"

// twin is a simulated account and the environment that points the engine at it.
type twin struct {
	state string
	env   map[string]string
	// machines stand in for the account's instances (machines_test.go), while kubeletForTwinNodes runs.
	machines *machines
}

// twinProvider is where tools/build.sh built the twin's provider from this repository, once per run
// of the suite (so it is never stale, and linked once).
var twinProvider = sync.OnceValues(func() (string, error) {
	var stderr strings.Builder
	build := exec.Command("bash", "../tools/build.sh", "aws-twin")
	build.Stderr = &stderr
	out, err := build.Output()
	if err != nil {
		return "", fmt.Errorf("tools/build.sh aws-twin: %v\n%s", err, stderr.String())
	}
	return filepath.Join(filepath.Dir(strings.TrimSpace(string(out))), "twin"), nil
})

// newTwin puts the twin's provider into its own directory, which only these stacks put first on
// PATH, with the stand-in aws CLI and a fresh account.
func newTwin(t *testing.T) *twin {
	t.Helper()
	bin, err := twinProvider()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(bin, "pulumi-resource-aws"), filepath.Join(dir, "pulumi-resource-aws")); err != nil {
		t.Fatal(err)
	}
	// The aws CLI pulumi-eks checks for, kubeconfigs run for a token, and the Multus unit calls on a
	// node: the twin's (awstwin.CLI). The token is the caller's (EAN_AWS_TWIN_CALLER_TOKEN, which a
	// test sets to stand for an expired session), else the one the API server accepts.
	if err := os.Symlink(filepath.Join(bin, "pulumi-resource-aws"), filepath.Join(dir, "aws")); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "account.json")
	// The simulated clusters are the suite's API server, reached with its admin token.
	ca, err := os.ReadFile(filepath.Join(testCluster.dir, "certs", "apiserver.crt"))
	if err != nil {
		t.Fatal(err)
	}
	// Node groups' user data is checked by the real nodeadm, as a node would read it.
	nodeadm, err := exec.LookPath("nodeadm")
	if err != nil {
		t.Fatalf("%v; put tools/build.sh's directory on PATH", err)
	}
	// The deployer reaches the clusters through their public endpoint, which answers it as their
	// access allows at the time.
	gate, err := awstwin.StartEndpointGate(state, testCluster.server, awstwin.DefaultDeployer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gate.Close() })
	// Its instances' tokens (the Multus unit's) authenticate as their nodes.
	testCluster.nodeTokens.serve(t, state)
	return &twin{state: state, env: map[string]string{
		awstwin.NodeadmEnv:         nodeadm,
		awstwin.ApiServerEnv:       testCluster.server,
		awstwin.PublicEndpointEnv:  gate.URL(),
		awstwin.ApiServerCaEnv:     base64.StdEncoding.EncodeToString(ca),
		"EAN_AWS_TWIN_TOKEN":       testCluster.token,
		"PATH":                     dir + string(os.PathListSeparator) + os.Getenv("PATH"),
		awstwin.StateEnv:           state,
		awstwin.TimeScaleEnv:       twinTimeScale,
		"PULUMI_CONFIG_PASSPHRASE": "e2e",
	}}
}

// amiRelease points the account's public EKS AMI parameters at an AMI release ("" for the newest), as
// AWS publishing a release between two runs does.
func (tw *twin) amiRelease(t *testing.T, release string) {
	t.Helper()
	if err := awstwin.UpdateAccount(tw.state, "eu-central-1", func(a *awstwin.Account) error { a.AmiRelease = release; return nil }); err != nil {
		t.Fatal(err)
	}
}

func (tw *twin) account(t *testing.T) *awstwin.Account {
	t.Helper()
	a, err := awstwin.ReadAccount(tw.state)
	if err != nil {
		t.Fatal(err)
	}
	if a == nil {
		return awstwin.NewAccount("eu-central-1")
	}
	return a
}

// types counts an account's resources by type.
func types(a *awstwin.Account) map[string]int {
	out := map[string]int{}
	for _, r := range a.Resources {
		out[r.Type]++
	}
	return out
}

// chapterVpc is the ipv6 preset's network: three zones, one NAT gateway, DNS64 in the private subnets.
var chapterVpc = netplan.VpcInput{
	CidrBlock: "192.168.0.0/16", AvailabilityZones: []string{"eu-central-1a", "eu-central-1b", "eu-central-1c"},
	SubnetPrefixLength: 19, Ipv6: true, NatGateways: netplan.NatGatewaySingle, PrivateDns64: true,
}

func vpcProgram(ctx *pulumi.Context) error {
	provider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-central-1")})
	if err != nil {
		return err
	}
	layout, err := netplan.PlanVpc(chapterVpc)
	if err != nil {
		return err
	}
	vpc, err := components.NewDualStackVpc(ctx, "vpc", &components.DualStackVpcArgs{Layout: layout}, pulumi.Provider(provider))
	if err != nil {
		return err
	}
	ctx.Export("vpcId", vpc.VpcId)
	return nil
}

// The chapter's VPC goes up, holds what the offline plan shows, previews clean, and comes down with
// nothing refused and nothing left.
func TestTwinVpcUpAndDestroy(t *testing.T) {
	ctx := context.Background()
	tw := newTwin(t)
	stack := newStack(t, "twin-vpc", vpcProgram, tw.env)
	defer func() { _ = stack.Workspace().RemoveStack(ctx, "twin-vpc") }()

	step(t, "up", func() {
		if _, err := stack.Up(ctx); err != nil {
			t.Fatalf("up: %v", err)
		}
	})
	offline, err := plan.Run(plan.Options{Project: "twin", Stack: "twin-vpc"}, func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
		return nil, vpcProgram(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, r := range offline.Resources {
		if r.Custom && strings.HasPrefix(r.Type, "aws:") && r.Type != "pulumi:providers:aws" {
			want[r.Type]++
		}
	}
	if got := types(tw.account(t)); !maps.Equal(got, want) {
		t.Errorf("the twin holds %v, the offline plan %v", got, want)
	}
	step(t, "preview again", func() {
		res, err := stack.Preview(ctx, optpreview.Diff())
		if err != nil {
			t.Fatal(err)
		}
		if !unchanged(res.ChangeSummary) {
			t.Errorf("a second preview wants changes %v:\n%s", res.ChangeSummary, res.StdOut)
		}
	})
	step(t, "destroy", func() {
		if _, err := stack.Destroy(ctx); err != nil {
			t.Fatalf("destroy: %v", err)
		}
	})
	a := tw.account(t)
	if len(a.Resources) != 0 || len(a.Refusals) != 0 {
		t.Errorf("after destroy the twin holds %v and refused %+v", a.Summary(), a.Refusals)
	}
}

// Input that breaks AWS's rules gets AWS's error at up, naming the resource.
func TestTwinRefusesASubnetOutsideItsVpc(t *testing.T) {
	ctx := context.Background()
	tw := newTwin(t)
	stack := newStack(t, "twin-bad-subnet", func(ctx *pulumi.Context) error {
		provider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-central-1")})
		if err != nil {
			return err
		}
		vpc, err := ec2.NewVpc(ctx, "vpc", &ec2.VpcArgs{CidrBlock: pulumi.String("10.0.0.0/16")}, pulumi.Provider(provider))
		if err != nil {
			return err
		}
		_, err = ec2.NewSubnet(ctx, "outside", &ec2.SubnetArgs{VpcId: vpc.ID(), CidrBlock: pulumi.String("10.10.1.0/24")}, pulumi.Provider(provider))
		return err
	}, tw.env)
	defer func() { _ = stack.Workspace().RemoveStack(ctx, "twin-bad-subnet") }()
	_, err := stack.Up(ctx)
	if err == nil || !strings.Contains(err.Error(), "InvalidSubnet.Range: The CIDR '10.10.1.0/24' is invalid.") ||
		!strings.Contains(err.Error(), "aws:ec2:Subnet (outside)") {
		t.Errorf("up: %v; want AWS's InvalidSubnet.Range on the subnet", err)
	}
	if _, err := stack.Destroy(ctx); err != nil {
		t.Fatalf("destroy: %v", err)
	}
}

// subnetProgram is a VPC, and with vpcID a subnet in it that names the VPC by that plain id: the
// subnet's edge to the VPC is gone, as when an id comes from configuration.
func subnetProgram(vpcID string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		provider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-central-1")})
		if err != nil {
			return err
		}
		vpc, err := ec2.NewVpc(ctx, "vpc", &ec2.VpcArgs{CidrBlock: pulumi.String("10.0.0.0/16")}, pulumi.Provider(provider))
		if err != nil {
			return err
		}
		ctx.Export("vpcId", vpc.ID())
		if vpcID != "" {
			_, err = ec2.NewSubnet(ctx, "subnet", &ec2.SubnetArgs{VpcId: pulumi.String(vpcID), CidrBlock: pulumi.String("10.0.0.0/24")}, pulumi.Provider(provider))
		}
		return err
	}
}

// The twin can fail a destroy: a subnet made outside the stack (by hand, or by another tool) keeps
// the VPC, and pulumi-aws's retries of the VPC's delete (5 minutes, terraform-provider-aws
// internal/service/ec2/vpc_.go, vpcDeletedTimeout) run out with AWS's DependencyViolation. The
// stack's own subnet, which names the VPC by a plain id and so has no edge to it, is deleted beside
// the VPC and goes within that window, as it would on AWS.
func TestTwinRefusesADestroyWhileASubnetHoldsTheVpc(t *testing.T) {
	ctx := context.Background()
	tw := newTwin(t)
	stack := newStack(t, "twin-edge", subnetProgram(""), tw.env)
	defer func() { _ = stack.Workspace().RemoveStack(ctx, "twin-edge") }()
	res, err := stack.Up(ctx)
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	vpcID, _ := res.Outputs["vpcId"].Value.(string)
	stack = newStack(t, "twin-edge", subnetProgram(vpcID), tw.env)
	if _, err := stack.Up(ctx); err != nil {
		t.Fatalf("up with the subnet: %v", err)
	}
	const subnetType = "aws:ec2/subnet:Subnet"
	var byHand string
	if err := awstwin.UpdateAccount(tw.state, "eu-central-1", func(a *awstwin.Account) error {
		r, awsErr := a.Create(subnetType, map[string]any{"vpcId": vpcID, "cidrBlock": "10.0.9.0/24", "availabilityZone": "eu-central-1a"})
		if awsErr != nil {
			return awsErr
		}
		byHand = r.ID
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, err = stack.Destroy(ctx)
	if err == nil || !strings.Contains(err.Error(), "DependencyViolation: The vpc '"+vpcID+"' has dependencies and cannot be deleted.") {
		t.Fatalf("destroy with a subnet made by hand in the VPC: %v; want AWS's DependencyViolation for the VPC", err)
	}
	a := tw.account(t)
	if !slices.ContainsFunc(a.Refusals, func(r awstwin.Refusal) bool {
		return r.Operation == "delete" && r.Code == "DependencyViolation" && r.ID == vpcID
	}) {
		t.Errorf("the twin recorded %+v", a.Refusals)
	}
	if got := types(a); !maps.Equal(got, map[string]int{"aws:ec2/vpc:Vpc": 1, subnetType: 1}) || a.Resources[byHand] == nil {
		t.Errorf("after the failed destroy the account holds %v; want the VPC and the subnet made by hand (the stack's own went within the retries)", a.Summary())
	}
	// The subnet made by hand deleted by hand; the next destroy finishes.
	if err := awstwin.UpdateAccount(tw.state, "eu-central-1", func(a *awstwin.Account) error {
		if awsErr := a.Delete(subnetType, byHand, time.Now(), 0); awsErr != nil {
			return fmt.Errorf("deleting the subnet made by hand: %w", awsErr)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := stack.Destroy(ctx); err != nil {
		t.Fatalf("second destroy: %v", err)
	}
	if a := tw.account(t); len(a.Resources) != 0 {
		t.Errorf("left %v", a.Summary())
	}
}

// The ipv6 preset, the whole program: the VPC, pulumi-eks's cluster (its Node.js provider from npm)
// and our node group and add-ons, against the twin; then the real engine's previews of the offline
// preview's pairs, a node group resize and a new instance type, and destroy.
func TestTwinIpv6Preset(t *testing.T) {
	files, err := plan.LoadStack("..", "ipv6")
	if err != nil {
		t.Fatal(err)
	}
	cfg := dayTwoBase(t, "ipv6", files.Config)
	twinRun(t, "ipv6", cfg, func(tw *twin, stack *auto.Stack) {
		step(t, "pulumi-eks's children", func() {
			got := descendants(graphOf(t, *stack), "eks:index:Cluster")
			t.Logf("pulumi-eks created: %v", got)
			if !slices.Equal(got, pulumiEksChildren) {
				t.Errorf("pulumi-eks's cluster created\n%v\nwant (README, \"What pulumi-eks creates\")\n%v", got, pulumiEksChildren)
			}
		})
		assertPreviewsAgree(t, tw, "ipv6", cfg)
		runDayTwoMatrix(t, tw, stack, "ipv6", cfg)
	})
}

// runGraph is a stack's resources as the engine recorded them: what each waited for, and its id.
type runGraph struct {
	deps    map[string][]string // urn -> the urns it waited for (a component waits for its children)
	ids     map[string]string   // urn -> the cloud id, for custom resources
	types   map[string]string   // urn -> type
	parents map[string]string   // urn -> parent urn
	own     map[string][]string // urn -> the dependencies the state records for it, and nothing else
}

func graphOf(t *testing.T, stack auto.Stack) runGraph {
	t.Helper()
	exported, err := stack.Export(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var deployment struct {
		Resources []struct {
			URN          string   `json:"urn"`
			ID           string   `json:"id"`
			Type         string   `json:"type"`
			Custom       bool     `json:"custom"`
			Parent       string   `json:"parent"`
			Dependencies []string `json:"dependencies"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(exported.Deployment, &deployment); err != nil {
		t.Fatal(err)
	}
	g := runGraph{deps: map[string][]string{}, ids: map[string]string{}, types: map[string]string{}, parents: map[string]string{}, own: map[string][]string{}}
	for _, r := range deployment.Resources {
		g.types[r.URN], g.parents[r.URN], g.own[r.URN] = r.Type, r.Parent, r.Dependencies
		g.deps[r.URN] = append(g.deps[r.URN], r.Dependencies...)
		if r.Custom {
			g.ids[r.URN] = r.ID
		}
		if r.Parent != "" {
			// Waiting for a component is waiting for everything in it.
			g.deps[r.Parent] = append(g.deps[r.Parent], r.URN)
		}
	}
	return g
}

// timingReport prints a run's wall time here and scaled back to AWS's modelled pace, and its
// critical path: the chain of dependent creates (or deletes) whose modelled durations add up to the
// most. Modelled from the twin's durations (test/awstwin), never measured on AWS.
func timingReport(t *testing.T, what string, took time.Duration, g runGraph, ops []awstwin.Operation, kind string) {
	t.Helper()
	scale, _ := strconv.ParseFloat(twinTimeScale, 64)
	back := func(d time.Duration) time.Duration { return time.Duration(float64(d) / scale).Round(time.Second) }
	byID := map[string]time.Duration{}
	for _, o := range ops {
		if o.Op == kind {
			byID[o.ID] = o.End.Sub(o.Start)
		}
	}
	durations := map[string]time.Duration{}
	for urn, id := range g.ids {
		durations[urn] = byID[id]
	}
	deps := g.deps
	if kind == "delete" {
		// A delete waits for the deletes of what depended on it.
		deps = map[string][]string{}
		for urn, ds := range g.deps {
			for _, d := range ds {
				deps[d] = append(deps[d], urn)
			}
		}
	}
	total, path := awstwin.LongestPath(durations, deps)
	var steps []string
	for _, urn := range path {
		steps = append(steps, fmt.Sprintf("%s (%s)", urn[strings.LastIndex(urn, "::")+2:], back(durations[urn])))
	}
	t.Logf("TIMING %s: %s here; %s at AWS's modelled pace, critical path %s (scale %s; modelled, not measured on AWS)\n  %s",
		what, took.Round(time.Millisecond), back(took), back(total), twinTimeScale, strings.Join(steps, " -> "))
}

// pulumiEksChildren are what eks:index:Cluster creates with our arguments, as the README lists them:
// its role, the cluster, its node security group and rules, the rule on our control plane group,
// and two kubernetes providers. No instance role, no access entry, no OIDC provider, no VPC CNI.
var pulumiEksChildren = []string{
	"aws:ec2/securityGroup:SecurityGroup cluster-nodeSecurityGroup",
	"aws:ec2/securityGroupRule:SecurityGroupRule cluster-eksClusterIngressRule",
	"aws:ec2/securityGroupRule:SecurityGroupRule cluster-eksExtApiServerClusterIngressRule",
	"aws:ec2/securityGroupRule:SecurityGroupRule cluster-eksNodeClusterIngressRule",
	"aws:ec2/securityGroupRule:SecurityGroupRule cluster-eksNodeIngressRule",
	"aws:ec2/securityGroupRule:SecurityGroupRule cluster-eksNodeInternetEgressRule",
	"aws:eks/cluster:Cluster cluster-eksCluster",
	"aws:iam/role:Role cluster-eksRole-role",
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment cluster-eksRole-4b490823",
	"eks:index:ServiceRole cluster-eksRole",
	"pulumi:providers:kubernetes cluster-eks-k8s",
	"pulumi:providers:kubernetes cluster-provider",
}

// descendants lists "type name" of every resource below the components of a type, sorted.
func descendants(g runGraph, componentType string) []string {
	var out []string
	for urn := range g.types {
		for p := g.parents[urn]; p != ""; p = g.parents[p] {
			if g.types[p] == componentType {
				out = append(out, g.types[urn]+" "+urn[strings.LastIndex(urn, "::")+2:])
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// twinPreset is a preset's configuration as deployed against the twin: the deployer's address
// (which the presets with a Kubernetes layer require), no waiting for pods (no kubelet runs them
// here), charts from the local copies, and overrides.
func twinPreset(t *testing.T, stackFile string, kv ...string) map[string]string {
	t.Helper()
	files, err := plan.LoadStack("..", stackFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := maps.Clone(files.Config)
	cfg[config.Project+":endpointPublicAccessCidrs"] = `["198.51.100.7/32"]`
	cfg[config.Project+":skipAwait"] = "true"
	cfg[config.Project+":calicoChartRepository"] = calicoCharts(t)
	cfg[config.Project+":calicoVersion"] = "v3.32.1"
	return withKeys(cfg, kv...)
}

// twinRun is up, a clean second preview, optional changes, and a destroy that leaves nothing.
func twinRun(t *testing.T, name string, cfg map[string]string, changes func(tw *twin, stack *auto.Stack)) {
	ctx := context.Background()
	tw := newTwin(t)
	stack := newStack(t, name, stacks.Run(cfg), tw.env)
	defer func() { _ = stack.Workspace().RemoveStack(ctx, name) }()
	stopKubelet := kubeletForTwinNodes(t, tw)
	defer stopKubelet()
	stopController := loadBalancerControllerStandIn(t, tw)
	defer stopController()
	// The stack comes up on an older AMI release, so a change can publish the next one.
	tw.amiRelease(t, awsdata.AmiReleases()[0])
	var upTook time.Duration
	step(t, "up", func() {
		start := time.Now()
		if _, err := stack.Up(ctx); err != nil {
			t.Fatalf("up: %v", err)
		}
		upTook = time.Since(start)
	})
	graph := graphOf(t, stack)
	timingReport(t, name+" up", upTook, graph, tw.account(t).Operations, "create")
	assertHoldsThePlan(t, name, cfg, tw.account(t))
	assertRequirementsAreEdges(t, graph, tw.account(t))
	step(t, "the account's invariants", func() {
		for _, v := range tw.account(t).Invariants() {
			t.Error(v)
		}
	})
	assertFollowsTheAccountsData(t, name, cfg, tw.account(t))
	step(t, "the demo's load balancer", func() { assertServiceLoadBalancers(t, tw, cfg) })
	step(t, "every Multus node's boot unit attached its ENI and labelled it", func() { assertMultusNodesReady(t, tw) })
	step(t, "every pod bound to a node it may run on", func() { assertPodsBound(t) })
	step(t, "preview again", func() {
		res, err := stack.Preview(ctx, optpreview.Diff())
		if err != nil {
			t.Fatal(err)
		}
		if !unchanged(res.ChangeSummary) {
			t.Errorf("a second preview wants changes %v:\n%s", res.ChangeSummary, res.StdOut)
		}
	})
	if changes != nil {
		changes(tw, &stack)
	}
	graph, before := graphOf(t, stack), len(tw.account(t).Operations)
	var destroyTook time.Duration
	step(t, "destroy", func() {
		start := time.Now()
		if _, err := stack.Destroy(ctx); err != nil {
			t.Fatalf("destroy: %v", err)
		}
		destroyTook = time.Since(start)
	})
	a := tw.account(t)
	if len(a.Resources) != 0 || len(a.Refusals) != 0 {
		t.Errorf("after destroy the twin holds %v and refused %+v", a.Summary(), a.Refusals)
	}
	timingReport(t, name+" destroy", destroyTook, graph, a.Operations[before:], "delete")
}

// The ipv4-calico preset as shipped, with its Kubernetes layer on the suite's API server: Calico
// from upstream's chart, the load balancer controller's chart and the demo's NLB (made in the
// account by the controller's stand-in), the demo and its checks; then the chapter's switch. Its
// destroy must leave no load balancer: the demo's Service goes while the controller still runs.
func TestTwinIpv4CalicoPreset(t *testing.T) {
	cfg := dayTwoBase(t, "ipv4-calico", twinPreset(t, "ipv4-calico", "loadBalancerControllerChartRepository", loadBalancerControllerCharts(t)))
	twinRun(t, "ipv4-calico", cfg, func(tw *twin, stack *auto.Stack) {
		runDayTwoMatrix(t, tw, stack, "ipv4-calico", cfg)
	})
}

// The ipv4-multus preset: the Multus ENI, its node group with the boot unit's user data, and Multus
// with multus-pod and its checks on the suite's API server.
func TestTwinIpv4MultusPreset(t *testing.T) {
	cfg := dayTwoBase(t, "ipv4-multus", twinPreset(t, "ipv4-multus"))
	twinRun(t, "ipv4-multus", cfg, func(tw *twin, stack *auto.Stack) {
		step(t, "a pod without the toleration stays off the Multus node", func() { podWithoutTolerationStaysOff(t) })
		step(t, "a Multus node may label only itself", func() { aMultusNodeMayLabelOnlyItself(t, tw) })
		runDayTwoMatrix(t, tw, stack, "ipv4-multus", cfg)
	})
}

// podWithoutTolerationStaysOff: a pod that asks for a Multus node by its label but does not tolerate
// multus.NodeTaint is left unscheduled by kube-scheduler, for the taint: the node is kept for Multus
// workloads whatever else the scheduler would prefer.
func podWithoutTolerationStaysOff(t *testing.T) {
	pod := corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "not-a-multus-workload", Namespace: "default"},
		Spec: corev1.PodSpec{
			NodeSelector: map[string]string{multus.NodeLabel: "true"},
			Containers:   []corev1.Container{{Name: "pause", Image: "registry.k8s.io/pause:3.10"}},
		},
	}
	if code, body, err := testCluster.create("/api/v1/namespaces/default/pods", pod); err != nil || code != 201 {
		t.Fatalf("creating the probe pod: %d %s %v", code, body, err)
	}
	defer func() {
		_, _, _ = testCluster.request("DELETE", "/api/v1/namespaces/default/pods/"+pod.Name, map[string]any{"gracePeriodSeconds": 0})
	}()
	var why string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		got, _, err := testCluster.get("/api/v1/namespaces/default/pods/" + pod.Name)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(got)
		var p corev1.Pod
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		if p.Spec.NodeName != "" {
			t.Fatalf("the probe pod was bound to %s, a Multus node it does not tolerate", p.Spec.NodeName)
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonUnschedulable {
				why = c.Message
			}
		}
		// Only the Multus node has the label, so the node with a taint it does not tolerate is that one
		// (kube-scheduler's TaintToleration filter: "1 node(s) had untolerated taint(s)").
		if strings.Contains(why, "1 node(s) had untolerated taint") {
			return
		}
	}
	t.Errorf("the probe pod is not held off by the Multus taint; the scheduler says %q", why)
}

// A deployer the endpoint does not answer: validation trusts endpointPrivateAccessCidrs to say that
// pulumi runs inside the VPC's network, but this deployer does not, so the cluster comes up and the
// Kubernetes layer cannot reach it, as on AWS. Destroy still cleans up (deleteUnreachable).
func TestTwinUnreachableEndpoint(t *testing.T) {
	ctx := context.Background()
	tw := newTwin(t)
	cfg := twinPreset(t, "ipv4-calico", "loadBalancerController", "false")
	cfg[config.Project+":endpointPublicAccessCidrs"] = `[]`
	cfg[config.Project+":endpointPrivateAccessCidrs"] = `["10.20.0.0/16"]`
	stack := newStack(t, "unreachable", stacks.Run(cfg), tw.env)
	defer func() { _ = stack.Workspace().RemoveStack(ctx, "unreachable") }()
	_, err := stack.Up(ctx)
	if err == nil {
		t.Fatal("up reached a private endpoint from outside the VPC")
	}
	if !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("up failed, but not on the endpoint: %v", err)
	}
	if _, err := stack.Destroy(ctx); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if a := tw.account(t); len(a.Resources) != 0 {
		t.Errorf("left %v", a.Summary())
	}
}

// podList is the API server's pods, with what placement reads.
type podList struct {
	Items []struct {
		Metadata struct {
			Name              string                  `json:"name"`
			Namespace         string                  `json:"namespace"`
			DeletionTimestamp *string                 `json:"deletionTimestamp"`
			OwnerReferences   []metav1.OwnerReference `json:"ownerReferences"`
		} `json:"metadata"`
		Spec struct {
			NodeName     string              `json:"nodeName"`
			NodeSelector map[string]string   `json:"nodeSelector"`
			Tolerations  []corev1.Toleration `json:"tolerations"`
		} `json:"spec"`
		Status struct {
			Conditions []struct {
				Type, Status, Reason, Message string
			} `json:"conditions"`
		} `json:"status"`
	} `json:"items"`
}

func pods() (podList, error) {
	var list podList
	raw, _, err := testCluster.get("/api/v1/pods")
	if err != nil {
		return list, err
	}
	b, _ := json.Marshal(raw)
	return list, json.Unmarshal(b, &list)
}

func listPods(t *testing.T) podList {
	t.Helper()
	list, err := pods()
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// assertPodsBound waits for kube-scheduler to bind every pod of the stack to one of the nodes the
// twin registered, and checks each pod's node has what its nodeSelector asks (multus-pod on a Multus
// node of its zone, the check pods beside it). A pod left Pending says why (the scheduler's message).
func assertPodsBound(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		pods := listPods(t)
		var pending []string
		for _, p := range pods.Items {
			if p.Spec.NodeName != "" || p.Metadata.DeletionTimestamp != nil {
				continue
			}
			why := ""
			for _, c := range p.Status.Conditions {
				if c.Type == "PodScheduled" {
					why = c.Message
				}
			}
			pending = append(pending, p.Metadata.Namespace+"/"+p.Metadata.Name+" ("+why+")")
		}
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("pods left unscheduled: %v", pending)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	pods := listPods(t)
	for _, p := range pods.Items {
		node, found, err := testCluster.get("/api/v1/nodes/" + p.Spec.NodeName)
		if err != nil || !found {
			t.Errorf("%s/%s is bound to %s, which is not a node (%v)", p.Metadata.Namespace, p.Metadata.Name, p.Spec.NodeName, err)
			continue
		}
		labels, _ := node["metadata"].(map[string]any)["labels"].(map[string]any)
		// The Multus daemon goes only where a secondary network is (its node affinity).
		if strings.HasPrefix(p.Metadata.Name, "kube-multus-ds-") && labels[multus.NodeLabel] != "true" {
			t.Errorf("%s runs on %s, which is not a Multus node", p.Metadata.Name, p.Spec.NodeName)
		}
		// A Multus group's node is kept for Multus workloads (multus.NodeTaint): besides them only
		// DaemonSets, which tolerate every taint, run there. (A fixed instance carries the labels, not
		// the taint: it is a node of the cluster's own group.)
		daemon := slices.ContainsFunc(p.Metadata.OwnerReferences, func(o metav1.OwnerReference) bool { return o.Kind == "DaemonSet" })
		tolerates := slices.ContainsFunc(p.Spec.Tolerations, func(tol corev1.Toleration) bool {
			return tol.ToleratesTaint(klog.Background(), &multus.NodeTaint, false)
		})
		taints, _ := node["spec"].(map[string]any)["taints"].([]any)
		kept := slices.ContainsFunc(taints, func(taint any) bool {
			m, _ := taint.(map[string]any)
			return m["key"] == multus.NodeTaint.Key && m["effect"] == string(multus.NodeTaint.Effect)
		})
		if kept && !daemon && !tolerates {
			t.Errorf("%s/%s runs on %s, a Multus node, which is kept for Multus workloads", p.Metadata.Namespace, p.Metadata.Name, p.Spec.NodeName)
		}
		for k, v := range p.Spec.NodeSelector {
			if labels[k] != v {
				t.Errorf("%s/%s asks for %s=%s, and node %s has %v", p.Metadata.Namespace, p.Metadata.Name, k, v, p.Spec.NodeName, labels[k])
			}
		}
	}
	t.Logf("%d pods bound to the twin's nodes", len(pods.Items))
}

// assertOnlyTheGroupsNodes: the API server holds exactly the nodes the account's node groups have
// (a lane's tests take turns on its API server, and each leaves no node behind).
func assertOnlyTheGroupsNodes(t *testing.T, tw *twin) {
	t.Helper()
	var groups []string
	for _, r := range tw.account(t).Resources {
		if r.Type == "aws:eks/nodeGroup:NodeGroup" {
			nodes, _ := r.Outputs["nodeNames"].([]any)
			for _, n := range nodes {
				groups = append(groups, fmt.Sprint(n))
			}
		}
	}
	nodes, err := listAs[corev1.Node]("/api/v1/nodes")
	if err != nil {
		t.Fatal(err)
	}
	var registered []string
	for _, n := range nodes {
		registered = append(registered, n.Name)
	}
	slices.Sort(groups)
	slices.Sort(registered)
	if !slices.Equal(groups, registered) {
		t.Errorf("the API server holds nodes %v, the node groups %v", registered, groups)
	}
}

// kubeletForTwinNodes stands in for the kubelets the twin's nodes do not run, for two things: it
// reports a pod bound to a node Running and Ready, as a kubelet does once its containers start, so a
// PodDisruptionBudget counts it healthy and the Eviction API weighs it against the budget (a Pending
// pod may always go: kubernetes v1.37.2 pkg/registry/core/pod/storage/eviction.go, canIgnorePDB); and
// it finishes the deletion of a pod bound to a node (a kubelet confirms it; without one the pod, and
// so its namespace, would stay terminating). A Job's pods are the checks' stand-ins' to finish
// (kubeletStandIn, the network kubelet), and stay as they are here. The twin's instances get their
// stand-ins too (startMachines). It returns the function that stops them.
func kubeletForTwinNodes(t *testing.T, tw *twin) func() {
	stopMachines := startMachines(t, tw)
	stopKubelet := poll(500*time.Millisecond, func() {
		list, err := listAs[corev1.Pod]("/api/v1/pods")
		if err != nil {
			return
		}
		for i := range list {
			p := &list[i]
			switch {
			case p.Spec.NodeName == "":
			case p.DeletionTimestamp != nil:
				_, _, _ = testCluster.request("DELETE", "/api/v1/namespaces/"+p.Namespace+"/pods/"+p.Name,
					map[string]any{"gracePeriodSeconds": 0})
			case (p.Status.Phase == "" || p.Status.Phase == corev1.PodPending) && !ownedByAJob(p):
				// A conflict (the pod changed since the list) is reported again on the next round.
				_, _, _ = testCluster.request("PUT", "/api/v1/namespaces/"+p.Namespace+"/pods/"+p.Name+"/status", runningAndReady(p))
			}
		}
	})
	return func() { stopKubelet(); stopMachines() }
}

// ownedByAJob says whether a Job made the pod.
func ownedByAJob(p *corev1.Pod) bool {
	return slices.ContainsFunc(p.OwnerReferences, func(o metav1.OwnerReference) bool { return o.Kind == "Job" })
}

// runningAndReady is the pod with the status a kubelet reports once every container has started and
// passed its readiness probe.
func runningAndReady(p *corev1.Pod) *corev1.Pod {
	now := metav1.Now()
	p.Status.Phase = corev1.PodRunning
	p.Status.StartTime = &now
	p.Status.Conditions = nil
	for _, c := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: c, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	p.Status.ContainerStatuses = nil
	started := true
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image,
			Ready: true, Started: &started, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}})
	}
	return p
}

// poll runs fn every interval in the background, for what stands in for a controller; the function
// it returns stops it and waits for the last round.
func poll(every time.Duration, fn func()) func() {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(every):
			}
			fn()
		}
	}()
	return func() { close(stop); <-done }
}

// assertServiceLoadBalancers checks that the account holds the demo's load balancer exactly when
// the configuration asks for the controller and the demo.
func assertServiceLoadBalancers(t *testing.T, tw *twin, cfg map[string]string) {
	t.Helper()
	var want []string
	if cfg[config.Project+":loadBalancerController"] == "true" && cfg[config.Project+":demoApps"] == "true" {
		want = []string{lbcontroller.DemoNamespace + "/" + lbcontroller.DemoName}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := tw.account(t).ServiceLoadBalancers()
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("the account holds load balancers for %v, want %v", got, want)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// pulumiEksAdds is what AWS holds for each remote component beyond the offline plan: pulumi-eks's
// children (pulumiEksChildren's AWS resources) and EKS's cluster security group. (The creator's
// access entry, which EKS makes, is EKS's own: not counted.)
var pulumiEksAdds = map[string]map[string]int{
	"eks:index:Cluster": {
		"aws:iam/role:Role": 1, "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1, "aws:eks/cluster:Cluster": 1,
		"aws:ec2/securityGroup:SecurityGroup": 2, "aws:ec2/securityGroupRule:SecurityGroupRule": 5,
	},
}

// assertHoldsThePlan checks that the twin's account holds exactly the offline plan's AWS resources
// plus what the plan's remote components add (pulumiEksAdds), counted by type. It says nothing of
// whether they work (the account's invariants do): it shows nothing was made twice or left behind,
// after a clean run and after an interrupted one.
func assertHoldsThePlan(t *testing.T, stackName string, cfg map[string]string, a *awstwin.Account) {
	t.Helper()
	offline, err := plan.Run(plan.Options{Project: config.Project, Stack: stackName, Config: cfg}, stacks.Program(cfg))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, r := range offline.Resources {
		if r.Custom && strings.HasPrefix(r.Type, "aws:") {
			want[r.Type]++
		}
		for typ, n := range pulumiEksAdds[r.Type] {
			want[typ] += n
		}
	}
	got := map[string]int{}
	for _, r := range a.Resources {
		if r.Owner == "" { // what AWS made by itself (EKS's and the nodes' interfaces) is no program's
			got[r.Type]++
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("the twin holds %v;\nthe offline plan and pulumi-eks make %v", got, want)
	}
}

// withKeys is base with the project's keys set, key then value.
func withKeys(base map[string]string, kv ...string) map[string]string {
	cfg := maps.Clone(base)
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[config.Project+":"+kv[i]] = kv[i+1]
	}
	return cfg
}

// upWithTheDemoLoadBalancer brings up the ipv6 preset with the demo, the VPC CNI's policy engine and
// the load balancer controller on a fresh twin, with the kubelet and controller stand-ins running
// until the test ends, and checks that the demo's NLB is in the account.
func upWithTheDemoLoadBalancer(t *testing.T, name string) (*twin, auto.Stack) {
	t.Helper()
	tw := newTwin(t)
	cfg := twinPreset(t, "ipv6", "demoApps", "true", "policyEngine", "vpc-cni",
		"loadBalancerController", "true", "loadBalancerControllerChartRepository", loadBalancerControllerCharts(t))
	stack := newStack(t, name, stacks.Run(cfg), tw.env)
	t.Cleanup(func() { _ = stack.Workspace().RemoveStack(context.Background(), name) })
	t.Cleanup(kubeletForTwinNodes(t, tw))
	t.Cleanup(loadBalancerControllerStandIn(t, tw))
	if _, err := stack.Up(context.Background()); err != nil {
		t.Fatalf("up: %v", err)
	}
	assertServiceLoadBalancers(t, tw, cfg)
	return tw, stack
}

// A destroy that cannot reach the cluster, on one stack with the demo's NLB (made by the load
// balancer controller's stand-in):
//   - It deletes nothing. Here the identity's token has expired (the twin's aws stand-in now hands the
//     deployer one the API server refuses), so the kubernetes provider finds the cluster unreachable
//     and, with deleteUnreachable off, fails on the first object. Every AWS resource is still there,
//     the NLB and the NAT gateway included.
//   - What PULUMI_K8S_DELETE_UNREACHABLE costs while the cluster still exists, and why the README
//     keeps it for a cluster that is truly gone: the kubernetes provider drops the demo's Service
//     from the state without deleting it, so the controller never deletes its NLB, whose network
//     interfaces keep the public subnets in use, and destroy fails on them with the VPC still there.
//   - Deleting the Service by hand (the README: what AWS made for the objects is then yours to
//     delete) lets the controller clean up, and a destroy with a fresh session finishes.
//
// With the session fresh from the start, destroy deletes the Service while the controller runs and
// the controller deletes the NLB: the presets' own destroys (TestTwinIpv4CalicoPreset). That no
// route or rule goes first is the plan's order (stacks TestKubernetesObjectsGoBeforeTheNetworkTheyNeed):
// with those edges removed this test still passes, as the first destroy fails at the first object.
func TestTwinDestroyOfAnUnreachableCluster(t *testing.T) {
	ctx := context.Background()
	tw, stack := upWithTheDemoLoadBalancer(t, "unreachable-destroy")
	defer func() {
		for _, ns := range []string{"deploy1", "deploy2", lbcontroller.DemoNamespace} {
			_, _, _ = testCluster.request("DELETE", "/api/v1/namespaces/"+ns, nil)
		}
	}()
	before := types(tw.account(t))
	ws := stack.Workspace()
	// The deployer's session expired; EKS itself (the twin) still reaches its cluster.
	ws.SetEnvVar("EAN_AWS_TWIN_CALLER_TOKEN", "expired-token")
	step(t, "destroy, unreachable", func() {
		_, err := stack.Destroy(ctx)
		if err == nil {
			t.Fatal("destroy passed although the cluster could not be reached")
		}
		if !strings.Contains(err.Error(), "unreachable") {
			t.Errorf("destroy failed, but not saying the cluster is unreachable: %v", err)
		}
		if after := types(tw.account(t)); !maps.Equal(before, after) {
			t.Errorf("a destroy that could not delete the Kubernetes objects changed the account from %v to %v", before, after)
		}
	})
	step(t, "destroy, unreachable objects dropped", func() {
		ws.SetEnvVar("PULUMI_K8S_DELETE_UNREACHABLE", "true")
		_, err := stack.Destroy(ctx)
		if err == nil || !strings.Contains(err.Error(), "DependencyViolation") {
			t.Fatalf("destroy dropped the Service and still got through, or failed otherwise: %v", err)
		}
		if got := tw.account(t).ServiceLoadBalancers(); len(got) != 1 {
			t.Errorf("the NLB should outlive the dropped Service; the account holds load balancers for %v", got)
		}
	})
	step(t, "the Service by hand, then destroy", func() {
		// By hand: delete the Service; the controller deletes its NLB.
		path := "/api/v1/namespaces/" + lbcontroller.DemoNamespace + "/services/" + lbcontroller.DemoName
		if status, body, err := testCluster.request("DELETE", path, nil); err != nil || status >= 300 {
			t.Fatalf("DELETE %s: %d %v %s", path, status, err, body)
		}
		assertServiceLoadBalancers(t, tw, map[string]string{})
		// The README's fix for the session: a fresh one (aws sso login), then destroy again.
		ws.SetEnvVar("EAN_AWS_TWIN_CALLER_TOKEN", "")
		if _, err := stack.Destroy(ctx); err != nil {
			t.Fatalf("destroy after the Service went: %v", err)
		}
	})
	if a := tw.account(t); len(a.Resources) != 0 {
		t.Errorf("left %v", a.Summary())
	}
}

// Each of the twin's rule families refuses through the real engine, with AWS's code in the error
// and the resource named: IAM (a trust policy that is not JSON) and EKS (a cluster whose role does
// not exist), beside EC2's create (TestTwinRefusesASubnetOutsideItsVpc) and delete
// (TestTwinRefusesADestroyWhileASubnetHoldsTheVpc). Without the rule the error, or the refusal, is gone.
func TestTwinRefusesIamAndEksThroughTheEngine(t *testing.T) {
	for _, c := range []struct {
		name, says, resource string
		program              func(ctx *pulumi.Context, provider pulumi.ProviderResource) error
	}{
		{"iam", "MalformedPolicyDocument: This policy contains invalid Json", "aws:iam:Role (node)",
			func(ctx *pulumi.Context, provider pulumi.ProviderResource) error {
				_, err := iam.NewRole(ctx, "node", &iam.RoleArgs{AssumeRolePolicy: pulumi.String(`{"Version": "2012-10-17", "Statement": [`)},
					pulumi.Provider(provider))
				return err
			}},
		{"eks", "InvalidParameterException: Role with arn: arn:aws:iam::" + awstwin.AccountID + ":role/missing, does not exist", "aws:eks:Cluster (cluster)",
			func(ctx *pulumi.Context, provider pulumi.ProviderResource) error {
				_, err := eks.NewCluster(ctx, "cluster", &eks.ClusterArgs{
					RoleArn:   pulumi.String("arn:aws:iam::" + awstwin.AccountID + ":role/missing"),
					VpcConfig: &eks.ClusterVpcConfigArgs{SubnetIds: pulumi.StringArray{}},
				}, pulumi.Provider(provider))
				return err
			}},
		{"node join", "NodeCreationFailure: Instances failed to join the kubernetes cluster (the node role", "aws:eks:NodeGroup (nodes)",
			nodeGroupThatCannotJoin},
	} {
		step(t, c.name, func() {
			ctx := context.Background()
			tw := newTwin(t)
			name := "twin-refuses-" + strings.ReplaceAll(c.name, " ", "-")
			stack := newStack(t, name, func(ctx *pulumi.Context) error {
				provider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-central-1")})
				if err != nil {
					return err
				}
				return c.program(ctx, provider)
			}, tw.env)
			defer func() { _ = stack.Workspace().RemoveStack(ctx, name) }()
			_, err := stack.Up(ctx)
			if err == nil || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), c.resource) {
				t.Errorf("up: %v; want %q on %s", err, c.says, c.resource)
			}
			if _, err := stack.Destroy(ctx); err != nil {
				t.Fatalf("destroy: %v", err)
			}
			code := strings.TrimSuffix(strings.Fields(c.says)[0], ":")
			if a := tw.account(t); len(a.Resources) != 0 || len(a.Refusals) != 1 || a.Refusals[0].Code != code {
				t.Errorf("after destroy the twin holds %v and refused %+v; want nothing and the one refusal, %s", a.Summary(), a.Refusals, code)
			}
		})
	}
}

// nodeGroupThatCannotJoin is a cluster in two subnets and a node group whose role has no policies:
// its instances could not pull images or describe themselves, so they never join.
func nodeGroupThatCannotJoin(ctx *pulumi.Context, provider pulumi.ProviderResource) error {
	opts := pulumi.Provider(provider)
	vpc, err := ec2.NewVpc(ctx, "vpc", &ec2.VpcArgs{CidrBlock: pulumi.String("10.0.0.0/16")}, opts)
	if err != nil {
		return err
	}
	var subnets pulumi.StringArray
	for i, zone := range []string{"eu-central-1a", "eu-central-1b"} {
		subnet, err := ec2.NewSubnet(ctx, zone, &ec2.SubnetArgs{VpcId: vpc.ID(), AvailabilityZone: pulumi.String(zone),
			CidrBlock: pulumi.Sprintf("10.0.%d.0/24", i)}, opts)
		if err != nil {
			return err
		}
		subnets = append(subnets, subnet.ID())
	}
	trust := func(service string) pulumi.String {
		return pulumi.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + service + `"},"Action":"sts:AssumeRole"}]}`)
	}
	clusterRole, err := iam.NewRole(ctx, "cluster", &iam.RoleArgs{AssumeRolePolicy: trust("eks.amazonaws.com")}, opts)
	if err != nil {
		return err
	}
	cluster, err := eks.NewCluster(ctx, "cluster", &eks.ClusterArgs{RoleArn: clusterRole.Arn,
		VpcConfig: &eks.ClusterVpcConfigArgs{SubnetIds: subnets}}, opts)
	if err != nil {
		return err
	}
	nodeRole, err := iam.NewRole(ctx, "nodes", &iam.RoleArgs{AssumeRolePolicy: trust("ec2.amazonaws.com")}, opts)
	if err != nil {
		return err
	}
	_, err = eks.NewNodeGroup(ctx, "nodes", &eks.NodeGroupArgs{ClusterName: cluster.Name, NodeRoleArn: nodeRole.Arn, SubnetIds: subnets,
		ScalingConfig: &eks.NodeGroupScalingConfigArgs{DesiredSize: pulumi.Int(1), MinSize: pulumi.Int(1), MaxSize: pulumi.Int(1)}}, opts)
	return err
}
