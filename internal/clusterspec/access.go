package clusterspec

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// MaxPublicAccessCidrs is EKS's quota of public endpoint CIDR blocks per cluster ("Public endpoint
// access CIDR ranges per cluster: 40", not adjustable; docs.aws.amazon.com/eks/latest/userguide/
// service-quotas.html).
const MaxPublicAccessCidrs = 40

// specialPurpose are blocks that are no public source address. EKS refuses private blocks in
// publicAccessCidrs (the public endpoint only sees public addresses; private callers use the
// private endpoint), and the rest can never be a caller's public address. Sources: RFC 6890 and
// the IANA special-purpose registries, as Go's netip classifies them, plus shared address space
// (RFC 6598) and the reserved 240.0.0.0/4.
var specialPurpose = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/8"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
}

// CheckPublicAccessCidr checks one block of the public endpoint's allow list. IPv6 blocks are valid
// only on IPv6 clusters, whose public endpoint is dual-stack (docs.aws.amazon.com/eks/latest/
// userguide/cluster-endpoint.html, "IPv6 cluster endpoint"); 0.0.0.0/0 and ::/0 are valid (EKS's own
// default) and left to the caller to warn about.
func CheckPublicAccessCidr(cidr string, ipv6Cluster bool) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(cidr)
	switch {
	case err != nil:
		return p, errors.New("not a CIDR block; blocks look like 203.0.113.7/32")
	case p.Masked() != p:
		return p, fmt.Errorf("host bits are set; did you mean %s?", p.Masked())
	case p.Addr().Is6() && !ipv6Cluster:
		return p, errors.New("an IPv4 cluster's public endpoint is IPv4 only; give IPv4 blocks such as 203.0.113.7/32")
	case p.Bits() == 0:
		return p, nil
	}
	for _, reserved := range specialPurpose {
		if reserved.Contains(p.Addr()) && p.Bits() >= reserved.Bits() {
			return p, fmt.Errorf("lies in %s, which is not a public address block; the public endpoint sees only public source addresses (private networks reach the private endpoint: use endpointPrivateAccessCidrs)", reserved)
		}
	}
	return p, nil
}

// CheckPrivateAccessCidr checks one block allowed to reach the private endpoint through the control
// plane's security group: an IPv4 or IPv6 block with its host bits clear, never the whole internet.
func CheckPrivateAccessCidr(cidr string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(cidr)
	switch {
	case err != nil:
		return p, errors.New("not a CIDR block; blocks look like 10.20.0.0/16")
	case p.Masked() != p:
		return p, fmt.Errorf("host bits are set; did you mean %s?", p.Masked())
	case p.Bits() == 0:
		return p, errors.New("the private endpoint is for networks inside or connected to the VPC; name them, not the whole address space")
	}
	return p, nil
}

// ClusterAdminPolicy is the EKS access policy that makes a principal cluster admin
// (docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html).
func ClusterAdminPolicy(partition string) string {
	return "arn:" + partition + ":eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
}

// IamPrincipal is a parsed IAM role or user ARN.
type IamPrincipal struct {
	Arn, Partition, Account string
	Kind                    string // role or user
	// PathName is the role or user name after its path, if any: teams/platform-admins.
	PathName string
}

var (
	iamPrincipalPattern = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):iam::([0-9]{12}):(role|user)/([\w+=,.@/-]+)$`)
	assumedRolePattern  = regexp.MustCompile(`^arn:[a-z-]+:sts::([0-9]{12}):assumed-role/([\w+=,.@-]+)/`)
)

// ParseIamPrincipal reads the ARN of an IAM role or user, the principals an EKS access entry takes
// (docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html).
func ParseIamPrincipal(arn string) (IamPrincipal, error) {
	if m := assumedRolePattern.FindStringSubmatch(arn); m != nil {
		return IamPrincipal{}, fmt.Errorf("a session's ARN changes with every session; give the role's: arn:aws:iam::%s:role/%s (with its path, if it has one)", m[1], m[2])
	}
	m := iamPrincipalPattern.FindStringSubmatch(arn)
	if m == nil {
		return IamPrincipal{}, errors.New("not an IAM role or user ARN; ARNs look like arn:aws:iam::123456789012:role/platform-admins")
	}
	path := m[4]
	if strings.HasSuffix(path, "/") || strings.Contains(path, "//") {
		return IamPrincipal{}, errors.New("the role or user name is missing after its path")
	}
	return IamPrincipal{Arn: arn, Partition: m[1], Account: m[2], Kind: m[3], PathName: path}, nil
}

// PartitionOf is the AWS partition of a region ("aws" for a region AWS does not have, which
// CheckRegion refuses).
func PartitionOf(region string) string {
	if p, ok := awsRegions[region]; ok {
		return p
	}
	return "aws"
}

// CreatorAdminWarnings are the warnings for the admin ARNs that are the role running pulumi
// (deployerRole, the issuer of its session): pulumi-eks v2.8.1 sets
// bootstrapClusterCreatorAdminPermissions, so EKS makes the creator admin when it creates the cluster
// and refuses a second access entry for it (ResourceInUseException).
func CreatorAdminWarnings(adminArns []string, deployerRole string) []string {
	var warnings []string
	for _, arn := range adminArns {
		if arn == deployerRole {
			warnings = append(warnings, fmt.Sprintf("%s runs this pulumi up and is in the cluster admins; if this up creates the cluster, EKS has made it admin as the creator already and refuses a second access entry (ResourceInUseException): leave it out of the list for the first up", arn))
		}
	}
	return warnings
}
