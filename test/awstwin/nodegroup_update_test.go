package awstwin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	corev1 "k8s.io/api/core/v1"
)

// nodeAPI is an API server of nodes as the twin's node registration uses it: it keeps each node's
// labels and taints, applies merge patches to them, and has no pods.
type nodeAPI struct {
	mu    sync.Mutex
	nodes map[string]*corev1.Node
}

func (f *nodeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := strings.TrimPrefix(r.URL.Path, "/api/v1/nodes/")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/nodes":
		var n corev1.Node
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.nodes[n.Name] = &n
	case r.Method == http.MethodPatch && strings.HasSuffix(name, "/status"):
	case r.Method == http.MethodPatch:
		n, ok := f.nodes[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		var patch struct {
			Metadata struct {
				Labels map[string]*string `json:"labels"`
			} `json:"metadata"`
			Spec struct {
				Taints        *[]corev1.Taint `json:"taints"`
				Unschedulable bool            `json:"unschedulable"`
			} `json:"spec"`
		}
		if err := json.NewDecoder(r.Body).Decode(&patch); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for k, v := range patch.Metadata.Labels {
			if v == nil {
				delete(n.Labels, k)
			} else {
				n.Labels[k] = *v
			}
		}
		if patch.Spec.Taints != nil {
			n.Spec.Taints = *patch.Spec.Taints
		}
		n.Spec.Unschedulable = n.Spec.Unschedulable || patch.Spec.Unschedulable
	case r.Method == http.MethodDelete:
		delete(f.nodes, name)
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/pods":
		_ = json.NewEncoder(w).Encode(corev1.PodList{})
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
	}
}

