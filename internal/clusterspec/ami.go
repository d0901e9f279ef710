package clusterspec

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// AmiFamily is a node operating system with EKS-optimized AMIs. Amazon Linux 2 AMIs are not published
// for Kubernetes 1.33 and later, so nodes run AL2023; another family is one more table entry here.
type AmiFamily string

// AL2023 is Amazon Linux 2023, whose user data is a nodeadm NodeConfig.
const AL2023 AmiFamily = "AL2023"

// amiVariant is one AMI of a family: its architecture and accelerator.
type amiVariant struct {
	family AmiFamily
	arch   Architecture
	accel  Accelerator
}

// amiVariants are the managed node group AMI types and the SSM path segment of each variant's
// recommended image (EKS API reference, Nodegroup amiType; docs.aws.amazon.com/eks/latest/userguide/
// retrieve-ami-id.html). There is no arm64 Neuron AMI.
var amiVariants = map[amiVariant]struct{ amiType, ssmPath string }{
	{AL2023, X86_64, NoAccelerator}: {"AL2023_x86_64_STANDARD", "amazon-linux-2023/x86_64/standard"},
	{AL2023, Arm64, NoAccelerator}:  {"AL2023_ARM_64_STANDARD", "amazon-linux-2023/arm64/standard"},
	{AL2023, X86_64, Nvidia}:        {"AL2023_x86_64_NVIDIA", "amazon-linux-2023/x86_64/nvidia"},
	{AL2023, Arm64, Nvidia}:         {"AL2023_ARM_64_NVIDIA", "amazon-linux-2023/arm64/nvidia"},
	{AL2023, X86_64, Neuron}:        {"AL2023_x86_64_NEURON", "amazon-linux-2023/x86_64/neuron"},
}

func variantOf(family AmiFamily, t InstanceType) (struct{ amiType, ssmPath string }, error) {
	v, ok := amiVariants[amiVariant{family, t.Architecture(), t.Accelerator()}]
	if !ok {
		return v, fmt.Errorf("%s has no %s AMI for %s (%s, %s)", family, t.Accelerator(), t.Name, t.Architecture(), t.Accelerator())
	}
	return v, nil
}

// AmiType is the managed node group AMI type for an instance type: its architecture, and the GPU or
// Neuron drivers it needs.
func AmiType(family AmiFamily, t InstanceType) (string, error) {
	v, err := variantOf(family, t)
	return v.amiType, err
}

// RecommendedAmiParameter is the public SSM parameter holding the recommended EKS-optimized AMI id for
// a Kubernetes version and instance type.
func RecommendedAmiParameter(family AmiFamily, kubernetesVersion string, t InstanceType) (string, error) {
	v, err := variantOf(family, t)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("/aws/service/eks/optimized-ami/%s/%s/recommended/image_id", kubernetesVersion, v.ssmPath), nil
}

// RecommendedReleaseVersionParameter is the public SSM parameter holding the release version
// (e.g. 1.35.4-20261120) of that same recommended AMI: what a node group of EKS's AMI type names in
// releaseVersion to follow AWS's AMI releases, as a launch template naming the image id does.
func RecommendedReleaseVersionParameter(family AmiFamily, kubernetesVersion string, t InstanceType) (string, error) {
	v, err := variantOf(family, t)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("/aws/service/eks/optimized-ami/%s/%s/recommended/release_version", kubernetesVersion, v.ssmPath), nil
}

// CustomAmiType is a managed node group's AMI type when its launch template names the image: EKS
// refuses any other ("You cannot specify an AMI Type other than CUSTOM, when specifying an image id in
// your launch template", pulumi-eks #1463).
const CustomAmiType = "CUSTOM"

// NodeGroupName is a managed node group's EKS name: base, then a hash of what the program sets that
// EKS cannot change in place: the instance type, whether the launch template names the AMI, and the
// group's subnets (their IPv4 blocks, which change whenever the subnets are replaced or zones are
// added or removed). A change to any of them makes a node group under a new name, so the program can
// create it before it deletes the old one; under one fixed name the old group would have to go first
// (the name is taken), leaving the cluster without those nodes.
func NodeGroupName(base string, t InstanceType, customAmi bool, subnets []string) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("instance-type=%s custom-ami=%t subnets=%s", t.Name, customAmi, strings.Join(subnets, ","))))
	return base + "-" + hex.EncodeToString(sum[:3])
}
