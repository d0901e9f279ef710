package awstwin

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/netip"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"eks-advanced-networking/test/awstwin/awsdata"
)

// The nodes a managed node group registers with its cluster, as kubelet and EKS would name and
// label them, for a cluster backed by a real API server. Nothing runs on them: they are there so
// kube-scheduler has somewhere to bind the stack's pods, and so a selector, a taint or a pod limit
// that would strand a pod on AWS strands it here too.

// maxPodsLine is kubelet.config.maxPods in a nodeadm NodeConfig, and maxPodsExpressionLine
// kubelet.maxPodsExpression when it is an integer literal, which is how our user data sets it.
var (
	maxPodsLine           = regexp.MustCompile(`(?m)^\s*maxPods:\s*(\d+)\s*$`)
	maxPodsExpressionLine = regexp.MustCompile(`(?m)^\s*maxPodsExpression:\s*["']?(\d+)["']?\s*$`)
)

// MaxPods is the pod capacity a node of the group gets, as nodeadm sets it: the user data's
// config.maxPods if it sets one (it takes precedence), else its maxPodsExpression (only integer
// literals are evaluated here), else the VPC CNI's formula from EC2's numbers for the type,
// ENIs × (IPv4 addresses per ENI − 1) + 2 (amazon-vpc-cni-k8s misc/eni-max-pods.txt). EC2 refuses an
// instance type it does not have; the twin does not guess one.
func MaxPods(instanceType, userData string) (int, *Error) {
	if raw, err := base64.StdEncoding.DecodeString(userData); err == nil {
		for _, line := range []*regexp.Regexp{maxPodsLine, maxPodsExpressionLine} {
			if m := line.FindStringSubmatch(string(raw)); m != nil {
				n, _ := strconv.Atoi(m[1])
				return n, nil
			}
		}
	}
	t, err := describeInstanceType(instanceType)
	if err != nil {
		return 0, err
	}
	return t.NetworkInfo.MaximumNetworkInterfaces*(t.NetworkInfo.Ipv4AddressesPerInterface-1) + 2, nil
}

var taintEffects = map[string]corev1.TaintEffect{
	"NO_SCHEDULE": corev1.TaintEffectNoSchedule, "NO_EXECUTE": corev1.TaintEffectNoExecute,
	"PREFER_NO_SCHEDULE": corev1.TaintEffectPreferNoSchedule,
}

// NodesFor are the Node objects of a node group: desiredSize of them, spread over its subnets'
// zones, with the labels EKS and kubelet set, the group's labels and taints, its pod capacity and
// Ready.
func (a *Account) NodesFor(ng *Record) []*corev1.Node {
	return a.nodesFor(ng, 0, desiredSize(ng))
}

// nodesFor are the group's nodes first to desired-1: the zones take turns from the first, so nodes
// a group scales up by continue the spread of those it has, as an Auto Scaling group keeps its zones
// balanced (Amazon EC2 Auto Scaling User Guide, "Rebalancing activities").
func (a *Account) nodesFor(ng *Record, first, desired int) []*corev1.Node {
	cluster, _ := a.cluster(ng.str("clusterName"))
	ipv6 := cluster != nil && strOf(object(cluster.Outputs["kubernetesNetworkConfig"]), "ipFamily") == "ipv6"
	instance, userData, err := a.nodeLaunch(ng)
	if err != nil {
		return nil // the node group's create was refused for it
	}
	instanceType := instance.InstanceType
	arch := map[string]string{"x86_64": "amd64", "arm64": "arm64"}[instance.Architecture()]
	pods, _ := MaxPods(instanceType, userData)
	subnets := stringList(ng.Inputs["subnetIds"])
	var nodes []*corev1.Node
	for i := first; i < desired && len(subnets) > 0; i++ {
		subnet := a.Resources[subnets[i%len(subnets)]]
		if subnet == nil {
			continue
		}
		a.NodeCount++
		v4 := firstHost(subnet.str("cidrBlock"), 100+a.NodeCount%150)
		name := "ip-" + strings.ReplaceAll(v4, ".", "-") + "." + a.Region + ".compute.internal"
		address := v4
		if v6 := subnet.str("ipv6CidrBlock"); ipv6 && v6 != "" {
			if p, err := netip.ParsePrefix(v6); err == nil {
				b := p.Addr().As16()
				b[15] = byte(100 + a.NodeCount%150)
				address = netip.AddrFrom16(b).String()
			}
		}
		labels := map[string]string{
			"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": arch,
			"node.kubernetes.io/instance-type": instanceType, "topology.kubernetes.io/region": a.Region,
			"topology.kubernetes.io/zone": subnet.str("availabilityZone"), "eks.amazonaws.com/nodegroup": ng.str("nodeGroupName"),
			"eks.amazonaws.com/capacityType": "ON_DEMAND",
		}
		maps.Copy(labels, groupLabels(ng.Inputs))
		taints := groupTaints(ng.Inputs)
		capacity, allocatable := nodeResources(instance, pods)
		nodes = append(nodes, &corev1.Node{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
			Spec:       corev1.NodeSpec{Taints: taints, ProviderID: fmt.Sprintf("aws:///%s/i-%017x", subnet.str("availabilityZone"), a.NodeCount)},
			Status: corev1.NodeStatus{
				Capacity: capacity, Allocatable: allocatable,
				Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
					Message: "kubelet is posting ready status (AWS twin: no kubelet runs)", LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}},
				Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: address}, {Type: corev1.NodeHostName, Address: name}},
			},
		})
	}
	return nodes
}

