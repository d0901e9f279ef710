package workload

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// Violations are what the PodSecurity admission plugin would refuse in a pod at level, in the
// plugin's own words: it runs the plugin's checks (k8s.io/pod-security-admission/policy), at the
// latest version of the standard. Nil means the pod is admitted.
func Violations(level Level, meta *metav1.ObjectMeta, spec *corev1.PodSpec) ([]string, error) {
	lv := psaapi.LevelVersion{Version: psaapi.LatestVersion()}
	switch level {
	case Restricted:
		lv.Level = psaapi.LevelRestricted
	case Baseline:
		lv.Level = psaapi.LevelBaseline
	case Privileged:
		lv.Level = psaapi.LevelPrivileged
	default:
		return nil, fmt.Errorf("unknown Pod Security level %q", level)
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range evaluator.EvaluatePod(lv, meta, spec) {
		if !r.Allowed {
			out = append(out, r.ForbiddenReason+" ("+r.ForbiddenDetail+")")
		}
	}
	return out, nil
}
