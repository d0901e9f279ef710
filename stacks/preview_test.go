package stacks

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/plan"
	"eks-advanced-networking/internal/plandiff"
)

// previewPairs are the changes the offline preview is shown on; e2e runs the real engine's preview
// of the same pairs on the AWS twin.
var previewPairs = filepath.Join(projectDir, "testdata", "previews", "pairs.json")

// planPair plans a pair's two sides as deployed (asDeployed).
func planPair(t *testing.T, pair plandiff.Pair) (base, head *plan.Plan) {
	t.Helper()
	base = mustRunStack(t, pair.Stack)
	cfg := pairHeadConfig(t, pair)
	head, err := plan.Run(plan.Options{Project: config.Project, Stack: pair.Stack, Config: cfg}, Program(cfg))
	if err != nil {
		t.Fatalf("%s: head: %v", pair.Name, err)
	}
	return base, head
}

// pairHeadConfig is the configuration of a pair's head, as deployed.
func pairHeadConfig(t *testing.T, pair plandiff.Pair) map[string]string {
	t.Helper()
	files := deployedStack(t, pair.HeadStackFile)
	maps.Copy(files.Config, pair.HeadConfig)
	return files.Config
}

// What each pair must show, beyond its golden text: the operation per resource name.
var previewExpectations = map[string]func(t *testing.T, s plandiff.Stack){
	"no-change": func(t *testing.T, s plandiff.Stack) {
		wantStepOps(t, s, map[string]string{})
	},
	"node-group-size": func(t *testing.T, s plandiff.Stack) {
		wantStepOps(t, s, map[string]string{"aws:eks/nodeGroup:NodeGroup cluster-ipv6mng": "update"})
		if len(s.Warnings) != 0 {
			t.Errorf("warnings %q", s.Warnings)
		}
	},
	"instance-type": func(t *testing.T, s plandiff.Stack) {
		wantStepOps(t, s, map[string]string{"aws:eks/nodeGroup:NodeGroup cluster-ipv6mng": "replace"})
		if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "node group `cluster-ipv6mng`") {
			t.Errorf("warnings %q", s.Warnings)
		}
	},
	"dns64-off": func(t *testing.T, s plandiff.Stack) {
		want := map[string]string{}
		for _, az := range []string{"a", "b", "c"} {
			want["aws:ec2/subnet:Subnet vpc-private-eu-central-1"+az] = "update"
			want["aws:ec2/route:Route vpc-private-eu-central-1"+az+"-nat64"] = "delete"
		}
		wantStepOps(t, s, want)
	},
	"subnet-size": func(t *testing.T, s plandiff.Stack) {
		want := map[string]string{
			"aws:ec2/natGateway:NatGateway vpc-nat-eu-central-1a": "replace",
			"aws:eks/nodeGroup:NodeGroup cluster-ipv6mng":         "replace",
			"eks:index:Cluster cluster":                           "update",
		}
		for _, subnet := range []string{"private-eu-central-1a", "private-eu-central-1b", "private-eu-central-1c", "public-eu-central-1a", "public-eu-central-1b", "public-eu-central-1c"} {
			want["aws:ec2/subnet:Subnet vpc-"+subnet] = "replace"
			want["aws:ec2/routeTableAssociation:RouteTableAssociation vpc-"+subnet] = "replace"
		}
		for _, az := range []string{"a", "b", "c"} {
			want["aws:ec2/route:Route vpc-private-eu-central-1"+az+"-ipv4-default"] = "update"
			want["aws:ec2/route:Route vpc-private-eu-central-1"+az+"-nat64"] = "update"
		}
		wantStepOps(t, s, want)
	},
	"ipv6-to-ipv4-calico": func(t *testing.T, s plandiff.Stack) {
		all := strings.Join(s.Warnings, "\n")
		for _, want := range []string{
			"the EKS cluster `cluster` (eks:index:Cluster) is **deleted**",
			"takes the name `eks-ipv6`",
			"takes the name `/aws/eks/eks-ipv6/cluster`",
		} {
			if !strings.Contains(all, want) {
				t.Errorf("warnings lack %q:\n%s", want, all)
			}
		}
	},
}

// refusedOnARunningStack: with the base deployed (the account runs its cluster, as the program reads
// it), the head is refused at preview exactly when the pair says so, and with the pair's reason.
func refusedOnARunningStack(t *testing.T, pair plandiff.Pair, base *plan.Plan) {
	t.Helper()
	files, err := plan.LoadStack(projectDir, pair.Stack)
	if err != nil {
		t.Fatal(err)
	}
	baseCfg, err := config.Decode(files.Config)
	if err != nil {
		t.Fatal(err)
	}
	running := runningAsPlanned(t, base, baseCfg.Cluster.KubernetesVersion)
	cfg := pairHeadConfig(t, pair)
	_, err = plan.Run(plan.Options{Project: config.Project, Stack: pair.Stack, Config: cfg,
		RunningClusters: []plan.RunningCluster{running}}, Program(cfg))
	switch {
	case pair.RefusedOnARunningStack == "" && err != nil:
		t.Errorf("%s: refused on a running stack: %v", pair.Name, err)
	case pair.RefusedOnARunningStack != "" && (err == nil || !strings.Contains(err.Error(), pair.RefusedOnARunningStack)):
		t.Errorf("%s: on a running stack: %v, want a refusal with %s", pair.Name, err, pair.RefusedOnARunningStack)
	}
}

func wantStepOps(t *testing.T, s plandiff.Stack, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, st := range s.Steps {
		got[st.Resource.Type+" "+st.Resource.Name] = st.Op.String()
	}
	if !maps.Equal(got, want) {
		t.Errorf("operations %v,\nwant %v", got, want)
	}
}

// The offline preview of each pair is checked in (testdata/previews/<pair>.md), so a change to the
// renderer or the rules shows in review. Rewrite with: go test ./stacks -run TestGoldenPreviews -update
func TestGoldenPreviews(t *testing.T) {
	pairs, err := plandiff.LoadPairs(previewPairs)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, pair := range pairs {
		names = append(names, pair.Name)
		t.Run(pair.Name, func(t *testing.T) {
			base, head := planPair(t, pair)
			report := plandiff.Compare(map[string]*plan.Plan{pair.Stack: base}, map[string]*plan.Plan{pair.Stack: head})
			check, ok := previewExpectations[pair.Name]
			if !ok {
				t.Fatalf("pair %s has no expectations in previewExpectations", pair.Name)
			}
			check(t, report.Stacks[0])
			refusedOnARunningStack(t, pair, base)
			var got bytes.Buffer
			if err := report.WriteMarkdown(&got); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(projectDir, "testdata", "previews", pair.Name+".md")
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v; write it with: go test ./stacks -run TestGoldenPreviews -update", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("the preview of %s differs from %s:\n%s\nIf the change is intended: go test ./stacks -run TestGoldenPreviews -update",
					pair.Name, path, firstDifference(string(want), got.String()))
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join(projectDir, "testdata", "previews", "*.md"))
	for _, f := range files {
		if !slices.Contains(names, strings.TrimSuffix(filepath.Base(f), ".md")) {
			t.Errorf("%s belongs to no pair in %s; delete it", f, previewPairs)
		}
	}
}
