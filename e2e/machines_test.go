//go:build e2e

package e2e

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/netnstest"
	"eks-advanced-networking/internal/nodeadm"
	"eks-advanced-networking/test/awstwin"
)

// Stand-ins for the twin's instances: what runs on a node as it boots, for real where it can. A node
// group's user data runs its shell part as cloud-init would, into a directory of the instance's own;
// when that installs our multus-eni unit (internal/multus), the unit's script runs as systemd would
// start it, in a network namespace of the instance's, until it is done or the instance goes. There
// it meets what it meets on EC2: the instance metadata service at 169.254.169.254 (IMDSv2), the
// cluster's endpoint (forwarded to the suite's API server, as nodes reach the private endpoint),
// and the aws CLI, which is the twin's (awstwin.CLI): it describes and attaches on the account, and
// an ENI attached to this instance appears in the namespace with its MAC, down.
//
// Beside them runs the VPC CNI's ipamd, as the twin models it (awstwin.GrowVpcCniEnis): as pods that
// take an address (not on the host network) come and go on a node, its instance attaches ENIs.

// machine is one instance's stand-in.
type machine struct {
	instance awstwin.Instance
	// multus: its user data installed and enabled the multus-eni unit.
	multus bool
	ns     string
	root   string
	log    *syncBuffer
	cmd    *exec.Cmd
	exited chan struct{}
	err    error
	closer []io.Closer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// machines are the stand-ins of one twin's instances.
type machines struct {
	t       *testing.T
	tw      *twin
	mu      sync.Mutex
	running map[string]*machine // by instance id
	pods    map[string]int      // the pods with addresses per node ipamd last saw
	seq     int
}

// startMachines boots a stand-in for every instance the account launches and shuts it down when the
// instance goes; the function it returns shuts all down.
func startMachines(t *testing.T, tw *twin) func() {
	m := &machines{t: t, tw: tw, running: map[string]*machine{}}
	tw.machines = m
	stop := poll(time.Second, m.round)
	return func() {
		stop()
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, id := range slices.Sorted(maps.Keys(m.running)) {
			m.shutDown(m.running[id])
			delete(m.running, id)
		}
	}
}

func (m *machines) round() {
	a, err := awstwin.ReadAccount(m.tw.state)
	if err != nil || a == nil {
		return
	}
	m.mu.Lock()
	for _, id := range slices.Sorted(maps.Keys(a.Instances)) {
		if m.running[id] == nil {
			m.running[id] = m.boot(*a.Instances[id])
		}
	}
	for _, id := range slices.Sorted(maps.Keys(m.running)) {
		if a.Instances[id] == nil {
			m.shutDown(m.running[id])
			delete(m.running, id)
		}
	}
	m.mu.Unlock()
	m.ipamd()
}

// ipamd tells the account how many pods with an address each node runs, when that changed.
func (m *machines) ipamd() {
	pods, err := listAs[corev1.Pod]("/api/v1/pods")
	if err != nil {
		return
	}
	counts := map[string]int{}
	for _, p := range pods {
		if p.Spec.NodeName != "" && !p.Spec.HostNetwork && p.DeletionTimestamp == nil &&
			p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			counts[p.Spec.NodeName]++
		}
	}
	if maps.Equal(counts, m.pods) {
		return
	}
	var did []string
	if err := awstwin.UpdateAccount(m.tw.state, "eu-central-1", func(a *awstwin.Account) error {
		did = a.GrowVpcCniEnis(counts)
		return nil
	}); err != nil {
		m.t.Errorf("ipamd's stand-in: %v", err)
		return
	}
	m.pods = counts
	for _, d := range did {
		m.t.Log(d)
	}
}

// boot runs the instance's user data and, if it installed the multus-eni unit, starts the unit.
func (m *machines) boot(inst awstwin.Instance) *machine {
	mc := &machine{instance: inst, log: &syncBuffer{}}
	fail := func(format string, args ...any) *machine {
		m.t.Errorf("instance %s (%s): %s", inst.ID, inst.Node, fmt.Sprintf(format, args...))
		return mc
	}
	raw, _ := base64.StdEncoding.DecodeString(inst.UserData)
	parts, err := nodeadm.Parts(string(raw))
	if err != nil {
		return mc // not MIME multi-part: nodeadm's config alone, nothing to run
	}
	var shell []string
	for _, p := range parts {
		if strings.HasPrefix(p.ContentType, "text/x-shellscript") {
			shell = append(shell, p.Body)
		}
	}
	if len(shell) == 0 {
		return mc
	}
	if mc.root, err = os.MkdirTemp("", "twin-instance-"); err != nil {
		return fail("%v", err)
	}
	// systemctl talks to the host's systemd; the stand-in notes what the installer asks of it.
	bin := filepath.Join(mc.root, "stand-in-bin")
	for name, body := range map[string]string{
		"systemctl":  "#!/bin/bash\necho \"$*\" >> \"$EAN_ROOT/systemctl.log\"\n",
		"networkctl": "#!/bin/bash\necho \"$*\" >> \"$EAN_ROOT/networkctl.log\"\n",
	} {
		if err := os.MkdirAll(bin, 0o755); err != nil {
			return fail("%v", err)
		}
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil { //nolint:gosec // an executable
			return fail("%v", err)
		}
	}
	path := bin + string(os.PathListSeparator) + m.tw.env["PATH"]
	for _, script := range shell {
		cmd := exec.Command("bash", "-c", script)
		cmd.Env = append(os.Environ(), "EAN_ROOT="+mc.root, "PATH="+path)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fail("its user data's shell part: %v\n%s", err, out)
		}
	}
	calls, _ := os.ReadFile(filepath.Join(mc.root, "systemctl.log"))
	if !strings.Contains(string(calls), "enable multus-eni.service") {
		return mc
	}
	mc.multus = true
	if os.Geteuid() != 0 {
		// Only a test that asks for the unit's work (assertMultusNodesReady) fails on it: the
		// pull-request workflow's preview runs the twin without root and no unit.
		mc.err = errors.New("the unit runs in a network namespace of the instance's, which needs root")
		mc.exited = make(chan struct{})
		close(mc.exited)
		return mc
	}
	env, err := readEnvironmentFile(filepath.Join(mc.root, multus.EnvFilePath))
	if err != nil {
		return fail("the unit's environment: %v", err)
	}
	if err := m.startUnit(mc, env, path); err != nil {
		return fail("starting the multus-eni unit: %v", err)
	}
	return mc
}

