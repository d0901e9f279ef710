//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"eks-advanced-networking/test/awstwin"
)

// waitsFor is everything the engine must have finished before it creates urn: its recorded
// dependencies, everything inside a component among them, and what its enclosing components waited
// for (a component's children are registered only once its own dependencies are done).
func (g runGraph) waitsFor(urn string) map[string]bool {
	seen := map[string]bool{}
	var add func(u string)
	add = func(u string) {
		if seen[u] {
			return
		}
		seen[u] = true
		for _, d := range g.deps[u] { // its own dependencies, and a component's children
			add(d)
		}
	}
	for u := urn; u != ""; u = g.parents[u] {
		for _, d := range g.own[u] {
			add(d)
		}
	}
	return seen
}

// requirementsWithoutEdges are the account's requirements (awstwin.Requirements: what AWS needs
// finished before it takes a resource) that the stack's graph does not order: the dependent could be
// created before what it needs, and on AWS it would fail whenever it is. Timing plays no part.
func requirementsWithoutEdges(g runGraph, a *awstwin.Account) []string {
	urnOf := map[string]string{}
	for urn, id := range g.ids {
		urnOf[id] = urn
	}
	var out []string
	for _, req := range a.Requirements() {
		dependent, required := urnOf[req.Dependent], urnOf[req.Required]
		if dependent == "" || required == "" {
			continue // made by another stack or by hand: not this program's to order
		}
		if !g.waitsFor(dependent)[required] {
			out = append(out, fmt.Sprintf("%s does not wait for %s: %s", dependent, required, req.Why))
		}
	}
	return out
}

func assertRequirementsAreEdges(t *testing.T, g runGraph, a *awstwin.Account) {
	t.Helper()
	reqs := a.Requirements()
	if len(reqs) == 0 {
		t.Fatal("the account holds no requirements between resources: nothing was checked")
	}
	for _, missing := range requirementsWithoutEdges(g, a) {
		t.Error(missing)
	}
	t.Logf("%d requirements between resources, each a path in the stack's graph", len(reqs))
}

// A copy of the program without one dependency edge AWS needs is caught every run: `up` fails with
// AWS's error when the dependent comes first (modelled waiting), and the requirement check finds the
// missing edge in the stack's graph when timing lets it through.
func TestTwinCatchesAMissingDependencyEdge(t *testing.T) {
	languageHost := buildLanguageHost(t)
	for _, m := range []struct {
		name, file, from, to string
		awsCodes             []string // what AWS answers when the dependent comes first
		dependent, required  string   // the resource types the requirement check names
	}{
		{"NAT gateway without the internet gateway", "components/dualstackvpc.go",
			"}, b.parent, pulumi.DependsOn([]pulumi.Resource{igw})); err != nil {",
			"}, b.parent); err != nil { // mutation: no edge to the internet gateway",
			[]string{"Gateway.NotAttached"}, "aws:ec2/natGateway:NatGateway", "aws:ec2/internetGateway:InternetGateway"},
		{"node access entry without the cluster", "components/cluster.go",
			"Tags:         b.tags(name + \"-nodes\"),\n\t}, b.parent, pulumi.DependsOn([]pulumi.Resource{cluster}))",
			"Tags:         b.tags(name + \"-nodes\"),\n\t}, b.parent) // mutation: no edge to the cluster",
			// Before the cluster's create begins, EKS has no such cluster; during it, the cluster is CREATING.
			[]string{"InvalidRequestException", "ResourceNotFoundException"}, "aws:eks/accessEntry:AccessEntry", "aws:eks/cluster:Cluster"},
	} {
		step(t, m.name, func() {
			dir := mutatedCopy(t, m.file, m.from, m.to)
			name := "ipv6-without-edge-" + strings.ToLower(strings.Fields(m.name)[0])
			writeStackConfig(t, dir, name, twinPreset(t, "ipv6"))
			tw := newTwin(t)
			tw.env["PATH"] = languageHost + string(os.PathListSeparator) + tw.env["PATH"]
			t.Cleanup(kubeletForTwinNodes(t, tw))
			stack := localStack(t, name, dir, tw.env)
			defer destroyLeavesNothing(t, tw, stack, name)
			_, upErr := stack.Up(context.Background())
			missing := requirementsWithoutEdges(graphOf(t, stack), tw.account(t))
			t.Logf("up: %v\nedges missing: %v", upErr, missing)
			refused := upErr != nil && slices.ContainsFunc(m.awsCodes, func(code string) bool { return strings.Contains(upErr.Error(), code) })
			if upErr != nil && !refused {
				t.Errorf("up failed, but not with %v: %v", m.awsCodes, upErr)
			}
			// A URN's type segment ends in the resource's own type: ...$aws:ec2/natGateway:NatGateway::name.
			isEdge := func(s string) bool {
				dependent, required, _ := strings.Cut(s, " does not wait for ")
				return strings.Contains(dependent, m.dependent+"::") && strings.Contains(required, m.required+"::")
			}
			if !refused && !slices.ContainsFunc(missing, isEdge) {
				t.Errorf("the missing edge from %s to %s was neither refused nor found; missing edges: %v", m.dependent, m.required, missing)
			}
			for _, other := range missing {
				if !isEdge(other) {
					t.Errorf("an edge the mutation did not remove is missing: %s", other)
				}
			}
		})
	}
}
