// Package verify turns a stack's configuration into the chapter's checks, as Kubernetes Jobs that
// `pulumi up` creates last and waits for (configuration key verify). Each Job runs one check of
// checks.sh; what it expects comes from the same Input the resources are built from, so flipping
// denyEgressPolicy, allowDnsEgress or ipv4Egress flips the expectation with the resource.
//
// A failing Job fails `pulumi up`: the kubernetes provider's Job await reports the pod's
// termination message (pulumi-kubernetes provider/pkg/await/job.go, cloud-ready-checks
// pkg/kubernetes/pod), and TerminationMessageFallbackToLogsOnError makes that the check's output.
package verify

import (
	_ "embed" // checks.sh
	"fmt"
	"net"
	"net/netip"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/policydemo"
	"eks-advanced-networking/internal/workload"
)

// Script is checks.sh: every check, selected by its first argument.
//
//go:embed checks.sh
var Script string

const (
	// Namespace holds the checks that belong to no demo namespace, at the Pod Security level
	// `restricted`.
	Namespace = "eks-verify"
	// HostNetworkNamespace holds the checks that run on the node's network (workload.Exceptions says
	// why it is `privileged`).
	HostNetworkNamespace = workload.HostNetworkChecksNamespace
	// CheckLabel names the check on its Job and pod.
	CheckLabel = "eks-advanced-networking/check"
	// RevisionAnnotation on the pod template carries what the check looks at (node group, add-on
	// configuration). The template is immutable, so a new revision replaces the Job: the check runs
	// again when what it checks changes.
	RevisionAnnotation = "eks-advanced-networking/checked-revision"
	// DeadlineSeconds bounds a check, pulling its image included; a check that cannot finish fails.
	DeadlineSeconds = 300
	// TargetPort is where the policy and Multus targets serve HTTP (busybox httpd).
	TargetPort = 8080
	// DnsName is the name the DNS check resolves through CoreDNS.
	DnsName = "kubernetes.default.svc.cluster.local"
	// calicoReader is the service account of the Calico status check.
	calicoReader = "calico-status-reader"
)

// The default targets answer plain HTTP on one address family only, and are reachable with the
// chapter's egress alone (the chapter's own check uses them).
const (
	DefaultIpv4Target = "ipv4.google.com:80"
	DefaultIpv6Target = "ipv6.google.com:80"
)

// Target is an endpoint a check connects to: host:port, host a DNS name (or, for IPv6, a literal).
type Target struct {
	Host string
	Port int
}

func (t Target) String() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// ParseTarget reads host:port. ipv4Only targets must be names: DNS64 is observed on a name's answer.
func ParseTarget(s string, ipv4Only bool) (Target, error) {
	host, portText, err := net.SplitHostPort(s)
	if err != nil {
		return Target{}, fmt.Errorf("not host:port, e.g. ipv4.google.com:80")
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return Target{}, fmt.Errorf("port %q is not 1 to 65535", portText)
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		if ipv4Only {
			return Target{}, fmt.Errorf("an address; name an IPv4-only host instead, so DNS64's answer for it can be seen")
		}
		if !addr.Is6() {
			return Target{}, fmt.Errorf("an IPv4 address; the IPv6 target must be an IPv6 address or a name with an AAAA record")
		}
		return Target{Host: host, Port: port}, nil
	}
	if !validHostname(host) {
		return Target{}, fmt.Errorf("%q is not a DNS name", host)
	}
	return Target{Host: host, Port: port}, nil
}

func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	label := 0
	for i, r := range h {
		switch {
		case r == '.':
			if label == 0 {
				return false
			}
			label = 0
			continue
		case r == '-':
			if label == 0 || i == len(h)-1 || h[i+1] == '.' {
				return false
			}
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		default:
			return false
		}
		label++
		if label > 63 {
			return false
		}
	}
	return label > 0
}

// Input is what the checks follow, from the same configuration the resources come from.
type Input struct {
	// Image is the busybox image the scripts and the target pods run (configuration key busyboxImage).
	Image string
	// KubernetesVersion picks the kubectl image of the Calico status check (same minor as the
	// cluster, kubectl's supported skew).
	KubernetesVersion string
	Ipv6              *Ipv6Input
	Policy            *PolicyInput
	Multus            *MultusInput
}

// Ipv6Input describes an IPv6 cluster: how its pods reach IPv4 (ipv4Egress), and the targets.
type Ipv6Input struct {
	NodeSnat, Nat64        bool
	Ipv4Target, Ipv6Target Target
}

