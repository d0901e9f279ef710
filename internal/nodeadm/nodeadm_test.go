package nodeadm

import (
	"testing"
)

var node = Node{
	ClusterName: "eks-ipv4-calico", Endpoint: "https://0123456789ABCDEF.gr7.eu-central-1.eks.amazonaws.com",
	CertificateAuthority: "bW9jay1jYQ==", ServiceCidr: "172.20.0.0/16", MaxPods: 110, NodeGroup: "ipv4mng",
}

// The user data is one complete NodeConfig, then the scripts, in that order, and the same bytes for
// the same input.
func TestUserData(t *testing.T) {
	nc, err := NodeConfigFor(node)
	if err != nil {
		t.Fatal(err)
	}
	ud, err := UserData(nc, "#!/bin/bash\necho one\n", "#!/bin/bash\necho two\n")
	if err != nil {
		t.Fatal(err)
	}
	parts, err := Parts(ud)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 3 || parts[0].ContentType != "application/node.eks.aws" || parts[2].Body != "#!/bin/bash\necho two\n" {
		t.Fatalf("parts %+v", parts)
	}
	configs, err := NodeConfigs(ud)
	if err != nil || len(configs) != 1 {
		t.Fatalf("NodeConfigs %+v %v", configs, err)
	}
	back := configs[0]
	if back.Spec.Cluster != (ClusterDetails{Name: node.ClusterName, APIServerEndpoint: node.Endpoint, CertificateAuthority: node.CertificateAuthority, CIDR: node.ServiceCidr}) ||
		back.Spec.Kubelet.MaxPodsExpression != "110" || back.Spec.Kubelet.Flags[0] != "--node-labels=eks.amazonaws.com/nodegroup=ipv4mng" {
		t.Errorf("NodeConfig %+v", back)
	}
	// kubelet.config.maxPods would set the kubelet's limit but leave kubeReserved sized for nodeadm's
	// own value (withDefaultReservedResources): 442 MiB instead of 1465 MiB for 110 pods on a t3.medium.
	if _, set := back.Spec.Kubelet.Config["maxPods"]; set {
		t.Errorf("NodeConfig %+v", back)
	}
	if again, _ := UserData(nc, "#!/bin/bash\necho one\n", "#!/bin/bash\necho two\n"); again != ud {
		t.Error("user data differs between two calls")
	}
}

func TestNodeConfigRefusesBadValues(t *testing.T) {
	for _, bad := range []func(n *Node){
		func(n *Node) { n.ClusterName = "x; reboot" },
		func(n *Node) { n.Endpoint = "http://insecure.example" },
		func(n *Node) { n.Endpoint = "https://x.example/$(reboot)" },
		func(n *Node) { n.ServiceCidr = "" },
		func(n *Node) { n.MaxPods = 0 },
		func(n *Node) { n.CertificateAuthority = "" },
	} {
		n := node
		bad(&n)
		if _, err := NodeConfigFor(n); err == nil {
			t.Errorf("accepted %+v", n)
		}
	}
}
