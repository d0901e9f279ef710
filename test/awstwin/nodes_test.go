package awstwin

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fakeCluster is an API server of nodes and pods with a scheduler that lags: the first pod a
// ReplicaSet makes after an eviction is bound to the node it was evicted from, as a scheduler whose
// cache has not yet seen that node's cordon would bind it.
type fakeCluster struct {
	mu       sync.Mutex
	nodes    map[string]bool // name → cordoned
	pods     map[string]corev1.Pod
	requests []string
	lagged   bool
	// refusals is how many more evictions of a pod its PodDisruptionBudget refuses with 429; -1
	// refuses every one.
	refusals map[string]int
}

func (f *fakeCluster) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	switch {
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/api/v1/nodes/"):
		name := strings.TrimPrefix(r.URL.Path, "/api/v1/nodes/")
		if _, ok := f.nodes[name]; !ok {
			http.NotFound(w, r)
			return
		}
		f.nodes[name] = true
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/api/v1/nodes/"):
		delete(f.nodes, strings.TrimPrefix(r.URL.Path, "/api/v1/nodes/"))
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/pods":
		servePodsOnNode(w, r, f.pods)
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/eviction"):
		name := strings.Split(r.URL.Path, "/")[6]
		evicted, ok := f.pods[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if n := f.refusals[name]; n != 0 {
			f.refusals[name] = max(n-1, -1)
			http.Error(w, "Cannot evict pod as it would violate the pod's disruption budget.", http.StatusTooManyRequests)
			return
		}
		delete(f.pods, name)
		if evicted.Labels["replicated"] != "true" {
			return
		}
		// The ReplicaSet's new pod: the first goes back where its predecessor was, the scheduler
		// not having seen the cordon; later ones go to a node that is not cordoned.
		next := evicted
		next.Name = name + "-next"
		next.Spec.NodeName = ""
		if !f.lagged {
			next.Spec.NodeName, f.lagged = evicted.Spec.NodeName, true
		} else {
			for _, n := range slices.Sorted(maps.Keys(f.nodes)) {
				if !f.nodes[n] {
					next.Spec.NodeName = n
					break
				}
			}
		}
		f.pods[next.Name] = next
	case r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/pods/"):
		delete(f.pods, r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:])
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
	}
}

// servePodsOnNode answers a list of the pods bound to the node a fieldSelector names, by name.
func servePodsOnNode(w http.ResponseWriter, r *http.Request, pods map[string]corev1.Pod) {
	node := strings.TrimPrefix(r.URL.Query().Get("fieldSelector"), "spec.nodeName=")
	var list corev1.PodList
	for _, name := range slices.Sorted(maps.Keys(pods)) {
		if pods[name].Spec.NodeName == node {
			list.Items = append(list.Items, pods[name])
		}
	}
	_ = json.NewEncoder(w).Encode(list)
}

func pod(name, node string, replicated, daemon bool) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{}},
		Spec: corev1.PodSpec{NodeName: node}}
	if replicated {
		p.Labels["replicated"] = "true"
	}
	if daemon {
		p.OwnerReferences = []metav1.OwnerReference{{Kind: "DaemonSet", Name: "ds"}}
	}
	return p
}

// TestNodesGoOnlyOnceTheirPodsHaveLeft: taking two nodes away leaves no pod bound to either, even
// when the scheduler binds a replacement to a node in the moment after its cordon, and no pod is
// evicted before every node that goes is cordoned. A drain that lists the pods once leaves the late
// pod behind (tried).
func TestNodesGoOnlyOnceTheirPodsHaveLeft(t *testing.T) {
	f := &fakeCluster{
		nodes: map[string]bool{"old-a": false, "old-b": false, "new-a": false},
		pods: map[string]corev1.Pod{
			"echo":     pod("echo", "old-a", true, false),
			"coredns":  pod("coredns", "old-b", true, false),
			"aws-node": pod("aws-node", "old-a", false, true),
		},
	}
	server := httptest.NewServer(f)
	defer server.Close()
	k := &kubeClient{endpoint: server.URL, http: server.Client()}

	if err := k.unregister([]string{"old-a", "old-b"}, false); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pods {
		if _, ok := f.nodes[p.Spec.NodeName]; !ok {
			t.Errorf("%s is bound to %s, which is gone", p.Name, p.Spec.NodeName)
		}
	}
	if !f.lagged {
		t.Fatal("the scheduler never bound a pod late: the test shows nothing")
	}
	firstEviction := slices.IndexFunc(f.requests, func(r string) bool { return strings.HasSuffix(r, "/eviction") })
	lastCordon := -1
	for i, r := range f.requests {
		if strings.HasPrefix(r, "PATCH /api/v1/nodes/") {
			lastCordon = i
		}
	}
	if firstEviction < lastCordon {
		t.Errorf("a pod was evicted before every old node was cordoned: %v", f.requests)
	}
}

