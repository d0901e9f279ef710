package awstwin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil/rpcerror"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"eks-advanced-networking/test/awstwin/awsdata"
)

// nodeAPI is an API server as the twin uses it: it keeps each node's labels and taints and applies
// merge patches to them; it holds the pods put on its nodes, whose evictions a budget refuses while
// guarded is set; and it keeps the other objects applied to it (an add-on's), by path.
type nodeAPI struct {
	mu      sync.Mutex
	nodes   map[string]*corev1.Node
	pods    map[string]corev1.Pod
	guarded bool
	objects map[string]string
	// refuseApply answers every server-side apply with 500.
	refuseApply bool
}

func (f *nodeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := strings.TrimPrefix(r.URL.Path, "/api/v1/nodes/")
	onNode := !strings.HasPrefix(r.URL.Path, "/api/v1/namespaces/") && !strings.HasPrefix(r.URL.Path, "/apis/")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/nodes":
		var n corev1.Node
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.nodes[n.Name] = &n
	case r.Method == http.MethodPatch && onNode && strings.HasSuffix(name, "/status"):
	case r.Method == http.MethodPatch && onNode:
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
	case r.Method == http.MethodDelete && onNode:
		delete(f.nodes, name)
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/pods":
		servePodsOnNode(w, r, f.pods)
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/eviction"):
		if f.guarded {
			http.Error(w, "Cannot evict pod as it would violate the pod's disruption budget.", http.StatusTooManyRequests)
			return
		}
		delete(f.pods, strings.Split(r.URL.Path, "/")[6])
	case r.Method == http.MethodPatch && f.refuseApply:
		http.Error(w, "apply refused", http.StatusInternalServerError)
	case r.Method == http.MethodPatch && r.URL.Query().Get("fieldManager") == "eks" && r.Header.Get("Content-Type") == "application/apply-patch+yaml":
		body, _ := io.ReadAll(r.Body)
		f.objects[r.URL.Path] = string(body)
	case r.Method == http.MethodDelete:
		delete(f.objects, r.URL.Path)
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
	}
}

// withNodeAPI starts a nodeAPI and points the twin's provider at it.
func withNodeAPI(t *testing.T) *nodeAPI {
	api := &nodeAPI{nodes: map[string]*corev1.Node{}, pods: map[string]corev1.Pod{}, objects: map[string]string{}}
	server := httptest.NewTLSServer(api)
	t.Cleanup(server.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: server.Certificate().Raw})
	t.Setenv(ApiServerEnv, server.URL)
	t.Setenv(ApiServerCaEnv, base64.StdEncoding.EncodeToString(ca))
	t.Setenv(TokenEnv, "token")
	return api
}

