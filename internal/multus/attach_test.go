package multus

import (
	"eks-advanced-networking/internal/netnstest"
	"eks-advanced-networking/internal/nodeadm"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// installerPart is the user data's shell part, exactly as it ships.
func installerPart(t *testing.T, p UserDataParams) string {
	t.Helper()
	ud, err := UserData(p)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := nodeadm.Parts(ud)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if strings.HasPrefix(p.ContentType, "text/x-shellscript") {
			return p.Body
		}
	}
	t.Fatal("no shell part")
	return ""
}

func TestScriptsPassShellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		stopper(t)("shellcheck is not installed (.ci/run installs it)")
	}
	installer := filepath.Join(t.TempDir(), "user-data.sh")
	if err := os.WriteFile(installer, []byte(installerPart(t, chapterUserData)), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"attach-eni.sh", installer} {
		if out, err := exec.Command("shellcheck", "-s", "bash", f).CombinedOutput(); err != nil {
			t.Errorf("shellcheck %s:\n%s", f, out)
		}
	}
}

// install runs the user data's shell part into root, with a systemctl that logs its calls, and
// returns the installed files' environment as systemd would read it (EnvironmentFile).
func install(t *testing.T, root string, p UserDataParams) map[string]string {
	t.Helper()
	bin := t.TempDir()
	for name, body := range map[string]string{
		"systemctl": "#!/bin/bash\necho \"$*\" >> \"$EAN_ROOT/systemctl.log\"\n",
		"aws":       "#!/bin/bash\nexit 0\n", // present, so the installer does not reach for dnf
	} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", "-c", installerPart(t, p))
	cmd.Env = append(os.Environ(), "EAN_ROOT="+root, "PATH="+bin+":"+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("installer: %v\n%s", err, out)
	}
	env := map[string]string{}
	raw, err := os.ReadFile(filepath.Join(root, EnvFilePath))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'")
	}
	return env
}

// The user data, run once on first boot, installs the script, its environment and the unit that runs
// it at every boot, and starts it without waiting.
func TestUserDataInstallsTheBootUnit(t *testing.T) {
	root := t.TempDir()
	env := install(t, root, chapterUserData)
	for path, want := range map[string]string{AttachScriptPath: AttachEniScript, UnitPath: MultusEniUnit} {
		got, err := os.ReadFile(filepath.Join(root, path))
		if err != nil || string(got) != want {
			t.Errorf("%s: installed %d bytes (%v), want the %d shipped", path, len(got), err, len(want))
		}
	}
	if info, err := os.Stat(filepath.Join(root, AttachScriptPath)); err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("script mode %v %v", info.Mode(), err)
	}
	patch, _ := AttachedLabelPatch("ipvlan-private-a")
	for k, v := range map[string]string{"CLUSTER": "eks-ipv4-multus", "ZONE": "eu-central-1a", "NETWORK": "ipvlan-private-a", "REGION": "eu-central-1", "ENDPOINT": chapterUserData.Endpoint, "LABEL_PATCH": patch} {
		if env[k] != v {
			t.Errorf("environment %s = %q, want %q", k, env[k], v)
		}
	}
	calls, _ := os.ReadFile(filepath.Join(root, "systemctl.log"))
	if string(calls) != "daemon-reload\nenable multus-eni.service\nstart --no-block multus-eni.service\n" {
		t.Errorf("systemctl calls:\n%s", calls)
	}
}