// groupLabels are the Kubernetes labels a node group's inputs give its nodes.
func groupLabels(inputs map[string]any) map[string]string {
	labels := map[string]string{}
	for k, v := range object(inputs["labels"]) {
		labels[k], _ = v.(string)
	}
	return labels
}

// groupTaints are the taints a node group's inputs give its nodes.
func groupTaints(inputs map[string]any) []corev1.Taint {
	var taints []corev1.Taint
	for _, t := range anyList(inputs["taints"]) {
		m := object(t)
		taints = append(taints, corev1.Taint{Key: strOf(m, "key"), Value: strOf(m, "value"), Effect: taintEffects[strOf(m, "effect")]})
	}
	return taints
}

// rollsNodes says whether a node group update replaces the group's instances. pulumi-aws makes
// a change to the launch template, the release version or the Kubernetes version an
// UpdateNodegroupVersion, which EKS carries out as a rolling update; labels, taints, the scaling
// and the update configuration go through UpdateNodegroupConfig, during which "your node group
// continues to function": the nodes stay, labels and taints are applied to them, and the Auto
// Scaling group adds or removes instances for a new size (terraform-provider-aws
// internal/service/eks/node_group.go, resourceNodeGroupUpdate; EKS API reference,
// UpdateNodegroupConfig).
func rollsNodes(olds, news map[string]any) bool {
	for _, k := range []string{"launchTemplate", "releaseVersion", "version"} {
		if !reflect.DeepEqual(olds[k], news[k]) {
			return true
		}
	}
	return false
}

// nodeLaunch is what a node group's instances launch as: the instance type (the launch template's,
// else the group's first, else t3.medium, EKS's default for a managed node group) and the launch
// template's user data. EC2 refuses a type it does not have.
func (a *Account) nodeLaunch(ng *Record) (awsdata.InstanceType, string, *Error) {
	instanceType := "t3.medium"
	if types := stringList(ng.Inputs["instanceTypes"]); len(types) > 0 {
		instanceType = types[0]
	}
	userData := ""
	if lt, ok := a.Resources[strOf(object(ng.Inputs["launchTemplate"]), "id")]; ok {
		userData = lt.str("userData")
		if t := lt.str("instanceType"); t != "" {
			instanceType = t
		}
	}
	t, err := describeInstanceType(instanceType)
	return t, userData, err
}