// TestANodeGroupConfigUpdateKeepsItsNodes: a new size, labels or taints (UpdateNodegroupConfig)
// change the nodes the group has, adding or draining only the difference; a new release version
// (UpdateNodegroupVersion) replaces them all. Rolling every node on every update passes the last
// step and fails the others (tried).
func TestANodeGroupConfigUpdateKeepsItsNodes(t *testing.T) {
	api := withNodeAPI(t)
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

// twinGroup is a cluster of a Kubernetes version and a node group of desired nodes made through the
// provider, with an API server behind them: the node group's create request and response.
func twinGroup(t *testing.T, p *Provider, version string, desired float64) (plugin.CreateRequest, plugin.CreateResponse) {
	t.Helper()
	var cluster, first, second string
	if err := p.withAccount(func(a *Account) error {
		n, s := eksNet(t)
		*a = *n.a
		cluster = mustCreate(t, a, typeCluster, map[string]any{"name": "c", "version": version, "roleArn": "arn:aws:iam::123456789012:role/cluster-role",
			"vpcConfig": map[string]any{"subnetIds": []any{n.subnet, s}}})
		first, second = n.subnet, s
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	inputs := nodeGroupIn(cluster, "ng", first, second)
	inputs["scalingConfig"] = map[string]any{"minSize": 1.0, "desiredSize": desired, "maxSize": 3.0}
	req := plugin.CreateRequest{URN: "urn:pulumi:s::p::aws:eks/nodeGroup:NodeGroup::ng", Type: typeNodeGroup, Properties: props(inputs)}
	created, err := p.Create(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return req, created
}

// nodeNamesOf are the nodeNames output of a node group's state.
func nodeNamesOf(props resource.PropertyMap) []string {
	var out []string
	for _, v := range props["nodeNames"].ArrayValue() {
		out = append(out, v.StringValue())
	}
	return out
}

// A rolling update whose drain a PodDisruptionBudget holds up fails with PodEvictionFailure, as EKS
// fails it, and the account records the refusal. The nodes it had not drained stay the group's,
// beside the new ones; the next up (the engine kept the state from before the update) drains them
// all once the budget allows, so no node stays registered outside the group. A drain that fails at
// the first refusal, or a retry that starts from the engine's state, fails here (tried).
func TestARollingUpdateABudgetHoldsUpFails(t *testing.T) {
	api := withNodeAPI(t)
	p := testProvider(t)
	p.drainPatience = 300 * time.Millisecond
	req, created := twinGroup(t, p, "1.35", 2)
	before := nodeNamesOf(created.Properties)
	api.mu.Lock()
	api.pods["web"] = corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"}, Spec: corev1.PodSpec{NodeName: before[0]}}
	api.guarded = true
	api.mu.Unlock()

	news := req.Properties.Mappable()
	news["releaseVersion"] = "1.35.20261201"
	update := plugin.UpdateRequest{ID: created.ID, Type: typeNodeGroup, OldInputs: req.Properties, OldOutputs: created.Properties, NewInputs: props(news)}
	failed, err := p.Update(context.Background(), update)
	if err == nil || !strings.Contains(err.Error(), "PodEvictionFailure") || !strings.Contains(err.Error(), "default/web did not leave "+before[0]) {
		t.Fatalf("the update a budget holds up: %v, want PodEvictionFailure naming default/web on %s", err, before[0])
	}
	// As pulumi-aws answers: a partial failure holding the planned state, which the engine records.
	if failed.Status != resource.StatusPartialFailure || failed.Properties["releaseVersion"].StringValue() != "1.35.20261201" {
		t.Errorf("the failed update answered %v with release %v, want a partial failure with the planned release", failed.Status, failed.Properties["releaseVersion"])
	}
	// EKS's record keeps the release the group ran, which a refresh reads.
	read, err := p.Read(context.Background(), plugin.ReadRequest{ID: created.ID, Type: typeNodeGroup})
	if err != nil || read.Inputs["releaseVersion"].V != nil {
		t.Errorf("a refresh after the failed update reads release %v (%v), want the one before it (none)", read.Inputs["releaseVersion"], err)
	}
	registered := func() []string {
		api.mu.Lock()
		defer api.mu.Unlock()
		return slices.Sorted(maps.Keys(api.nodes))
	}
	var held []string
	_ = p.withAccount(func(a *Account) error {
		held = slices.Sorted(slices.Values(stringList(a.Resources[string(created.ID)].Outputs["nodeNames"])))
		if n := len(a.Refusals); n == 0 || a.Refusals[n-1].Code != "PodEvictionFailure" || a.EvictionsRefused == 0 {
			t.Errorf("the account's refusals: %+v, evictions refused %d; want the PodEvictionFailure last, after refused evictions", a.Refusals, a.EvictionsRefused)
		}
		return nil
	})
	if len(held) != 4 || !slices.Contains(held, before[0]) || !slices.Contains(held, before[1]) || !slices.Equal(held, registered()) {
		t.Errorf("after the failed update the group holds %v and the API server %v; want two new nodes and both old ones, %v", held, registered(), before)
	}

	// The next up without a refresh: the engine kept the old inputs and the planned state, so the
	// update it asks for finds nothing to send, and nothing is asked of EKS.
	api.mu.Lock()
	api.guarded = false
	api.mu.Unlock()
	again := plugin.UpdateRequest{ID: created.ID, Type: typeNodeGroup, OldInputs: req.Properties, OldOutputs: failed.Properties, NewInputs: props(news)}
	if _, err := p.Update(context.Background(), again); err != nil || !slices.Equal(registered(), held) {
		t.Errorf("an update that changes nothing: %v; the API server went from %v to %v", err, held, registered())
	}
	// After a refresh the state holds what EKS reported, and the same update rolls the nodes.
	update.OldInputs, update.OldOutputs = read.Inputs, read.Outputs
	res, err := p.Update(context.Background(), update)
	if err != nil {
		t.Fatalf("the update once the budget allows: %v", err)
	}
	after := nodeNamesOf(res.Properties)
	if len(after) != 2 || slices.ContainsFunc(after, func(n string) bool { return slices.Contains(held, n) }) {
		t.Errorf("the retried update left the group with %v, want two nodes none of %v", after, held)
	}
	if got := registered(); !slices.Equal(got, slices.Sorted(slices.Values(after))) {
		t.Errorf("the API server holds %v, the group %v", got, after)
	}
	if _, ok := api.pods["web"]; ok {
		t.Error("web was never evicted")
	}

	// A delete does not wait for a budget: past the drain's patience the nodes go anyway.
	api.mu.Lock()
	api.pods["web"] = corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"}, Spec: corev1.PodSpec{NodeName: after[0]}}
	api.guarded = true
	api.mu.Unlock()
	if _, err := p.Delete(context.Background(), plugin.DeleteRequest{ID: created.ID, Type: typeNodeGroup, Inputs: props(news), Outputs: res.Properties}); err != nil {
		t.Fatalf("deleting the group while a budget holds its pod: %v", err)
	}
	if got := registered(); len(got) != 0 {
		t.Errorf("after the group's delete the API server holds %v", got)
	}
}

// A coredns add-on puts EKS's objects in the cluster: its ServiceAccount, a Deployment of two
// replicas of the add-on's version, and a PodDisruptionBudget that lets one of those pods go at a
// time; the add-on's version for a newer Kubernetes changes the Deployment's image; deleting the
// add-on removes them.
func TestTheCorednsAddonsObjects(t *testing.T) {
	api := withNodeAPI(t)
	p := testProvider(t)
	req, _ := twinGroup(t, p, "1.34", 1)
	cluster := req.Properties["clusterName"].StringValue()
	_, defaultVersion := awsdata.AddonVersions("coredns", "1.34")
	addon := map[string]any{"clusterName": cluster, "addonName": "coredns"}
	created, err := p.Create(context.Background(), plugin.CreateRequest{URN: "urn:pulumi:s::p::aws:eks/addon:Addon::coredns", Type: typeAddon, Properties: props(addon)})
	if err != nil || created.Status != resource.StatusOK {
		t.Fatalf("creating the add-on: %v (status %v)", err, created.Status)
	}
	objects := func() map[string]string {
		api.mu.Lock()
		defer api.mu.Unlock()
		return maps.Clone(api.objects)
	}
	if got := slices.Sorted(maps.Keys(objects())); !slices.Equal(got, slices.Sorted(slices.Values(corednsPaths))) {
		t.Fatalf("the add-on applied %v, want %v", got, corednsPaths)
	}
	var deployment appsv1.Deployment
	var budget policyv1.PodDisruptionBudget
	decode := func() {
		t.Helper()
		if err := json.Unmarshal([]byte(objects()[corednsPaths[1]]), &deployment); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(objects()[corednsPaths[2]]), &budget); err != nil {
			t.Fatal(err)
		}
	}
	decode()
	podLabels := labels.Set(deployment.Spec.Template.Labels)
	if *deployment.Spec.Replicas != 2 || !strings.HasSuffix(deployment.Spec.Template.Spec.Containers[0].Image, "/eks/coredns:"+defaultVersion) {
		t.Errorf("the Deployment runs %d of %s, want 2 of the default %s", *deployment.Spec.Replicas, deployment.Spec.Template.Spec.Containers[0].Image, defaultVersion)
	}
	selects, err := metav1.LabelSelectorAsSelector(budget.Spec.Selector)
	if err != nil || !selects.Matches(podLabels) || budget.Spec.MaxUnavailable == nil || budget.Spec.MaxUnavailable.IntValue() != 1 || budget.Spec.MinAvailable != nil {
		t.Errorf("the budget %+v (%v) does not let one of the Deployment's pods (%v) go at a time", budget.Spec, err, podLabels)
	}

	// The cluster moves to 1.35, and the add-on to that version's build.
	if err := p.withAccount(func(a *Account) error {
		r := a.Resources[cluster]
		in := maps.Clone(r.Inputs)
		in["version"] = "1.35"
		if _, err := a.Update(typeCluster, cluster, in); err != nil {
			return err
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, newer := awsdata.AddonVersions("coredns", "1.35")
	pinned := maps.Clone(addon)
	pinned["addonVersion"] = newer
	updated, err := p.Update(context.Background(), plugin.UpdateRequest{ID: created.ID, Type: typeAddon, OldInputs: props(addon), OldOutputs: created.Properties, NewInputs: props(pinned)})
	if err != nil || updated.Properties["addonVersion"].StringValue() != newer {
		t.Fatalf("updating the add-on: %v, version %v", err, updated.Properties["addonVersion"])
	}
	decode()
	if image := deployment.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(image, "/eks/coredns:"+newer) || newer == defaultVersion {
		t.Errorf("updated to %s (from %s), the Deployment runs %s", newer, defaultVersion, image)
	}
	if _, err := p.Delete(context.Background(), plugin.DeleteRequest{ID: created.ID, Type: typeAddon, Inputs: props(pinned), Outputs: created.Properties}); err != nil {
		t.Fatal(err)
	}
	if left := objects(); len(left) != 0 {
		t.Errorf("the deleted add-on left %v", slices.Sorted(maps.Keys(left)))
	}
	_ = p.withAccount(func(a *Account) error {
		if r := a.Resources[string(created.ID)]; r != nil {
			t.Errorf("the account still holds the deleted add-on %s", created.ID)
		}
		return nil
	})
}

// A coredns add-on whose objects cannot be installed fails its create as a resource that exists
// (an initialization failure carrying its id and state), so the engine records it and a destroy
// finds it; a plain error would leave it in the account with no resource in the stack.
func TestACorednsAddonThatCannotInstallIsKept(t *testing.T) {
	api := withNodeAPI(t)
	p := testProvider(t)
	req, _ := twinGroup(t, p, "1.35", 1)
	api.mu.Lock()
	api.refuseApply = true
	api.mu.Unlock()
	addon := map[string]any{"clusterName": req.Properties["clusterName"].StringValue(), "addonName": "coredns"}
	created, err := p.Create(context.Background(), plugin.CreateRequest{URN: "urn:pulumi:s::p::aws:eks/addon:Addon::coredns", Type: typeAddon, Properties: props(addon)})
	var initFailed *pulumirpc.ErrorResourceInitFailed
	if rpcErr, ok := rpcerror.FromError(err); ok {
		for _, d := range rpcErr.Details() {
			if f, ok := d.(*pulumirpc.ErrorResourceInitFailed); ok {
				initFailed = f
			}
		}
	}
	if initFailed == nil || initFailed.GetId() != string(created.ID) || created.ID == "" || !strings.Contains(err.Error(), "installing the coredns add-on's objects") {
		t.Fatalf("create: %v (id %q), want an initialization failure naming the add-on", err, created.ID)
	}
}
