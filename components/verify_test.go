package components

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"eks-advanced-networking/internal/plan"
	"eks-advanced-networking/internal/verify"
	"eks-advanced-networking/internal/workload"
)

// runChecks registers the chapter's policy checks (Calico, deny egress off) against a stand-in for
// what they check, a namespace.
func runChecks(t *testing.T, revision pulumi.StringInput, skipAwait bool) (*plan.Plan, []verify.Check) {
	t.Helper()
	checks, err := verify.Checks(verify.Input{Image: workload.DefaultImage, KubernetesVersion: "1.35",
		Policy: &verify.PolicyInput{Calico: true, Enforced: true, AllowDns: true}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Run(plan.Options{Project: "test", Stack: "test", Config: map[string]string{"aws:region": "eu-central-1"}},
		func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
			checked, err := newKubeObject(ctx, "demo", &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
				ObjectMeta: metav1.ObjectMeta{Name: "demo"}})
			if err != nil {
				return nil, err
			}
			c, err := NewScenarioChecks(ctx, "verify", &ScenarioChecksArgs{Checks: checks, Checked: []pulumi.Resource{checked},
				Revision: revision, SkipAwait: skipAwait})
			if err != nil {
				return nil, err
			}
			return map[string]pulumi.Output{"checks": c.Checks}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return p, checks
}

func TestScenarioChecks(t *testing.T) {
	p, checks := runChecks(t, pulumi.String("nodes: 1"), false)
	checked := get(t, p, "kubernetes:core/v1:Namespace", "demo")
	var summary []any
	targets := 0
	for _, check := range checks {
		job := get(t, p, "kubernetes:batch/v1:Job", "verify-"+check.Name)
		if !job.DependsOn(checked.URN) {
			t.Errorf("check %s does not wait for what it checks", check.Name)
		}
		if job.String(`metadata.annotations.pulumi\.com/replaceUnready`) != "true" || job.String(`metadata.annotations.pulumi\.com/skipAwait`) != "" {
			t.Errorf("check %s, awaited: annotations %v", check.Name, job.Input("metadata.annotations"))
		}
		if job.String(`spec.template.metadata.annotations.`+strings.ReplaceAll(verify.RevisionAnnotation, ".", `\.`)) == "" {
			t.Errorf("check %s carries no revision: %v", check.Name, job.Input("spec.template.metadata"))
		}
		if check.TargetPod != "" {
			targets++
			if target := get(t, p, "kubernetes:core/v1:Pod", "verify-target-"+check.TargetPod); !job.DependsOn(target.URN) || !target.DependsOn(checked.URN) {
				t.Errorf("check %s and its target pod in %s: the job's deps %v", check.Name, check.TargetPod, job.Dependencies)
			}
		}
		summary = append(summary, check.Name+": "+check.Shows)
	}
	if targets == 0 {
		t.Fatal("no policy check targets a pod; the test shows nothing of the targets")
	}
	if got, _ := p.Outputs["checks"].([]any); !reflect.DeepEqual(got, summary) {
		t.Errorf("checks output %v, want %v", p.Outputs["checks"], summary)
	}
	component := get(t, p, ScenarioChecksType, "verify")
	for _, r := range p.Resources {
		if r.URN != component.URN && r.URN != checked.URN && r.Parent != component.URN {
			t.Errorf("%s %s is not the component's child (parent %q)", r.Type, r.Name, r.Parent)
		}
	}

	// The revision is a digest of what the checks look at: the same input gives the same one, and a
	// change re-runs every check.
	revisionOf := func(p *plan.Plan) string {
		return get(t, p, "kubernetes:batch/v1:Job", "verify-"+checks[0].Name).String(`spec.template.metadata.annotations.` + strings.ReplaceAll(verify.RevisionAnnotation, ".", `\.`))
	}
	again, _ := runChecks(t, pulumi.String("nodes: 1"), false)
	changed, _ := runChecks(t, pulumi.String("nodes: 2"), false)
	if revisionOf(again) != revisionOf(p) || revisionOf(changed) == revisionOf(p) {
		t.Errorf("revisions %q, again %q, after a change %q", revisionOf(p), revisionOf(again), revisionOf(changed))
	}
	if none, _ := runChecks(t, nil, false); revisionOf(none) != "" {
		t.Errorf("no revision given, and the checks carry %q", revisionOf(none))
	}

	// Where nothing runs (skipAwait), nothing is awaited and an unready Job is not replaced.
	skipped, _ := runChecks(t, nil, true)
	for _, check := range checks {
		job := get(t, skipped, "kubernetes:batch/v1:Job", "verify-"+check.Name)
		if job.String(`metadata.annotations.pulumi\.com/skipAwait`) != "true" || job.String(`metadata.annotations.pulumi\.com/replaceUnready`) != "" {
			t.Errorf("check %s, skipAwait: annotations %v", check.Name, job.Input("metadata.annotations"))
		}
	}
	for _, pod := range skipped.ByType("kubernetes:core/v1:Pod") {
		if pod.String(`metadata.annotations.pulumi\.com/skipAwait`) != "true" {
			t.Errorf("target pod %s, skipAwait: annotations %v", pod.Name, pod.Input("metadata.annotations"))
		}
	}
}

func TestScenarioChecksRefusesBadArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		args *ScenarioChecksArgs
		want string
	}{
		{"no checks", &ScenarioChecksArgs{}, "ScenarioChecks verify: no checks to run"},
		{"nil args", nil, "ScenarioChecks verify: no checks to run"},
		{"bad image", &ScenarioChecksArgs{Checks: []verify.Check{{Name: "x"}}, Image: "Busybox:1.37"}, `ScenarioChecks verify: Image "Busybox:1.37": not an image reference`},
	} {
		p, err := runProgram(t, func(ctx *pulumi.Context) error {
			_, err := NewScenarioChecks(ctx, "verify", tc.args)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
		if len(p.Resources) != 0 {
			t.Errorf("%s: registered %d resources before refusing", tc.name, len(p.Resources))
		}
	}
}