// stubAws answers like EC2 and EKS for one Multus ENI and logs its arguments. Counters in files
// script the scenarios: STUB_API_ERRORS describe calls fail first, the zone's ENI stays in use for
// STUB_BUSY_POLLS polls, STUB_ATTACHED is the ENI attached to this instance already (a reboot).
// STUB_TAKEN are the device indexes this instance's ENIs hold (the primary's 0, and any the VPC CNI
// attached); STUB_IPAMD_TAKES is an index the VPC CNI takes right after the first look, as ipamd
// does when pods arrive. An attach at a taken index fails as EC2's does.
const stubAws = `#!/bin/bash
echo "$*" >> "$STUB_LOG"
count() { local n; n=$(( $(cat "$STUB_LOG.$1" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$STUB_LOG.$1"; echo "$n"; }
case "$*" in
  *describe-network-interfaces*attachment.instance-id*)
    if [ "$(count errors)" -le "${STUB_API_ERRORS:-0}" ]; then echo "An error occurred (RequestLimitExceeded)" >&2; exit 254; fi
    echo "${STUB_ATTACHED:-None}" ;;
  *describe-network-interfaces*status,Values=available*)
    if [ "$(count busy)" -le "${STUB_BUSY_POLLS:-0}" ]; then echo None; else echo "${STUB_ENI:-eni-0multus}"; fi ;;
  *describe-network-interfaces*--network-interface-ids*) echo "$STUB_MAC" ;;
  *describe-instances*DeviceIndex*)
    taken=${STUB_TAKEN:-0}
    if [ "$(count indexes)" -gt 1 ] && [ -n "${STUB_IPAMD_TAKES:-}" ]; then taken="$taken $STUB_IPAMD_TAKES"; fi
    echo "$taken" | tr ' ' '\t' ;;
  *attach-network-interface*)
    args="$*"; index=${args##*--device-index }
    for taken in ${STUB_TAKEN:-0} ${STUB_IPAMD_TAKES:-}; do
      if [ "$taken" = "$index" ]; then
        echo "An error occurred (InvalidParameterValue) when calling the AttachNetworkInterface operation: Instance 'i-0multusnode' already has an interface attached at device index '$index'." >&2
        exit 254
      fi
    done ;;
  *describe-instances*) echo "ip-192-168-96-10.eu-central-1.compute.internal" ;;
  *"eks get-token"*) echo "k8s-aws-v1.stub-token" ;;
  *) echo "unexpected call: $*" >&2; exit 2 ;;
esac
`

// listenIn listens on loopback inside the network namespace at path.
func listenIn(t *testing.T, path string) net.Listener {
	t.Helper()
	ln, _ := netnstest.ListenIn(t, path, "tcp", "127.0.0.1:0")
	return ln
}

// fakeImds serves the instance metadata the script reads, inside the node's network namespace.
func fakeImds(t *testing.T, path string) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /latest/api/token", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "token-1") })
	mux.HandleFunc("GET /latest/meta-data/instance-id", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-aws-ec2-metadata-token") != "token-1" {
			http.Error(w, "IMDSv2 token required", http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "i-0multusnode") // a failed write shows as the script's failure
	})
	srv := &http.Server{Handler: mux}
	ln := listenIn(t, path)
	go func() {
		if err := srv.Serve(ln); err != http.ErrServerClosed {
			t.Errorf("fake IMDS: %v", err)
		}
	}()
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// fakeApiServer is the cluster's API endpoint over TLS, inside the node's network namespace. The
// first PATCH of the node answers 404 (kubelet has not registered it yet); it records the rest.
type fakeApiServer struct {
	url, caFile string
	mu          sync.Mutex
	patches     []recordedPatch
}

type recordedPatch struct{ path, auth, contentType, body string }

