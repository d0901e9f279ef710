package clusterspec

import (
	"fmt"
	"strconv"
	"strings"
)

// RunningCluster is what EKS reports of a cluster that already runs under the stack's cluster name:
// its Kubernetes version and each managed node group's, in name order.
type RunningCluster struct {
	Name       string
	Version    string
	NodeGroups []RunningNodeGroup
	// IpFamily and ServiceIpv4Cidr are the cluster's kubernetesNetworkConfig, which EKS sets at
	// creation only.
	IpFamily        IpFamily
	ServiceIpv4Cidr string
}

// RunningNodeGroup is one managed node group of a running cluster.
type RunningNodeGroup struct {
	Name    string
	Version string
}

// CheckVersionUpdate says whether one pulumi up can take the running cluster to the wanted version,
// as EKS's UpdateClusterVersion decides it, and, when it cannot, what to set instead. The error is
// the reason and the way through; it never suggests anything that deletes the cluster.
//
// EKS's rules (EKS User Guide, "Update existing cluster to new Kubernetes version",
// docs.aws.amazon.com/eks/latest/userguide/update-cluster.html):
//   - one minor version at a time, and never down: "Unsupported Kubernetes minor version update from
//     1.22 to 1.25" (terraform-aws-modules/terraform-aws-eks#2607), "... from 1.25 to 1.24"
//     (rancher/rancher#43316). EKS's version rollback (2026: back one minor within 7 days of an
//     in-place upgrade, docs.aws.amazon.com/eks/latest/userguide/rollback-cluster.html) starts when
//     UpdateClusterVersion asks for the previous minor (rollback-automode.html), which is what a lower
//     version would make pulumi-aws call. This program still refuses it: nothing here has run that
//     path (the rollback's prerequisites and readiness checks, with the managed node groups still on
//     the newer version, which the page says must be rolled back separately). A rollback made
//     outside Pulumi is what EKS then reports, and the lower version is accepted;
//   - before the control plane moves, every managed node group runs the control plane's current
//     version: "Nodegroups eks-stg-gp must be updated to match cluster version 1.18 before updating
//     cluster version" (hashicorp/terraform-provider-aws#19478), for groups ahead of it too
//     (eksctl-io/eksctl#3727).
//
// The program updates the node groups after the control plane in the same up, so they lag only when
// an earlier up stopped between the two.
func CheckVersionUpdate(running RunningCluster, wanted string) error {
	from, err := minorOf(running.Version)
	if err != nil {
		return fmt.Errorf("EKS reports version %q for the cluster %s: %w", running.Version, running.Name, err)
	}
	to, err := minorOf(wanted)
	if err != nil {
		return err
	}
	switch {
	case to == from:
		return nil
	case to < from:
		return fmt.Errorf("the EKS cluster %s runs Kubernetes %s, and this program moves a cluster only up (EKS's UpdateClusterVersion: \"Unsupported Kubernetes minor version update from %s to %s\"); set it to %s. Within 7 days of an in-place upgrade, EKS's version rollback can take the control plane back one minor outside Pulumi (docs.aws.amazon.com/eks/latest/userguide/rollback-cluster.html); then set it to %s, and the next pulumi up asks EKS to move the node groups back (UpdateNodegroupVersion)",
			running.Name, running.Version, running.Version, wanted, running.Version, wanted)
	case to > from+1:
		steps := make([]string, 0, to-from)
		for m := from + 1; m <= to; m++ {
			steps = append(steps, fmt.Sprintf("1.%d", m))
		}
		return fmt.Errorf("the EKS cluster %s runs Kubernetes %s, and EKS updates a cluster one minor version at a time (\"Unsupported Kubernetes minor version update from %s to %s\"); set it to %s and run pulumi up for each in turn",
			running.Name, running.Version, running.Version, wanted, strings.Join(steps, ", then "))
	}
	var behind []string
	for _, g := range running.NodeGroups {
		if g.Version != running.Version {
			behind = append(behind, fmt.Sprintf("%s (%s)", g.Name, g.Version))
		}
	}
	if len(behind) > 0 {
		return fmt.Errorf("the EKS cluster %s runs Kubernetes %s, but its node groups %s do not, and EKS updates the control plane only when every managed node group runs its version; set it to %s and run pulumi up, which brings the node groups to %s, then set %s",
			running.Name, running.Version, strings.Join(behind, ", "), running.Version, running.Version, wanted)
	}
	return nil
}

// minorOf is the minor number of a 1.x version.
func minorOf(version string) (int, error) {
	if !versionPattern.MatchString(version) {
		return 0, fmt.Errorf("%q is not a Kubernetes version like %s", version, DefaultKubernetesVersion)
	}
	return strconv.Atoi(strings.TrimPrefix(version, "1."))
}

// CheckIpFamilyUpdate says whether the running cluster can stay the cluster of a stack that wants
// the family. EKS takes a cluster's kubernetesNetworkConfig at creation only (CreateCluster;
// UpdateClusterConfig has no such field), and terraform-provider-aws marks it ForceNew
// (internal/service/eks/cluster.go), so another family replaces the cluster: every node and
// workload goes.
func CheckIpFamilyUpdate(running RunningCluster, wanted IpFamily) error {
	if running.IpFamily == "" || running.IpFamily == wanted {
		return nil
	}
	return fmt.Errorf("the EKS cluster %s runs %s, and EKS sets a cluster's IP family when it creates it: %s would replace the cluster and everything on it; keep the cluster's family, or make the other one in a new stack",
		running.Name, running.IpFamily, wanted)
}

// CheckServiceCidrUpdate is CheckIpFamilyUpdate for the service block: a block the stack sets must
// be the one the cluster was made with. An empty one is EKS's choice and changes nothing.
func CheckServiceCidrUpdate(running RunningCluster, wanted string) error {
	if wanted == "" || running.ServiceIpv4Cidr == "" || running.ServiceIpv4Cidr == wanted {
		return nil
	}
	return fmt.Errorf("the EKS cluster %s has the service block %s, and EKS sets it when it creates a cluster: another one would replace the cluster and everything on it; set it back to %s",
		running.Name, running.ServiceIpv4Cidr, running.ServiceIpv4Cidr)
}

// CheckNameUpdate says whether the stack can keep running its cluster under the wanted name. EKS has
// no way to rename a cluster (UpdateClusterConfig takes no name), and terraform-provider-aws marks
// the name ForceNew (internal/service/eks/cluster.go), so another name would create a second cluster
// and delete this one, with every node and workload on it. defaultName is the name an empty
// clusterName gives.
func CheckNameUpdate(running RunningCluster, wanted, defaultName string) error {
	if running.Name == wanted {
		return nil
	}
	back := fmt.Sprintf("%q", running.Name)
	if running.Name == defaultName {
		back = fmt.Sprintf("%q or leave it empty", running.Name)
	}
	return fmt.Errorf("this stack runs the EKS cluster %s, and EKS cannot rename a cluster: %s would replace it and everything on it; set it back to %s, or pulumi destroy the stack before renaming it (or make the new cluster in a new stack)",
		running.Name, wanted, back)
}
