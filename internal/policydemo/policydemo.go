// Package policydemo builds the chapter's network-policy test as Kubernetes API objects (k8s.io/api):
// namespaces deploy1 and deploy2, a busybox Deployment in each, and the default-deny egress policy in
// deploy2. They are built once here; the Pulumi resources, the offline manifests and the policy test
// (cyclonus) all take these same values.
package policydemo

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"eks-advanced-networking/internal/workload"
)

// The chapter's names.
const (
	Source      = "deploy2" // where the policy lives and the ping starts
	Destination = "deploy1"
	// DenyEgressPolicyName says what the policy does. The chapter calls it default-deny-ingress,
	// although it has policyTypes [Egress] and no egress rules: it denies egress.
	DenyEgressPolicyName = "default-deny-egress"
	// Port is where the demo's pods serve HTTP: above 1023, so a non-root process may bind it.
	Port = 8080
)

// Namespaces are deploy1 and deploy2, at the Pod Security level `restricted`.
func Namespaces() []*corev1.Namespace {
	var out []*corev1.Namespace
	for _, name := range []string{Destination, Source} {
		out = append(out, workload.Namespace(name, workload.Restricted, map[string]string{"app": name}))
	}
	return out
}

// Deployments are one busybox pod per namespace, labelled app: <namespace>, serving its name over
// HTTP on Port (busybox httpd) so the other namespace has something to reach, with requests and
// limits so it schedules predictably. They run at `restricted`, writing only their web root.
func Deployments(image string) []*appsv1.Deployment {
	var out []*appsv1.Deployment
	for _, name := range []string{Destination, Source} {
		server := workload.WebServer("busybox", image, "hostname", Port, corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
		})
		server.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: Port}}
		out = append(out, workload.Deployment(name, name, map[string]string{"app": name}, 1,
			corev1.PodSpec{Containers: []corev1.Container{server}}, "/www"))
	}
	return out
}

// DenyEgressPolicy is the chapter's policy in deploy2: every pod selected, egress only, no rules, so
// all egress is denied. allowDns adds one rule: UDP and TCP 53 to kube-system's kube-dns pods, which
// lets names resolve while everything else stays blocked.
func DenyEgressPolicy(allowDns bool) *networkingv1.NetworkPolicy {
	p := &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: DenyEgressPolicyName, Namespace: Source},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
		},
	}
	if allowDns {
		udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
		dns := intstr.FromInt32(53)
		p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
			To: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}},
				PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
			}},
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &dns}, {Protocol: &tcp, Port: &dns}},
		}}
	}
	return p
}

// TestCommands are the chapter's check: deploy2 reaches deploy1's pod. It answers without the policy
// and times out with it. The chapter pings; our pods cannot (workload.NoPing), so the check asks
// deploy1's web server instead, which the policy treats the same way.
func TestCommands() []string {
	return []string{
		"POD_IP=$(kubectl get pod -n " + Destination + " -l app=" + Destination + " -o jsonpath='{.items[0].status.podIP}')",
		`case "$POD_IP" in *:*) POD_IP="[$POD_IP]" ;; esac`, // an IPv6 address goes in brackets in a URL
		"kubectl exec -n " + Source + " deploy/" + Source + " -- wget -q -O- -T 5 \"http://$POD_IP:" + strconv.Itoa(Port) + "/\"",
	}
}