func newFakeApiServer(t *testing.T, path string) *fakeApiServer {
	t.Helper()
	f := &fakeApiServer{}
	first := true
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Method != http.MethodPatch || !strings.HasPrefix(r.URL.Path, "/api/v1/nodes/") {
			http.Error(w, "unexpected", http.StatusBadRequest)
			return
		}
		if first {
			first = false
			http.Error(w, `{"kind":"Status","code":404}`, http.StatusNotFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		f.patches = append(f.patches, recordedPatch{r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(body)})
		_, _ = io.WriteString(w, "{}") // a failed write shows as the script's failure
	}))
	srv.Listener.Close()
	srv.Listener = listenIn(t, path)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	f.url = srv.URL
	f.caFile = filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(f.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// node is one boot of a Multus node: a network namespace with the ENI as a veth named as it
// appears (ens6 after an attach; multus on a later boot, renamed by the .link file), the fake IMDS
// and API server, and the installed script with its environment.
type node struct {
	t                 *testing.T
	ns, mac           string
	root, networkDir  string
	api               *fakeApiServer
	env               map[string]string
	awsLog, stubBinAt string
}

func bootNode(t *testing.T, ifname string) *node {
	t.Helper()
	requireRoot(t, "ip", "curl", "bash", "sysctl")
	name, path := netns(t, "node")
	run(t, "ip", "-n", name, "link", "add", ifname, "type", "veth", "peer", "name", "eni-peer")
	n := &node{t: t, ns: name, root: t.TempDir(), networkDir: t.TempDir(), stubBinAt: t.TempDir()}
	n.mac = strings.TrimSpace(run(t, "ip", "netns", "exec", name, "cat", "/sys/class/net/"+ifname+"/address"))
	n.api = newFakeApiServer(t, path)
	p := chapterUserData
	p.Endpoint = n.api.url
	n.env = install(t, n.root, p)
	n.env["IMDS"] = fakeImds(t, path)
	if err := os.WriteFile(filepath.Join(n.stubBinAt, "aws"), []byte(stubAws), 0o755); err != nil {
		t.Fatal(err)
	}
	// networkctl talks to the host's networkd; the stub records the call instead.
	if err := os.WriteFile(filepath.Join(n.stubBinAt, "networkctl"), []byte("#!/bin/bash\necho \"networkctl $*\" >> \"$STUB_LOG\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	n.awsLog = filepath.Join(t.TempDir(), "aws.log")
	return n
}

// attach runs the installed script as the unit would, with the scenario's stub settings.
func (n *node) attach(scenario ...string) (string, error) {
	cmd := exec.Command("ip", "netns", "exec", n.ns, filepath.Join(n.root, AttachScriptPath))
	cmd.Env = append(os.Environ(), "PATH="+n.stubBinAt+":"+os.Getenv("PATH"), "PAUSE=0", "MAX_ATTEMPTS=20",
		"NETWORK_DIR="+n.networkDir, "CA_FILE="+n.api.caFile, "STUB_LOG="+n.awsLog, "STUB_MAC="+n.mac)
	for k, v := range n.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, scenario...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (n *node) awsCalls() string {
	b, _ := os.ReadFile(n.awsLog)
	return string(b)
}

// checkMultus asserts the ENI is up as multus, rp_filter is off, the rename is persisted by MAC, and
// the node got its label.
func (n *node) checkMultus() {
	t := n.t
	t.Helper()
	link := run(t, "ip", "-n", n.ns, "link", "show", "multus")
	if !strings.Contains(link, n.mac) || !strings.Contains(link, ",UP") {
		t.Errorf("multus is not the ENI, or not up:\n%s", link)
	}
	if rp := strings.TrimSpace(run(t, "ip", "netns", "exec", n.ns, "sysctl", "-n", "net.ipv4.conf.multus.rp_filter")); rp != "0" {
		t.Errorf("rp_filter on multus = %s, want 0", rp)
	}
	linkFile, _ := os.ReadFile(filepath.Join(n.networkDir, "10-multus.link"))
	if string(linkFile) != "[Match]\nMACAddress="+n.mac+"\n\n[Link]\nName=multus\n" {
		t.Errorf("10-multus.link:\n%s", linkFile)
	}
	networkFile, _ := os.ReadFile(filepath.Join(n.networkDir, "10-multus.network"))
	if !strings.Contains(string(networkFile), "Name=multus") || !strings.Contains(string(networkFile), "Unmanaged=yes") {
		t.Errorf("10-multus.network:\n%s", networkFile)
	}
	patch, _ := AttachedLabelPatch(chapterUserData.Network)
	n.api.mu.Lock()
	defer n.api.mu.Unlock()
	if len(n.api.patches) != 1 {
		t.Fatalf("%d node patches, want 1 (after one 404)", len(n.api.patches))
	}
	got := n.api.patches[0]
	if got.path != "/api/v1/nodes/ip-192-168-96-10.eu-central-1.compute.internal" || got.auth != "Bearer k8s-aws-v1.stub-token" ||
		got.contentType != "application/merge-patch+json" || got.body != patch {
		t.Errorf("node patch %+v, want %s", got, patch)
	}
}

// First boot of a replacement node: the old node still holds the zone's ENI for a few polls, and the
// EC2 API fails once on the way. The script keeps trying, attaches the ENI once it is free, names it
// multus, persists that by MAC, and labels its node.
func TestAttachWaitsForTheEniThroughErrors(t *testing.T) {
	n := bootNode(t, "ens6")
	out, err := n.attach("STUB_BUSY_POLLS=3", "STUB_API_ERRORS=1")
	if err != nil {
		t.Fatalf("attach failed: %v\n%s", err, out)
	}
	n.checkMultus()
	// The API server's first answer, before kubelet registers the node, is in the log.
	if !strings.Contains(out, "labelling node ip-192-168-96-10.eu-central-1.compute.internal failed (HTTP 404;") {
		t.Errorf("the log does not name the refused label's status:\n%s", out)
	}
	calls := n.awsCalls()
	for _, w := range []string{
		"Name=tag:cluster,Values=eks-ipv4-multus", "Name=tag:multus,Values=true", "Name=tag:Zone,Values=eu-central-1a",
		"Name=tag:multus-network,Values=ipvlan-private-a", "Name=status,Values=available",
		"Name=attachment.instance-id,Values=i-0multusnode",
		"attach-network-interface --region eu-central-1 --network-interface-id eni-0multus --instance-id i-0multusnode --device-index 1",
		"eks get-token --region eu-central-1 --cluster-name eks-ipv4-multus",
	} {
		if !strings.Contains(calls, w) {
			t.Errorf("aws was never called with %q; calls:\n%s", w, calls)
		}
	}
	if polls := strings.Count(calls, "Name=status,Values=available"); polls != 4 {
		t.Errorf("%d polls for an available ENI, want 4 (3 in use, then free)", polls)
	}
	if attaches := strings.Count(calls, "attach-network-interface"); attaches != 1 {
		t.Errorf("%d attach calls, want 1", attaches)
	}
	if !strings.Contains(calls, "networkctl reload") {
		t.Errorf("networkd was not told about 10-multus.network; calls:\n%s", calls)
	}
	if !strings.Contains(out, "a node being replaced may still hold it") || !strings.Contains(out, "describing network interfaces failed") {
		t.Errorf("the script did not say why it waited:\n%s", out)
	}
}

// Day 2: a managed node group update starts the new node while the old one still holds the ENI, and
// the VPC CNI on the new node attaches its own ENI at the lowest free index meanwhile. The script
// asks EC2 which indexes are taken on every try: with the CNI's ENI at 1 already, it attaches at 2;
// when the CNI takes 1 between the script's look and its attach, EC2 refuses, and the next try takes 2.
func TestAttachTakesTheLowestFreeDeviceIndexEachTry(t *testing.T) {
	for _, tc := range []struct {
		name     string
		scenario []string
		tried    []string
	}{
		{"the VPC CNI's ENI at 1 already", []string{"STUB_TAKEN=0 1", "STUB_BUSY_POLLS=2"}, []string{"--device-index 2"}},
		{"the VPC CNI takes 1 during the first try", []string{"STUB_TAKEN=0", "STUB_IPAMD_TAKES=1"}, []string{"--device-index 1", "--device-index 2"}},
		{"the VPC CNI holds 1 and 2", []string{"STUB_TAKEN=0 2 1"}, []string{"--device-index 3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := bootNode(t, "ens6")
			out, err := n.attach(tc.scenario...)
			if err != nil {
				t.Fatalf("attach failed: %v\n%s", err, out)
			}
			n.checkMultus()
			var tried []string
			for _, line := range strings.Split(n.awsCalls(), "\n") {
				if strings.Contains(line, "attach-network-interface") {
					tried = append(tried, line[strings.Index(line, "--device-index"):])
				}
			}
			if !slices.Equal(tried, tc.tried) {
				t.Errorf("attached at %q, want %q\n%s", tried, tc.tried, out)
			}
		})
	}
}

// A later boot: the ENI is still attached to this instance and udev has named it multus from the
// .link file. The script attaches nothing, brings multus up and labels the node again.
func TestAttachOnASecondBoot(t *testing.T) {
	n := bootNode(t, "multus")
	out, err := n.attach("STUB_ATTACHED=eni-0multus")
	if err != nil {
		t.Fatalf("attach failed: %v\n%s", err, out)
	}
	n.checkMultus()
	if calls := n.awsCalls(); strings.Contains(calls, "attach-network-interface") || strings.Contains(calls, "Values=available") {
		t.Errorf("a second boot attached or looked for a free ENI:\n%s", calls)
	}
	if !strings.Contains(out, "eni-0multus is attached to i-0multusnode already") {
		t.Errorf("output:\n%s", out)
	}
}

// With a bound on attempts (the unit has none) and no ENI ever free, the script stops and says why.
func TestAttachSaysWhyItGivesUp(t *testing.T) {
	n := bootNode(t, "ens6")
	out, err := n.attach("STUB_ENI=None", "MAX_ATTEMPTS=3")
	if err == nil || !strings.Contains(out, "gave up: no available ENI tagged cluster=eks-ipv4-multus multus=true Zone=eu-central-1a") {
		t.Errorf("script with no ENI: err %v\n%s", err, out)
	}
}
