//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"eks-advanced-networking/components"
	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/netplan"
	"eks-advanced-networking/stacks"
	"eks-advanced-networking/test/awstwin/awsdata"
)

// clusterWithCoreDNS is a program of the chapter's VPC, a Kubernetes 1.35 cluster, a node group of one
// node on an AMI release, and the coredns add-on: the smallest stack whose node group update drains
// pods that PodDisruptionBudgets guard. With one node both CoreDNS replicas share it, so a drain
// evicts them together and CoreDNS's budget must refuse the second until the first is back.
func clusterWithCoreDNS(release string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		provider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-central-1")})
		if err != nil {
			return err
		}
		opts := pulumi.Provider(provider)
		layout, err := netplan.PlanVpc(chapterVpc)
		if err != nil {
			return err
		}
		vpc, err := components.NewDualStackVpc(ctx, "vpc", &components.DualStackVpcArgs{Layout: layout}, opts)
		if err != nil {
			return err
		}
		trust := func(service string) pulumi.String {
			return pulumi.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + service + `"},"Action":"sts:AssumeRole"}]}`)
		}
		clusterRole, err := iam.NewRole(ctx, "cluster", &iam.RoleArgs{AssumeRolePolicy: trust("eks.amazonaws.com")}, opts)
		if err != nil {
			return err
		}
		cluster, err := eks.NewCluster(ctx, "cluster", &eks.ClusterArgs{RoleArn: clusterRole.Arn, Version: pulumi.String("1.35"),
			VpcConfig: &eks.ClusterVpcConfigArgs{SubnetIds: vpc.PrivateSubnetIds}}, opts)
		if err != nil {
			return err
		}
		nodeRole, err := iam.NewRole(ctx, "nodes", &iam.RoleArgs{AssumeRolePolicy: trust("ec2.amazonaws.com")}, opts)
		if err != nil {
			return err
		}
		var policies []pulumi.Resource
		for _, policy := range []string{"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"} {
			attachment, err := iam.NewRolePolicyAttachment(ctx, "nodes-"+policy, &iam.RolePolicyAttachmentArgs{Role: nodeRole.Name,
				PolicyArn: pulumi.String("arn:aws:iam::aws:policy/" + policy)}, opts)
			if err != nil {
				return err
			}
			policies = append(policies, attachment)
		}
		nodes, err := eks.NewNodeGroup(ctx, "nodes", &eks.NodeGroupArgs{ClusterName: cluster.Name, NodeRoleArn: nodeRole.Arn,
			SubnetIds: vpc.PrivateSubnetIds, ReleaseVersion: pulumi.String(release),
			ScalingConfig: &eks.NodeGroupScalingConfigArgs{DesiredSize: pulumi.Int(1), MinSize: pulumi.Int(1), MaxSize: pulumi.Int(2)}},
			opts, pulumi.DependsOn(append(policies, vpc)))
		if err != nil {
			return err
		}
		_, err = eks.NewAddon(ctx, "coredns", &eks.AddonArgs{ClusterName: cluster.Name, AddonName: pulumi.String("coredns")},
			opts, pulumi.DependsOn([]pulumi.Resource{nodes}))
		return err
	}
}

