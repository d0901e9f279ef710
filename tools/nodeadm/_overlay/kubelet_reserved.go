// Added to nodeadm's internal/kubelet package at build time by tools/build.sh (go build -overlay);
// not part of nodeadm. It exposes, unchanged, the step of nodeadm's kubelet configuration that
// decides maxPods and the reserved resources (config.go, withDefaultReservedResources), so the e2e
// suite can run nodeadm's own code on our user data without a node.

package kubelet

import (
	"github.com/awslabs/amazon-eks-ami/nodeadm/internal/api"
	"github.com/awslabs/amazon-eks-ami/nodeadm/internal/system"
)

// GeneratedReserved is what nodeadm writes into the kubelet's generated configuration for cfg:
// maxPods and kubeReserved.
func GeneratedReserved(cfg *api.NodeConfig) (int32, map[string]string) {
	var ksc kubeletConfig
	ksc.withDefaultReservedResources(cfg, system.NewResources(system.RealFileSystem{}))
	return ksc.MaxPods, ksc.KubeReserved
}
