//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/nodeadm"
)

// A cluster's details as the user data carries them.
var nodeadmCluster = nodeadm.Node{
	ClusterName: "eks-ipv4-multus", Endpoint: "https://0123456789ABCDEF.gr7.eu-central-1.eks.amazonaws.com",
	CertificateAuthority: "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCm9mZmxpbmUtcGxhbgotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==",
	ServiceCidr:          "172.20.0.0/16",
}

// mergedByNodeadm is what nodeadm itself (built from amazon-eks-ami by tools/build.sh) makes of user
// data: `nodeadm config check` validates it, `nodeadm config dump` prints the merged NodeConfig.
func mergedByNodeadm(t *testing.T, userData string) map[string]any {
	t.Helper()
	bin, err := exec.LookPath("nodeadm")
	if err != nil {
		t.Fatalf("%v; put tools/build.sh's directory on PATH", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "user-data")
	if err := os.WriteFile(path, []byte(userData), 0o600); err != nil {
		t.Fatal(err)
	}
	source := "file://" + path
	if out, err := exec.Command(bin, "config", "check", "--config-source", source).CombinedOutput(); err != nil {
		t.Fatalf("nodeadm config check: %v\n%s", err, out)
	}
	// The cache flag points away from the node's /run/eks, which this machine does not have.
	out, err := exec.Command(bin, "config", "dump", "--config-source", source, "--config-cache", filepath.Join(dir, "cache.json")).Output()
	if err != nil {
		t.Fatalf("nodeadm config dump: %v\n%s", err, out)
	}
	var merged map[string]any
	if err := json.Unmarshal(out[strings.Index(string(out), "{"):], &merged); err != nil {
		t.Fatalf("nodeadm config dump printed %s: %v", out, err)
	}
	return merged
}

func maxPodsOf(t *testing.T, merged map[string]any) any {
	t.Helper()
	spec, _ := merged["spec"].(map[string]any)
	kubelet, _ := spec["kubelet"].(map[string]any)
	config, _ := kubelet["config"].(map[string]any)
	return config["maxPods"]
}

// maxPodsExpressionOf is the merged kubelet.maxPodsExpression, which nodeadm evaluates into both the
// kubelet's maxPods and its kubeReserved memory, unless a config.maxPods overrides the former.
func maxPodsExpressionOf(t *testing.T, merged map[string]any) any {
	t.Helper()
	spec, _ := merged["spec"].(map[string]any)
	kubelet, _ := spec["kubelet"].(map[string]any)
	return kubelet["maxPodsExpression"]
}

// nodeadm's own parser reads the Multus nodes' and the prefix-mode nodes' user data as valid and
// complete, with our maxPods. With a second NodeConfig after ours, such as EKS appends to user data
// when the launch template names no AMI, the last one wins: why our launch templates name the AMI.
func TestNodeadmReadsOurUserData(t *testing.T) {
	ud, err := multus.UserData(multus.UserDataParams{
		ClusterName: nodeadmCluster.ClusterName, Zone: "eu-central-1a", Region: "eu-central-1", NodeGroup: "multus-a", MaxPods: 12,
		Endpoint: nodeadmCluster.Endpoint, CertificateAuthority: nodeadmCluster.CertificateAuthority, ServiceCidr: nodeadmCluster.ServiceCidr,
	})
	if err != nil {
		t.Fatal(err)
	}
	merged := mergedByNodeadm(t, ud)
	if got, override := maxPodsExpressionOf(t, merged), maxPodsOf(t, merged); got != "12" || override != nil {
		t.Errorf("Multus user data: nodeadm's maxPodsExpression = %v, config.maxPods = %v; want 12 and none", got, override)
	}
	cluster := merged["spec"].(map[string]any)["cluster"].(map[string]any)
	if cluster["name"] != nodeadmCluster.ClusterName || cluster["apiServerEndpoint"] != nodeadmCluster.Endpoint || cluster["cidr"] != "172.20.0.0/16" {
		t.Errorf("nodeadm's cluster %v", cluster)
	}

	node := nodeadmCluster
	node.MaxPods, node.NodeGroup = 110, "ipv4mng"
	ours, err := nodeadm.NodeConfigFor(node)
	if err != nil {
		t.Fatal(err)
	}
	alone, err := nodeadm.UserData(ours)
	if err != nil {
		t.Fatal(err)
	}
	if got := maxPodsExpressionOf(t, mergedByNodeadm(t, alone)); got != "110" {
		t.Errorf("prefix-mode user data: nodeadm's maxPodsExpression = %v, want 110", got)
	}

	// What a node would get if EKS appended its own NodeConfig (it sets maxPods, eksctl #8037).
	eks := ours
	eks.Spec.Kubelet = nodeadm.KubeletOptions{Config: map[string]int{"maxPods": 17}}
	appended, err := nodeadm.UserData(eks)
	if err != nil {
		t.Fatal(err)
	}
	parts, _ := nodeadm.Parts(appended)
	combined := strings.Replace(alone, "--==EKS-ADVANCED-NETWORKING==--",
		"--==EKS-ADVANCED-NETWORKING==\r\nContent-Type: application/node.eks.aws\r\n\r\n"+parts[0].Body+"\r\n--==EKS-ADVANCED-NETWORKING==--", 1)
	if got := maxPodsOf(t, mergedByNodeadm(t, combined)); got != 17.0 {
		t.Errorf("with a NodeConfig appended after ours, nodeadm's maxPods = %v; want the appended 17 (the last wins)", got)
	}
}