// TestADrainWaitsOutABudget: an eviction a PodDisruptionBudget refuses (429) is tried again until
// the budget allows it, and the node goes once its pod has left. A drain that takes the first
// refusal as final fails here (the twin's drain did, before budgets were exercised).
func TestADrainWaitsOutABudget(t *testing.T) {
	f := &fakeCluster{
		nodes:    map[string]bool{"old-a": false, "new-a": false},
		pods:     map[string]corev1.Pod{"coredns": pod("coredns", "old-a", false, false)},
		refusals: map[string]int{"coredns": 3},
	}
	server := httptest.NewServer(f)
	defer server.Close()
	k := &kubeClient{endpoint: server.URL, http: server.Client()}
	if err := k.unregister([]string{"old-a"}, false); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	evictions := 0
	for _, r := range f.requests {
		if strings.HasSuffix(r, "/coredns/eviction") {
			evictions++
		}
	}
	if _, stays := f.nodes["old-a"]; stays || len(f.pods) != 0 || evictions != 4 || k.refused != 3 {
		t.Errorf("after three refusals: nodes %v, pods %v, %d evictions, %d counted refused; want old-a gone, no pod, 4 evictions, 3 refused",
			f.nodes, f.pods, evictions, k.refused)
	}
}

// A budget that never allows the eviction: a rolling update's drain gives up when its patience runs
// out, with the pod and the nodes it left (the node it was draining and those after it, still
// registered); a scale-in or a delete terminates the nodes anyway, their pods with them.
func TestABudgetThatNeverAllowsAnEviction(t *testing.T) {
	for _, scaleIn := range []bool{false, true} {
		f := &fakeCluster{
			nodes: map[string]bool{"old-a": false, "old-b": false, "old-c": false, "new-a": false},
			pods: map[string]corev1.Pod{"echo": pod("echo", "old-a", false, false), "web": pod("web", "old-b", false, false),
				"aws-node": pod("aws-node", "old-b", false, true)},
			refusals: map[string]int{"web": -1},
		}
		server := httptest.NewServer(f)
		k := &kubeClient{endpoint: server.URL, http: server.Client(), patience: 300 * time.Millisecond}
		err := k.unregister([]string{"old-a", "old-b", "old-c"}, scaleIn)
		server.Close()
		f.mu.Lock()
		nodes := slices.Sorted(maps.Keys(f.nodes))
		pods := slices.Sorted(maps.Keys(f.pods))
		f.mu.Unlock()
		if scaleIn {
			if err != nil || !slices.Equal(nodes, []string{"new-a"}) || len(pods) != 0 {
				t.Errorf("scale-in: %v; nodes %v, pods %v; want only new-a, no pod", err, nodes, pods)
			}
			continue
		}
		var failure *evictionFailure
		if !errors.As(err, &failure) {
			t.Fatalf("rolling update: %v, want an eviction failure", err)
		}
		if failure.node != "old-b" || !slices.Equal(failure.left, []string{"old-b", "old-c"}) || len(failure.pods) != 1 || failure.pods[0].Name != "web" {
			t.Errorf("rolling update: the failure names node %s, left %v, pods %v; want old-b, [old-b old-c], web", failure.node, failure.left, failure.pods)
		}
		if !strings.Contains(err.Error(), "default/web did not leave old-b") {
			t.Errorf("the failure says %q", err)
		}
		if !slices.Equal(nodes, []string{"new-a", "old-b", "old-c"}) || !slices.Equal(pods, []string{"aws-node", "web"}) {
			t.Errorf("rolling update: nodes %v, pods %v; want old-a gone and old-b, old-c with their pods", nodes, pods)
		}
	}
}

// keepNodes gives a group back the nodes a failed update left; nodes the update removed stay gone.
func TestKeepNodes(t *testing.T) {
	ng := &Record{Outputs: map[string]any{"nodeNames": []any{"new-a"}}}
	NewAccount("eu-central-1").keepNodes(ng, []string{"old-b"})
	if names := stringList(ng.Outputs["nodeNames"]); !slices.Equal(names, []string{"new-a", "old-b"}) {
		t.Errorf("nodeNames %v, want new-a and old-b", names)
	}
}
