//go:build e2e

package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// cluster is a real kube-apiserver (with etcd and the controllers that finish deletions) on loopback:
// random free ports, a temporary directory, processes ended by PID.
type cluster struct {
	dir        string
	server     string // https://127.0.0.1:<port>
	token      string
	kubeconfig string // path
	// nodeTokens authenticates the tokens of the twins' instances, as EKS does.
	nodeTokens *nodeTokens
	procs      []*exec.Cmd
	client     *http.Client
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startCluster starts etcd, kube-apiserver and kube-controller-manager, and waits until the API
// server is ready. On error, whatever started is stopped.
func startCluster(dir string) (c *cluster, err error) {
	c = &cluster{dir: dir, token: "e2e-admin-token"}
	c.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the API server's self-signed loopback certificate
	}}
	defer func() {
		if err != nil {
			c.stop()
		}
	}()
	etcdClient, etcdPeer, apiPort := 0, 0, 0
	for _, p := range []*int{&etcdClient, &etcdPeer, &apiPort} {
		if *p, err = freePort(); err != nil {
			return c, err
		}
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdClient)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPeer)
	if err = c.start("etcd", "--name=e2e", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=e2e="+peerURL, "--log-level=warn"); err != nil {
		return c, err
	}
	if err = c.waitFor(etcdURL+"/health", false, 30*time.Second); err != nil {
		return c, fmt.Errorf("etcd: %w", err)
	}

	keyFile, pubFile, err := writeServiceAccountKeys(dir)
	if err != nil {
		return c, err
	}
	tokens := filepath.Join(dir, "tokens.csv")
	if err = os.WriteFile(tokens, []byte(c.token+",admin,admin,system:masters\n"), 0o600); err != nil {
		return c, err
	}
	c.server = fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	// As on EKS, anyone may ask whether the API server is healthy (pulumi-eks polls /healthz without
	// credentials after creating a cluster with a public endpoint); everything else needs a token.
	authn := filepath.Join(dir, "authentication.yaml")
	if err = os.WriteFile(authn, []byte(`apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
anonymous:
  enabled: true
  conditions:
  - path: /healthz
  - path: /livez
  - path: /readyz
`), 0o600); err != nil {
		return c, err
	}
	var webhook string
	if c.nodeTokens, webhook, err = startNodeTokens(dir); err != nil {
		return c, err
	}
	// Authorization as on EKS: the Node authorizer, then RBAC (the admin token is system:masters).
	if err = c.start("kube-apiserver", "--etcd-servers="+etcdURL, "--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", apiPort), "--cert-dir="+filepath.Join(dir, "certs"),
		"--token-auth-file="+tokens, "--authorization-mode=Node,RBAC", "--endpoint-reconciler-type=none",
		"--authentication-token-webhook-config-file="+webhook, "--authentication-token-webhook-version=v1",
		"--service-account-issuer=https://kubernetes.default.svc", "--service-account-key-file="+pubFile,
		"--service-account-signing-key-file="+keyFile, "--service-cluster-ip-range=10.96.0.0/24",
		// PodSecurity is on by default; named, so the suite's proof of it cannot silently go.
		// NodeRestriction, as on EKS: a node may change only its own Node, and not its taints.
		"--enable-admission-plugins=PodSecurity,NodeRestriction",
		"--allow-privileged=true", "--authentication-config="+authn, "--v=0"); err != nil {
		return c, err
	}
	if err = c.waitFor(c.server+"/readyz", true, 60*time.Second); err != nil {
		return c, fmt.Errorf("kube-apiserver: %w", err)
	}
	if c.kubeconfig, err = c.writeKubeconfig(); err != nil {
		return c, err
	}
	// The namespace controller finishes namespace deletion, the service account controllers give
	// namespaces the default account pods need, the Job controller turns the checks' Jobs into pods
	// and their pods' results into the Jobs' conditions, and the workload controllers turn
	// Deployments and DaemonSets into pods, which kube-scheduler binds to the nodes the AWS twin
	// registers (the suite's kubelet stand-in reports them running); podgc removes the pods of nodes
	// that are gone, and the disruption controller keeps each PodDisruptionBudget's count of the
	// disruptions it allows, which the Eviction API reads when a drain evicts.
	if err = c.start("kube-controller-manager", "--kubeconfig="+c.kubeconfig, "--leader-elect=false",
		"--controllers=namespace,garbagecollector,serviceaccount,serviceaccount-token,job,deployment,replicaset,daemonset,podgc,disruption",
		"--service-account-private-key-file="+keyFile, "--bind-address=127.0.0.1", "--secure-port=0"); err != nil {
		return c, err
	}
	if err = c.start("kube-scheduler", "--kubeconfig="+c.kubeconfig, "--leader-elect=false",
		"--bind-address=127.0.0.1", "--secure-port=0"); err != nil {
		return c, err
	}
	return c, nil
}