// The drains of a node group update honour PodDisruptionBudgets, with kube-controller-manager's
// disruption controller counting the pods the suite's kubelet stand-in reports Running and Ready. A
// budget that allows no disruption fails the update with PodEvictionFailure, as EKS fails it, and the
// account records the refusal. pulumi-aws records the planned release with the error, so once the
// budget goes a plain up sends nothing and the nodes stay; `up --refresh` reads the group's release
// from EKS and the same update succeeds, CoreDNS's own budget (one replica at a time) refusing the
// second replica's eviction until the first is back. Every pod is bound, no node is left outside the
// group, the next preview is empty, and destroy leaves nothing. Without the stand-in's Ready pods the first check of
// CoreDNS's budget fails; with a drain that takes a refusal as final, the update fails without
// PodEvictionFailure (both tried).
func TestTwinABudgetHoldsUpANodeGroupUpdate(t *testing.T) {
	ctx := context.Background()
	tw := newTwin(t)
	t.Cleanup(kubeletForTwinNodes(t, tw))
	const name = "twin-budget"
	releases := []string{"1.35.6-20260625", "1.35.6-20260714"} // awsdata's AMI releases for 1.35
	stack := newStack(t, name, clusterWithCoreDNS(releases[0]), tw.env)
	t.Cleanup(func() { _ = stack.Workspace().RemoveStack(ctx, name) })
	step(t, "up", func() {
		if _, err := stack.Up(ctx); err != nil {
			t.Fatalf("up: %v", err)
		}
	})
	step(t, "CoreDNS runs with its budget", func() {
		waitForBudget(t, "kube-system", "coredns", 2, 1)
	})
	step(t, "a workload whose budget allows no disruption", func() {
		guardedWorkload(t)
		waitForBudget(t, "default", "guarded", 1, 0)
	})
	refusedBefore := 0
	step(t, "the update its budget holds up fails", func() {
		stack = newStack(t, name, clusterWithCoreDNS(releases[1]), tw.env)
		_, err := stack.Up(ctx)
		if err == nil || !strings.Contains(err.Error(), "PodEvictionFailure") || !strings.Contains(err.Error(), "default/guarded-") {
			t.Fatalf("up: %v\nwant PodEvictionFailure naming the guarded pod", err)
		}
		a := tw.account(t)
		if len(a.Refusals) != 1 || a.Refusals[0].Code != "PodEvictionFailure" || a.Refusals[0].Operation != "update" || a.EvictionsRefused == 0 {
			t.Errorf("the account refused %+v after %d evictions a budget refused; want the one PodEvictionFailure, after refused evictions", a.Refusals, a.EvictionsRefused)
		}
		refusedBefore = a.EvictionsRefused
		preview, err := stack.Preview(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The engine recorded the planned release with the error (pulumi-aws's partial state) and
		// asks for an update again, which finds nothing to send.
		if preview.ChangeSummary["update"] != 1 {
			t.Errorf("after the failed update a preview shows %v, want the node group's update again", preview.ChangeSummary)
		}
	})
	step(t, "without the budget, an up without a refresh changes no node", func() {
		if code, body, err := testCluster.request("DELETE", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/guarded", nil); err != nil || code != 200 {
			t.Fatalf("deleting the budget: %d %s %v", code, body, err)
		}
		before, err := listAs[corev1.Node]("/api/v1/nodes")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stack.Up(ctx); err != nil {
			t.Fatalf("up: %v", err)
		}
		after, err := listAs[corev1.Node]("/api/v1/nodes")
		if err != nil {
			t.Fatal(err)
		}
		if len(before) != 2 || len(after) != 2 {
			t.Errorf("the failed update's new node and the old one: %d nodes before this up, %d after, want 2 and 2", len(before), len(after))
		}
	})
	step(t, "after a refresh, the same update succeeds", func() {
		if _, err := stack.Up(ctx, optup.Refresh()); err != nil {
			t.Fatalf("up --refresh: %v", err)
		}
		assertPodsBound(t)
		assertOnlyTheGroupsNodes(t, tw)
		// The failed update's new node took both CoreDNS replicas (the old one was cordoned), and this
		// update drains it: the second eviction waits for the first replica's successor.
		if refused := tw.account(t).EvictionsRefused - refusedBefore; refused == 0 {
			t.Error("CoreDNS's budget refused no eviction: its two replicas left their node at once")
		} else {
			t.Logf("CoreDNS's budget refused %d evictions, which the drain waited out", refused)
		}
		waitForBudget(t, "kube-system", "coredns", 2, 1)
		previewIsEmpty(t, stack)
	})
	step(t, "destroy", func() { destroyLeavesNothing(t, tw, stack, name) })
}

// previewIsEmpty: the stack's next preview wants no change.
func previewIsEmpty(t *testing.T, stack auto.Stack) {
	t.Helper()
	preview, err := stack.Preview(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !unchanged(preview.ChangeSummary) {
		t.Errorf("after the update a preview wants %v:\n%s", preview.ChangeSummary, preview.StdOut)
	}
}

// guardedWorkload is a Deployment of one replica in default, for any node, with a budget that keeps
// that replica: minAvailable 1.
func guardedWorkload(t *testing.T) {
	t.Helper()
	labels := map[string]string{"app": "guarded"}
	one, replicas := intstr.FromInt32(1), int32(1)
	deployment := appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "guarded", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "public.ecr.aws/docker/library/busybox:1.37"}}}}},
	}
	budget := policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: metav1.ObjectMeta{Name: "guarded", Namespace: "default"},
		Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: &one, Selector: &metav1.LabelSelector{MatchLabels: labels}},
	}
	for _, o := range []struct {
		path string
		obj  any
	}{{"/apis/apps/v1/namespaces/default/deployments", deployment}, {"/apis/policy/v1/namespaces/default/poddisruptionbudgets", budget}} {
		if code, body, err := testCluster.create(o.path, o.obj); err != nil || code != 201 {
			t.Fatalf("creating %s: %d %s %v", o.path, code, body, err)
		}
		// Gone with the test, whatever its end: a pod left behind would stay unbound in the next.
		t.Cleanup(func() { _, _, _ = testCluster.request("DELETE", o.path+"/guarded", nil) })
	}
}

