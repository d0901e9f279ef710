package nodeadm

import (
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
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
	msg, err := mail.ReadMessage(strings.NewReader(ud))
	if err != nil {
		t.Fatal(err)
	}
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	r := multipart.NewReader(msg.Body, params["boundary"])
	var types, bodies []string
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(part)
		types, bodies = append(types, part.Header.Get("Content-Type")), append(bodies, string(b))
	}
	if len(types) != 3 || types[0] != "application/node.eks.aws" || bodies[2] != "#!/bin/bash\necho two\n" {
		t.Fatalf("parts %v", types)
	}
	var back NodeConfig
	if err := yaml.UnmarshalStrict([]byte(bodies[0]), &back); err != nil {
		t.Fatal(err)
	}
	if back.Spec.Cluster != (ClusterDetails{Name: node.ClusterName, APIServerEndpoint: node.Endpoint, CertificateAuthority: node.CertificateAuthority, CIDR: node.ServiceCidr}) ||
		back.Spec.Kubelet.Config["maxPods"] != 110 || back.Spec.Kubelet.Flags[0] != "--node-labels=eks.amazonaws.com/nodegroup=ipv4mng" {
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
