package stacks

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/daytwo"
	"eks-advanced-networking/internal/plan"
	"eks-advanced-networking/internal/plandiff"
)

// dayTwoMatrix is the day-2 matrix; e2e makes the same changes on the AWS twin.
var dayTwoMatrix = filepath.Join(projectDir, "testdata", "daytwo", "matrix.json")

// nextAmiRelease is the release the offline plan's mocks move to at the matrix's AMI-release steps.
const nextAmiRelease = "v20261127"

// dayTwoPrediction is the offline preview of one step: what it does to the stack, or the program's
// refusal.
type dayTwoPrediction struct {
	diff    plandiff.Stack
	refusal error
}

// dayTwoPredictions are the offline preview of each step of a preset's matrix, in order: each
// step's configuration planned against the previous one's, in an account that runs what the previous
// one deployed (its cluster, node groups and network, as the program reads them), an AMI-release
// step with the mocks' SSM parameters moved to the next release.
func dayTwoPredictions(t *testing.T, m daytwo.Matrix, preset string) []dayTwoPrediction {
	t.Helper()
	files := deployedStack(t, preset)
	run := func(cfg map[string]string, release string, account []plan.RunningCluster) (*plan.Plan, error) {
		return plan.Run(plan.Options{Project: config.Project, Stack: preset, Config: cfg, AmiRelease: release, RunningClusters: account}, Program(cfg))
	}
	cfg, release := m.Base(preset, files.Config, config.Project), ""
	before, err := run(cfg, release, nil)
	if err != nil {
		t.Fatalf("%s: %v", preset, err)
	}
	var out []dayTwoPrediction
	for _, s := range m.For(preset) {
		s, err := s.WithInstances(func(zone string) (string, error) { return plan.MockID("i", "the cluster's node in "+zone), nil })
		if err != nil {
			t.Fatal(err)
		}
		if s.AmiRelease {
			release = nextAmiRelease
		}
		decoded, err := config.Decode(cfg)
		if err != nil {
			t.Fatal(err)
		}
		account := []plan.RunningCluster{runningAsPlanned(t, before, decoded.Cluster.KubernetesVersion)}
		after, err := run(s.Apply(cfg, config.Project), release, account)
		if err != nil {
			out = append(out, dayTwoPrediction{refusal: err})
			cfg = s.Next(cfg, config.Project)
			continue
		}
		out = append(out, dayTwoPrediction{diff: plandiff.Compare(map[string]*plan.Plan{preset: before}, map[string]*plan.Plan{preset: after}).Stacks[0]})
		before, cfg = after, s.Next(cfg, config.Project)
	}
	return out
}

// predictedOps are a prediction's operations in the matrix's terms.
func predictedOps(s plandiff.Stack) []daytwo.Op {
	var ops []daytwo.Op
	for _, st := range s.Steps {
		ops = append(ops, daytwo.Op{Op: st.Op.String(), Type: st.Resource.Type, Name: st.Resource.Name})
	}
	return ops
}

// Each step of the day-2 matrix does what the matrix says, by the offline preview. The EKS cluster is
// never replaced or deleted by any of them.
func TestDayTwoMatrix(t *testing.T) {
	m, err := daytwo.Load(dayTwoMatrix)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(slices.Values(m.Presets())); !slices.Equal(got, plan.StackNames(projectDir)) {
		t.Errorf("the matrix changes %v; the presets are %v", got, plan.StackNames(projectDir))
	}
	for _, preset := range m.Presets() {
		steps := m.For(preset)
		for i, prediction := range dayTwoPredictions(t, m, preset) {
			s := steps[i]
			switch {
			case s.Refused != "" && (prediction.refusal == nil || !strings.Contains(prediction.refusal.Error(), s.Refused)):
				t.Errorf("%s, %s: the preview gave %v, want a refusal with %q", preset, s.Change, prediction.refusal, s.Refused)
				continue
			case s.Refused != "":
				continue
			case prediction.refusal != nil:
				t.Errorf("%s, %s: %v", preset, s.Change, prediction.refusal)
				continue
			}
			ops := predictedOps(prediction.diff)
			if mismatches := s.Expect.Mismatches(ops); len(mismatches) > 0 {
				t.Errorf("%s, %s:\n  %s\nthe offline preview: %s", preset, s.Change, strings.Join(mismatches, "\n  "), suggestExpect(ops))
			}
			for _, o := range ops {
				if o.Type == "eks:index:Cluster" && (o.Op == "replace" || o.Op == "delete") {
					t.Errorf("%s, %s: would %s the EKS cluster", preset, s.Change, o.Op)
				}
			}
		}
	}
}

// suggestExpect is the expectation that would match ops, for the failure message.
func suggestExpect(ops []daytwo.Op) string {
	byOp := map[string][]string{}
	for _, o := range ops {
		byOp[o.Op] = append(byOp[o.Op], o.Type+"::"+o.Name)
	}
	for _, k := range slices.Sorted(maps.Keys(byOp)) {
		slices.Sort(byOp[k])
	}
	b, _ := json.Marshal(byOp)
	return string(b)
}
