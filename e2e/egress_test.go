//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"eks-advanced-networking/e2e/networld"
	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/verify"
	"eks-advanced-networking/stacks"
)

// The chapter's IPv6 egress checks, run for real: `pulumi up` of the ipv6 preset with verify on
// against the AWS twin, whose check pods a stand-in kubelet runs in the network the account
// describes (e2e/networld: the account's route tables as kernel routes, unbound as the resolver
// with DNS64 where the account's subnets have it, tayga as the NAT gateway's NAT64, v4if0 where the
// account's vpc-cni add-on has ENABLE_V4_EGRESS). A check's exit and output go back to the API
// server as a kubelet reports them, so the real kubernetes provider passes or fails the update.

// egressConfig is the ipv6 preset on the twin in an ipv4Egress mode, with the checks on and awaited,
// aimed at the network world's IPv4-only and IPv6-only names.
func egressConfig(t *testing.T, mode string) map[string]string {
	t.Helper()
	cfg := twinPreset(t, "ipv6", "verify", "true", "ipv4Egress", mode,
		"verifyIpv4Target", networld.Ipv4OnlyName+":"+strconv.Itoa(networld.HTTPPort),
		"verifyIpv6Target", networld.Ipv6OnlyName+":"+strconv.Itoa(networld.HTTPPort))
	cfg[config.Project+":skipAwait"] = "false" // the update waits for the checks, as on a real cluster
	return cfg
}

// networkKubelet runs each check pod bound to a twin node: in its own network namespace (the node's
// for a host-network pod), with the container's command and environment, as its user, and reports
// the result. The world is built from the account when the first pod of an update needs it; reset
// drops it, so the next update's pods see the account as that update left it.
type networkKubelet struct {
	t     *testing.T
	tw    *twin
	mu    sync.Mutex
	world *networld.World
	done  map[string]bool // pod UIDs run and reported
	// dns are the coredns add-on's pods (the twin installs its Deployment) attached to the current
	// world, by UID.
	dns map[string]bool
	// ran is what each check exited with since the last takeRan.
	ran map[string]int
	// failed holds the output of the checks that did not pass, for the test's log.
	failed map[string]string
}

func startNetworkKubelet(t *testing.T, tw *twin) (*networkKubelet, func()) {
	k := &networkKubelet{t: t, tw: tw, done: map[string]bool{}, dns: map[string]bool{}, ran: map[string]int{}, failed: map[string]string{}}
	stop := poll(300*time.Millisecond, k.round)
	return k, func() { stop(); k.reset() }
}

func (k *networkKubelet) reset() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.world != nil {
		k.world.Close()
		k.world = nil
	}
	k.dns = map[string]bool{}
}

// takeRan returns the checks run since the last call, by check name, with their exit codes.
func (k *networkKubelet) takeRan() (map[string]int, map[string]string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ran, failed := k.ran, k.failed
	k.ran, k.failed = map[string]int{}, map[string]string{}
	return ran, failed
}

func listAs[T any](path string) ([]T, error) {
	raw, _, err := testCluster.get(path)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(raw["items"])
	if err != nil {
		return nil, err
	}
	var items []T
	return items, json.Unmarshal(b, &items)
}

func (k *networkKubelet) round() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, ns := range []string{verify.Namespace, verify.HostNetworkNamespace} {
		raw, _, err := testCluster.get("/api/v1/namespaces/" + ns + "/pods")
		if err != nil {
			k.t.Error(err)
			return
		}
		items, _ := raw["items"].([]any)
		for _, item := range items {
			var pod corev1.Pod
			b, _ := json.Marshal(item)
			if err := json.Unmarshal(b, &pod); err != nil {
				k.t.Error(err)
				continue
			}
			check := pod.Labels[verify.CheckLabel]
			if k.done[string(pod.UID)] || check == "" || pod.Spec.NodeName == "" || pod.DeletionTimestamp != nil {
				continue
			}
			if k.world == nil {
				if err := k.build(); err != nil {
					k.t.Errorf("building the network world: %v", err)
					return
				}
			}
			// The scheduler may bind a CoreDNS pod after the world was built.
			if err := k.attachCoreDNS(); err != nil {
				k.t.Errorf("attaching CoreDNS: %v", err)
				return
			}
			code, out := 1, ""
			p, err := k.world.AttachPod(&pod)
			if err == nil {
				code, out, err = k.world.Run(&pod, p, 2*time.Minute)
			}
			if err != nil {
				out = "the network world cannot run this pod: " + err.Error()
				k.t.Errorf("%s: %s", pod.Name, out)
			}
			status, body, err := reportFinished(item.(map[string]any), code, out)
			if err != nil || (status != 200 && status != http.StatusConflict) {
				k.t.Errorf("reporting pod %s: %d %s %v", pod.Name, status, body, err)
			}
			if status == http.StatusConflict {
				// The scheduler's condition landed since the list; report once more on the fresh pod.
				fresh, _, err := testCluster.get("/api/v1/namespaces/" + ns + "/pods/" + pod.Name)
				if err == nil {
					status, body, err = reportFinished(fresh, code, out)
				}
				if err != nil || status != 200 {
					k.t.Errorf("reporting pod %s again: %d %s %v", pod.Name, status, body, err)
				}
			}
			k.done[string(pod.UID)] = true
			k.ran[check] = code
			if code != 0 {
				k.failed[check] = out
			}
		}
	}
}

