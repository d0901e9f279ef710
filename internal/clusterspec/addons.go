package clusterspec

import (
	"fmt"
	"strings"
)

// addonRange is the span of add-on major.minor versions EKS offers for one Kubernetes version.
type addonRange struct{ min, max AddonVersion }

// offeredAddons are the add-on versions EKS offers per Kubernetes version, as of 2026-11: kube-proxy
// follows the cluster's own minor (EKS User Guide, "Manage kube-proxy", managed-kube-proxy.html);
// CoreDNS minors from "Manage CoreDNS" (managed-coredns.html) and eksctl's generated default add-on
// versions; the VPC CNI from v1.17.1, the oldest the amazon-vpc-cni-k8s README recommends for these
// versions, to v1.23, the newest release (helm chart v1.23.1, 2026-08). EKS's own answer is
// DescribeAddonVersions, which only a deploy can ask; "latest" asks it. A version EKS has released
// since belongs in this table.
var offeredAddons = map[string]map[string]addonRange{
	"1.32": {"coredns": {AddonVersion{1, 11, 0, 0}, AddonVersion{1, 11, 999, 999}}},
	"1.33": {"coredns": {AddonVersion{1, 12, 0, 0}, AddonVersion{1, 13, 999, 999}}},
	"1.34": {"coredns": {AddonVersion{1, 12, 0, 0}, AddonVersion{1, 13, 999, 999}}},
	"1.35": {"coredns": {AddonVersion{1, 13, 0, 0}, AddonVersion{1, 14, 999, 999}}},
	"1.36": {"coredns": {AddonVersion{1, 14, 0, 0}, AddonVersion{1, 14, 999, 999}}},
}

var vpcCniOffered = addonRange{AddonVersion{1, 17, 1, 0}, AddonVersion{1, 23, 999, 999}}

// CheckAddonForKubernetes says whether EKS offers an add-on version (vpc-cni, coredns or kube-proxy)
// for a cluster's Kubernetes version: EKS refuses others with "Addon version specified is not
// supported".
func CheckAddonForKubernetes(addon string, v AddonVersion, kubernetesVersion string) error {
	var r addonRange
	switch addon {
	case "kube-proxy":
		if fmt.Sprintf("%d.%d", v.Major, v.Minor) != kubernetesVersion {
			return fmt.Errorf("kube-proxy follows the cluster's Kubernetes version: use a v%s.x-eksbuild.N build for Kubernetes %s, or latest", kubernetesVersion, kubernetesVersion)
		}
		return nil
	case "vpc-cni":
		r = vpcCniOffered
	case "coredns":
		var ok bool
		if r, ok = offeredAddons[kubernetesVersion]["coredns"]; !ok {
			return nil // a Kubernetes version without a recorded range: its own check names it
		}
	default:
		return fmt.Errorf("no offered versions recorded for add-on %s", addon)
	}
	if v.Less(r.min) || r.max.Less(v) {
		return fmt.Errorf("EKS offers %s %s for Kubernetes %s, not %s; use one of those, or latest", addon, r, kubernetesVersion, v)
	}
	return nil
}

func (r addonRange) String() string {
	lo := fmt.Sprintf("v%d.%d", r.min.Major, r.min.Minor)
	if r.min.Patch > 0 {
		lo = r.min.String()
	}
	hi := fmt.Sprintf("v%d.%d.x", r.max.Major, r.max.Minor)
	if lo == strings.TrimSuffix(hi, ".x") {
		return hi
	}
	return lo + " to " + hi
}

// vpcCniWithoutIpvlan are the releases that ship no ipvlan binary, which Multus's ipvlan networks
// need: it was dropped in v1.20.2 and restored in v1.20.4 (amazon-vpc-cni-k8s PR #3470); AL2023 ships
// none of its own.
var vpcCniWithoutIpvlan = []AddonVersion{{1, 20, 2, 0}, {1, 20, 3, 0}}

// CheckVpcCniForMultus says whether a vpc-cni version installs the ipvlan plugin Multus uses.
func CheckVpcCniForMultus(v AddonVersion) error {
	for _, bad := range vpcCniWithoutIpvlan {
		if v.Major == bad.Major && v.Minor == bad.Minor && v.Patch == bad.Patch {
			return fmt.Errorf("vpc-cni %s ships no ipvlan binary, which the Multus networks need (restored in v1.20.4, amazon-vpc-cni-k8s PR #3470); use another version or latest", v)
		}
	}
	return nil
}

// VpcCniNeeds are what a cluster needs of its vpc-cni release.
type VpcCniNeeds struct {
	// Ipv6: an IPv6 cluster, with ENABLE_V4_EGRESS set either way.
	Ipv6 bool
	// Ipvlan: the ipvlan plugin, for Multus's networks.
	Ipvlan bool
}

// Check lists what a vpc-cni version lacks of the needs, each with what to use instead.
func (n VpcCniNeeds) Check(v AddonVersion) []error {
	var errs []error
	if n.Ipv6 {
		if err := CheckVpcCniForIpv6(v); err != nil {
			errs = append(errs, err)
		}
	}
	if n.Ipvlan {
		if err := CheckVpcCniForMultus(v); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
