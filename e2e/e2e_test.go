//go:build e2e

// Package e2e deploys each scenario's Kubernetes layer for real: the Pulumi CLI and the kubernetes
// provider (built by tools/build.sh) against a real kube-apiserver on loopback, through the
// Automation API with the program as an inline source. No AWS: the layer runs in bring-your-own-cluster
// mode (clusterMode existing), and twin_test.go runs every preset's whole program against the AWS
// twin (test/awstwin), a simulator, with pulumi-eks's real provider.
//
//	PATH="$(tools/build.sh):$PATH" go test -tags e2e ./e2e/...
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/plan"
	"eks-advanced-networking/internal/verify"
	"eks-advanced-networking/stacks"
)

var testCluster *cluster

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ean-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The language host keeps each program copy's build for the suite (e2e/languagehost's
	// ProgramCacheEnv): the interrupted runs' recoveries and the broken copies run one program many times.
	if err := os.Setenv("EAN_LANGUAGEHOST_PROGRAM_CACHE", filepath.Join(dir, "programs")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	start := time.Now()
	testCluster, err = startCluster(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: starting the cluster: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("e2e: etcd, kube-apiserver, kube-controller-manager and kube-scheduler ready in %s (%s)\n", time.Since(start).Round(time.Millisecond), testCluster.server)
	code := m.Run()
	testCluster.stop()
	if code == 0 {
		os.RemoveAll(dir)
	} else {
		fmt.Printf("e2e: logs kept in %s\n", dir)
	}
	os.Exit(code)
}

// step runs and times one step of a scenario.
func step(t *testing.T, name string, fn func()) {
	t.Helper()
	start := time.Now()
	fn()
	t.Logf("%-28s %s", name, time.Since(start).Round(time.Millisecond))
}

// layerConfig is the raw configuration of a scenario's Kubernetes layer on the test cluster.
func layerConfig(kv ...string) map[string]string {
	raw := map[string]string{
		config.Project + ":clusterMode": "existing",
		config.Project + ":kubeconfig":  testCluster.kubeconfig,
		// The Multus image comes from this region's EKS registry.
		config.RegionKey: "eu-central-1",
		// No nodes here: nothing becomes ready.
		config.Project + ":skipAwait": "true",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		raw[config.Project+":"+kv[i]] = kv[i+1]
	}
	return raw
}

// newStack is a stack in a local file backend whose program is the real one (stacks.Run) with raw
// configuration; upserting it again swaps the program. env adds to the engine's environment.
func newStack(t *testing.T, name string, program pulumi.RunFunc, env ...map[string]string) auto.Stack {
	t.Helper()
	stack, err := auto.UpsertStackInlineSource(context.Background(), name, config.Project, program,
		auto.Pulumi(suiteCLI(t)),
		auto.Project(workspace.Project{
			Name: config.Project, Runtime: workspace.NewProjectRuntimeInfo("go", nil),
			Backend: &workspace.ProjectBackend{URL: suiteBackend(t)},
		}),
		auto.EnvVars(suiteEnv(env...)),
	)
	if err != nil {
		t.Fatal(err)
	}
	return stack
}

// suiteCLI is the pulumi CLI of tools/build.sh, with its own root.
func suiteCLI(t *testing.T) auto.PulumiCommand {
	t.Helper()
	root := filepath.Join(testCluster.dir, "pulumi-root")
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(root, "bin", "pulumi")); err != nil {
		cli, err := exec.LookPath("pulumi")
		if err != nil {
			t.Fatalf("%v; put tools/build.sh's directory on PATH", err)
		}
		if err := os.Symlink(cli, filepath.Join(root, "bin", "pulumi")); err != nil {
			t.Fatal(err)
		}
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root, SkipVersionCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}

// suiteBackend is the suite's local file backend.
func suiteBackend(t *testing.T) string {
	t.Helper()
	state := filepath.Join(testCluster.dir, "state")
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	return "file://" + state
}

// suiteEnv is the engine's environment: a passphrase for the file backend's secrets, no update
// check, the suite's own PULUMI_HOME, and env over that.
func suiteEnv(env ...map[string]string) map[string]string {
	return withEnv(map[string]string{
		"PULUMI_CONFIG_PASSPHRASE": "e2e",
		"PULUMI_SKIP_UPDATE_CHECK": "true",
		"PULUMI_HOME":              filepath.Join(testCluster.dir, "pulumi-home"),
	}, env...)
}

func withEnv(base map[string]string, extra ...map[string]string) map[string]string {
	for _, e := range extra {
		maps.Copy(base, e)
	}
	return base
}

// manifests are the Kubernetes objects the offline plan says the configuration creates.
func manifests(t *testing.T, stack string, raw map[string]string) map[string]map[string]any {
	t.Helper()
	p, err := plan.Run(plan.Options{Project: config.Project, Stack: stack, Config: raw}, stacks.Program(raw))
	if err != nil {
		t.Fatal(err)
	}
	return p.Manifests()
}

// contains reports where got lacks something of want: every field the plan sets must be on the
// server with the same value; the server may add defaults.
func contains(got, want any, path string) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: server has %v, plan has an object", path, got)
		}
		for _, k := range slices.Sorted(maps.Keys(w)) {
			if d := contains(g[k], w[k], path+"."+k); d != "" {
				return d
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: server has %v, plan has %v", path, got, want)
		}
		for i := range w {
			if d := contains(g[i], w[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	default:
		if !reflect.DeepEqual(got, want) {
			return fmt.Sprintf("%s: server has %v, plan has %v", path, got, want)
		}
	}
	return ""
}

// readBack checks every object of the plan on the API server. A Helm chart's objects are not in the
// plan (the provider renders the chart at deploy time); chartObjects checks those.
func readBack(t *testing.T, objects map[string]map[string]any) {
	t.Helper()
	for _, file := range slices.Sorted(maps.Keys(objects)) {
		if strings.HasPrefix(file, "helmchart-") {
			continue
		}
		obj := objects[file]
		path, err := objectPath(obj)
		if err != nil {
			t.Fatal(err)
		}
		got, found, err := testCluster.get(path)
		if err != nil || !found {
			t.Errorf("%s: %s not on the server (%v)", file, path, err)
			continue
		}
		if d := contains(got, obj, strings.TrimSuffix(file, ".yaml")); d != "" {
			t.Errorf("%s", d)
		}
	}
}

// assertGone waits for every object of the plan, and every path in extra, to disappear (namespaces
// take a moment).
func assertGone(t *testing.T, objects map[string]map[string]any, extra ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	type object struct{ label, path string }
	var all []object
	for _, file := range slices.Sorted(maps.Keys(objects)) {
		if strings.HasPrefix(file, "helmchart-") {
			continue
		}
		path, _ := objectPath(objects[file])
		all = append(all, object{file, path})
	}
	for _, path := range extra {
		all = append(all, object{"chart object", path})
	}
	for _, o := range all {
		file, path := o.label, o.path
		for {
			_, found, err := testCluster.get(path)
			if err != nil {
				t.Fatal(err)
			}
			if !found {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s: %s is still on the server after destroy", file, path)
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
}

func countJobs(objects map[string]map[string]any) int {
	n := 0
	for _, obj := range objects {
		if obj["kind"] == "Job" {
			n++
		}
	}
	return n
}

// withoutTargetAddresses drops the target pods' addresses from the checks' Jobs: the offline plan
// shows the address its mocks give a running pod, and here no pod runs, so the Jobs carry none.
func withoutTargetAddresses(objects map[string]map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for file, obj := range objects {
		if obj["kind"] == "Job" {
			raw, _ := json.Marshal(obj)
			var job map[string]any
			_ = json.Unmarshal(raw, &job)
			spec := job["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
			for _, c := range spec["containers"].([]any) {
				env, _ := c.(map[string]any)["env"].([]any)
				for _, e := range env {
					if v := e.(map[string]any); v["name"] == verify.TargetPodEnv {
						delete(v, "value")
					}
				}
			}
			obj = job
		}
		out[file] = obj
	}
	return out
}

// unchanged says whether a preview found nothing to do.
func unchanged(summary map[apitype.OpType]int) bool {
	for op, n := range summary {
		if op != apitype.OpSame && n > 0 {
			return false
		}
	}
	return true
}

// sharedChart is a chart directory: the one env names, else shared/charts beside the checkout
// where it exists, else the copy vendored in third_party/charts (its README says where each comes
// from); marker is a file it must hold. The charts' own repositories may be out of reach.
func sharedChart(t *testing.T, env, dir, marker string) string {
	t.Helper()
	candidates := []string{filepath.Join("..", "..", "shared", "charts", dir), filepath.Join("..", "third_party", "charts", dir)}
	if path := os.Getenv(env); path != "" {
		candidates = []string{path}
	}
	for _, path := range candidates {
		abs, err := filepath.Abs(path)
		if err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(abs, marker)); err == nil {
			return abs
		}
	}
	t.Fatalf("the chart %s is in none of %v: set %s to its directory", dir, candidates, env)
	return ""
}

// calicoCharts is upstream's tigera-operator and CRD charts of Calico v3.32.1, which
// calicoChartRepository takes as they are laid out.
func calicoCharts(t *testing.T) string {
	t.Helper()
	return sharedChart(t, "EAN_CALICO_CHARTS", "calico-v3.32.1", filepath.Join("tigera-operator", "Chart.yaml"))
}

// calicoChartObjects are objects the two Calico charts render, which the offline plan cannot list:
// CRDs of both API groups and the operator. The operator's pre-delete hook Job must not exist:
// Pulumi's Helm v4 Chart runs no hooks, which is why the Installation and APIServer are ours.
var calicoChartObjects = []string{
	"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/installations.operator.tigera.io",
	"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/apiservers.operator.tigera.io",
	"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/felixconfigurations.crd.projectcalico.org",
	"/apis/apps/v1/namespaces/tigera-operator/deployments/tigera-operator",
}

// loadBalancerControllerCharts is upstream's aws-load-balancer-controller 3.5.0 chart, laid out as the
// repository key expects: <dir>/aws-load-balancer-controller.
func loadBalancerControllerCharts(t *testing.T) string {
	t.Helper()
	chart := sharedChart(t, "EAN_LBC_CHART", "aws-load-balancer-controller-3.5.0", "Chart.yaml")
	dir := t.TempDir()
	if err := os.Symlink(chart, filepath.Join(dir, "aws-load-balancer-controller")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// loadBalancerControllerObjects are objects the controller's chart renders: its CRDs, the
// controller, and the webhooks that intercept Services and pods.
var loadBalancerControllerObjects = []string{
	"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/targetgroupbindings.elbv2.k8s.aws",
	"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ingressclassparams.elbv2.k8s.aws",
	"/apis/apps/v1/namespaces/kube-system/deployments/aws-load-balancer-controller",
	"/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/aws-load-balancer-webhook",
	"/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/aws-load-balancer-webhook",
}

func TestScenarioLayers(t *testing.T) {
	charts := calicoCharts(t)
	calico := []string{"policyEngine", "calico", "calicoVersion", "v3.32.1", "calicoChartRepository", charts}
	lbc := []string{"loadBalancerController", "true", "clusterName", "e2e", "loadBalancerControllerChartRepository", loadBalancerControllerCharts(t),
		"loadBalancerControllerRoleArn", "arn:aws:iam::123456789012:role/aws-load-balancer-controller"}
	for _, tc := range []struct {
		name string
		raw  map[string]string
		// flipped, when set, is the chapter's switch: the same layer with the deny-egress policy on.
		flipped map[string]string
		// chartObjects are objects Helm charts render, to read back and to see gone after destroy.
		chartObjects []string
	}{
		{"ipv6", layerConfig("scenario", "ipv6", "policyEngine", "vpc-cni", "demoApps", "true", "denyEgressPolicy", "true", "verify", "true"), nil, nil},
		// Calico for real, from upstream's charts: CRDs, the operator's objects, and our Installation
		// and APIServer, validated by the real CRD schemas. The operator pod cannot run without nodes,
		// so nothing reconciles them here.
		{"ipv4-calico", layerConfig(append([]string{"scenario", "ipv4-calico", "demoApps", "true", "verify", "true"}, calico...)...),
			layerConfig(append([]string{"scenario", "ipv4-calico", "demoApps", "true", "denyEgressPolicy", "true", "verify", "true"}, calico...)...),
			calicoChartObjects},
		{"ipv4-multus", layerConfig("scenario", "ipv4-multus", "multus", "true", "multusDemoPod", "true", "verify", "true",
			"multusAvailabilityZones", `["eu-central-1a"]`, "multusSubnetCidrs", `["192.168.96.0/19"]`), nil, nil},
		// The load balancer controller from upstream's chart, on the role an existing cluster brings.
		// Without demoApps: its Service webhook fails closed, and with no controller pod here nothing
		// serves it (TestLoadBalancerWebhookRefusesServices shows that).
		{"load-balancer-controller", layerConfig(append([]string{"scenario", "ipv4-calico"}, lbc...)...), nil, loadBalancerControllerObjects},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			stackName := "e2e-" + tc.name
			stack := newStack(t, stackName, stacks.Run(tc.raw))
			objects := manifests(t, stackName, tc.raw)
			if len(objects) == 0 {
				t.Fatal("the plan has no Kubernetes objects")
			}
			if tc.raw[config.Project+":verify"] == "true" {
				// The checks' Jobs, target pods and RBAC go to the real API server with the stack, and
				// the server validates them. Nothing waits for them (skipAwait): no kubelet runs their
				// pods here, so their verdicts come from the netns suite (internal/verify), not here.
				t.Log("verify: the checks' objects are created; waiting on them is skipped, as no kubelet runs their pods here")
				if countJobs(objects) == 0 {
					t.Fatal("verify is on and the plan has no check Jobs")
				}
			}
			step(t, "up", func() {
				if _, err := stack.Up(ctx); err != nil {
					t.Fatalf("up: %v", err)
				}
			})
			step(t, "read back", func() {
				readBack(t, withoutTargetAddresses(objects))
				for _, path := range tc.chartObjects {
					if _, found, err := testCluster.get(path); err != nil || !found {
						t.Errorf("the chart did not create %s (%v)", path, err)
					}
				}
				if tc.chartObjects != nil {
					if _, found, _ := testCluster.get("/apis/batch/v1/namespaces/tigera-operator/jobs/tigera-operator-uninstall"); found {
						t.Error("the chart's pre-delete hook Job exists: hooks are not expected to run")
					}
				}
			})
			step(t, "pod security", func() { assertPodSecurity(t, objects) })
			step(t, "preview again", func() {
				res, err := stack.Preview(ctx, optpreview.Diff())
				if err != nil {
					t.Fatal(err)
				}
				if !unchanged(res.ChangeSummary) {
					t.Errorf("a second preview wants changes %v:\n%s", res.ChangeSummary, res.StdOut)
				}
			})
			if tc.flipped != nil {
				stack = newStack(t, stackName, stacks.Run(tc.flipped))
				step(t, "preview the switch", func() {
					res, err := stack.Preview(ctx)
					if err != nil {
						t.Fatal(err)
					}
					changes := map[apitype.OpType]int{}
					for op, n := range res.ChangeSummary {
						if op != apitype.OpSame && n > 0 {
							changes[op] = n
						}
					}
					// The policy, and the two checks whose expectation it flips: a Job's template is
					// immutable, so the provider replaces them, which runs them again.
					want := map[apitype.OpType]int{apitype.OpCreate: 1, apitype.OpReplace: 2}
					if !reflect.DeepEqual(changes, want) || !strings.Contains(res.StdOut, "default-deny-egress") {
						t.Errorf("turning the policy on previews %v, want %v (the policy; the deploy2 checks):\n%s", changes, want, res.StdOut)
					}
					for _, check := range []string{"verify-deploy2-to-deploy1-tcp", "verify-deploy2-dns"} {
						if !strings.Contains(res.StdOut, check) {
							t.Errorf("the switch does not re-run %s:\n%s", check, res.StdOut)
						}
					}
				})
				step(t, "up with the switch", func() {
					if _, err := stack.Up(ctx); err != nil {
						t.Fatalf("up: %v", err)
					}
				})
				objects = manifests(t, stackName, tc.flipped)
				step(t, "read back the policy", func() { readBack(t, withoutTargetAddresses(objects)) })
			}
			step(t, "destroy", func() {
				if _, err := stack.Destroy(ctx); err != nil {
					t.Fatalf("destroy: %v", err)
				}
			})
			step(t, "nothing left", func() { assertGone(t, objects, tc.chartObjects...) })
			_ = stack.Workspace().RemoveStack(ctx, stackName)
		})
	}
}

// While the controller's chart is installed and no controller runs, its Service webhook refuses every
// new Service (failurePolicy Fail, every namespace): why whatever creates Services or pods waits for
// the controller on the way up (the demo depends on it), and goes before it on the way down.
func TestLoadBalancerWebhookRefusesServices(t *testing.T) {
	ctx := context.Background()
	lbc := layerConfig("scenario", "ipv4-calico", "loadBalancerController", "true", "clusterName", "e2e",
		"loadBalancerControllerChartRepository", loadBalancerControllerCharts(t),
		"loadBalancerControllerRoleArn", "arn:aws:iam::123456789012:role/aws-load-balancer-controller")
	stack := newStack(t, "e2e-lbc-webhook", stacks.Run(lbc))
	if _, err := stack.Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	defer func() {
		if _, err := stack.Destroy(ctx); err != nil {
			t.Errorf("destroy: %v", err)
		}
		_ = stack.Workspace().RemoveStack(ctx, "e2e-lbc-webhook")
	}()
	code, body, err := testCluster.create("/api/v1/namespaces/default/services", map[string]any{
		"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "probe"},
		"spec": map[string]any{"type": "LoadBalancer", "ports": []any{map[string]any{"port": 80}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if code < 400 || !strings.Contains(body, "aws-load-balancer-webhook") {
		t.Errorf("creating a Service with the webhook unserved: %d %s; want the API server's webhook refusal", code, body)
	}
}

// A bad object fails at preview, with the API server's own message.
func TestApiServerRefusesABadPolicyAtPreview(t *testing.T) {
	ctx := context.Background()
	stack := newStack(t, "e2e-bad-policy", func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String(testCluster.kubeconfig)})
		if err != nil {
			return err
		}
		var policy kubeObject
		return ctx.RegisterResource("kubernetes:networking.k8s.io/v1:NetworkPolicy", "bad", kubernetes.UntypedArgs{
			"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
			"metadata": map[string]any{"name": "bad-cidr", "namespace": "default"},
			"spec": map[string]any{
				"podSelector": map[string]any{}, "policyTypes": []any{"Egress"},
				"egress": []any{map[string]any{"to": []any{map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.0/33"}}}}},
			},
		}, &policy, pulumi.Provider(k8s))
	})
	start := time.Now()
	_, err := stack.Preview(ctx)
	t.Logf("%-28s %s", "preview of a bad policy", time.Since(start).Round(time.Millisecond))
	if err == nil || !strings.Contains(err.Error(), "ipBlock.cidr") || !strings.Contains(err.Error(), "10.0.0.0/33") {
		t.Fatalf("preview of an invalid CIDR: %v; want the API server's refusal naming ipBlock.cidr", err)
	}
	_ = stack.Workspace().RemoveStack(ctx, "e2e-bad-policy")
}

type kubeObject struct{ pulumi.CustomResourceState }