// nodeResources are a node's capacity (EC2's vCPUs and memory for the type, and its max pods) and
// what kubelet leaves allocatable after nodeadm's reservations: kubeReserved memory of 11 MiB per pod
// plus 255 MiB, CPU of 6 % of the first core, 1 % of the second, 0.5 % of the next two and 0.25 % of
// the rest, and the 100 MiB hard eviction threshold (amazon-eks-ami nodeadm/internal/kubelet/
// config.go: getMemoryMebibytesToReserve, getCPUMillicoresToReserve, evictionHard memory.available).
func nodeResources(t awsdata.InstanceType, pods int) (capacity, allocatable corev1.ResourceList) {
	cores := t.VCpuInfo.DefaultVCpus
	total := cores * 1000
	reservedMilli := 0
	bounds, basisPoints := []int{0, 1000, 2000, 4000, total}, []int{600, 100, 50, 25}
	for i, bp := range basisPoints { // getCPUMillicoresToReserve, in the same integer arithmetic
		if total > bounds[i] {
			reservedMilli += (min(total, bounds[i+1]) - bounds[i]) * bp / 10000
		}
	}
	memory := int64(t.MemoryInfo.SizeInMiB)
	reservedMemory := int64(11*pods+255) + 100
	capacity = corev1.ResourceList{
		corev1.ResourcePods:   *resource.NewQuantity(int64(pods), resource.DecimalSI),
		corev1.ResourceCPU:    *resource.NewMilliQuantity(int64(cores)*1000, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(memory<<20, resource.BinarySI),
	}
	allocatable = corev1.ResourceList{
		corev1.ResourcePods:   capacity[corev1.ResourcePods],
		corev1.ResourceCPU:    *resource.NewMilliQuantity(int64(cores)*1000-int64(reservedMilli), resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity((memory-reservedMemory)<<20, resource.BinarySI),
	}
	return capacity, allocatable
}

// kubeClient talks to the API server behind the account's clusters, as EKS's node registration
// (kubelet) would.
type kubeClient struct {
	endpoint, token string
	http            *http.Client
	// patience is how long a drain waits for a node's pods to leave; zero is drainPatience.
	patience time.Duration
	// refused counts the evictions a budget refused.
	refused int
}

func newKubeClient(api ApiServer, token string) (*kubeClient, error) {
	pem, err := base64.StdEncoding.DecodeString(api.CertificateAuthority)
	if err != nil {
		return nil, fmt.Errorf("the API server's certificate authority is not base64: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the API server's certificate authority holds no PEM certificate")
	}
	return &kubeClient{endpoint: api.Endpoint, token: token, http: &http.Client{
		Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}}, nil
}

func (k *kubeClient) do(method, path string, body any) error {
	return k.send(method, path, "application/json", body)
}

func (k *kubeClient) send(method, path, contentType string, body any) error {
	_, err := k.request(method, path, contentType, body)
	return err
}

// get reads a path's body.
func (k *kubeClient) get(path string) ([]byte, error) {
	return k.request(http.MethodGet, path, "", nil)
}

// request sends one request and returns the response's body; a status of 300 or more is an
// apiStatus error, except a 404 on a delete (what is gone need not go).
func (k *kubeClient) request(method, path, contentType string, body any) ([]byte, error) {
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		reader = bytes.NewReader(raw)
	}
	// The endpoint is the test API server the twin was started with (ApiServerEnv).
	req, err := http.NewRequest(method, k.endpoint+path, reader) //nolint:gosec // G704: the configured test API server
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+k.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := k.http.Do(req) //nolint:gosec // G704: as above
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	gone := method == http.MethodDelete && resp.StatusCode == http.StatusNotFound
	if resp.StatusCode >= 300 && !gone {
		return out, &apiStatus{method: method, path: path, code: resp.StatusCode, body: string(out)}
	}
	return out, nil
}

// apiStatus is the API server's refusal of a request.
type apiStatus struct {
	method, path, body string
	code               int
}

func (e *apiStatus) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.method, e.path, e.code, e.body)
}

// isNotFound says whether err is the API server's 404.
func isNotFound(err error) bool {
	var s *apiStatus
	return errors.As(err, &s) && s.code == http.StatusNotFound
}

// register creates the nodes and reports them Ready.
func (k *kubeClient) register(nodes []*corev1.Node) error {
	for _, n := range nodes {
		if err := k.do(http.MethodPost, "/api/v1/nodes", n); err != nil {
			return err
		}
		status := map[string]any{"status": n.Status}
		if err := k.send(http.MethodPatch, "/api/v1/nodes/"+n.Name+"/status", "application/merge-patch+json", status); err != nil {
			return err
		}
		// The API server taints every new node node.kubernetes.io/not-ready (TaintNodesByCondition);
		// the node lifecycle controller lifts it once the kubelet reports Ready. No kubelet heartbeats
		// here, so the twin lifts it itself and leaves the group's own taints.
		taints := map[string]any{"spec": map[string]any{"taints": n.Spec.Taints}}
		if err := k.send(http.MethodPatch, "/api/v1/nodes/"+n.Name, "application/merge-patch+json", taints); err != nil {
			return err
		}
	}
	return nil
}