// build makes the world of the account and the API server's nodes.
func (k *networkKubelet) build() error {
	nodes, err := listAs[corev1.Node]("/api/v1/nodes")
	if err != nil {
		return err
	}
	w, err := networld.Build(k.t, k.tw.account(k.t), nodes)
	if err != nil {
		return err
	}
	k.world = w
	return nil
}

// attachCoreDNS gives the world's nodes the CoreDNS pods bound to them since the last
// round: their host routes are what the prefix check reads.
func (k *networkKubelet) attachCoreDNS() error {
	dns, err := listAs[corev1.Pod]("/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns")
	if err != nil {
		return err
	}
	for i := range dns {
		if dns[i].Spec.NodeName == "" || k.dns[string(dns[i].UID)] {
			continue
		}
		if _, err := k.world.AttachPod(&dns[i]); err != nil {
			return err
		}
		k.dns[string(dns[i].UID)] = true
	}
	return nil
}

// egressChecks are the checks the ipv6 preset runs in each ipv4Egress mode, as the README's table
// of checks lists them, sorted.
var egressChecks = map[string][]string{
	"both":      {"ipv4-via-nat64", "ipv4-via-node-snat", "ipv6-target", "node-internal-ip-ipv6", "pod-address-in-node-prefix"},
	"node-snat": {"ipv4-via-node-snat", "ipv6-target", "node-internal-ip-ipv6", "pod-address-in-node-prefix"},
	"nat64":     {"ipv4-via-nat64", "ipv6-target", "node-internal-ip-ipv6", "pod-address-in-node-prefix"},
	"none":      {"ipv4-unreachable", "ipv6-target", "node-internal-ip-ipv6", "pod-address-in-node-prefix"},
}

// Every ipv4Egress mode, one after another on one stack: each update runs that mode's checks for
// real, and each passes. Then destroy leaves the account empty.
func TestTwinIpv6EgressChecksRunForReal(t *testing.T) {
	networld.Require(t)
	ctx := context.Background()
	tw := newTwin(t)
	const name = "ipv6-egress"
	t.Cleanup(kubeletForTwinNodes(t, tw))
	kubelet, stopKubelet := startNetworkKubelet(t, tw)
	defer stopKubelet()
	var stack auto.Stack
	defer func() {
		if stack.Workspace() != nil {
			_ = stack.Workspace().RemoveStack(ctx, name)
		}
	}()
	for _, mode := range []string{"both", "node-snat", "nat64", "none"} {
		step(t, "ipv4Egress "+mode, func() {
			kubelet.reset()
			stack = newStack(t, name, stacks.Run(egressConfig(t, mode)), tw.env)
			_, upErr := stack.Up(ctx)
			ran, failed := kubelet.takeRan()
			for check, out := range failed {
				t.Errorf("%s failed:\n%s", check, out)
			}
			if upErr != nil {
				t.Fatalf("up: %v", upErr)
			}
			var names []string
			for check, code := range ran {
				if code == 0 {
					names = append(names, check)
				}
			}
			sort.Strings(names)
			if want := egressChecks[mode]; !slices.Equal(names, want) {
				t.Errorf("checks run and passed in this update: %v, want every check of %s: %v", names, mode, want)
			}
			t.Logf("ipv4Egress %s: %v ran for real and passed", mode, names)
		})
	}
	step(t, "destroy", func() {
		if _, err := stack.Destroy(ctx); err != nil {
			t.Fatalf("destroy: %v", err)
		}
		if a := tw.account(t); len(a.Resources) != 0 || len(a.Refusals) != 0 {
			t.Errorf("after destroy the twin holds %v and refused %+v", a.Summary(), a.Refusals)
		}
	})
}

