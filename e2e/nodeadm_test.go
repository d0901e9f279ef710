//go:build e2e

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/nodeadm"
	"eks-advanced-networking/test/awstwin"
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

// multusNodeUserData is a Multus node's user data: its ENI held back, so maxPods 12 on a t3.medium.
func multusNodeUserData(t *testing.T) string {
	t.Helper()
	ud, err := multus.UserData(multus.UserDataParams{
		ClusterName: nodeadmCluster.ClusterName, Zone: "eu-central-1a", Network: "ipvlan-private-a", Region: "eu-central-1", NodeGroup: "multus-a", MaxPods: 12,
		Endpoint: nodeadmCluster.Endpoint, CertificateAuthority: nodeadmCluster.CertificateAuthority, ServiceCidr: nodeadmCluster.ServiceCidr,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ud
}

// prefixModeNodeConfig is the cluster's node group's NodeConfig in prefix mode: maxPods 110.
func prefixModeNodeConfig(t *testing.T) nodeadm.NodeConfig {
	t.Helper()
	node := nodeadmCluster
	node.MaxPods, node.NodeGroup = 110, "ipv4mng"
	ours, err := nodeadm.NodeConfigFor(node)
	if err != nil {
		t.Fatal(err)
	}
	return ours
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
	ud := multusNodeUserData(t)
	merged := mergedByNodeadm(t, ud)
	if got, override := maxPodsExpressionOf(t, merged), maxPodsOf(t, merged); got != "12" || override != nil {
		t.Errorf("Multus user data: nodeadm's maxPodsExpression = %v, config.maxPods = %v; want 12 and none", got, override)
	}
	cluster := merged["spec"].(map[string]any)["cluster"].(map[string]any)
	if cluster["name"] != nodeadmCluster.ClusterName || cluster["apiServerEndpoint"] != nodeadmCluster.Endpoint || cluster["cidr"] != "172.20.0.0/16" {
		t.Errorf("nodeadm's cluster %v", cluster)
	}

	ours := prefixModeNodeConfig(t)
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

// kubeletReserved is what nodeadm's own kubelet configuration step makes of user data on a node of
// instanceType (tools/build.sh's ean-kubelet-reserved: nodeadm's withDefaultReservedResources, run
// unchanged): the generated maxPods and reserved memory, and the maxPods of the user's drop-in,
// which the kubelet applies over the generated file (0 when it sets none).
func kubeletReserved(t *testing.T, userData, instanceType string) (generated int, memory string, dropIn int) {
	t.Helper()
	bin, err := exec.LookPath("ean-kubelet-reserved")
	if err != nil {
		t.Fatalf("%v; put tools/build.sh's directory on PATH", err)
	}
	path := filepath.Join(t.TempDir(), "user-data")
	if err := os.WriteFile(path, []byte(userData), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, path, instanceType).Output()
	if err != nil {
		t.Fatalf("ean-kubelet-reserved: %v\n%s", err, out)
	}
	var got struct {
		Generated struct {
			MaxPods      int               `json:"maxPods"`
			KubeReserved map[string]string `json:"kubeReserved"`
		} `json:"generated"`
		DropIn map[string]any `json:"dropIn"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("ean-kubelet-reserved printed %s: %v", out, err)
	}
	if v, ok := got.DropIn["maxPods"].(float64); ok {
		dropIn = int(v)
	}
	return got.Generated.MaxPods, got.Generated.KubeReserved["memory"], dropIn
}

// The kubelet reserves memory for the pods our user data lets it run: nodeadm computes kubeReserved
// memory (11 MiB per pod + 255 MiB) from maxPodsExpression's result, not from a kubelet.config.maxPods
// drop-in (amazon-eks-ami nodeadm/internal/kubelet/config.go, withDefaultReservedResources). A
// t3.medium in prefix mode runs 110 pods with 1465 MiB reserved; set through config.maxPods, as
// before, it ran 110 pods on the 442 MiB sized for nodeadm's own 17.
func TestNodeadmReservesMemoryForOurMaxPods(t *testing.T) {
	ours := prefixModeNodeConfig(t)
	prefixMode, err := nodeadm.UserData(ours)
	if err != nil {
		t.Fatal(err)
	}
	multusNode := multusNodeUserData(t)
	for _, c := range []struct {
		name, userData string
		maxPods        int
		memory         string
	}{
		{"prefix mode", prefixMode, 110, "1465Mi"},
		{"a Multus node (its ENI held back)", multusNode, 12, "387Mi"},
	} {
		generated, memory, dropIn := kubeletReserved(t, c.userData, "t3.medium")
		if generated != c.maxPods || memory != c.memory || (dropIn != 0 && dropIn != c.maxPods) {
			t.Errorf("%s: nodeadm generates maxPods %d with %s reserved (drop-in maxPods %d); want %d with %s",
				c.name, generated, memory, dropIn, c.maxPods, c.memory)
		}
	}

	// The way this project set it before: the kubelet runs the drop-in's 110 pods on memory reserved
	// for nodeadm's default. Shown so the check above cannot pass by nodeadm ignoring user data.
	old := ours
	old.Spec.Kubelet = nodeadm.KubeletOptions{Config: map[string]int{"maxPods": 110}}
	oldUserData, err := nodeadm.UserData(old)
	if err != nil {
		t.Fatal(err)
	}
	if generated, memory, dropIn := kubeletReserved(t, oldUserData, "t3.medium"); generated != 17 || memory != "442Mi" || dropIn != 110 {
		t.Errorf("config.maxPods 110: nodeadm generates %d with %s reserved and a drop-in of %d; want 17, 442Mi and 110", generated, memory, dropIn)
	}
}

// The twin checks a custom-AMI node group's user data with the real nodeadm: our Multus nodes' user
// data passes; a NodeConfig without its cluster, which a node could not join with, does not.
func TestTwinChecksUserDataWithNodeadm(t *testing.T) {
	bin, err := exec.LookPath("nodeadm")
	if err != nil {
		t.Fatalf("%v; put tools/build.sh's directory on PATH", err)
	}
	check := awstwin.NodeadmUserDataCheck(bin)
	if err := check(base64.StdEncoding.EncodeToString([]byte(multusNodeUserData(t)))); err != nil {
		t.Errorf("our Multus user data: %v", err)
	}
	clusterless := "apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  kubelet:\n    maxPodsExpression: \"12\"\n"
	if err := check(base64.StdEncoding.EncodeToString([]byte(clusterless))); err == nil {
		t.Error("nodeadm accepted a NodeConfig without its cluster")
	} else {
		t.Logf("nodeadm refuses it: %v", err)
	}
}
