// ean-kubelet-reserved USER-DATA INSTANCE-TYPE prints, as JSON, what nodeadm's own code makes of the
// user data for a node of that instance type: the kubelet configuration nodeadm generates (maxPods,
// kubeReserved) and the user's kubelet configuration, which nodeadm writes as a drop-in that the
// kubelet applies over it (internal/kubelet/config.go, writeKubeletConfig). Built by tools/build.sh
// into nodeadm's module with go build -overlay; not part of nodeadm.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"go.uber.org/zap"

	"github.com/awslabs/amazon-eks-ami/nodeadm/internal/cli"
	"github.com/awslabs/amazon-eks-ami/nodeadm/internal/kubelet"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: ean-kubelet-reserved USER-DATA INSTANCE-TYPE")
		os.Exit(2)
	}
	cfg, _, _, err := cli.ResolveConfig(zap.NewNop(), []string{"file://" + os.Args[1]}, "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cfg.Status.Instance.Type = os.Args[2]
	cfg.Status.Instance.Region = "eu-central-1"
	maxPods, reserved := kubelet.GeneratedReserved(cfg)
	out := map[string]any{
		"generated": map[string]any{"maxPods": maxPods, "kubeReserved": reserved},
		"dropIn":    cfg.Spec.Kubelet.Config,
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
