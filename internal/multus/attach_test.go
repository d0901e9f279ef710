package multus

import (
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// shellPart is the shell script the launch template's user data carries, exactly as it ships.
func shellPart(t *testing.T, p UserDataParams) string {
	t.Helper()
	ud, err := UserData(p)
	if err != nil {
		t.Fatal(err)
	}
	header, body, _ := strings.Cut(ud, "\r\n\r\n")
	_, params, _ := mime.ParseMediaType(strings.TrimPrefix(strings.Split(header, "\r\n")[1], "Content-Type: "))
	r := multipart.NewReader(strings.NewReader(body), params["boundary"])
	for {
		part, err := r.NextPart()
		if err != nil {
			t.Fatalf("no shell part: %v", err)
		}
		if strings.HasPrefix(part.Header.Get("Content-Type"), "text/x-shellscript") {
			b, _ := io.ReadAll(part)
			return string(b)
		}
	}
}

var params = UserDataParams{ClusterName: "eks-ipv4-multus", Zone: "eu-central-1a", Region: "eu-central-1", MaxPods: 12}

func TestAttachScriptPassesShellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("EAN_REQUIRE_ROOT_TESTS") == "1" {
			t.Fatal("shellcheck is not installed (.ci/run installs it)")
		}
		t.Skip("shellcheck is not installed")
	}
	dir := t.TempDir()
	shipped := filepath.Join(dir, "user-data.sh")
	os.WriteFile(shipped, []byte(shellPart(t, params)), 0o755)
	for _, f := range []string{"attach-eni.sh", shipped} {
		if out, err := exec.Command("shellcheck", "-s", "bash", f).CombinedOutput(); err != nil {
			t.Errorf("shellcheck %s:\n%s", f, out)
		}
	}
}

// stubAws is an aws command that answers like EC2 for one Multus ENI, logs its arguments, and
// refuses the first attach (another node won the race).
const stubAws = `#!/bin/bash
echo "$*" >> "$STUB_LOG"
case "$*" in
  *describe-network-interfaces*--filters*) echo "${STUB_ENI:-eni-0multus}" ;;
  *describe-network-interfaces*--network-interface-ids*) echo "$STUB_MAC" ;;
  *attach-network-interface*)
    if [ ! -e "$STUB_LOG.raced" ]; then touch "$STUB_LOG.raced"; echo "InvalidNetworkInterface.InUse" >&2; exit 254; fi ;;
esac
`

// fakeImds serves the instance metadata the script reads, inside the node's network namespace.
func fakeImds(t *testing.T, node string) string {
	t.Helper()
	var ln net.Listener
	inNetns(t, node, func() {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Error(err)
		}
	})
	if ln == nil {
		t.FailNow()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /latest/api/token", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "token-1") })
	mux.HandleFunc("GET /latest/meta-data/instance-id", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-aws-ec2-metadata-token") != "token-1" {
			http.Error(w, "IMDSv2 token required", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "i-0multusnode")
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// The user data's script against a stubbed aws command, in a network namespace standing in for the
// node, with a veth standing in for the ENI as it appears after the attach (ens6, down).
func TestAttachScriptRenamesTheEni(t *testing.T) {
	requireRoot(t, "ip", "curl", "bash", "sysctl")
	name, path := netns(t, "node")
	run(t, "ip", "-n", name, "link", "add", "ens6", "type", "veth", "peer", "name", "ens6-peer")
	mac := strings.TrimSpace(run(t, "ip", "netns", "exec", name, "cat", "/sys/class/net/ens6/address"))
	imds := fakeImds(t, path)

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "aws"), []byte(stubAws), 0o755)
	script := filepath.Join(dir, "user-data.sh")
	os.WriteFile(script, []byte(shellPart(t, params)), 0o755)
	log := filepath.Join(dir, "aws.log")

	cmd := exec.Command("ip", "netns", "exec", name, "bash", script)
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "IMDS="+imds, "PAUSE=0", "ATTEMPTS=3",
		"STUB_LOG="+log, "STUB_MAC="+mac)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("script failed: %v\n%s", err, out)
	}
	link := run(t, "ip", "-n", name, "link", "show", "multus")
	if !strings.Contains(link, mac) || !strings.Contains(link, ",UP") {
		t.Errorf("multus is not the ENI, or not up:\n%s", link)
	}
	if rp := strings.TrimSpace(run(t, "ip", "netns", "exec", name, "sysctl", "-n", "net.ipv4.conf.multus.rp_filter")); rp != "0" {
		t.Errorf("rp_filter on multus = %s, want 0", rp)
	}
	calls, _ := os.ReadFile(log)
	want := []string{
		"Name=tag:cluster,Values=eks-ipv4-multus", "Name=tag:multus,Values=true", "Name=tag:Zone,Values=eu-central-1a", "Name=status,Values=available",
		"attach-network-interface --region eu-central-1 --network-interface-id eni-0multus --instance-id i-0multusnode --device-index 1",
	}
	for _, w := range want {
		if !strings.Contains(string(calls), w) {
			t.Errorf("aws was never called with %q; calls:\n%s", w, calls)
		}
	}
	if n := strings.Count(string(calls), "attach-network-interface"); n != 2 {
		t.Errorf("%d attach calls, want 2 (one lost race, one win):\n%s", n, calls)
	}
}

func TestAttachScriptGivesUpWithoutAnEni(t *testing.T) {
	requireRoot(t, "ip", "curl", "bash")
	name, path := netns(t, "node")
	imds := fakeImds(t, path)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "aws"), []byte(stubAws), 0o755)
	script := filepath.Join(dir, "user-data.sh")
	os.WriteFile(script, []byte(shellPart(t, params)), 0o755)
	cmd := exec.Command("ip", "netns", "exec", name, "bash", script)
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "IMDS="+imds, "PAUSE=0", "ATTEMPTS=2",
		"STUB_LOG="+filepath.Join(dir, "aws.log"), "STUB_ENI=None")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "gave up: no available ENI tagged cluster=eks-ipv4-multus") {
		t.Errorf("script with no ENI: err %v\n%s", err, out)
	}
}
