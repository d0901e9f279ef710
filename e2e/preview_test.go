//go:build e2e

package e2e

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"

	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/plan"
	"eks-advanced-networking/internal/plandiff"
	"eks-advanced-networking/internal/replacement"
	"eks-advanced-networking/stacks"
)

// previewPairsFile lists the changes the offline preview's golden texts show (stacks
// TestGoldenPreviews).
const previewPairsFile = "../testdata/previews/pairs.json"

// assertPreviewsAgree runs the real engine's `pulumi preview --diff` of every pair of the stack
// against its state on the twin, and compares what it would create, replace and delete with the
// offline preview's prediction for the same two configurations. Resources the plan cannot see, the
// children of remote components (pulumi-eks's, a Helm chart's), are compared through the component
// where pulumi-eks maps them (the EKS cluster, the node group) and otherwise only logged: the
// offline preview says it does not predict them. The twin diffs AWS resources with the same
// ForceNew table as the prediction (internal/replacement), so that table is not what this checks:
// it checks the following of replaced ids, pulumi-eks's mapping and pulumi-kubernetes's rules, which
// here are the real ones.
func assertPreviewsAgree(t *testing.T, tw *twin, name string, base map[string]string) {
	t.Helper()
	pairs, err := plandiff.LoadPairs(previewPairsFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range pairs {
		if pair.Stack != name {
			continue
		}
		step(t, "preview of "+pair.Name, func() {
			head := pairHead(t, pair, base)
			stack := newStack(t, name, stacks.Run(head), tw.env)
			if pair.RefusedOnARunningStack != "" {
				if _, err := stack.Preview(context.Background()); err == nil || !strings.Contains(err.Error(), pair.RefusedOnARunningStack) {
					t.Errorf("%s: the preview of the running stack gave %v, want a refusal with %s", pair.Name, err, pair.RefusedOnARunningStack)
				}
				return
			}
			predicted := predict(t, name, base, head)
			observed := previewOps(t, stack)
			for _, d := range disagreements(predicted, observed) {
				t.Errorf("%s: %s", pair.Name, d)
			}
		})
	}
}

// pairHead is the head's configuration of a pair on the twin: the base's with the pair's settings,
// or another preset's as the twin deploys it (its charts from the local copies).
func pairHead(t *testing.T, pair plandiff.Pair, base map[string]string) map[string]string {
	t.Helper()
	head := maps.Clone(base)
	if pair.HeadStackFile != pair.Stack {
		head = twinPreset(t, pair.HeadStackFile)
		head[config.Project+":loadBalancerControllerChartRepository"] = loadBalancerControllerCharts(t)
	}
	maps.Copy(head, pair.HeadConfig)
	return head
}

// predict is the offline preview of base to head: an operation per URN of what changes.
func predict(t *testing.T, stack string, base, head map[string]string) map[string]plandiff.Step {
	t.Helper()
	run := func(cfg map[string]string) *plan.Plan {
		p, err := plan.Run(plan.Options{Project: config.Project, Stack: stack, Config: cfg}, stacks.Program(cfg))
		if err != nil {
			t.Fatalf("offline plan: %v", err)
		}
		return p
	}
	report := plandiff.Compare(map[string]*plan.Plan{stack: run(base)}, map[string]*plan.Plan{stack: run(head)})
	out := map[string]plandiff.Step{}
	for _, st := range report.Stacks[0].Steps {
		out[st.Resource.URN] = st
	}
	return out
}

// realStep is what the engine does, or would do, to one resource.
type realStep struct {
	op, typ, parent string
}

// previewOps runs the preview and collects each resource's operation from the engine's events.
func previewOps(t *testing.T, stack auto.Stack) map[string]realStep {
	t.Helper()
	ch, ops := collectOps()
	res, err := stack.Preview(context.Background(), optpreview.Diff(), optpreview.EventStreams(ch))
	observed := ops()
	if err != nil {
		t.Fatalf("preview: %v\n%s", err, res.StdOut)
	}
	return observed
}

// collectOps reads the engine events sent to ch, which the engine closes when its run ends, and
// gives each resource's operation once that has happened: a step of a replacement counts as the
// replace.
func collectOps() (chan<- events.EngineEvent, func() map[string]realStep) {
	ch := make(chan events.EngineEvent)
	out := map[string]realStep{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range ch {
			if e.ResourcePreEvent == nil {
				continue
			}
			m := e.ResourcePreEvent.Metadata
			op := string(m.Op)
			switch op {
			case "create-replacement", "delete-replaced", "replace":
				op = "replace"
			}
			parent := ""
			if m.New != nil {
				parent = m.New.Parent
			} else if m.Old != nil {
				parent = m.Old.Parent
			}
			if prev, ok := out[m.URN]; !ok || prev.op != "replace" {
				out[m.URN] = realStep{op: op, typ: m.Type, parent: parent}
			}
		}
	}()
	return ch, func() map[string]realStep { <-done; return out }
}

// disagreements compares the prediction with the engine, resource by resource.
func disagreements(predicted map[string]plandiff.Step, observed map[string]realStep) []string {
	var out []string
	engine := engineOps(observed)
	for _, urn := range slices.Sorted(maps.Keys(engine)) {
		op := engine[urn]
		pred, ok := predicted[urn]
		want := "same"
		if ok {
			want = pred.Op.String()
		}
		switch {
		case op == want:
		case ok && pred.MayReplace && (op == "replace" || op == "update"):
		case !isPlanned(observed, urn) && (op == "create" || op == "delete"):
			// A remote component's child comes and goes with its parent; the plan cannot see it.
		case !isPlanned(observed, urn):
			if op != "same" {
				out = append(out, "the engine would "+op+" "+urn+", a child of a remote component the offline preview cannot see")
			}
		default:
			out = append(out, "the engine would "+op+" "+urn+"; the offline preview says "+want)
		}
	}
	for _, urn := range slices.Sorted(maps.Keys(predicted)) {
		if _, ok := engine[urn]; !ok && predicted[urn].Op != plandiff.Update {
			out = append(out, "the offline preview says "+predicted[urn].Op.String()+" "+urn+"; the engine's preview does not list it")
		}
	}
	return out
}

// engineOps is what the engine does to each resource the plan holds, and to the AWS resource inside
// a pulumi-eks component, which the plan names by the component; remote components' other children
// keep their own URNs.
func engineOps(observed map[string]realStep) map[string]string {
	engine := map[string]string{}
	for urn, st := range observed {
		switch {
		case st.typ == "pulumi:pulumi:Stack" || strings.HasPrefix(st.typ, "pulumi:providers:") && strings.Contains(urn, "::default"):
			continue
		case inside(observed, st.parent, st.typ):
			engine[st.parent] = stronger(engine[st.parent], st.op)
		default:
			engine[urn] = stronger(engine[urn], st.op)
		}
	}
	return engine
}

// stronger is the operation a reviewer must hear of first: a component whose AWS resource is replaced
// is replaced, though its own inputs only update.
func stronger(a, b string) string {
	rank := []string{"", "same", "update", "create", "delete", "replace"}
	if slices.Index(rank, b) > slices.Index(rank, a) {
		return b
	}
	return a
}

// inside says whether a resource is the AWS resource pulumi-eks's component parent holds, whose
// operation the prediction gives the component.
func inside(observed map[string]realStep, parent, typ string) bool {
	p, ok := observed[parent]
	if !ok {
		return false
	}
	inner, ok := replacement.EKSInner(p.typ)
	return ok && inner == typ
}

// isPlanned says whether the offline plan can see a resource: it does not see what remote
// components (pulumi-eks's, Helm charts) create at deploy time.
func isPlanned(observed map[string]realStep, urn string) bool {
	for p := observed[urn].parent; p != ""; p = observed[p].parent {
		if t := observed[p].typ; strings.HasPrefix(t, "eks:index:") || t == "kubernetes:helm.sh/v4:Chart" {
			return false
		}
	}
	return true
}