// PolicyInput describes the chapter's policy demo (demoApps) and its engine.
type PolicyInput struct {
	// Calico adds the tigerastatus check.
	Calico bool
	// Enforced says an engine enforces NetworkPolicies (policyEngine is not none).
	Enforced   bool
	DenyEgress bool
	AllowDns   bool
}

// MultusInput is the Multus network whose demo pod (multus-pod) the checks look at.
type MultusInput struct {
	Network multus.Network
}

// Check is one of the chapter's checks as a Job, with what it shows for the README and outputs.
type Check struct {
	Name string
	// Shows is what a pass means, in the chapter's words.
	Shows string
	Job   *batchv1.Job
	// TargetPod names the TargetPods entry whose IP the Job's TARGET_IP must carry; the component
	// fills it in from the pod's status once Kubernetes assigned it.
	TargetPod string
}

// TargetPodEnv is the environment variable the target pod's address goes into.
const TargetPodEnv = "TARGET_IP"

// Checks are the stack's checks, in a stable order.
func Checks(in Input) ([]Check, error) {
	var out []Check
	if err := workload.ValidateImage(in.Image); err != nil {
		return nil, fmt.Errorf("the checks' image %q: %w", in.Image, err)
	}
	if in.Ipv6 != nil {
		out = append(out, ipv6Checks(*in.Ipv6, in.Image)...)
	}
	if in.Policy != nil {
		checks, err := policyChecks(*in.Policy, in.KubernetesVersion, in.Image)
		if err != nil {
			return nil, err
		}
		out = append(out, checks...)
	}
	if in.Multus != nil {
		out = append(out, multusChecks(in.Multus.Network, in.Image)...)
	}
	return out, nil
}

func ipv6Checks(in Ipv6Input, image string) []Check {
	target := func(t Target) []corev1.EnvVar {
		return []corev1.EnvVar{{Name: "TARGET_HOST", Value: t.Host}, {Name: "TARGET_PORT", Value: strconv.Itoa(t.Port)}}
	}
	checks := []Check{
		scriptCheck("node-internal-ip-ipv6", "node-internal-ip-ipv6", "the node a pod runs on registered an IPv6 InternalIP", Namespace, image, nil, nil),
		scriptCheck("pod-address-in-node-prefix", "pod-address-in-node-prefix", "pod addresses on a node lie in the /80 prefixes delegated to its ENIs", HostNetworkNamespace, image,
			[]corev1.EnvVar{{Name: "IMDS_HOST", Value: "169.254.169.254"}}, func(spec *corev1.PodSpec) {
				// Host network, to reach the instance metadata (hop limit 1) and see the pods' host routes;
				// next to CoreDNS, so the node surely runs pods.
				spec.HostNetwork = true
				spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
						LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
						Namespaces:    []string{"kube-system"},
						TopologyKey:   "kubernetes.io/hostname",
					}},
				}}
			}),
		scriptCheck("ipv6-target", "ipv6-target", "a pod reaches an IPv6-only target", Namespace, image, target(in.Ipv6Target), nil),
	}
	if in.NodeSnat {
		checks = append(checks, scriptCheck("ipv4-via-node-snat", "ipv4-via-node-snat",
			"a pod reaches an IPv4-only target through v4if0 (169.254.172.0/22) and the node's SNAT", Namespace, image, target(in.Ipv4Target), nil))
	}
	if in.Nat64 {
		checks = append(checks, scriptCheck("ipv4-via-nat64", "ipv4-via-nat64",
			"an IPv4-only name resolves to 64:ff9b::/96 (DNS64) and answers through NAT64", Namespace, image, target(in.Ipv4Target), nil))
	}
	if !in.NodeSnat && !in.Nat64 {
		checks = append(checks, scriptCheck("ipv4-unreachable", "ipv4-unreachable",
			"with ipv4Egress none, an IPv4-only target is unreachable", Namespace, image, target(in.Ipv4Target), nil))
	}
	return checks
}

func expectation(allowed bool) string {
	if allowed {
		return "allowed"
	}
	return "denied"
}

