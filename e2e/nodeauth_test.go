//go:build e2e

package e2e

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"

	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/test/awstwin"
)

// nodeTokens is EKS's authenticator for the tokens the twins' instances get (aws eks get-token on
// a node, awstwin.Account.InstanceToken): a TokenReview webhook of the suite's API server
// (kube-apiserver --authentication-token-webhook-config-file) that asks each twin's account who the
// token is (awstwin.Account.Authenticate). So the Multus unit's label request reaches the API
// server as its node, system:node:<name>, and the Node authorizer and NodeRestriction judge it as
// on EKS. The admin token is in the API server's token file, which answers first.
type nodeTokens struct {
	mu     sync.Mutex
	states []string // the state files of the twins alive now
	server *httptest.Server
}

// startNodeTokens serves the webhook and writes the kubeconfig kube-apiserver reads it from into dir.
func startNodeTokens(dir string) (*nodeTokens, string, error) {
	n := &nodeTokens{}
	n.server = httptest.NewTLSServer(n)
	config := clientcmdv1.Config{
		Clusters: []clientcmdv1.NamedCluster{{Name: "twin-authenticator", Cluster: clientcmdv1.Cluster{
			Server:                   n.server.URL,
			CertificateAuthorityData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: n.server.Certificate().Raw}),
		}}},
		AuthInfos:      []clientcmdv1.NamedAuthInfo{{Name: "api-server"}},
		Contexts:       []clientcmdv1.NamedContext{{Name: "webhook", Context: clientcmdv1.Context{Cluster: "twin-authenticator", AuthInfo: "api-server"}}},
		CurrentContext: "webhook",
	}
	raw, err := json.Marshal(config)
	if err != nil {
		n.server.Close()
		return nil, "", err
	}
	path := filepath.Join(dir, "node-token-webhook.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		n.server.Close()
		return nil, "", err
	}
	return n, path, nil
}

// serve lets the twin of a test answer for its instances until the test ends.
func (n *nodeTokens) serve(t *testing.T, state string) {
	n.mu.Lock()
	n.states = append(n.states, state)
	n.mu.Unlock()
	t.Cleanup(func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		n.states = slices.DeleteFunc(n.states, func(s string) bool { return s == state })
	})
}

// ServeHTTP answers a TokenReview (authentication.k8s.io/v1, the API server's webhook request):
// the user of the first account that knows the token, else not authenticated.
func (n *nodeTokens) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var review authenticationv1.TokenReview
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	n.mu.Lock()
	states := slices.Clone(n.states)
	n.mu.Unlock()
	review.Status = authenticationv1.TokenReviewStatus{}
	for _, state := range states {
		a, err := awstwin.ReadAccount(state)
		if err != nil || a == nil {
			continue
		}
		if user, ok := a.Authenticate(review.Spec.Token); ok {
			review.Status = authenticationv1.TokenReviewStatus{Authenticated: true,
				User: authenticationv1.UserInfo{Username: user.Name, Groups: user.Groups}}
			break
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(review)
}

func (n *nodeTokens) close() { n.server.Close() }

// aMultusNodeMayLabelOnlyItself: the token a Multus instance's unit gets is its node's identity, and
// the API server lets that node set its own labels (the unit's patch), not another node's, nor its
// own taints: the Node authorizer and NodeRestriction, as EKS runs them. This is why the unit gates
// Multus pods with a label and cannot lift the node's taint.
func aMultusNodeMayLabelOnlyItself(t *testing.T, tw *twin) {
	t.Helper()
	machines := tw.machines.multusMachines()
	if len(machines) == 0 {
		t.Fatal("no Multus instance runs")
	}
	mc := machines[0]
	token, awsErr := tw.account(t).InstanceToken(mc.instance.ID, mc.instance.Cluster)
	if awsErr != nil {
		t.Fatal(awsErr)
	}
	code, body, err := testCluster.requestAs(token, "application/json", http.MethodPost, "/apis/authentication.k8s.io/v1/selfsubjectreviews",
		authenticationv1.SelfSubjectReview{TypeMeta: metav1.TypeMeta{APIVersion: "authentication.k8s.io/v1", Kind: "SelfSubjectReview"}})
	var review authenticationv1.SelfSubjectReview
	if err == nil {
		err = json.Unmarshal([]byte(body), &review)
	}
	if want := "system:node:" + mc.instance.Node; code != http.StatusCreated || err != nil || review.Status.UserInfo.Username != want ||
		!slices.Contains(review.Status.UserInfo.Groups, "system:nodes") {
		t.Fatalf("the unit's token is %+v (%d %v), want %s in system:nodes", review.Status.UserInfo, code, err, want)
	}
	nodes, err := listAs[corev1.Node]("/api/v1/nodes")
	if err != nil {
		t.Fatal(err)
	}
	other := ""
	for _, n := range nodes {
		if n.Name != mc.instance.Node {
			other = n.Name
		}
	}
	labels := map[string]any{"metadata": map[string]any{"labels": map[string]string{multus.NodeLabel: "true"}}}
	for _, tc := range []struct {
		what, node string
		patch      any
		status     int
		says       string
	}{
		{"its own label", mc.instance.Node, labels, http.StatusOK, ""},
		{"another node's label", other, labels, http.StatusForbidden, "is not allowed to modify node"},
		{"its own taints", mc.instance.Node, map[string]any{"spec": map[string]any{"taints": []any{}}}, http.StatusForbidden, "is not allowed to modify taints"},
	} {
		code, body, err := testCluster.requestAs(token, "application/merge-patch+json", http.MethodPatch, "/api/v1/nodes/"+tc.node, tc.patch)
		if err != nil || code != tc.status || !strings.Contains(body, tc.says) {
			t.Errorf("node %s patching %s: %d %s %v, want %d %q", mc.instance.Node, tc.what, code, body, err, tc.status, tc.says)
		}
	}
}
