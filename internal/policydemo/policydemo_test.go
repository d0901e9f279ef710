package policydemo

import (
	"testing"

	"github.com/mattfenwick/cyclonus/pkg/matcher"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"eks-advanced-networking/internal/workload"
)

// pod is a demo pod as the policy matcher sees it: its labels, its namespace's labels (including the
// one the API server adds), and an address.
func pod(namespace, labelKey, labelValue, ip string) *matcher.TrafficPeer {
	return &matcher.TrafficPeer{IP: ip, Internal: &matcher.InternalPeer{
		Namespace:       namespace,
		PodLabels:       map[string]string{labelKey: labelValue},
		NamespaceLabels: map[string]string{"kubernetes.io/metadata.name": namespace, "app": namespace},
	}}
}

var (
	deploy1 = pod(Destination, "app", Destination, "192.168.100.10")
	deploy2 = pod(Source, "app", Source, "192.168.110.20")
	coredns = pod("kube-system", "k8s-app", "kube-dns", "192.168.120.30")
)

// The matcher models TCP, UDP and SCTP by port; ICMP (the chapter's ping) it treats as a protocol no
// port rule names, which is how Kubernetes treats it too.
var flows = []struct {
	name     string
	src, dst *matcher.TrafficPeer
	port     int
	protocol corev1.Protocol
}{
	{"ping deploy2 -> deploy1", deploy2, deploy1, 0, "ICMP"},
	{"http deploy2 -> deploy1", deploy2, deploy1, 80, corev1.ProtocolTCP},
	{"udp deploy2 -> deploy1", deploy2, deploy1, 5000, corev1.ProtocolUDP},
	{"ping deploy1 -> deploy2", deploy1, deploy2, 0, "ICMP"},
	{"http deploy1 -> deploy2", deploy1, deploy2, 80, corev1.ProtocolTCP},
	{"dns deploy2 -> coredns (udp)", deploy2, coredns, 53, corev1.ProtocolUDP},
	{"dns deploy2 -> coredns (tcp)", deploy2, coredns, 53, corev1.ProtocolTCP},
	{"http deploy2 -> coredns", deploy2, coredns, 80, corev1.ProtocolTCP},
}

func allowed(t *testing.T, policies []*networkingv1.NetworkPolicy) map[string]bool {
	t.Helper()
	engine := matcher.BuildNetworkPolicies(true, policies)
	out := map[string]bool{}
	for _, f := range flows {
		out[f.name] = engine.IsTrafficAllowed(&matcher.Traffic{
			Source: f.src, Destination: f.dst, ResolvedPort: f.port, Protocol: f.protocol,
		}).IsAllowed()
	}
	return out
}

func TestChapterPolicy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		policies []*networkingv1.NetworkPolicy
		denied   []string
	}{
		{"no policy: everything flows", nil, nil},
		{"deny egress: deploy2 reaches nothing, deploy1 unaffected", []*networkingv1.NetworkPolicy{DenyEgressPolicy(false)}, []string{
			"ping deploy2 -> deploy1", "http deploy2 -> deploy1", "udp deploy2 -> deploy1",
			"dns deploy2 -> coredns (udp)", "dns deploy2 -> coredns (tcp)", "http deploy2 -> coredns",
		}},
		{"deny egress, DNS allowed: only DNS to CoreDNS leaves deploy2", []*networkingv1.NetworkPolicy{DenyEgressPolicy(true)}, []string{
			"ping deploy2 -> deploy1", "http deploy2 -> deploy1", "udp deploy2 -> deploy1", "http deploy2 -> coredns",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := allowed(t, tc.policies)
			for _, f := range flows {
				want := true
				for _, d := range tc.denied {
					want = want && d != f.name
				}
				if got[f.name] != want {
					t.Errorf("%s: allowed = %v, want %v", f.name, got[f.name], want)
				}
			}
		})
	}
}

func TestDemoObjects(t *testing.T) {
	p := DenyEgressPolicy(false)
	if p.Name != "default-deny-egress" || p.Namespace != "deploy2" || len(p.Spec.Egress) != 0 ||
		len(p.Spec.PodSelector.MatchLabels) != 0 || len(p.Spec.PolicyTypes) != 1 || p.Spec.PolicyTypes[0] != networkingv1.PolicyTypeEgress {
		t.Errorf("policy %+v is not the chapter's deny-all egress", p)
	}
	levels := map[string]workload.Level{}
	for _, ns := range Namespaces() {
		levels[ns.Name] = workload.Level(ns.Labels[workload.EnforceLabel])
	}
	for _, d := range Deployments(workload.DefaultImage) {
		// The real PodSecurity checks at the namespace's level, which must be restricted.
		if levels[d.Namespace] != workload.Restricted {
			t.Errorf("namespace %s enforces %q, want restricted", d.Namespace, levels[d.Namespace])
		}
		if v, err := workload.Violations(levels[d.Namespace], &d.Spec.Template.ObjectMeta, &d.Spec.Template.Spec); err != nil || len(v) > 0 {
			t.Errorf("deployment %s/%s is refused at %s: %v %v", d.Namespace, d.Name, levels[d.Namespace], v, err)
		}
		c := d.Spec.Template.Spec.Containers[0]
		if c.Image != workload.DefaultImage {
			t.Errorf("deployment %s/%s runs %s, not the image it was given", d.Namespace, d.Name, c.Image)
		}
		if d.Spec.Template.Labels["app"] != d.Namespace || c.ImagePullPolicy != corev1.PullIfNotPresent ||
			c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() {
			t.Errorf("deployment %s/%s: labels %v, pull %s, resources %v", d.Namespace, d.Name, d.Spec.Template.Labels, c.ImagePullPolicy, c.Resources)
		}
	}
}
