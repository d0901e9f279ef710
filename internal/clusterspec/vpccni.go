package clusterspec

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
)

// The vpc-cni managed add-on's configuration schema (`aws eks describe-addon-configuration --addon-name
// vpc-cni`) allows only these keys: every object in it has additionalProperties false, and there is no
// ENABLE_IPv6 key (the add-on takes the IP family from the cluster). Source: the schema as printed in
// the AWS CLI reference for describe-addon-configuration (v1.15.1-eksbuild.1), plus
// ENABLE_SUBNET_DISCOVERY, added by v1.18.5-eksbuild.1.
var (
	VpcCniSchemaKeys = []string{
		"affinity", "enableNetworkPolicy", "enableWindowsIpam", "eniConfig", "env", "init",
		"livenessProbeTimeoutSeconds", "nodeAgent", "readinessProbeTimeoutSeconds", "resources", "tolerations",
	}
	VpcCniSchemaEnvKeys = []string{
		"ADDITIONAL_ENI_TAGS", "ANNOTATE_POD_IP", "AWS_EC2_ENDPOINT", "AWS_EXTERNAL_SERVICE_CIDRS",
		"AWS_MANAGE_ENIS_NON_SCHEDULABLE", "AWS_VPC_CNI_NODE_PORT_SUPPORT", "AWS_VPC_ENI_MTU",
		"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS", "AWS_VPC_K8S_CNI_EXTERNALSNAT",
		"AWS_VPC_K8S_CNI_LOGLEVEL", "AWS_VPC_K8S_CNI_LOG_FILE", "AWS_VPC_K8S_CNI_RANDOMIZESNAT",
		"AWS_VPC_K8S_CNI_VETHPREFIX", "AWS_VPC_K8S_PLUGIN_LOG_FILE", "AWS_VPC_K8S_PLUGIN_LOG_LEVEL",
		"CLUSTER_ENDPOINT", "DISABLE_INTROSPECTION", "DISABLE_LEAKED_ENI_CLEANUP", "DISABLE_METRICS",
		"DISABLE_NETWORK_RESOURCE_PROVISIONING", "DISABLE_POD_V6", "ENABLE_BANDWIDTH_PLUGIN", "ENABLE_POD_ENI",
		"ENABLE_PREFIX_DELEGATION", "ENABLE_SUBNET_DISCOVERY", "ENABLE_V4_EGRESS", "ENABLE_V6_EGRESS",
		"ENI_CONFIG_ANNOTATION_DEF", "ENI_CONFIG_LABEL_DEF", "INTROSPECTION_BIND_ADDRESS", "IP_COOLDOWN_PERIOD",
		"MAX_ENI", "MINIMUM_IP_TARGET", "POD_SECURITY_GROUP_ENFORCING_MODE", "WARM_ENI_TARGET", "WARM_IP_TARGET",
		"WARM_PREFIX_TARGET",
	}
)

// VpcCniConfiguration is the add-on's configurationValues. Fields are in key order, so json.Marshal
// writes sorted keys and the string EKS stores back compares equal on the next preview.
type VpcCniConfiguration struct {
	EnableNetworkPolicy string    `json:"enableNetworkPolicy,omitempty"`
	Env                 VpcCniEnv `json:"env"`
}

// VpcCniEnv is the add-on's env block. The schema types every value as a string ("true", "1").
type VpcCniEnv struct {
	AnnotatePodIP          string `json:"ANNOTATE_POD_IP,omitempty"`
	EnablePrefixDelegation string `json:"ENABLE_PREFIX_DELEGATION,omitempty"`
	EnableV4Egress         string `json:"ENABLE_V4_EGRESS,omitempty"`
	WarmPrefixTarget       string `json:"WARM_PREFIX_TARGET,omitempty"`
}

// VpcCniOptions are the settings we drive.
type VpcCniOptions struct {
	PrefixDelegation bool
	WarmPrefixTarget int
	// V4Egress is ENABLE_V4_EGRESS: IPv6 pods get a v4if0 address from 169.254.172.0/22 that the node
	// SNATs to its own IPv4 address. Only meaningful on IPv6 clusters.
	V4Egress *bool
	// NetworkPolicy turns the VPC CNI's own network policy agent on or off; nil leaves the key out.
	NetworkPolicy *bool
	// AnnotatePodIP is what AWS advises with Calico: aws-node writes the pod IP annotation Calico reads.
	AnnotatePodIP bool
}

// VpcCniConfigurationValues renders the add-on configuration as JSON.
func VpcCniConfigurationValues(o VpcCniOptions) (string, error) {
	c := VpcCniConfiguration{
		Env: VpcCniEnv{EnablePrefixDelegation: strconv.FormatBool(o.PrefixDelegation)},
	}
	if o.NetworkPolicy != nil {
		c.EnableNetworkPolicy = strconv.FormatBool(*o.NetworkPolicy)
	}
	if o.PrefixDelegation {
		c.Env.WarmPrefixTarget = strconv.Itoa(o.WarmPrefixTarget)
	}
	if o.V4Egress != nil {
		c.Env.EnableV4Egress = strconv.FormatBool(*o.V4Egress)
	}
	if o.AnnotatePodIP {
		c.Env.AnnotatePodIP = "true"
	}
	b, err := json.Marshal(c)
	return string(b), err
}

// AddonVersion is an EKS add-on version such as v1.22.1-eksbuild.2.
type AddonVersion struct{ Major, Minor, Patch, Build int }

var addonVersionPattern = regexp.MustCompile(`^v(\d+)\.(\d+)\.(\d+)-eksbuild\.(\d+)$`)

// ParseAddonVersion reads an EKS add-on version.
func ParseAddonVersion(s string) (AddonVersion, error) {
	m := addonVersionPattern.FindStringSubmatch(s)
	if m == nil {
		return AddonVersion{}, fmt.Errorf("not an EKS add-on version; versions look like v1.22.1-eksbuild.2, or use latest")
	}
	n := make([]int, 4)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	return AddonVersion{n[0], n[1], n[2], n[3]}, nil
}

// Less orders versions.
func (v AddonVersion) Less(o AddonVersion) bool {
	a, b := []int{v.Major, v.Minor, v.Patch, v.Build}, []int{o.Major, o.Minor, o.Patch, o.Build}
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// Minimum vpc-cni versions (amazon-vpc-cni-k8s release notes): IPv6 clusters from v1.10.1, the
// ENABLE_V4_EGRESS setting from v1.15.1.
var (
	MinVpcCniIpv6     = AddonVersion{1, 10, 1, 0}
	MinVpcCniV4Egress = AddonVersion{1, 15, 1, 0}
)

// CheckVpcCniForIpv6 says whether a vpc-cni version can run an IPv6 cluster the way we configure it
// (with ENABLE_V4_EGRESS set either way).
func CheckVpcCniForIpv6(v AddonVersion) error {
	switch {
	case v.Less(MinVpcCniIpv6):
		return fmt.Errorf("the VPC CNI supports IPv6 clusters from %s; use a newer version or latest", MinVpcCniIpv6)
	case v.Less(MinVpcCniV4Egress):
		return fmt.Errorf("ENABLE_V4_EGRESS, which ipv4Egress sets, exists from %s; use a newer version or latest", MinVpcCniV4Egress)
	}
	return nil
}

func (v AddonVersion) String() string {
	return fmt.Sprintf("v%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// Latest asks for the most recent add-on version compatible with the cluster, looked up at deploy time.
const Latest = "latest"
