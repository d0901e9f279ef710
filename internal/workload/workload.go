// Package workload holds what every pod this project defines has in common: the busybox image its
// containers run (configuration key busyboxImage), the Pod Security Standards settings that let them
// run at the `restricted` level, and the labels by which each namespace we create asks the API
// server's PodSecurity admission plugin to enforce a level.
//
// The standard: https://kubernetes.io/docs/concepts/security/pod-security-standards/; the labels:
// https://kubernetes.io/docs/concepts/security/pod-security-admission/.
package workload

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultImage is Docker's official busybox image as ECR Public mirrors it (the "docker/library"
// namespace: https://gallery.ecr.aws/docker/library/busybox). Nodes pull it from inside AWS, so no
// Docker Hub anonymous pull limit applies to the NAT gateway's address.
const DefaultImage = "public.ecr.aws/docker/library/busybox:1.37"

// RunAsID is the user and group every container runs as: nobody and nogroup in busybox's own
// /etc/passwd and /etc/group, so the id has a name in a shell.
const RunAsID int64 = 65534

// Level is a Pod Security Standards level.
type Level string

// The three levels, from the most to the least restrictive.
const (
	Restricted Level = "restricted"
	Baseline   Level = "baseline"
	Privileged Level = "privileged"
)

// The namespace labels the PodSecurity admission plugin reads. enforce refuses a non-compliant pod;
// audit and warn record it and tell the client, which is how a user sees a violation in
// `pulumi up` before it is enforced.
const (
	EnforceLabel = "pod-security.kubernetes.io/enforce"
	AuditLabel   = "pod-security.kubernetes.io/audit"
	WarnLabel    = "pod-security.kubernetes.io/warn"
)

// NamespaceLabels are the three mode labels at one level.
func NamespaceLabels(level Level) map[string]string {
	return map[string]string{EnforceLabel: string(level), AuditLabel: string(level), WarnLabel: string(level)}
}

// Namespace is a namespace this project creates: its own labels plus the three Pod Security labels.
func Namespace(name string, level Level, labels map[string]string) *corev1.Namespace {
	all := NamespaceLabels(level)
	for k, v := range labels {
		all[k] = v
	}
	return &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: all},
	}
}

// Restrict makes a pod meet the `restricted` level: a fixed non-root user and group, the runtime's
// default seccomp profile, and in every container no privilege escalation, no capabilities and a
// read-only root filesystem. writable are the directories a container writes to; each becomes an
// emptyDir mounted in every container, so the root filesystem stays read-only. No API token is
// mounted unless the spec asks for one (AutomountServiceAccountToken true): our pods talk to the API
// server only where a check says so.
func Restrict(spec *corev1.PodSpec, writable ...string) {
	id, nonRoot, noToken := RunAsID, true, false
	if spec.AutomountServiceAccountToken == nil {
		spec.AutomountServiceAccountToken = &noToken
	}
	if spec.SecurityContext == nil {
		spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	spec.SecurityContext.RunAsNonRoot = &nonRoot
	spec.SecurityContext.RunAsUser = &id
	spec.SecurityContext.RunAsGroup = &id
	spec.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	var mounts []corev1.VolumeMount
	for _, dir := range writable {
		volume := volumeName(dir)
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: volume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
		mounts = append(mounts, corev1.VolumeMount{Name: volume, MountPath: dir})
	}
	harden := func(c *corev1.Container) {
		no, yes := false, true
		c.SecurityContext = &corev1.SecurityContext{
			AllowPrivilegeEscalation: &no,
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			ReadOnlyRootFilesystem:   &yes,
		}
		c.VolumeMounts = append(c.VolumeMounts, mounts...)
	}
	for i := range spec.InitContainers {
		harden(&spec.InitContainers[i])
	}
	for i := range spec.Containers {
		harden(&spec.Containers[i])
	}
}

// NoPing is why no pod of ours pings: busybox ping opens only a raw ICMP socket (upstream reverted
// its unprivileged SOCK_DGRAM fallback in 2014, commit f0058b1b1, "ping: revert \"try SOCK_DGRAM if no
// root privileges\""), which needs CAP_NET_RAW, and the Pod Security Standards allow NET_RAW at
// neither `restricted` nor `baseline`. net.ipv4.ping_group_range does not help a program that never
// asks for a ping socket. The policy checks probe with TCP instead.
const NoPing = "busybox ping needs CAP_NET_RAW, which neither the restricted nor the baseline Pod Security level allows"

func volumeName(dir string) string {
	return strings.ReplaceAll(strings.Trim(dir, "/"), "/", "-")
}

// ValidateImage says why ref is not an image reference a kubelet can pull: a name, optionally with a
// registry, a :tag and an @digest (the grammar of github.com/distribution/reference, which
// containerd and Kubernetes use).
func ValidateImage(ref string) error {
	if ref == "" {
		return fmt.Errorf("empty; give an image such as %s", DefaultImage)
	}
	if ref != strings.TrimSpace(ref) {
		return fmt.Errorf("has surrounding spaces")
	}
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return fmt.Errorf("not an image reference (%v); write [registry/]name[:tag][@sha256:digest], e.g. %s or %s@sha256:<64 hex digits>",
			err, DefaultImage, strings.SplitN(DefaultImage, ":", 2)[0])
	}
	return nil
}

