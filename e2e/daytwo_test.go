//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"

	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/daytwo"
	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/stacks"
	"eks-advanced-networking/test/awstwin"
)

// dayTwoMatrixFile is the day-2 matrix (stacks TestDayTwoMatrix checks it against the offline
// preview; the README's table is rendered from it).
const dayTwoMatrixFile = "../testdata/daytwo/matrix.json"

// dayTwoBase is a preset's configuration as the suite deploys it before the matrix's first step.
func dayTwoBase(t *testing.T, preset string, twinConfig map[string]string) map[string]string {
	t.Helper()
	m, err := daytwo.Load(dayTwoMatrixFile)
	if err != nil {
		t.Fatal(err)
	}
	return m.Base(preset, twinConfig, config.Project)
}

// runDayTwoMatrix makes the preset's matrix steps, in order, on the running stack. For each step:
// the real engine's preview does what the matrix expects to the resources the plan holds, and the up
// succeeds and does what its preview showed (read from the up's own events); no node group is deleted
// before one created in the same up has finished; the multus-eni unit has finished on every Multus
// instance, which holds its zone's ENI as an interface named multus, up, and whose node it labelled;
// every pod is bound to a node it may run on (a
// Multus pod on a node whose boot unit labelled it); the API server holds exactly the node groups'
// nodes (the drains evict through the Eviction API, so CoreDNS's budget can hold them up: the
// refusals they waited out are logged); the account meets its invariants (Multus ENIs in their zone, with their tags, among them); and the next
// preview is empty. A step the matrix
// expects refused fails the preview and the up with the program's reason and leaves the account as
// it was. AWS refuses nothing along the way. The stack is left with the last configuration it runs,
// for the destroy that follows.
func runDayTwoMatrix(t *testing.T, tw *twin, stack *auto.Stack, preset string, base map[string]string) {
	t.Helper()
	m, err := daytwo.Load(dayTwoMatrixFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := base
	var fixed []string // the fixed instances the stack's Multus ENIs are attached to now
	for _, s := range m.For(preset) {
		step(t, "day 2: "+s.Change, func() {
			s, err := s.WithInstances(func(zone string) (string, error) { return clusterNodeIn(t, tw, zone) })
			if err != nil {
				t.Fatal(err)
			}
			if s.Refused != "" {
				refusedAtPreview(t, tw, stack, preset, s, s.Apply(cfg, config.Project))
				*stack = newStack(t, preset, stacks.Run(cfg), tw.env)
				return
			}
			if s.AmiRelease {
				tw.amiRelease(t, "")
			}
			cfg = s.Next(cfg, config.Project)
			*stack = newStack(t, preset, stacks.Run(cfg), tw.env)
			previewed := plannedOps(previewOps(t, *stack))
			for _, mismatch := range s.Expect.Mismatches(previewed) {
				t.Errorf("%s: %s", s.Change, mismatch)
			}
			before, refusedBefore := len(tw.account(t).Operations), tw.account(t).EvictionsRefused
			ch, ops := collectOps()
			res, err := stack.Up(context.Background(), optup.EventStreams(ch))
			done := plannedOps(ops())
			if err != nil {
				t.Fatalf("%s: up: %v", s.Change, err)
			}
			if !slices.Equal(done, previewed) {
				t.Errorf("%s: the up did %v; its preview showed %v", s.Change, done, previewed)
			}
			if slices.ContainsFunc(s.Expect.Replace, func(e string) bool { return strings.HasPrefix(e, "aws:eks/nodeGroup:NodeGroup") }) {
				assertSuccessorsFirst(t, s.Change, tw.account(t).Operations[before:])
			}
			if refused := tw.account(t).EvictionsRefused - refusedBefore; refused > 0 {
				t.Logf("%s: PodDisruptionBudgets refused %d evictions, which the drains waited out", s.Change, refused)
			}
			// What docs/multus.md asks of the user of fixed instances: label each instance's node with
			// the network its ENI carries, and take the labels off when Multus leaves it. (The docs say
			// to label before the up, so that multus-pod's rollout does not wait; the twin's stacks skip
			// that wait, so here the label follows the attachment the up made.)
			decoded, err := config.Decode(cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range fixed {
				labelFixedInstance(t, tw, id, "")
			}
			fixed = nil
			if decoded.Multus.Enabled && decoded.Multus.Attachment == multus.AttachInstances {
				fixed = decoded.Multus.InstanceIds
				for _, id := range fixed {
					labelFixedInstance(t, tw, id, fixedInstanceNetwork(t, tw, id))
				}
			}
			assertMultusNodesReady(t, tw)
			assertPodsBound(t)
			assertOnlyTheGroupsNodes(t, tw)
			for _, v := range tw.account(t).Invariants() {
				t.Errorf("%s: %s", s.Change, v)
			}
			preview, err := stack.Preview(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !unchanged(preview.ChangeSummary) {
				t.Errorf("after %s a preview wants changes %v:\n%s\n(the up:\n%s)", s.Change, preview.ChangeSummary, preview.StdOut, res.StdOut)
			}
		})
	}
	if refusals := tw.account(t).Refusals; len(refusals) != 0 {
		t.Errorf("the day-2 changes were refused: %+v", refusals)
	}
}

// clusterNodeIn is the instance of a node of the cluster's own node group (not a Multus group, which
// carries the Multus taint) in zone: the matrix's fixed instance there.
func clusterNodeIn(t *testing.T, tw *twin, zone string) (string, error) {
	t.Helper()
	a := tw.account(t)
	for _, id := range slices.Sorted(maps.Keys(a.Instances)) {
		inst := a.Instances[id]
		if group := a.Resources[inst.NodeGroup]; inst.Zone == zone && group != nil && group.Inputs["taints"] == nil {
			return id, nil
		}
	}
	return "", fmt.Errorf("the cluster's own node group has no node in %s", zone)
}

// fixedInstanceNetwork is the network (multus-network tag) of the Multus ENI attached to a fixed
// instance, which the up attached.
func fixedInstanceNetwork(t *testing.T, tw *twin, instance string) string {
	t.Helper()
	eni := multusEniOn(tw.account(t), instance)
	if eni == nil {
		t.Errorf("the fixed instance %s holds no Multus ENI after the up", instance)
		return ""
	}
	network, _ := eni.Inputs["tags"].(map[string]any)[multus.NetworkTag].(string)
	t.Logf("the fixed instance %s holds %s (%v) at device index %v", instance, eni.ID, network, eni.Outputs["deviceIndex"])
	return network
}

// labelFixedInstance labels the node of a fixed instance as a Multus node of network, as the user
// does (docs/multus.md), or with network "" takes those labels off.
func labelFixedInstance(t *testing.T, tw *twin, instance, network string) {
	t.Helper()
	inst := tw.account(t).Instances[instance]
	if inst == nil {
		t.Errorf("the fixed instance %s is gone", instance)
		return
	}
	labels := map[string]any{multus.NodeLabel: nil, multus.NetworkLabel: nil}
	if network != "" {
		labels = map[string]any{multus.NodeLabel: "true", multus.NetworkLabel: network}
	}
	patch := map[string]any{"metadata": map[string]any{"labels": labels}}
	if code, body, err := testCluster.requestAs(testCluster.token, "application/merge-patch+json", http.MethodPatch, "/api/v1/nodes/"+inst.Node, patch); err != nil || code != http.StatusOK {
		t.Errorf("labelling %s's node %s: %d %v\n%s", instance, inst.Node, code, err, body)
		return
	}
	if network != "" {
		return
	}
	// Unlabelled, the node no longer fits the Multus DaemonSet's affinity, and the DaemonSet
	// controller deletes its pod there (kubernetes pkg/controller/daemon, podsShouldBeOnNode).
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		left := false
		for _, p := range listPods(t).Items {
			left = left || p.Spec.NodeName == inst.Node && strings.HasPrefix(p.Metadata.Name, "kube-multus-ds-")
		}
		if !left {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("the Multus daemon still runs on %s 60 s after its labels came off", inst.Node)
			return
		}
	}
}

// refusedAtPreview: the step's configuration fails the preview and the up with the program's reason
// and way through, before anything changes in the account.
func refusedAtPreview(t *testing.T, tw *twin, stack *auto.Stack, preset string, s daytwo.Step, tried map[string]string) {
	t.Helper()
	before := tw.account(t)
	*stack = newStack(t, preset, stacks.Run(tried), tw.env)
	if _, err := stack.Preview(context.Background()); err == nil || !strings.Contains(err.Error(), s.Refused) {
		t.Errorf("%s: preview: %v\nwant a refusal with %s", s.Change, err, s.Refused)
	}
	if _, err := stack.Up(context.Background()); err == nil || !strings.Contains(err.Error(), s.Refused) {
		t.Errorf("%s: up: %v\nwant a refusal with %s", s.Change, err, s.Refused)
	}
	after := tw.account(t)
	if !maps.Equal(types(before), types(after)) || len(after.Operations) != len(before.Operations) || len(after.Refusals) != 0 {
		t.Errorf("%s: the refused change changed the account: %v, then %v (refused %+v)", s.Change, before.Summary(), after.Summary(), after.Refusals)
	}
}

// plannedOps are the engine's operations on the resources the offline plan holds, in the matrix's
// terms: what the matrix's expectations name.
func plannedOps(observed map[string]realStep) []daytwo.Op {
	var ops []daytwo.Op
	engine := engineOps(observed)
	for _, urn := range slices.Sorted(maps.Keys(engine)) {
		if op := engine[urn]; op != "same" && isPlanned(observed, urn) {
			typ, name := urnTypeName(urn)
			ops = append(ops, daytwo.Op{Op: op, Type: typ, Name: name})
		}
	}
	return ops
}

// urnTypeName is a URN's resource type (the last of its type chain) and name.
func urnTypeName(urn string) (string, string) {
	i := strings.LastIndex(urn, "::")
	chain := urn[strings.LastIndex(urn[:i], "::")+2 : i]
	return chain[strings.LastIndex(chain, "$")+1:], urn[i+2:]
}

// assertSuccessorsFirst: an up that replaces a node group has created its successor, and that
// create finished before the old group's delete started, so the workloads had somewhere to go. (A
// step whose expectation deletes a group without a successor, such as a Multus zone removed, says
// so in the table.)
func assertSuccessorsFirst(t *testing.T, change string, ops []awstwin.Operation) {
	t.Helper()
	for _, d := range ops {
		if d.Op != "delete" || d.Type != "aws:eks/nodeGroup:NodeGroup" {
			continue
		}
		if !slices.ContainsFunc(ops, func(c awstwin.Operation) bool {
			return c.Op == "create" && c.Type == d.Type && !c.End.After(d.Start)
		}) {
			var creates []string
			for _, c := range ops {
				if c.Op == "create" && c.Type == d.Type {
					creates = append(creates, c.ID+" "+c.Start.Format(time.StampMilli)+" to "+c.End.Format(time.StampMilli))
				}
			}
			t.Errorf("%s: node group %s was deleted (from %s) before any successor was up; node groups created: %v",
				change, d.ID, d.Start.Format(time.StampMilli), creates)
		}
	}
}
