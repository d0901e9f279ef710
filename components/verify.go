package components

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/verify"
	"eks-advanced-networking/internal/workload"
)

// ScenarioChecksType is the component's type token.
const ScenarioChecksType = "eks-advanced-networking:verify:ScenarioChecks"

// ScenarioChecksArgs are the checks to run, from verify.Checks.
type ScenarioChecksArgs struct {
	Checks []verify.Check
	// Image is the busybox image of the policy checks' target pods; empty means workload.DefaultImage.
	Image string
	// Checked is what the checks run against: every Job waits for it, and goes before it on destroy.
	Checked []pulumi.Resource
	// Revision stands for what the checks look at (nodes, add-on configuration); when it changes,
	// every check runs again. Empty means the checks re-run only when they themselves change.
	Revision pulumi.StringInput
	// SkipAwait creates the Jobs without waiting for them (a cluster with no nodes runs nothing).
	SkipAwait bool
}

// ScenarioChecks runs the chapter's checks as Jobs once what they check (args.Checked) is up. `pulumi up` waits for each Job and fails with the check's output when one
// fails; a failed check's Job is replaced, and so run again, by the next `pulumi up`.
type ScenarioChecks struct {
	pulumi.ResourceState

	// Checks are "<name>: <what a pass shows>", in run order.
	Checks pulumi.StringArrayOutput `pulumi:"checks"`
}

// kubePod is a Pod registered from its k8s.io value whose status the checks read.
type kubePod struct {
	pulumi.CustomResourceState
	Status pulumi.MapOutput `pulumi:"status"`
}

// NewScenarioChecks registers the checks; it needs a Kubernetes provider among opts.
func NewScenarioChecks(ctx *pulumi.Context, name string, args *ScenarioChecksArgs, opts ...pulumi.ResourceOption) (*ScenarioChecks, error) {
	if args == nil || len(args.Checks) == 0 {
		return nil, fmt.Errorf("ScenarioChecks %s: no checks to run", name)
	}
	image, err := workload.ImageOrDefault(args.Image)
	if err != nil {
		return nil, fmt.Errorf("ScenarioChecks %s: Image %q: %w", name, args.Image, err)
	}
	c := &ScenarioChecks{}
	if err := ctx.RegisterComponentResource(ScenarioChecksType, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	// Everything here waits for what is checked: the targets live in the demo's namespaces.
	checked := pulumi.DependsOn(args.Checked)
	prerequisites := append([]pulumi.Resource{}, args.Checked...)
	for _, obj := range verify.Objects(args.Checks) {
		objArgs, token, err := kubeObjectArgs(obj)
		if err != nil {
			return nil, err
		}
		objectName, _ := childMap(objArgs, "metadata")["name"].(string)
		var res kubeObject
		if err := ctx.RegisterResource(token, name+"-"+kindName(token)+"-"+objectName, objArgs, &res, parent, checked); err != nil {
			return nil, err
		}
		prerequisites = append(prerequisites, &res)
	}

	// The policy checks' targets, only for the namespaces some check targets.
	targetIps := map[string]pulumi.StringOutput{}
	targets := verify.TargetPods(image)
	for _, ns := range slices.Sorted(maps.Keys(targets)) {
		if !targeted(args.Checks, ns) {
			continue
		}
		pod := targets[ns]
		if args.SkipAwait {
			skipAwait(&pod.ObjectMeta)
		}
		podArgs, token, err := kubeObjectArgs(pod)
		if err != nil {
			return nil, err
		}
		var res kubePod
		if err := ctx.RegisterResource(token, name+"-target-"+ns, podArgs, &res, parent, checked); err != nil {
			return nil, err
		}
		targetIps[ns] = res.Status.ApplyT(func(status map[string]any) string {
			ip, _ := status["podIP"].(string)
			return ip
		}).(pulumi.StringOutput)
		prerequisites = append(prerequisites, &res)
	}

	var revision pulumi.StringOutput
	if args.Revision != nil {
		revision = args.Revision.ToStringOutput().ApplyT(func(s string) string {
			sum := sha256.Sum256([]byte(s))
			return hex.EncodeToString(sum[:8])
		}).(pulumi.StringOutput)
	}
	var summary []string
	for _, check := range args.Checks {
		job := check.Job.DeepCopy()
		if args.SkipAwait {
			skipAwait(&job.ObjectMeta)
			// Where nothing runs, a Job never completes; replacing unready Jobs would then replace
			// every check at every update (pulumi-kubernetes provider.go, Diff, replaceUnready).
			delete(job.Annotations, "pulumi.com/replaceUnready")
		}
		jobArgs, token, err := kubeObjectArgs(job)
		if err != nil {
			return nil, err
		}
		// What is known only once resources exist (the revision, a target pod's address) goes into the
		// Job's spec through one output: the SDK does not await outputs nested in plain maps.
		dynamic := pulumi.StringMap{}
		if args.Revision != nil {
			dynamic["revision"] = revision
		}
		if check.TargetPod != "" {
			ip, ok := targetIps[check.TargetPod]
			if !ok {
				return nil, fmt.Errorf("ScenarioChecks %s: check %s targets namespace %s, which has no target pod", name, check.Name, check.TargetPod)
			}
			dynamic["targetIp"] = ip
		}
		if len(dynamic) > 0 {
			spec := childMap(jobArgs, "spec")
			checkName := check.Name
			jobArgs["spec"] = dynamic.ToStringMapOutput().ApplyT(func(values map[string]string) (map[string]any, error) {
				template := childMap(spec, "template")
				if revision, ok := values["revision"]; ok {
					childMap(childMap(template, "metadata"), "annotations")[verify.RevisionAnnotation] = revision
				}
				if ip, ok := values["targetIp"]; ok {
					if err := setEnv(template, verify.TargetPodEnv, ip); err != nil {
						return nil, fmt.Errorf("ScenarioChecks %s: check %s: %w", name, checkName, err)
					}
				}
				return spec, nil
			}).(pulumi.MapOutput)
		}
		var res kubeObject
		if err := ctx.RegisterResource(token, name+"-"+check.Name, jobArgs, &res, parent, pulumi.DependsOn(prerequisites)); err != nil {
			return nil, err
		}
		summary = append(summary, check.Name+": "+check.Shows)
	}
	c.Checks = pulumi.ToStringArray(summary).ToStringArrayOutput()
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"checks": c.Checks})
}

func targeted(checks []verify.Check, namespace string) bool {
	for _, c := range checks {
		if c.TargetPod == namespace {
			return true
		}
	}
	return false
}

// kindName is the Kind of a type token (kubernetes:core/v1:Namespace), lower case, for names.
func kindName(token string) string {
	return strings.ToLower(token[strings.LastIndex(token, ":")+1:])
}

// childMap is m[key] as a map, made if absent (JSON drops empty maps).
func childMap(m map[string]any, key string) map[string]any {
	child, ok := m[key].(map[string]any)
	if !ok {
		child = map[string]any{}
		m[key] = child
	}
	return child
}

// setEnv sets the value of the named environment variable of every container in a pod template's
// inputs.
func setEnv(template map[string]any, name, value string) error {
	containers, _ := childMap(template, "spec")["containers"].([]any)
	found := false
	for _, container := range containers {
		c, _ := container.(map[string]any)
		env, _ := c["env"].([]any)
		for _, e := range env {
			if v, _ := e.(map[string]any); v != nil && v["name"] == name {
				v["value"] = value
				found = true
			}
		}
	}
	if !found {
		return fmt.Errorf("no container has the variable %s to fill in", name)
	}
	return nil
}