// start runs a tool from PATH, its output in a log file in dir.
func (c *cluster) start(name string, args ...string) error {
	path, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("%s is not on PATH; build it with tools/build.sh: %w", name, err)
	}
	log, err := os.Create(filepath.Join(c.dir, name+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test
	if err := cmd.Start(); err != nil {
		return err
	}
	c.procs = append(c.procs, cmd)
	return nil
}

// stop ends every process by its PID, newest first.
func (c *cluster) stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		_ = p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }() // it was signalled; its exit status says nothing
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.Process.Kill()
			<-done
		}
	}
	c.procs = nil
	if c.nodeTokens != nil {
		c.nodeTokens.close()
		c.nodeTokens = nil
	}
}

func (c *cluster) waitFor(url string, auth bool, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := c.client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %s: %s (logs in %s)", url, timeout, last, c.dir)
}

// create posts an object and returns the API server's status and body.
func (c *cluster) create(path string, obj any) (int, string, error) {
	return c.request(http.MethodPost, path, obj)
}

// request sends obj (nil for none) as JSON with the admin token and returns the API server's status
// and body.
func (c *cluster) request(method, path string, obj any) (int, string, error) {
	return c.requestAs(c.token, "application/json", method, path, obj)
}

// requestAs sends obj (nil for none), encoded as JSON, as contentType with a bearer token, and
// returns the API server's status and body.
func (c *cluster) requestAs(token, contentType, method, path string, obj any) (int, string, error) {
	var body io.Reader
	if obj != nil {
		raw, err := json.Marshal(obj)
		if err != nil {
			return 0, "", err
		}
		body = strings.NewReader(string(raw))
	}
	req, _ := http.NewRequest(method, c.server+path, body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), nil
}

// get reads an object; found is false on 404.
func (c *cluster) get(path string) (obj map[string]any, found bool, err error) {
	req, _ := http.NewRequest(http.MethodGet, c.server+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	switch resp.StatusCode {
	case http.StatusNotFound:
		return nil, false, nil
	case http.StatusOK:
		return obj, true, json.Unmarshal(body, &obj)
	}
	return nil, false, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
}

func (c *cluster) writeKubeconfig() (string, error) {
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: %s
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: %s
contexts:
- name: e2e
  context:
    cluster: e2e
    user: admin
current-context: e2e
`, c.server, c.token)
	path := filepath.Join(c.dir, "kubeconfig")
	return path, os.WriteFile(path, []byte(kubeconfig), 0o600)
}

func writeServiceAccountKeys(dir string) (keyFile, pubFile string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", err
	}
	keyFile, pubFile = filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		return "", "", err
	}
	return keyFile, pubFile, os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o600)
}

// objectPath is the API path of an object from its manifest.
func objectPath(obj map[string]any) (string, error) {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	namespace, _ := meta["namespace"].(string)
	plural, ok := plurals[kind]
	if !ok || name == "" {
		return "", fmt.Errorf("no API path for %s %q; add its plural to plurals", kind, name)
	}
	base := "/apis/" + apiVersion
	if !strings.Contains(apiVersion, "/") {
		base = "/api/" + apiVersion
	}
	if namespace != "" {
		return fmt.Sprintf("%s/namespaces/%s/%s/%s", base, namespace, plural, name), nil
	}
	return fmt.Sprintf("%s/%s/%s", base, plural, name), nil
}

// plurals are the resource names of the kinds the scenarios create.
var plurals = map[string]string{
	"Namespace": "namespaces", "Deployment": "deployments", "NetworkPolicy": "networkpolicies",
	"DaemonSet": "daemonsets", "ConfigMap": "configmaps", "ServiceAccount": "serviceaccounts", "Pod": "pods",
	"ClusterRole": "clusterroles", "ClusterRoleBinding": "clusterrolebindings",
	"CustomResourceDefinition": "customresourcedefinitions", "NetworkAttachmentDefinition": "network-attachment-definitions",
	"Installation": "installations", "APIServer": "apiservers", "Job": "jobs",
}
