package multus

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
)

// fits says whether kube-scheduler's filters may put pod on node as far as labels and taints go:
// NodeAffinity (the pod's nodeSelector and required affinity) and TaintToleration (no NoSchedule
// taint the pod does not tolerate), with the matchers both filters call (kubernetes v1.37.2
// pkg/scheduler/framework/plugins/nodeaffinity and tainttoleration).
func fits(t *testing.T, spec corev1.PodSpec, node *corev1.Node) bool {
	t.Helper()
	pod := &corev1.Pod{Spec: spec}
	matches, err := nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)
	if err != nil {
		t.Fatal(err)
	}
	_, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), node.Spec.Taints, spec.Tolerations,
		func(taint *corev1.Taint) bool { return taint.Effect == corev1.TaintEffectNoSchedule }, false)
	return matches && !untolerated
}

// multusNode is a Multus node group's node in zone: registered with NodeTaint, and, once the unit has
// attached network's ENI (network non-empty), with the labels of its patch applied.
func multusNode(t *testing.T, name, zone, network string) *corev1.Node {
	t.Helper()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"topology.kubernetes.io/zone": zone}},
		Spec:       corev1.NodeSpec{Taints: []corev1.Taint{NodeTaint}},
	}
	if network == "" {
		return node
	}
	patch, err := AttachedLabelPatch(network)
	if err != nil {
		t.Fatal(err)
	}
	var applied corev1.Node
	if err := json.Unmarshal([]byte(patch), &applied); err != nil {
		t.Fatal(err)
	}
	for k, v := range applied.Labels {
		node.Labels[k] = v
	}
	return node
}

// While the Multus ENI moves to the zone's public subnet, its node group is replaced, and until the
// end of the update the zone has two labelled Multus nodes: the old one holding the private network's
// ENI and its successor holding the public one's. multus-pod and the Multus checks (OnMultusNode) of
// the public network may go only to the successor; a pod there on the old node would take an address
// the old ENI does not hold.
func TestAMultusPodGoesOnlyToANodeHoldingItsNetwork(t *testing.T) {
	private, public := chapter(), chapter()
	private.Zones = []string{"eu-central-1a", "eu-central-1b"}
	public.NetworkPrefix = "ipvlan-public"
	public.Subnets = []Subnet{{"eu-central-1a", "192.168.0.0/19"}}
	privateNetworks, err := Plan(private)
	if err != nil {
		t.Fatal(err)
	}
	publicNetworks, err := Plan(public)
	if err != nil {
		t.Fatal(err)
	}
	old := multusNode(t, "old", "eu-central-1a", privateNetworks[0].Name)
	successor := multusNode(t, "successor", "eu-central-1a", publicNetworks[0].Name)
	waiting := multusNode(t, "waiting-for-its-eni", "eu-central-1a", "")
	inZoneB := multusNode(t, "zone-b", "eu-central-1b", privateNetworks[1].Name)
	ordinary := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "ordinary", Labels: map[string]string{"topology.kubernetes.io/zone": "eu-central-1a"}}}

	demo, err := DemoDeployment(publicNetworks[0], "busybox:1.37")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		node *corev1.Node
		want bool
	}{{successor, true}, {old, false}, {waiting, false}, {inZoneB, false}, {ordinary, false}} {
		if got := fits(t, demo.Spec.Template.Spec, tc.node); got != tc.want {
			t.Errorf("multus-pod of %s fits node %s (labels %v): %v, want %v", publicNetworks[0].Name, tc.node.Name, tc.node.Labels, got, tc.want)
		}
	}
	// The old network's pods still go to the old node.
	var spec corev1.PodSpec
	OnMultusNode(&spec, privateNetworks[0])
	if !fits(t, spec, old) || fits(t, spec, successor) {
		t.Errorf("a pod of %s fits the old node: %v, the successor: %v; want only the old", privateNetworks[0].Name, fits(t, spec, old), fits(t, spec, successor))
	}
}
