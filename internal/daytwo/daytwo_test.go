package daytwo

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"eks-advanced-networking/internal/config"
)

var update = flag.Bool("update", false, "rewrite the README's day-2 table from testdata/daytwo/matrix.json")

const (
	matrixFile  = "../../testdata/daytwo/matrix.json"
	readmeFile  = "../../README.md"
	tableStart  = "<!-- day-2 matrix: rendered from testdata/daytwo/matrix.json; go test ./internal/daytwo -update rewrites it -->\n"
	tableFinish = "<!-- end of the day-2 matrix -->\n"
)

// The README's table is the matrix's, so the two cannot drift.
func TestReadmeTable(t *testing.T) {
	m, err := Load(matrixFile)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(readmeFile)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	start, finish := strings.Index(readme, tableStart), strings.Index(readme, tableFinish)
	if start < 0 || finish < start {
		t.Fatalf("README.md has no day-2 table between %q and %q", tableStart, tableFinish)
	}
	want := readme[:start+len(tableStart)] + m.Table() + readme[finish:]
	if *update {
		if err := os.WriteFile(filepath.Clean(readmeFile), []byte(want), 0o644); err != nil { //nolint:gosec // the README is public
			t.Fatal(err)
		}
		return
	}
	if readme != want {
		t.Errorf("README.md's day-2 table is not the matrix's; rewrite it with: go test ./internal/daytwo -update")
	}
}

