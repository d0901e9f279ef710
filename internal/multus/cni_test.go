package multus

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containernetworking/cni/libcni"
	types100 "github.com/containernetworking/cni/pkg/types/100"
)

// pluginDirs are where the CNI plugins live: Debian's containernetworking-plugins, or CNI_PATH.
func pluginDirs() []string {
	if p := os.Getenv("CNI_PATH"); p != "" {
		return strings.Split(p, ":")
	}
	return []string{"/usr/lib/cni", "/opt/cni/bin"}
}

// runnable turns a NAD's configuration into what a plugin runs: Multus adds the network's name (the
// NAD's) and we keep host-local's leases in a temporary directory. typ replaces the plugin type;
// macvlan, standing in for ipvlan, takes its bridge mode instead of ipvlan's l3.
func runnable(t *testing.T, n Network, typ string) *libcni.PluginConfig {
	t.Helper()
	nad, err := n.NetworkAttachmentDefinition()
	if err != nil {
		t.Fatal(err)
	}
	var config map[string]any
	if err := json.Unmarshal([]byte(nad.Spec.Config), &config); err != nil {
		t.Fatal(err)
	}
	config["name"] = nad.Name
	config["type"] = typ
	if typ == "macvlan" {
		config["mode"] = "bridge"
	}
	config["ipam"].(map[string]any)["dataDir"] = t.TempDir()
	raw, _ := json.Marshal(config)
	conf, err := libcni.NetworkPluginConfFromBytes(raw)
	if err != nil {
		t.Fatalf("libcni refuses the NAD config %s: %v", raw, err)
	}
	return conf
}

// nodeWithMaster makes the node's network namespace with the interface the NAD names as master:
// a veth end renamed multus, as the node's user data renames the ENI.
func nodeWithMaster(t *testing.T) string {
	t.Helper()
	name, path := netns(t, "node")
	run(t, "ip", "-n", name, "link", "add", Master, "type", "veth", "peer", "name", "multus-peer")
	run(t, "ip", "-n", name, "link", "set", Master, "up")
	run(t, "ip", "-n", name, "link", "set", "multus-peer", "up")
	return path
}

// add runs ADD for one pod in the node's namespace and returns the pod's address, or the error.
func add(t *testing.T, cni *libcni.CNIConfig, conf *libcni.PluginConfig, node string, pod *libcni.RuntimeConf) (string, error) {
	t.Helper()
	var ip string
	var err error
	inNetns(t, node, func() {
		res, addErr := cni.AddNetwork(context.Background(), conf, pod)
		if err = addErr; err != nil {
			return
		}
		r, convErr := types100.NewResultFromResult(res)
		if convErr != nil {
			err = convErr
			return
		}
		if len(r.IPs) == 0 {
			err = fmt.Errorf("no address in result %+v", r)
			return
		}
		ip = r.IPs[0].Address.IP.String()
	})
	return ip, err
}

func del(t *testing.T, cni *libcni.CNIConfig, conf *libcni.PluginConfig, node string, pod *libcni.RuntimeConf) {
	t.Helper()
	var err error
	inNetns(t, node, func() { err = cni.DelNetwork(context.Background(), conf, pod) })
	if err != nil {
		t.Fatalf("DEL %s: %v", pod.ContainerID, err)
	}
}

// The plans the stacks produce: the chapter's (21 addresses on /28 prefixes) and one with a short
// range on secondary addresses.
func plannedNetworks(t *testing.T) []Network {
	t.Helper()
	chapterNetworks, err := Plan(chapter())
	if err != nil {
		t.Fatal(err)
	}
	in := chapter()
	in.Zones, in.Ranges = []string{"eu-central-1b"}, []string{"192.168.128.20-192.168.128.24"}
	short, err := Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	return append(chapterNetworks, short...)
}

// Every NAD the plan produces, through the real plugins: host-local hands out the range in order,
// never leaves it, refuses one address too many and frees on DEL.
func TestNadsWithRealCniPlugins(t *testing.T) {
	requireRoot(t, "ip")
	for _, plugin := range []string{"ipvlan", "macvlan", "host-local"} {
		found := false
		for _, dir := range pluginDirs() {
			_, err := os.Stat(filepath.Join(dir, plugin))
			found = found || err == nil
		}
		if !found {
			stopper(t)("the CNI plugin %s is not in %v; install Debian's containernetworking-plugins (.ci/run does) or set CNI_PATH", plugin, pluginDirs())
		}
	}
	for _, n := range plannedNetworks(t) {
		t.Run(n.Name, func(t *testing.T) {
			node := nodeWithMaster(t)
			cni := libcni.NewCNIConfigWithCacheDir(pluginDirs(), t.TempDir(), nil)
			podNetns := map[string]string{}
			pod := func(i int) *libcni.RuntimeConf {
				name, path := netns(t, "pod")
				id := fmt.Sprintf("pod%d", i)
				podNetns[id] = name
				return &libcni.RuntimeConf{ContainerID: id, NetNS: path, IfName: "net1"}
			}

			// ipvlan parses the NAD and then needs the kernel's ipvlan driver, which this kernel lacks.
			ipvlanPod := pod(0)
			ip, err := add(t, cni, runnable(t, n, "ipvlan"), node, ipvlanPod)
			switch {
			case err == nil:
				if want, _ := n.ExpectedAddress(0); ip != want {
					t.Errorf("ipvlan pod got %s, want %s", ip, want)
				}
				del(t, cni, runnable(t, n, "ipvlan"), node, ipvlanPod)
			case strings.Contains(err.Error(), "operation not supported"):
				t.Logf("ipvlan: the kernel has no ipvlan driver (%v); the same configuration runs through macvlan below", err)
			default:
				t.Fatalf("ipvlan failed for another reason than the kernel's missing driver: %v", err)
			}

			// The same configuration, IPAM included, through macvlan, which this kernel has.
			conf := runnable(t, n, "macvlan")
			pods := make([]*libcni.RuntimeConf, n.Size())
			for i := range pods {
				pods[i] = pod(i + 1)
				ip, err := add(t, cni, conf, node, pods[i])
				want, _ := n.ExpectedAddress(i)
				if err != nil || ip != want {
					t.Fatalf("pod %d: got %s (%v), want %s", i+1, ip, err, want)
				}
			}
			// The address is really on the pod's net1.
			if out := run(t, "ip", "-n", podNetns[pods[0].ContainerID], "-4", "addr", "show", "net1"); !strings.Contains(out, n.RangeStart.String()+"/") {
				t.Errorf("pod 1's net1 does not carry %s:\n%s", n.RangeStart, out)
			}
			if ip, err := add(t, cni, conf, node, pod(len(pods)+1)); err == nil {
				t.Fatalf("allocation %d beyond the %d-address range got %s", len(pods)+1, len(pods), ip)
			} else if !strings.Contains(err.Error(), "no IP addresses available") {
				t.Fatalf("allocation beyond the range failed oddly: %v", err)
			}
			// DEL frees the address, and the next ADD takes it again.
			freed, _ := n.ExpectedAddress(1)
			del(t, cni, conf, node, pods[1])
			if ip, err := add(t, cni, conf, node, pod(len(pods)+2)); err != nil || ip != freed {
				t.Fatalf("after DEL, got %s (%v), want the freed %s", ip, err, freed)
			}
		})
	}
}
