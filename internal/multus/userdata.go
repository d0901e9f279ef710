package multus

import (
	"bytes"
	_ "embed"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// AttachEniScript attaches, renames and brings up the node's Multus ENI. It reads CLUSTER, ZONE and
// REGION, which UserData sets in front of it.
//
//go:embed attach-eni.sh
var AttachEniScript string

// NodeConfig is the part of AL2023's nodeadm configuration we set. EKS merges its own (cluster name,
// endpoint, CA) into a managed node group's user data.
type NodeConfig struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Spec       NodeConfigSpec `json:"spec"`
}

type NodeConfigSpec struct {
	Kubelet KubeletOptions `json:"kubelet"`
}

type KubeletOptions struct {
	Config map[string]int `json:"config,omitempty"`
}

// UserDataParams are the values the node's user data needs.
type UserDataParams struct {
	ClusterName, Zone, Region string
	// MaxPods is kubelet's limit with the Multus ENI held back from the VPC CNI.
	MaxPods int
}

// mimeBoundary is fixed so the same inputs give the same bytes (and no launch template diff).
const mimeBoundary = "==EKS-ADVANCED-NETWORKING=="

var safeValue = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// UserData is the launch template's AL2023 user data, MIME multipart: a NodeConfig part that sets
// max pods, and the shell part that attaches the ENI. It is not base64-encoded. (The node group
// labels the node.)
func UserData(p UserDataParams) (string, error) {
	for _, v := range []struct{ name, value string }{{"cluster", p.ClusterName}, {"zone", p.Zone}, {"region", p.Region}} {
		// The values go into a shell script; they are plain names, and anything else is refused.
		if !safeValue.MatchString(v.value) {
			return "", fmt.Errorf("%s %q is not a plain name", v.name, v.value)
		}
	}
	nodeConfig, err := yaml.Marshal(NodeConfig{
		APIVersion: "node.eks.aws/v1alpha1", Kind: "NodeConfig",
		Spec: NodeConfigSpec{Kubelet: KubeletOptions{Config: map[string]int{"maxPods": p.MaxPods}}},
	})
	if err != nil {
		return "", err
	}
	script := fmt.Sprintf("#!/bin/bash\nCLUSTER=%s\nZONE=%s\nREGION=%s\n%s",
		p.ClusterName, p.Zone, p.Region, strings.TrimPrefix(AttachEniScript, "#!/bin/bash\n"))

	var b bytes.Buffer
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" + mimeBoundary + "\"\r\n\r\n")
	w := multipart.NewWriter(&b)
	if err := w.SetBoundary(mimeBoundary); err != nil {
		return "", err
	}
	for _, part := range []struct{ contentType, body string }{
		{"application/node.eks.aws", "---\n" + string(nodeConfig)},
		{`text/x-shellscript; charset="us-ascii"`, script},
	} {
		pw, err := w.CreatePart(textproto.MIMEHeader{"Content-Type": {part.contentType}})
		if err != nil {
			return "", err
		}
		if _, err := pw.Write([]byte(part.body)); err != nil {
			return "", err
		}
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return b.String(), nil
}