func policyChecks(in PolicyInput, kubernetesVersion, image string) ([]Check, error) {
	denied := in.Enforced && in.DenyEgress
	dnsDenied := denied && !in.AllowDns
	traffic := func(name, kind, from, to string, allowed bool, shows string) Check {
		c := scriptCheck(name, kind, shows, from, image, []corev1.EnvVar{
			{Name: "EXPECT", Value: expectation(allowed)},
			{Name: TargetPodEnv}, // the target pod's address, filled in by the component
			{Name: "TARGET_PORT", Value: strconv.Itoa(TargetPort)},
		}, nil)
		// Labelled as the namespace's app, so the chapter's policy selects the check's pod like the demo's.
		c.Job.Spec.Template.Labels["app"] = from
		c.TargetPod = to
		return c
	}
	src, dst := policydemo.Source, policydemo.Destination
	var checks []Check
	if in.Calico {
		c, err := calicoStatusCheck(kubernetesVersion)
		if err != nil {
			return nil, err
		}
		checks = append(checks, c)
	}
	policy := "without the deny-egress policy"
	if in.DenyEgress {
		policy = "with the deny-egress policy"
	}
	checks = append(checks,
		traffic(dst+"-serves", "tcp", Namespace, dst, true, "the deploy1 target answers from outside the policy (the control for a denied result)"),
		traffic(src+"-to-"+dst+"-tcp", "tcp", src, dst, !denied, "TCP from deploy2 to deploy1 is "+expectation(!denied)+" "+policy),
		traffic(dst+"-to-"+src+"-tcp", "tcp", dst, src, true, "deploy1 to deploy2 is unaffected by deploy2's egress policy"),
	)
	dns := scriptCheck(src+"-dns", "dns", "DNS from deploy2 is "+expectation(!dnsDenied)+" (allowDnsEgress "+strconv.FormatBool(in.AllowDns)+")", src, image,
		[]corev1.EnvVar{{Name: "EXPECT", Value: expectation(!dnsDenied)}, {Name: "DNS_NAME", Value: DnsName}}, nil)
	dns.Job.Spec.Template.Labels["app"] = src
	checks = append(checks, dns)
	return checks, nil
}

// KubectlImage is the Calico status check's image: kubectl of the cluster's minor version. Every
// release since v1.28 is published at registry.k8s.io/kubectl:vX.Y.Z.
func KubectlImage(kubernetesVersion string) string {
	return "registry.k8s.io/kubectl:v" + kubernetesVersion + ".0"
}

// CalicoStatusCommands are what the Calico status check runs, in order: the operator creates
// tigerastatus/calico once it reconciles the Installation (kubectl wait --for=create, kubectl
// v1.31+), then it must become Available. The image has no shell, so each is its own container.
var CalicoStatusCommands = [][]string{
	{"kubectl", "wait", "--for=create", "--timeout=120s", "tigerastatus/calico"},
	{"kubectl", "wait", "--for=condition=Available", "--timeout=240s", "tigerastatus/calico"},
}

func calicoStatusCheck(kubernetesVersion string) (Check, error) {
	if kubernetesVersion == "" {
		return Check{}, fmt.Errorf("the Calico status check needs the cluster's Kubernetes version")
	}
	c := scriptCheck("calico-available", "", "tigerastatus/calico is Available: the operator runs Calico", Namespace, KubectlImage(kubernetesVersion), nil, func(spec *corev1.PodSpec) {
		spec.ServiceAccountName = calicoReader
		token := true // kubectl reads tigerastatuses as calicoReader
		spec.AutomountServiceAccountToken = &token
		kubectl := spec.Containers[0]
		// kubectl keeps its discovery cache under $HOME/.kube; the root filesystem is read-only.
		kubectl.Env = []corev1.EnvVar{{Name: "HOME", Value: "/tmp"}}
		created, available := kubectl, kubectl
		created.Name, created.Command = "created", CalicoStatusCommands[0]
		available.Name, available.Command = "available", CalicoStatusCommands[1]
		spec.InitContainers = []corev1.Container{created}
		spec.Containers = []corev1.Container{available}
	}, "/tmp")
	return c, nil
}

func multusChecks(n multus.Network, image string) []Check {
	first, _ := n.ExpectedAddress(0)
	env := []corev1.EnvVar{
		{Name: "FIRST_ADDRESS", Value: first},
		{Name: "PREFIX_LENGTH", Value: strconv.Itoa(n.Subnet.Bits())},
		{Name: "NETWORK", Value: n.Name},
		{Name: "RANGE_START", Value: n.RangeStart.String()},
		{Name: "RANGE_END", Value: n.RangeEnd.String()},
		{Name: "TARGET_PORT", Value: strconv.Itoa(multus.DemoPodPort)},
		{Name: "DEMO_POD", Value: multus.DemoPodName},
	}
	onMultusNode := func(spec *corev1.PodSpec) { multus.OnMultusNode(spec, n) }
	net1 := scriptCheck("multus-net1", "multus-net1",
		"multus-pod's net1 has the plan's first address, "+first+", and a second pod on "+n.Name+" reaches it over net1", multus.NadNamespace, image, env, onMultusNode)
	net1.Job.Spec.Template.Annotations[multus.NetworksAnnotation] = n.Name
	eni := scriptCheck("multus-address-on-eni", "multus-address-on-eni",
		first+" is an address of the zone's Multus ENI, with no assign-private-ip-addresses step", HostNetworkNamespace, image,
		append([]corev1.EnvVar{{Name: "IMDS_HOST", Value: "169.254.169.254"}}, env...), func(spec *corev1.PodSpec) {
			onMultusNode(spec)
			spec.HostNetwork = true
		})
	return []Check{net1, eni}
}