// readEnvironmentFile reads KEY=VALUE lines as systemd's EnvironmentFile= does for ours (values
// single-quoted or bare).
func readEnvironmentFile(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path) //nolint:gosec // the instance's own file
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'")
	}
	return env, nil
}

// startUnit gives the instance its network namespace, metadata service and way to the cluster's
// endpoint, and starts the unit's script there.
func (m *machines) startUnit(mc *machine, env map[string]string, path string) error {
	m.seq++
	mc.ns = fmt.Sprintf("ean-instance-%d-%d", os.Getpid(), m.seq)
	nsPath := filepath.Join("/var/run/netns", mc.ns)
	for _, args := range [][]string{
		{"netns", "add", mc.ns},
		{"-n", mc.ns, "link", "set", "lo", "up"},
		{"-n", mc.ns, "addr", "add", "169.254.169.254/32", "dev", "lo"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	listen := func(address string) (net.Listener, error) {
		var ln net.Listener
		err := netnstest.Enter(nsPath, func() (err error) { ln, err = net.Listen("tcp", address); return err })
		if err == nil {
			mc.closer = append(mc.closer, ln)
		}
		return ln, err
	}
	imds, err := listen("169.254.169.254:80")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: imdsFor(mc.instance.ID), ReadHeaderTimeout: 5 * time.Second}
	mc.closer = append(mc.closer, srv)
	go func() { _ = srv.Serve(imds) }()
	endpoint, err := url.Parse(env["ENDPOINT"])
	if err != nil {
		return fmt.Errorf("ENDPOINT %q: %w", env["ENDPOINT"], err)
	}
	apiServer, err := url.Parse(testCluster.server)
	if err != nil {
		return err
	}
	forward, err := listen(endpoint.Host)
	if err != nil {
		return err
	}
	go forwardTo(forward, apiServer.Host)
	ca, err := os.ReadFile(filepath.Join(testCluster.dir, "certs", "apiserver.crt"))
	if err != nil {
		return err
	}
	caFile := filepath.Join(mc.root, "etc", "kubernetes", "pki", "ca.crt")
	if err := os.MkdirAll(filepath.Dir(caFile), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(caFile, ca, 0o644); err != nil { //nolint:gosec // a certificate
		return err
	}
	mc.cmd = exec.Command("ip", "netns", "exec", mc.ns, filepath.Join(mc.root, multus.AttachScriptPath)) //nolint:gosec // the installed unit
	mc.cmd.Env = []string{"PATH=" + path, "EAN_ROOT=" + mc.root, "HOME=" + mc.root,
		// The unit waits 10 s between tries; the twin runs AWS's time faster.
		"PAUSE=1", "NETWORK_DIR=" + filepath.Join(mc.root, "etc", "systemd", "network"),
		"NETWORKCTL=" + filepath.Join(mc.root, "stand-in-bin", "networkctl"), "CA_FILE=" + caFile,
		awstwin.StateEnv + "=" + m.tw.state, awstwin.TokenEnv + "=" + m.tw.env[awstwin.TokenEnv], awstwin.InstanceEnv + "=" + mc.instance.ID}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		mc.cmd.Env = append(mc.cmd.Env, k+"="+env[k])
	}
	mc.cmd.Stdout, mc.cmd.Stderr = mc.log, mc.log
	mc.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := mc.cmd.Start(); err != nil {
		return err
	}
	mc.exited = make(chan struct{})
	go func() { mc.err = mc.cmd.Wait(); close(mc.exited) }()
	return nil
}

// imdsFor is the instance metadata service's IMDSv2: a token for a PUT, the instance id for a GET
// that carries it.
func imdsFor(instance string) http.Handler {
	const token = "twin-imds-token"
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /latest/api/token", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds") == "" {
			http.Error(w, "missing X-aws-ec2-metadata-token-ttl-seconds", http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, token)
	})
	mux.HandleFunc("GET /latest/meta-data/instance-id", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-aws-ec2-metadata-token") != token {
			http.Error(w, "", http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, instance)
	})
	return mux
}