// programMutation is a one-line change to a copy of the program.
type programMutation struct {
	name, file, from, to string
	// says is what the nat64 check's failure must say.
	says string
}

// Two broken copies of the program, each deployed in nat64 mode to a fresh twin: without the
// 64:ff9b::/96 route the synthesized address gets no answer, and with DNS64 off in the subnets there
// is no synthesized address; each fails `pulumi up` with the check's own message.
func TestTwinIpv6ChecksCatchABrokenEgress(t *testing.T) {
	networld.Require(t)
	languageHost := buildLanguageHost(t)
	for _, m := range []programMutation{
		{"without the NAT64 route", "internal/netplan/vpc.go",
			"routes = append(routes, Route{DestinationIpv6Cidr: Nat64Prefix, Target: NatGatewayTarget, NatGateway: nat})",
			"_ = nat // mutation: no NAT64 route", "but no HTTP answer through NAT64"},
		{"with DNS64 off", "components/dualstackvpc.go",
			"args.EnableDns64 = pulumi.Bool(s.Dns64)", "args.EnableDns64 = pulumi.Bool(false) // mutation: DNS64 off", "DNS64 is not on for this pod's subnet"},
	} {
		step(t, m.name, func() { deployBrokenCopy(t, languageHost, m) })
	}
}

func deployBrokenCopy(t *testing.T, languageHost string, m programMutation) {
	ctx := context.Background()
	dir := mutatedCopy(t, m.file, m.from, m.to)
	name := "ipv6-mutant-" + strings.ReplaceAll(strings.TrimPrefix(m.name, "with"), " ", "-")
	name = strings.ReplaceAll(name, "--", "-")
	writeStackConfig(t, dir, name, egressConfig(t, "nat64"))
	tw := newTwin(t)
	tw.env["PATH"] = languageHost + string(os.PathListSeparator) + tw.env["PATH"]
	t.Cleanup(kubeletForTwinNodes(t, tw))
	kubelet, stopKubelet := startNetworkKubelet(t, tw)
	defer stopKubelet()
	stack := localStack(t, name, dir, tw.env)
	defer destroyLeavesNothing(t, tw, stack, name)
	res, err := stack.Up(ctx)
	ran, failed := kubelet.takeRan()
	t.Logf("checks run: %v", ran)
	if err == nil {
		t.Fatalf("up passed %s:\n%s", m.name, res.StdOut)
	}
	if !strings.Contains(err.Error(), "verify-ipv4-via-nat64") || !strings.Contains(err.Error(), m.says) {
		t.Errorf("the update failed without the nat64 check saying %q:\n%v", m.says, err)
	}
	if out, ok := failed["ipv4-via-nat64"]; ok {
		t.Logf("the nat64 check's output:\n%s", out)
	}
	if _, ok := failed["ipv4-via-nat64"]; !ok || len(failed) != 1 {
		t.Errorf("want the nat64 check, and only it, failing; failed: %v", keysOf(failed))
	}
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// writeStackConfig writes a stack file holding cfg, typed as a user would write it (booleans,
// integers and lists as such), so the project's declared config types accept it.
func writeStackConfig(t *testing.T, dir, name string, cfg map[string]string) {
	t.Helper()
	typed := map[string]any{}
	for k, v := range cfg {
		switch {
		case v == "true" || v == "false":
			typed[k] = v == "true"
		case strings.HasPrefix(v, "[") || strings.HasPrefix(v, "{"):
			var decoded any
			if err := json.Unmarshal([]byte(v), &decoded); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			typed[k] = decoded
		default:
			if n, err := strconv.Atoi(v); err == nil {
				typed[k] = n
			} else {
				typed[k] = v
			}
		}
	}
	out, err := sigsyaml.Marshal(map[string]any{"config": typed})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("Pulumi.%s.yaml", name)), out, 0o644); err != nil { //nolint:gosec // a stack file
		t.Fatal(err)
	}
}