func TestMismatches(t *testing.T) {
	job := "kubernetes:batch/v1:Job"
	ng := "eks:index:ManagedNodeGroup"
	expect := Expect{Replace: []string{ng + "::a", job}, Update: []string{"aws:eks/addon:Addon::vpc-cni"}}
	for _, tc := range []struct {
		name string
		ops  []Op
		want []string
	}{
		{"exactly as expected, two Jobs for the type entry", []Op{
			{"replace", ng, "a"}, {"replace", job, "check-1"}, {"replace", job, "check-2"}, {"update", "aws:eks/addon:Addon", "vpc-cni"}}, nil},
		{"a named entry takes no other name", []Op{
			{"replace", ng, "b"}, {"replace", job, "x"}, {"update", "aws:eks/addon:Addon", "vpc-cni"}},
			[]string{"would replace eks:index:ManagedNodeGroup::b, which the matrix does not expect", "expects replace eks:index:ManagedNodeGroup::a, which the preview does not do"}},
		{"the operation counts, not only the resource", []Op{
			{"update", ng, "a"}, {"replace", job, "x"}, {"update", "aws:eks/addon:Addon", "vpc-cni"}},
			[]string{"would update eks:index:ManagedNodeGroup::a", "expects replace eks:index:ManagedNodeGroup::a"}},
		{"an expected type that nothing matches", []Op{{"replace", ng, "a"}, {"update", "aws:eks/addon:Addon", "vpc-cni"}},
			[]string{"expects replace kubernetes:batch/v1:Job, which the preview does not do"}},
		{"nothing happens", nil, []string{"expects replace", "expects replace", "expects update"}},
	} {
		got := expect.Mismatches(tc.ops)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %q, want %d mismatches like %q", tc.name, got, len(tc.want), tc.want)
			continue
		}
		for i := range got {
			if !strings.Contains(got[i], tc.want[i]) {
				t.Errorf("%s: mismatch %d is %q, want it to say %q", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}

func TestLoadRefusesAMalformedMatrix(t *testing.T) {
	for _, tc := range []struct{ name, json, says string }{
		{"unknown field", `{"steps":[{"preset":"p","change":"c","set":{"k":"v"},"expect":{},"typo":1}]}`, "unknown field"},
		{"no change", `{"steps":[{"preset":"p","set":{"k":"v"},"expect":{}}]}`, "needs a preset and a change"},
		{"neither keys nor a release", `{"steps":[{"preset":"p","change":"c","expect":{}}]}`, "either sets keys or publishes"},
		{"both", `{"steps":[{"preset":"p","change":"c","set":{"k":"v"},"amiRelease":true,"expect":{}}]}`, "either sets keys or publishes"},
		{"refused yet changing", `{"steps":[{"preset":"p","change":"c","set":{"k":"v"},"refused":"no","expect":{"create":["a:b:C"]}}]}`, "a refused step changes nothing"},
		{"instances twice", `{"steps":[{"preset":"p","change":"c","set":{"multusInstanceIds":"[]"},"fixedInstances":["z"],"expect":{}}]}`, "leaves multusInstanceIds to them"},
		{"not a type", `{"steps":[{"preset":"p","change":"c","set":{"k":"v"},"expect":{"create":["Job"]}}]}`, `"Job" is neither`},
	} {
		path := filepath.Join(t.TempDir(), "matrix.json")
		if err := os.WriteFile(path, []byte(tc.json), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.says)
		}
	}
}

// A refused step leaves the stack where it was: the next step starts from the configuration before it.
func TestARefusedStepIsNotKept(t *testing.T) {
	base := map[string]string{"p:a": "1"}
	refused := Step{Set: map[string]string{"a": "2"}, Refused: "no"}
	if got := refused.Apply(base, "p"); got["p:a"] != "2" {
		t.Errorf("the tried configuration is %v", got)
	}
	if got := refused.Next(base, "p"); got["p:a"] != "1" {
		t.Errorf("after a refused step the stack runs %v", got)
	}
	if got := (Step{Set: map[string]string{"a": "2"}}).Next(base, "p"); got["p:a"] != "2" {
		t.Errorf("after a step the stack runs %v", got)
	}
}

// A step's fixed instances become multusInstanceIds, in the order of their zones, and the matrix's
// own step is left as it was.
func TestFixedInstancesAreTheRunningOnes(t *testing.T) {
	s := Step{Change: "c", Set: map[string]string{"multusAttachment": "instances"}, FixedInstances: []string{"z-b", "z-a"}}
	got, err := s.WithInstances(func(zone string) (string, error) { return "i-in-" + zone, nil })
	if err != nil {
		t.Fatal(err)
	}
	if cfg := got.Apply(map[string]string{}, "p"); cfg["p:multusInstanceIds"] != `["i-in-z-b","i-in-z-a"]` || cfg["p:multusAttachment"] != "instances" {
		t.Errorf("the step sets %v", cfg)
	}
	if _, set := s.Set[instanceIdsKey]; set {
		t.Errorf("the matrix's step was changed: %v", s.Set)
	}
	if _, err := s.WithInstances(func(zone string) (string, error) { return "", fmt.Errorf("no node in %s", zone) }); err == nil || !strings.Contains(err.Error(), "no node in z-b") {
		t.Errorf("a zone without an instance gave %v", err)
	}
}

func TestApplyBuildsOnThePreviousStep(t *testing.T) {
	base := map[string]string{"p:a": "1", "p:b": "2"}
	got := Step{Set: map[string]string{"b": "3", "c": "4"}}.Apply(base, "p")
	if len(got) != 3 || got["p:a"] != "1" || got["p:b"] != "3" || got["p:c"] != "4" || base["p:b"] != "2" {
		t.Errorf("Apply gave %v and left the base %v", got, base)
	}
}

// Every key of the project is changed by a step of the matrix, or the matrix says why not; a key it
// explains is changed by no step, and is a key of the project.
func TestEveryKeyIsChangedOrExplained(t *testing.T) {
	m, err := Load(matrixFile)
	if err != nil {
		t.Fatal(err)
	}
	changed := map[string]bool{}
	for _, s := range m.Steps {
		for k := range s.Set {
			changed[k] = true
		}
		if len(s.FixedInstances) > 0 {
			changed[instanceIdsKey] = true
		}
	}
	var keys []string
	for _, k := range config.Keys {
		keys = append(keys, k.Name)
		_, explained := m.NotChanged[k.Name]
		switch {
		case !changed[k.Name] && !explained:
			t.Errorf("no step changes %s, and the matrix's notChanged does not say why", k.Name)
		case changed[k.Name] && explained:
			t.Errorf("a step changes %s, which notChanged says no step does", k.Name)
		}
	}
	for k, why := range m.NotChanged {
		if !slices.Contains(keys, k) || why == "" {
			t.Errorf("notChanged explains %q with %q; want a key of the project and a reason", k, why)
		}
	}
}
