package awstwin

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

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
		node := strings.TrimPrefix(r.URL.Query().Get("fieldSelector"), "spec.nodeName=")
		var list corev1.PodList
		for _, name := range slices.Sorted(maps.Keys(f.pods)) {
			if f.pods[name].Spec.NodeName == node {
				list.Items = append(list.Items, f.pods[name])
			}
		}
		_ = json.NewEncoder(w).Encode(list)
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/eviction"):
		name := strings.Split(r.URL.Path, "/")[6]
		evicted, ok := f.pods[name]
		if !ok {
			http.NotFound(w, r)
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

	if err := k.unregister([]string{"old-a", "old-b"}); err != nil {
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