// forwardTo passes every connection ln accepts to address, until ln is closed.
func forwardTo(ln net.Listener, address string) {
	for {
		in, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer in.Close()
			out, err := net.Dial("tcp", address)
			if err != nil {
				return
			}
			defer out.Close()
			go func() { _, _ = io.Copy(out, in) }()
			_, _ = io.Copy(in, out)
		}()
	}
}

// shutDown ends the instance: its unit, if still running, and its namespace.
func (m *machines) shutDown(mc *machine) {
	if mc.cmd != nil && mc.cmd.Process != nil {
		select {
		case <-mc.exited:
		default:
			_ = syscall.Kill(-mc.cmd.Process.Pid, syscall.SIGKILL)
			<-mc.exited
		}
	}
	for _, c := range mc.closer {
		_ = c.Close()
	}
	if mc.ns != "" {
		if out, err := exec.Command("ip", "netns", "del", mc.ns).CombinedOutput(); err != nil {
			m.t.Errorf("removing %s's namespace %s: %v\n%s", mc.instance.ID, mc.ns, err, out)
		}
	}
	if mc.root != "" {
		_ = os.RemoveAll(mc.root)
	}
}

// multusMachines are the running instances that installed the multus-eni unit, in id order.
func (m *machines) multusMachines() []*machine {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*machine
	for _, id := range slices.Sorted(maps.Keys(m.running)) {
		if m.running[id].multus {
			out = append(out, m.running[id])
		}
	}
	return out
}

// multusEniOn is the Multus ENI (tagged multus=true) the account has attached to instance, or nil.
func multusEniOn(a *awstwin.Account, instance string) *awstwin.Record {
	for _, id := range slices.Sorted(maps.Keys(a.Resources)) {
		r := a.Resources[id]
		if tags, _ := r.Inputs["tags"].(map[string]any); r.Outputs["attachedTo"] == instance && tags["multus"] == "true" {
			return r
		}
	}
	return nil
}

// assertMultusNodesReady waits until the multus-eni unit has finished on every running instance
// that installed it, and checks what it left: the zone's Multus ENI attached to the instance in the
// account, an interface named multus with that ENI's MAC and up in the instance's namespace, and
// the node labelled.
func assertMultusNodesReady(t *testing.T, tw *twin) {
	t.Helper()
	m := tw.machines
	if m == nil {
		t.Fatal("no stand-ins run for the twin's instances")
	}
	deadline := time.Now().Add(90 * time.Second)
	// Every instance the account holds has booted (the stand-ins look once a second).
	for {
		booted := true
		for id := range tw.account(t).Instances {
			m.mu.Lock()
			booted = booted && m.running[id] != nil
			m.mu.Unlock()
		}
		if booted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the account's instances have not all booted in 90 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, mc := range m.multusMachines() {
		select {
		case <-mc.exited:
		case <-time.After(time.Until(deadline)):
			t.Errorf("the multus-eni unit on %s (%s) has not finished in 90 s:\n%s", mc.instance.ID, mc.instance.Node, mc.log.String())
			continue
		}
		if mc.err != nil {
			t.Errorf("the multus-eni unit on %s (%s) failed: %v\n%s", mc.instance.ID, mc.instance.Node, mc.err, mc.log.String())
			continue
		}
		eni := multusEniOn(tw.account(t), mc.instance.ID)
		if eni == nil || eni.Inputs["tags"].(map[string]any)["Zone"] != mc.instance.Zone {
			t.Errorf("%s (%s) holds no Multus ENI of %s in the account", mc.instance.ID, mc.instance.Node, mc.instance.Zone)
			continue
		}
		link, err := exec.Command("ip", "-n", mc.ns, "link", "show", "multus").CombinedOutput()
		if mac, _ := eni.Outputs["macAddress"].(string); err != nil || !strings.Contains(string(link), mac) || !strings.Contains(string(link), ",UP") {
			t.Errorf("%s: multus is not %s's interface (%s), up: %v\n%s", mc.instance.Node, eni.ID, mac, err, link)
		}
		node, found, err := testCluster.get("/api/v1/nodes/" + mc.instance.Node)
		labels, _ := node["metadata"].(map[string]any)["labels"].(map[string]any)
		network := eni.Inputs["tags"].(map[string]any)[multus.NetworkTag]
		if err != nil || !found || labels[multus.NodeLabel] != "true" || labels[multus.NetworkLabel] != network {
			t.Errorf("node %s is not labelled %s=true and %s=%v (labels %v; found %v, %v)", mc.instance.Node, multus.NodeLabel, multus.NetworkLabel, network, labels, found, err)
		}
		t.Logf("%s: %s at device index %v", mc.instance.Node, eni.ID, eni.Outputs["deviceIndex"])
	}
}
