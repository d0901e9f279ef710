package replacement

import "strings"

// kubernetesForceNew holds pulumi-kubernetes's replace-on-change paths per group, version and kind
// (pulumi-kubernetes provider/pkg/provider/diff.go, forceNew, at the provider this project builds,
// provider/v4 v4.0.0-20260115033456-f47bc2d6f199, reported as 4.32.0). Every kind is also replaced
// when .metadata.name or .metadata.namespace changes. ConfigMaps and Secrets follow the provider's
// defaults (enableConfigMapMutable and enableSecretMutable off), which this program keeps.
var kubernetesForceNew = map[string][]string{
	"apps/v1/DaemonSet":                               withSelector("spec.selector"),
	"apps/v1/Deployment":                              withSelector("spec.selector"),
	"apps/v1/StatefulSet":                             append(withSelector("spec.selector"), "spec.podManagementPolicy", "spec.revisionHistoryLimit", "spec.serviceName", "spec.volumeClaimTemplates"),
	"batch/v1/Job":                                    append(withSelector("spec.selector"), "spec.completions", "spec.parallelism", "spec.template"),
	"core/v1/ConfigMap":                               {"binaryData", "data"},
	"core/v1/Secret":                                  {"type", "stringData", "data"},
	"core/v1/Service":                                 {"spec.clusterIP"},
	"core/v1/PersistentVolumeClaim":                   append(withSelector("spec.selector"), "spec.accessModes", "spec.storageClassName", "spec.volumeName"),
	"core/v1/ResourceQuota":                           {"spec.scopes"},
	"policy/v1beta1/PodDisruptionBudget":              {"spec"},
	"rbac.authorization.k8s.io/v1/ClusterRoleBinding": {"roleRef"},
	"rbac.authorization.k8s.io/v1/RoleBinding":        {"roleRef"},
	"storage.k8s.io/v1/StorageClass":                  {"parameters", "provisioner"},
	"core/v1/Pod":                                     podForceNew(),
}

func withSelector(prefix string) []string {
	return []string{prefix, prefix + ".matchExpressions", prefix + ".matchLabels"}
}

func podForceNew() []string {
	out := []string{"spec.affinity", "spec.automountServiceAccountToken", "spec.dnsConfig", "spec.dnsPolicy",
		"spec.enableServiceLinks", "spec.hostAliases", "spec.hostIPC", "spec.hostNetwork", "spec.hostPID",
		"spec.hostname", "spec.imagePullSecrets", "spec.nodeName", "spec.nodeSelector", "spec.overhead",
		"spec.preemptionPolicy", "spec.priority", "spec.priorityClassName", "spec.readinessGates",
		"spec.restartPolicy", "spec.runtimeClassName", "spec.schedulerName", "spec.securityContext",
		"spec.serviceAccount", "spec.serviceAccountName", "spec.shareProcessNamespace", "spec.subdomain",
		"spec.terminationGracePeriodSeconds", "spec.volumes"}
	for _, list := range []string{"spec.containers[*]", "spec.initContainers[*]"} {
		for _, field := range []string{"args", "command", "env", "image", "imagePullPolicy", "lifecycle",
			"livenessProbe", "ports", "readinessProbe", "resources", "securityContext", "stdin", "stdinOnce",
			"terminationMessagePath", "terminationMessagePolicy", "tty", "volumeDevices", "volumeMounts", "workingDir"} {
			out = append(out, list+"."+field)
		}
	}
	return out
}

// kubernetesComponents are pulumi-kubernetes components whose children are rendered at deploy time.
var kubernetesComponents = map[string]bool{
	"kubernetes:helm.sh/v4:Chart":    true,
	"kubernetes:yaml/v2:ConfigFile":  true,
	"kubernetes:yaml/v2:ConfigGroup": true,
}

// kubernetes applies pulumi-kubernetes's rules: a change at path replaces the object when a
// replace-on-change path lies on it, above it or below it (the provider matches the patch against
// JSONPath queries, so a change to all of spec.selector matches spec.selector.matchLabels).
func kubernetes(typ string, path []string) (Verdict, string) {
	if kubernetesComponents[typ] {
		return Unknown, "pulumi-kubernetes renders this component's objects at deploy time; a plan cannot see which of them change"
	}
	module, kind, ok := moduleAndKind(typ)
	if !ok {
		return Unknown, "not a Kubernetes type token: " + typ
	}
	rules := append([]string{"metadata.name", "metadata.namespace"}, kubernetesForceNew[module+"/"+kind]...)
	for _, rule := range rules {
		if overlaps(Split(rule), path) {
			return Replaces, "forces replacement: ." + rule
		}
	}
	return InPlace, ""
}

// moduleAndKind cuts kubernetes:apps/v1:Deployment into apps/v1 and Deployment.
func moduleAndKind(typ string) (string, string, bool) {
	parts := strings.Split(typ, ":")
	if len(parts) != 3 || !strings.Contains(parts[1], "/") {
		return "", "", false
	}
	return parts[1], parts[2], true
}

// overlaps says whether one path is a prefix of the other, "[*]" matching any index.
func overlaps(rule, path []string) bool {
	n := min(len(rule), len(path))
	for i := range n {
		if rule[i] == "[*]" && strings.HasPrefix(path[i], "[") {
			continue
		}
		if rule[i] != path[i] {
			return false
		}
	}
	return true
}
