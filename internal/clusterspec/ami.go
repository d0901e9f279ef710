package clusterspec

import "fmt"

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