// ImageOrDefault is image, or DefaultImage when it is empty, once ValidateImage accepts it: what a
// component does with the image a library user gives it.
func ImageOrDefault(image string) (string, error) {
	if image == "" {
		return DefaultImage, nil
	}
	return image, ValidateImage(image)
}

// Exception is a namespace this project creates at a level below `restricted`, and why.
type Exception struct {
	Namespace string
	Level     Level
	Why       string
}

// Exceptions lists every namespace we create below `restricted`. Tests hold every pod we define to
// its namespace's level, and every namespace not listed here to `restricted`.
func Exceptions() []Exception {
	out := []Exception{
		{TigeraOperatorNamespace, Privileged, "Tigera's operator runs on the host network (tigera-operator chart, templates/tigera-operator/02-tigera-operator.yaml: hostNetwork: true), which `baseline` forbids; Tigera's own manifest labels the namespace privileged"},
		{HostNetworkChecksNamespace, Privileged, "the checks that read the instance metadata (IMDSv2, hop limit 1) and the node's routes run on the host network, which `baseline` forbids; their containers are still non-root with no capabilities"},
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace < out[j].Namespace })
	return out
}

// Namespaces with an exception. They are named here, not in the feature packages, so the list of
// exceptions is one table.
const (
	TigeraOperatorNamespace    = "tigera-operator"
	HostNetworkChecksNamespace = "eks-verify-host"
)

// UpstreamWorkload is a workload we deploy from an upstream manifest, privileged by design, in a
// namespace we do not create.
type UpstreamWorkload struct {
	Namespace, Name, Why string
}

// UpstreamPrivileged lists them. Every other pod we define meets `restricted`.
func UpstreamPrivileged() []UpstreamWorkload {
	return []UpstreamWorkload{{
		Namespace: "kube-system", Name: "kube-multus-ds",
		Why: "Multus copies its CNI binary and configuration onto the host and enters pods' network namespaces: AWS's manifest " +
			"(amazon-vpc-cni-k8s config/multus/v4.1.4-eksbuild.3/multus-daemonset-thick.yml) runs it privileged on the host network with host paths",
	}}
}

// LevelOf is the level this project gives a namespace it creates.
func LevelOf(namespace string) Level {
	for _, e := range Exceptions() {
		if e.Namespace == namespace {
			return e.Level
		}
	}
	return Restricted
}

// WebServer is a busybox container that writes page (the output of a shell command list) to
// /www/index.html and serves it with httpd on port; Restrict the pod with "/www" writable.
func WebServer(name, image, page string, port int32, resources corev1.ResourceRequirements) corev1.Container {
	return corev1.Container{
		Name: name, Image: image, ImagePullPolicy: corev1.PullIfNotPresent,
		Command:   []string{"sh", "-c", page + " > /www/index.html && exec httpd -f -p " + strconv.Itoa(int(port)) + " -h /www"},
		Resources: resources,
	}
}

// Deployment is a Deployment of replicas pods labelled labels (its selector too), with spec at the
// `restricted` level and writable the directories it writes to.
func Deployment(name, namespace string, labels map[string]string, replicas int32, spec corev1.PodSpec, writable ...string) *appsv1.Deployment {
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
		},
	}
	Restrict(&d.Spec.Template.Spec, writable...)
	return d
}