// TestANodeGroupConfigUpdateKeepsItsNodes: a new size, labels or taints (UpdateNodegroupConfig)
// change the nodes the group has, adding or draining only the difference; a new release version
// (UpdateNodegroupVersion) replaces them all. Rolling every node on every update passes the last
// step and fails the others (tried).
func TestANodeGroupConfigUpdateKeepsItsNodes(t *testing.T) {
	api := &nodeAPI{nodes: map[string]*corev1.Node{}}
	server := httptest.NewTLSServer(api)
	defer server.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: server.Certificate().Raw})
	t.Setenv(ApiServerEnv, server.URL)
	t.Setenv(ApiServerCaEnv, base64.StdEncoding.EncodeToString(ca))
	t.Setenv(TokenEnv, "token")

	p := testProvider(t)
	var cluster, first, second string
	if err := p.withAccount(func(a *Account) error {
		n, s := eksNet(t)
		*a = *n.a
		cluster, first, second = eksCluster(t, a, "c", n.subnet, s), n.subnet, s
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	inputs := nodeGroupIn(cluster, "ng", first, second)
	inputs["scalingConfig"] = map[string]any{"minSize": 1.0, "desiredSize": 2.0, "maxSize": 3.0}
	inputs["labels"] = map[string]any{"role": "a", "tier": "web"}
	created, err := p.Create(context.Background(), plugin.CreateRequest{URN: "urn:pulumi:s::p::aws:eks/nodeGroup:NodeGroup::ng",
		Type: typeNodeGroup, Properties: props(inputs)})
	if err != nil {
		t.Fatal(err)
	}
	oldInputs, oldOutputs := props(inputs), created.Properties
	update := func(change func(in map[string]any)) []string {
		t.Helper()
		news := oldInputs.Mappable()
		change(news)
		res, err := p.Update(context.Background(), plugin.UpdateRequest{ID: created.ID, Type: typeNodeGroup,
			OldInputs: oldInputs, OldOutputs: oldOutputs, NewInputs: props(news)})
		if err != nil {
			t.Fatal(err)
		}
		oldInputs, oldOutputs = props(news), res.Properties
		var names []string
		for _, v := range res.Properties["nodeNames"].ArrayValue() {
			names = append(names, v.StringValue())
		}
		api.mu.Lock()
		defer api.mu.Unlock()
		if registered := slices.Sorted(maps.Keys(api.nodes)); !slices.Equal(registered, slices.Sorted(slices.Values(names))) {
			t.Errorf("the API server holds %v, the group %v", registered, names)
		}
		return names
	}
	names := func(props resource.PropertyMap) []string {
		var out []string
		for _, v := range props["nodeNames"].ArrayValue() {
			out = append(out, v.StringValue())
		}
		return out
	}
	started := names(oldOutputs)
	if len(started) != 2 {
		t.Fatalf("the group started with %v", started)
	}

	grown := update(func(in map[string]any) {
		in["scalingConfig"] = map[string]any{"minSize": 1.0, "desiredSize": 3.0, "maxSize": 3.0}
		in["labels"] = map[string]any{"role": "b"}
		in["taints"] = []any{map[string]any{"key": "dedicated", "value": "b", "effect": "NO_SCHEDULE"}}
	})
	if len(grown) != 3 || !slices.Equal(grown[:2], started) {
		t.Errorf("a third node and new labels: the group went from %v to %v, want the two it had and one more", started, grown)
	}
	api.mu.Lock()
	zones := map[string]int{}
	for _, name := range grown {
		n := api.nodes[name]
		if n == nil {
			continue
		}
		zones[n.Labels["topology.kubernetes.io/zone"]]++
		if n.Labels["role"] != "b" || n.Labels["tier"] != "" || len(n.Spec.Taints) != 1 || n.Spec.Taints[0].Key != "dedicated" {
			t.Errorf("%s has labels %v and taints %v, want the group's new ones", name, n.Labels, n.Spec.Taints)
		}
	}
	api.mu.Unlock()
	if zones["eu-central-1a"] != 2 || zones["eu-central-1b"] != 1 {
		t.Errorf("three nodes over two zones: %v", zones)
	}

	shrunk := update(func(in map[string]any) {
		in["scalingConfig"] = map[string]any{"minSize": 1.0, "desiredSize": 1.0, "maxSize": 3.0}
	})
	if !slices.Equal(shrunk, grown[:1]) {
		t.Errorf("down to one node: %v, want the first of %v", shrunk, grown)
	}
	_ = p.withAccount(func(a *Account) error {
		if enis := a.ownedBy(string(created.ID)); len(enis) != 1 {
			t.Errorf("one node holds %d network interfaces of the group", len(enis))
		}
		return nil
	})

	rolled := update(func(in map[string]any) { in["releaseVersion"] = "1.35.20261201" })
	if len(rolled) != 1 || rolled[0] == shrunk[0] {
		t.Errorf("a new release version: the nodes went from %v to %v, want a new one", shrunk, rolled)
	}
}

// A rolling update the twin would carry out differently from EKS is refused as not simulated: EKS
// adds at most the larger of twice the group's zones and its maxUnavailable new nodes at a time.
func TestARollingUpdateLargerThanEksSurgeIsNotSimulated(t *testing.T) {
	a := NewAccount("eu-central-1")
	for _, z := range []string{"a", "b", "c"} {
		a.Resources["subnet-"+z] = &Record{ID: "subnet-" + z, Type: typeSubnet, Inputs: map[string]any{"availabilityZone": "eu-central-1" + z}, Outputs: map[string]any{}}
	}
	group := func(subnets []any, desired, maxUnavailable float64) *Record {
		in := map[string]any{"subnetIds": subnets, "scalingConfig": map[string]any{"desiredSize": desired}}
		if maxUnavailable > 0 {
			in["updateConfig"] = map[string]any{"maxUnavailable": maxUnavailable}
		}
		return &Record{ID: "ng-1", Type: typeNodeGroup, Inputs: in}
	}
	three, one := []any{"subnet-a", "subnet-b", "subnet-c"}, []any{"subnet-a"}
	for _, tc := range []struct {
		name    string
		group   *Record
		refused bool
	}{
		{"six nodes in three zones", group(three, 6, 0), false},
		{"seven nodes in three zones", group(three, 7, 0), true},
		{"seven nodes, eight may be unavailable", group(three, 7, 8), false},
		{"two nodes in one zone", group(one, 2, 0), false},
		{"three nodes in one zone", group(one, 3, 0), true},
	} {
		err := a.checkSurge(tc.group)
		if (err != nil) != tc.refused || err != nil && err.Code != "NotSimulated" {
			t.Errorf("%s: %v, want refused %v", tc.name, err, tc.refused)
		}
	}
}
