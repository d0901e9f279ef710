package multus

import (
	"eks-advanced-networking/internal/nodeadm"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// AttachEniScript attaches, renames and brings up the node's Multus ENI and labels the node, at every
// boot, as the multus-eni systemd unit (MultusEniUnit). Its EnvironmentFile sets CLUSTER, ZONE,
// NETWORK, REGION, ENDPOINT and LABEL_PATCH.
//
//go:embed attach-eni.sh
var AttachEniScript string

// Where the user data installs the script, its environment and its unit.
const (
	AttachScriptPath = "/usr/local/sbin/multus-eni-attach"
	EnvFilePath      = "/etc/multus-eni.env"
	UnitPath         = "/etc/systemd/system/multus-eni.service"
)

// MultusEniUnit runs the attach script at every boot, next to kubelet rather than before it: a node
// replacing another must join (so the old one can be drained and free the ENI) while it waits for the
// ENI. Type simple, so boot never waits for it; restarted if it fails.
const MultusEniUnit = `[Unit]
Description=Attach this node's Multus ENI, name it multus and label the node (eks-advanced-networking)
Wants=network-online.target
After=network-online.target
StartLimitIntervalSec=0

[Service]
Type=simple
EnvironmentFile=` + EnvFilePath + `
ExecStart=` + AttachScriptPath + `
Restart=on-failure
RestartSec=30

[Install]
WantedBy=multi-user.target
`

// UserDataParams are the values the node's user data needs.
type UserDataParams struct {
	ClusterName, Zone, Region string
	// Network is the network (Network.Name) whose ENI the node attaches: the ENI's multus-network tag
	// and the node's NetworkLabel.
	Network string
	// Endpoint, CertificateAuthority (base64) and ServiceCidr are the cluster's.
	Endpoint, CertificateAuthority, ServiceCidr string
	// MaxPods is kubelet's limit with the Multus ENI held back from the VPC CNI.
	MaxPods int
	// NodeGroup is the managed node group's name, which EKS's own bootstrap would put in the node's
	// eks.amazonaws.com/nodegroup label.
	NodeGroup string
}

var safeValue = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// AttachedLabelPatch is the JSON merge patch the attach script applies to its Node once network's
// ENI is attached and named multus: NodeLabel and NetworkLabel, which Multus pods select.
func AttachedLabelPatch(network string) (string, error) {
	if errs := validation.IsValidLabelValue(network); len(errs) > 0 {
		return "", fmt.Errorf("network %q is not a label value: %s", network, strings.Join(errs, "; "))
	}
	type metadata struct {
		Labels map[string]string `json:"labels"`
	}
	b, err := json.Marshal(struct {
		Metadata metadata `json:"metadata"`
	}{metadata{Labels: map[string]string{NodeLabel: "true", NetworkLabel: network}}})
	return string(b), err
}

// UserData is the Multus launch template's AL2023 user data (nodeadm.UserData): a complete NodeConfig,
// and a shell part that installs the multus-eni unit and its script and starts it. It is not
// base64-encoded.
func UserData(p UserDataParams) (string, error) {
	nc, err := nodeadm.NodeConfigFor(nodeadm.Node{
		ClusterName: p.ClusterName, Endpoint: p.Endpoint, CertificateAuthority: p.CertificateAuthority,
		ServiceCidr: p.ServiceCidr, MaxPods: p.MaxPods, NodeGroup: p.NodeGroup,
	})
	if err != nil {
		return "", err
	}
	installer, err := InstallerPart(p)
	if err != nil {
		return "", err
	}
	return nodeadm.UserData(nc, installer)
}

// InstallerPart is the user data's part after the NodeConfig: the script that installs the
// multus-eni unit, with the node's cluster, zone, region and endpoint.
func InstallerPart(p UserDataParams) (string, error) {
	for _, v := range []struct{ name, value string }{{"zone", p.Zone}, {"network", p.Network}, {"region", p.Region}} {
		// The values go into a shell environment file; they are plain names, and anything else is refused.
		if !safeValue.MatchString(v.value) {
			return "", fmt.Errorf("%s %q is not a plain name", v.name, v.value)
		}
	}
	patch, err := AttachedLabelPatch(p.Network)
	if err != nil {
		return "", err
	}
	env := fmt.Sprintf("CLUSTER=%s\nZONE=%s\nNETWORK=%s\nREGION=%s\nENDPOINT=%s\nLABEL_PATCH='%s'\n", p.ClusterName, p.Zone, p.Network, p.Region, p.Endpoint, patch)
	return installScript(env)
}

// installScript is the user data's shell part: it runs once, on first boot, and installs what runs
// at every boot. EAN_ROOT (empty on a node) lets a test install into a directory.
func installScript(env string) (string, error) {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n# Installs the multus-eni unit, which attaches this node's Multus ENI at every boot.\nset -euo pipefail\nroot=${EAN_ROOT:-}\n")
	// Amazon Linux 2023 packages the AWS CLI as awscli-2; install it if the AMI lacks it.
	b.WriteString("if ! command -v aws >/dev/null; then\n  dnf install -y -q awscli-2\nfi\n")
	for _, f := range []struct {
		path, mode, content string
	}{
		{AttachScriptPath, "0755", AttachEniScript},
		{EnvFilePath, "0600", env},
		{UnitPath, "0644", MultusEniUnit},
	} {
		const eof = "EAN_MULTUS_EOF"
		if strings.Contains(f.content, eof) {
			return "", fmt.Errorf("%s contains the heredoc delimiter %s", f.path, eof)
		}
		fmt.Fprintf(&b, "mkdir -p \"$root%s\"\ncat >\"$root%s\" <<'%s'\n%s%s\nchmod %s \"$root%s\"\n",
			f.path[:strings.LastIndex(f.path, "/")], f.path, eof, f.content, eof, f.mode, f.path)
	}
	b.WriteString("systemctl daemon-reload\nsystemctl enable multus-eni.service\nsystemctl start --no-block multus-eni.service\n")
	return b.String(), nil
}