// waitForBudget waits until the disruption controller counts healthy pods under a budget and allows
// the given number of disruptions: the pods are Running and Ready, and the Eviction API will weigh
// them against it.
func waitForBudget(t *testing.T, namespace, name string, healthy, allowed int32) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var status policyv1.PodDisruptionBudgetStatus
	for time.Now().Before(deadline) {
		raw, found, err := testCluster.get("/apis/policy/v1/namespaces/" + namespace + "/poddisruptionbudgets/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if found {
			var pdb policyv1.PodDisruptionBudget
			b, _ := json.Marshal(raw)
			if err := json.Unmarshal(b, &pdb); err != nil {
				t.Fatal(err)
			}
			status = pdb.Status
			if pdb.Status.ObservedGeneration == pdb.Generation && status.CurrentHealthy == healthy && status.DisruptionsAllowed == allowed {
				return
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("budget %s/%s: %d healthy, %d disruptions allowed; want %d and %d", namespace, name, status.CurrentHealthy, status.DisruptionsAllowed, healthy, allowed)
}

// A budget on a Multus workload holds a Multus node group's update up even when it lets one pod go:
// the zone's ENI is attached to the node being drained, the new node's multus-eni unit can take it
// only once that node is terminated, and until then no node with the Multus label runs in the zone,
// so the evicted pod's replacement stays Pending and the budget refuses the next eviction. The update
// fails with PodEvictionFailure while the new node's unit still waits for the ENI. Once the budget
// goes, `up --refresh` carries the update out and the new node's unit attaches the ENI and labels
// it. This holds for any budget that keeps a Multus pod of the zone available; maxUnavailable 1 over
// two replicas, which an ordinary workload's update gets through, is the case shown.
func TestTwinABudgetOnAMultusWorkloadHoldsUpItsNodes(t *testing.T) {
	ctx := context.Background()
	tw := newTwin(t)
	t.Cleanup(kubeletForTwinNodes(t, tw))
	const name = "twin-multus-budget"
	cfg := twinPreset(t, "ipv4-multus", "loadBalancerController", "false")
	tw.amiRelease(t, awsdata.AmiReleases()[0])
	stack := newStack(t, name, stacks.Run(cfg), tw.env)
	t.Cleanup(func() { _ = stack.Workspace().RemoveStack(ctx, name) })
	step(t, "up", func() {
		if _, err := stack.Up(ctx); err != nil {
			t.Fatalf("up: %v", err)
		}
		assertMultusNodesReady(t, tw)
	})
	step(t, "a Multus workload of two replicas that lets one go", func() {
		multusWorkload(t, tw)
		waitForBudget(t, multus.NadNamespace, "multus-guarded", 2, 1)
	})
	step(t, "a new AMI release's update fails on the budget", func() {
		tw.amiRelease(t, "")
		_, err := stack.Up(ctx)
		if err == nil || !strings.Contains(err.Error(), "PodEvictionFailure") || !strings.Contains(err.Error(), "multus-guarded-") {
			t.Fatalf("up: %v\nwant PodEvictionFailure naming a multus-guarded pod", err)
		}
		waiting := 0
		for _, mc := range tw.machines.multusMachines() {
			select {
			case <-mc.exited:
			default:
				waiting++
				if log := mc.log.String(); !strings.Contains(log, "a node being replaced may still hold it") {
					t.Errorf("the unit on %s is not waiting for the ENI:\n%s", mc.instance.Node, log)
				}
			}
		}
		if waiting != 1 {
			t.Errorf("%d multus-eni units wait for their ENI, want the new node's", waiting)
		}
	})
	step(t, "without the budget, up --refresh updates the nodes", func() {
		if code, body, err := testCluster.request("DELETE", "/apis/policy/v1/namespaces/"+multus.NadNamespace+"/poddisruptionbudgets/multus-guarded", nil); err != nil || code != 200 {
			t.Fatalf("deleting the budget: %d %s %v", code, body, err)
		}
		if _, err := stack.Up(ctx, optup.Refresh()); err != nil {
			t.Fatalf("up --refresh: %v", err)
		}
		assertMultusNodesReady(t, tw)
		assertPodsBound(t)
		assertOnlyTheGroupsNodes(t, tw)
		previewIsEmpty(t, stack)
	})
	step(t, "destroy", func() { destroyLeavesNothing(t, tw, stack, name) })
}

// multusWorkload is two replicas on the first zone's Multus node, with a budget that lets one go
// (maxUnavailable 1).
func multusWorkload(t *testing.T, tw *twin) {
	t.Helper()
	// The network whose ENI a Multus instance holds, as the account tags it.
	var network multus.Network
	for _, mc := range tw.machines.multusMachines() {
		for _, r := range tw.account(t).Resources {
			if tags, _ := r.Inputs["tags"].(map[string]any); r.Outputs["attachedTo"] == mc.instance.ID && tags["multus"] == "true" {
				network = multus.Network{Name: fmt.Sprint(tags["multus-network"]), AvailabilityZone: mc.instance.Zone}
			}
		}
	}
	if network.Name == "" {
		t.Fatal("no Multus instance holds its ENI")
	}
	labels := map[string]string{"app": "multus-guarded"}
	one, replicas := intstr.FromInt32(1), int32(2)
	spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "public.ecr.aws/docker/library/busybox:1.37"}}}
	multus.OnMultusNode(&spec, network)
	deployment := appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "multus-guarded", Namespace: multus.NadNamespace},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}},
	}
	budget := policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: metav1.ObjectMeta{Name: "multus-guarded", Namespace: multus.NadNamespace},
		Spec:       policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &one, Selector: &metav1.LabelSelector{MatchLabels: labels}},
	}
	base := "/apis/apps/v1/namespaces/" + multus.NadNamespace + "/deployments"
	for _, o := range []struct {
		path string
		obj  any
	}{{base, deployment}, {"/apis/policy/v1/namespaces/" + multus.NadNamespace + "/poddisruptionbudgets", budget}} {
		if code, body, err := testCluster.create(o.path, o.obj); err != nil || code != 201 {
			t.Fatalf("creating %s: %d %s %v", o.path, code, body, err)
		}
		t.Cleanup(func() { _, _, _ = testCluster.request("DELETE", o.path+"/multus-guarded", nil) })
	}
}