// relabel applies a node group's new labels and taints to its nodes, as EKS applies a configuration
// update's: the group's labels that went are removed, the others set; the taints are the group's.
func (k *kubeClient) relabel(nodes []string, oldLabels, labels map[string]string, taints []corev1.Taint) error {
	patchLabels := map[string]any{}
	for key := range oldLabels {
		patchLabels[key] = nil
	}
	for key, v := range labels {
		patchLabels[key] = v
	}
	if taints == nil {
		taints = []corev1.Taint{}
	}
	patch := map[string]any{"metadata": map[string]any{"labels": patchLabels}, "spec": map[string]any{"taints": taints}}
	for _, name := range nodes {
		if err := k.send(http.MethodPatch, "/api/v1/nodes/"+name, "application/merge-patch+json", patch); err != nil {
			return err
		}
	}
	return nil
}

// unregister drains nodes and deletes them, as EKS does before it terminates a managed node
// group's instances: each node is cordoned and every pod on it that a DaemonSet does not own is
// evicted through the Eviction API, which honours PodDisruptionBudgets (EKS User Guide, "Managed node
// update behavior", upgrade phase). Then the node goes, and the pod garbage collector removes what is
// left on it (kube-controller-manager pkg/controller/podgc, gcOrphaned, after a 40 s quarantine); the
// twin deletes those at once, as it compresses every wait, and only those: a pod the drain missed
// stays bound to a node that is gone, which the e2e suite reports.
//
// A node whose pods a budget keeps past the drain's patience ends the drain as its caller says: a
// rolling update fails with PodEvictionFailure and leaves that node and the ones after it in place
// (the *evictionFailure names them); a delete or a scale-in terminates it anyway, its pods with it
// (EKS User Guide, "Delete a managed node group": "If the node hasn't been drained after 5 minutes,
// Amazon EKS lets Auto Scaling continue the forced termination of the instance").
func (k *kubeClient) unregister(names []string, force bool) error {
	// Every node that is going is cordoned before any is drained, as EKS marks the old nodes
	// unschedulable in its scale-up phase: otherwise a pod evicted from the first node could be
	// scheduled onto the next one to go.
	for _, name := range names {
		if err := k.cordon(name); err != nil {
			return err
		}
	}
	for i, name := range names {
		staying, err := k.drain(name)
		if err != nil {
			return err
		}
		if len(staying) > 0 && !force {
			return &evictionFailure{node: name, pods: staying, left: names[i:]}
		}
		if err := k.do(http.MethodDelete, "/api/v1/nodes/"+name, nil); err != nil {
			return err
		}
		left, err := k.podsOn(name)
		if err != nil {
			return err
		}
		for _, p := range left {
			if !ownedByDaemonSet(p) && !slices.ContainsFunc(staying, func(s corev1.Pod) bool { return s.Namespace == p.Namespace && s.Name == p.Name }) {
				continue
			}
			if err := k.do(http.MethodDelete, "/api/v1/namespaces/"+p.Namespace+"/pods/"+p.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// evictionFailure is a rolling update's drain that ran out of patience: the pods a budget kept on
// node, and the nodes of the update still registered (node and those after it).
type evictionFailure struct {
	node string
	pods []corev1.Pod
	left []string
}

func (e *evictionFailure) Error() string {
	var pods []string
	for _, p := range e.pods {
		pods = append(pods, p.Namespace+"/"+p.Name)
	}
	return fmt.Sprintf("%s did not leave %s: a PodDisruptionBudget refused their eviction for as long as the drain waits", strings.Join(pods, ", "), e.node)
}

// podsOn lists the pods bound to a node.
func (k *kubeClient) podsOn(node string) ([]corev1.Pod, error) {
	raw, err := k.get("/api/v1/pods?fieldSelector=" + url.QueryEscape("spec.nodeName="+node))
	if err != nil {
		return nil, err
	}
	var pods corev1.PodList
	if err := json.Unmarshal(raw, &pods); err != nil {
		return nil, err
	}
	return pods.Items, nil
}

// ownedByDaemonSet says whether a pod is a DaemonSet's, which a drain leaves.
func ownedByDaemonSet(p corev1.Pod) bool {
	return slices.ContainsFunc(p.OwnerReferences, func(o metav1.OwnerReference) bool { return o.Kind == "DaemonSet" })
}

// cordon marks a node unschedulable. A node already gone needs nothing.
func (k *kubeClient) cordon(node string) error {
	cordon := map[string]any{"spec": map[string]any{"unschedulable": true}}
	if err := k.send(http.MethodPatch, "/api/v1/nodes/"+node, "application/merge-patch+json", cordon); err != nil && !isNotFound(err) {
		return err
	}
	return nil
}

// drainPatience is how long a drain keeps evicting a cordoned node's pods. EKS retries for 15
// minutes before it fails an update with PodEvictionFailure (EKS User Guide, "Managed node update
// behavior", upgrade phase), and for 5 before a delete terminates the instance anyway ("Delete a
// managed node group"); the twin compresses both waits, as it compresses every other.
const drainPatience = 30 * time.Second

// drain evicts a cordoned node's pods and waits until none is left but a DaemonSet's, as EKS waits
// for the pods to leave. It returns the pods still there when its patience runs out: the Eviction API
// answers 429 Too Many Requests while a PodDisruptionBudget allows no disruption, and a drain tries
// again, as kubectl drain does (k8s.io/kubectl v0.37.2 pkg/drain/drain.go, evictPods). It evicts
// again whatever arrives meanwhile: the scheduler works from a cache, so a pod can still be bound to
// the node in the moment after the cordon, and a drain that listed the pods once would leave it
// bound to a node that is about to go.
func (k *kubeClient) drain(node string) ([]corev1.Pod, error) {
	patience := k.patience
	if patience == 0 {
		patience = drainPatience
	}
	deadline := time.Now().Add(patience)
	for {
		pods, err := k.podsOn(node)
		if err != nil {
			return nil, err
		}
		var staying []corev1.Pod
		for _, p := range pods {
			if p.DeletionTimestamp == nil && !ownedByDaemonSet(p) {
				staying = append(staying, p)
			}
		}
		if len(staying) == 0 {
			return nil, nil
		}
		if time.Now().After(deadline) {
			return staying, nil
		}
		for _, p := range staying {
			eviction := policyv1.Eviction{TypeMeta: metav1.TypeMeta{APIVersion: "policy/v1", Kind: "Eviction"},
				ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace}}
			err := k.do(http.MethodPost, "/api/v1/namespaces/"+p.Namespace+"/pods/"+p.Name+"/eviction", eviction)
			var refused *apiStatus
			if errors.As(err, &refused) && refused.code == http.StatusTooManyRequests {
				k.refused++
				continue
			}
			if err != nil && !isNotFound(err) {
				return nil, fmt.Errorf("evicting %s/%s from %s: %w", p.Namespace, p.Name, node, err)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// trackNodes records a group's nodes after a change, and the instances of the launched ones. The
// twin has no machines of its own: what runs on a node at boot (our Multus unit, which attaches the
// zone's ENI and labels the node) runs on the e2e suite's stand-in for the instance, through the
// stand-in aws CLI (cli.go).
func (a *Account) trackNodes(ng *Record, c nodeChange) {
	var names []any
	for _, n := range c.kept {
		names = append(names, n)
	}
	for _, n := range c.added {
		names = append(names, n.Name)
	}
	if ng.Outputs == nil {
		ng.Outputs = map[string]any{}
	}
	ng.Outputs["nodeNames"] = names
	a.launchInstances(ng, c.added)
}

// keepNodes gives a group back the nodes a failed update did not remove.
func (a *Account) keepNodes(ng *Record, nodes []string) {
	names, _ := ng.Outputs["nodeNames"].([]any)
	for _, n := range nodes {
		names = append(names, n)
	}
	ng.Outputs["nodeNames"] = names
}
