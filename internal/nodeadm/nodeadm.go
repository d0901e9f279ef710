// Package nodeadm writes AL2023 user data: a complete nodeadm NodeConfig (node.eks.aws/v1alpha1) in
// MIME multipart, with any shell parts after it.
//
// It is complete because a node group whose launch template names an AMI gets no user data merged
// from EKS ("Customizing managed nodes with launch templates", EKS User Guide): the cluster's details
// come from us, and so does maxPods. Without an AMI id EKS appends its own NodeConfig, which sets
// maxPods, and nodeadm lets the last document win (amazon-eks-ami nodeadm/doc/examples.md; eksctl
// #8037), so a maxPods of ours would not hold.
package nodeadm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/netip"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// NodeConfig is nodeadm's configuration, the fields we set.
type NodeConfig struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Spec       NodeConfigSpec `json:"spec"`
}

// NodeConfigSpec is the cluster to join and kubelet's settings.
type NodeConfigSpec struct {
	Cluster ClusterDetails `json:"cluster"`
	Kubelet KubeletOptions `json:"kubelet"`
}

// ClusterDetails are what nodeadm needs to join the cluster.
type ClusterDetails struct {
	Name              string `json:"name"`
	APIServerEndpoint string `json:"apiServerEndpoint"`
	// CertificateAuthority is base64, as EKS returns it.
	CertificateAuthority string `json:"certificateAuthority"`
	// CIDR is the cluster's service block.
	CIDR string `json:"cidr"`
}

// KubeletOptions are kubelet's configuration and extra flags.
type KubeletOptions struct {
	Config map[string]int `json:"config,omitempty"`
	// MaxPodsExpression is a CEL expression nodeadm evaluates into kubelet's maxPods. Unlike
	// config.maxPods, it also sizes kubeReserved memory (11 MiB per pod + 255 MiB): nodeadm computes
	// that from its own max pods value, which is this expression's result when it is set and the ENI
	// formula otherwise (amazon-eks-ami nodeadm/internal/kubelet/config.go, withDefaultReservedResources;
	// nodeadm/doc/examples.md).
	MaxPodsExpression string   `json:"maxPodsExpression,omitempty"`
	Flags             []string `json:"flags,omitempty"`
}

// Node is what a node of a managed node group needs in its NodeConfig.
type Node struct {
	ClusterName string
	// Endpoint, CertificateAuthority (base64) and ServiceCidr are the cluster's.
	Endpoint, CertificateAuthority, ServiceCidr string
	MaxPods                                     int
	// NodeGroup is the group's name, which EKS's own bootstrap would put in the node's
	// eks.amazonaws.com/nodegroup label.
	NodeGroup string
}

var plainName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// NodeConfigFor is the complete NodeConfig of a node, after checking its values.
func NodeConfigFor(n Node) (NodeConfig, error) {
	for _, v := range []struct{ name, value string }{{"cluster", n.ClusterName}, {"node group", n.NodeGroup}} {
		if !plainName.MatchString(v.value) {
			return NodeConfig{}, fmt.Errorf("%s %q is not a plain name", v.name, v.value)
		}
	}
	if u, err := url.Parse(n.Endpoint); err != nil || u.Scheme != "https" || u.Host == "" || u.Path != "" || strings.ContainsAny(n.Endpoint, "'\"$` \\") {
		return NodeConfig{}, fmt.Errorf("API server endpoint %q is not an https:// address", n.Endpoint)
	}
	if _, err := netip.ParsePrefix(n.ServiceCidr); err != nil {
		return NodeConfig{}, fmt.Errorf("service CIDR %q: %w", n.ServiceCidr, err)
	}
	if n.CertificateAuthority == "" || n.MaxPods < 1 {
		return NodeConfig{}, errors.New("a certificate authority and a positive max pods are required")
	}
	return NodeConfig{
		APIVersion: "node.eks.aws/v1alpha1", Kind: "NodeConfig",
		Spec: NodeConfigSpec{
			Cluster: ClusterDetails{Name: n.ClusterName, APIServerEndpoint: n.Endpoint, CertificateAuthority: n.CertificateAuthority, CIDR: n.ServiceCidr},
			Kubelet: KubeletOptions{
				// Our max pods as a CEL integer literal: the value already applies the formula that
				// fits the node (the ENI formula less the Multus ENI, or prefix mode's cap), and the
				// plan shows the number the kubelet gets.
				MaxPodsExpression: strconv.Itoa(n.MaxPods),
				Flags:             []string{"--node-labels=eks.amazonaws.com/nodegroup=" + n.NodeGroup},
			},
		},
	}, nil
}

// mimeBoundary is fixed so the same inputs give the same bytes (and no launch template diff).
const mimeBoundary = "==EKS-ADVANCED-NETWORKING=="

// UserData is MIME multipart user data (not base64): the NodeConfig, then each shell script.
func UserData(nc NodeConfig, scripts ...string) (string, error) {
	nodeConfig, err := yaml.Marshal(nc)
	if err != nil {
		return "", err
	}
	parts := []struct{ contentType, body string }{{"application/node.eks.aws", "---\n" + string(nodeConfig)}}
	for _, s := range scripts {
		parts = append(parts, struct{ contentType, body string }{`text/x-shellscript; charset="us-ascii"`, s})
	}
	var b bytes.Buffer
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" + mimeBoundary + "\"\r\n\r\n")
	w := multipart.NewWriter(&b)
	if err := w.SetBoundary(mimeBoundary); err != nil {
		return "", err
	}
	for _, part := range parts {
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

// Part is one part of MIME multipart user data.
type Part struct {
	ContentType, Body string
}

// Parts reads user data back into its parts, in order, as cloud-init and nodeadm read it.
func Parts(userData string) ([]Part, error) {
	msg, err := mail.ReadMessage(strings.NewReader(userData))
	if err != nil {
		return nil, err
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	var parts []Part
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return parts, nil
		}
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(p)
		if err != nil {
			return nil, err
		}
		parts = append(parts, Part{ContentType: p.Header.Get("Content-Type"), Body: string(body)})
	}
}

// NodeConfigs are the NodeConfig documents of user data, in order: what nodeadm merges.
func NodeConfigs(userData string) ([]NodeConfig, error) {
	parts, err := Parts(userData)
	if err != nil {
		return nil, err
	}
	var out []NodeConfig
	for _, p := range parts {
		if p.ContentType != "application/node.eks.aws" {
			continue
		}
		var nc NodeConfig
		if err := yaml.UnmarshalStrict([]byte(p.Body), &nc); err != nil {
			return nil, err
		}
		out = append(out, nc)
	}
	return out, nil
}