// scriptCheck is a Job that runs checks.sh KIND in namespace, on busybox, once, within the deadline,
// at the Pod Security level `restricted` (workload.Restrict); pod may change the pod first, and
// writable are the directories its containers write to.
func scriptCheck(name, kind, shows, namespace, image string, env []corev1.EnvVar, pod func(*corev1.PodSpec), writable ...string) Check {
	labels := map[string]string{CheckLabel: name}
	base := []corev1.EnvVar{
		{Name: "CHECK_NAME", Value: name},
		{Name: "NODE_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
		{Name: "NODE_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.hostIP"}}},
		{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
	}
	backoff, deadline := int32(0), int64(DeadlineSeconds)
	job := &batchv1.Job{
		TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "verify-" + name, Namespace: namespace, Labels: labels,
			Annotations: map[string]string{
				// A failed check runs again at the next `pulumi up`, not only after a change.
				"pulumi.com/replaceUnready": "true",
				// Deleting a Job must not wait for its pods: checks never hold up `pulumi destroy`.
				"pulumi.com/deletionPropagationPolicy": "background",
			},
		},
		Spec: batchv1.JobSpec{
			BackoffLimit:          &backoff,
			ActiveDeadlineSeconds: &deadline,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{CheckLabel: name}, Annotations: map[string]string{}},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers: []corev1.Container{{
						Name: "check", Image: image, ImagePullPolicy: corev1.PullIfNotPresent,
						Command:                  []string{"sh", "-c", Script, "checks.sh", kind},
						Env:                      append(base, env...),
						TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
						},
					}},
				},
			},
		},
	}
	if pod != nil {
		pod(&job.Spec.Template.Spec)
	}
	workload.Restrict(&job.Spec.Template.Spec, writable...)
	return Check{Name: name, Shows: shows, Job: job}
}

// TargetPods are the policy checks' targets, one per demo namespace, labelled as its app so the
// chapter's policy treats them like the demo's pods: busybox httpd on TargetPort, which also answers
// ping. Keys are namespaces. They run at `restricted`, writing only their web root.
func TargetPods(image string) map[string]*corev1.Pod {
	out := map[string]*corev1.Pod{}
	for _, ns := range []string{policydemo.Destination, policydemo.Source} {
		pod := &corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: "verify-target", Namespace: ns, Labels: map[string]string{"app": ns, CheckLabel: "target"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{workload.WebServer("httpd", image, "hostname", TargetPort, corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
			})}},
		}
		workload.Restrict(&pod.Spec, "/www")
		out[ns] = pod
	}
	return out
}

// Objects are what the checks need besides their Jobs: their namespaces, and for the Calico status
// check a service account that may read tigerastatuses (cluster-scoped) and nothing else.
func Objects(checks []Check) []any {
	objects := []any{workload.Namespace(Namespace, workload.LevelOf(Namespace), nil)}
	for _, c := range checks {
		if c.Job.Namespace == HostNetworkNamespace {
			objects = append(objects, workload.Namespace(HostNetworkNamespace, workload.LevelOf(HostNetworkNamespace), nil))
			break
		}
	}
	for _, c := range checks {
		if c.Job.Spec.Template.Spec.ServiceAccountName != calicoReader {
			continue
		}
		objects = append(objects,
			&corev1.ServiceAccount{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
				ObjectMeta: metav1.ObjectMeta{Name: calicoReader, Namespace: Namespace},
			},
			&rbacv1.ClusterRole{
				TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
				ObjectMeta: metav1.ObjectMeta{Name: "eks-verify-" + calicoReader},
				Rules: []rbacv1.PolicyRule{{
					APIGroups: []string{"operator.tigera.io"}, Resources: []string{"tigerastatuses"},
					Verbs: []string{"get", "list", "watch"},
				}},
			},
			&rbacv1.ClusterRoleBinding{
				TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
				ObjectMeta: metav1.ObjectMeta{Name: "eks-verify-" + calicoReader},
				RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "eks-verify-" + calicoReader},
				Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: calicoReader, Namespace: Namespace}},
			})
	}
	return objects
}
