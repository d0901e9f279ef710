package clusterspec

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// instanceTypePattern reads an EC2 instance type: family letters, generation, attribute letters, an
// optional hyphenated part (u-6tb1.56xlarge, p6-b200.48xlarge, u7i-12tb.224xlarge), and the size.
var instanceTypePattern = regexp.MustCompile(`^([a-z]+)([0-9]*)([a-z]*)(-[a-z0-9]+)?\.([0-9]*[a-z]+[0-9]*|metal(-[0-9]+xl)?)$`)

// InstanceType is a parsed EC2 instance type name.
type InstanceType struct {
	Name               string
	Family, Attributes string
	Generation         int
	// Variant is the hyphenated part without its hyphen (b200 in p6-b200), or "".
	Variant string
	Size    string
}

// ParseInstanceType checks an instance type name's format. KnownInstanceType says whether AWS
// offers it.
func ParseInstanceType(name string) (InstanceType, error) {
	m := instanceTypePattern.FindStringSubmatch(name)
	if m == nil || m[2] == "" && m[4] == "" {
		return InstanceType{}, fmt.Errorf("not an EC2 instance type name; names look like t3.medium or m7g.large")
	}
	gen, _ := strconv.Atoi(m[2]) // digits or empty (u-6tb1): the pattern says so
	return InstanceType{Name: name, Family: m[1], Generation: gen, Attributes: m[3], Variant: strings.TrimPrefix(m[4], "-"), Size: m[5]}, nil
}

// Architecture is a CPU architecture as EKS's AMI types and SSM parameters name it.
type Architecture string

// The architectures.
const (
	X86_64 Architecture = "x86_64"
	Arm64  Architecture = "arm64"
)

// Accelerator is the hardware an AMI variant carries drivers for.
type Accelerator string

// The accelerators; NoAccelerator is the standard AMI's.
const (
	NoAccelerator Accelerator = "standard"
	Nvidia        Accelerator = "nvidia"
	Neuron        Accelerator = "neuron"
)

// Architecture is the type's CPU: AWS Graviton (a g among the attribute letters: m7g, c6gn, t4g,
// g5g), the first-generation a1, and NVIDIA Grace (p6e-gb200, whose variant names the GB200
// superchip) are arm64.
func (t InstanceType) Architecture() Architecture {
	if t.Family == "a" || strings.Contains(t.Attributes, "g") || strings.HasPrefix(t.Variant, "gb") {
		return Arm64
	}
	return X86_64
}

// nvidiaFamilies have NVIDIA GPUs (eksctl's instance data, which picks the NVIDIA AMI for them):
// P instances and the G families but g4ad, whose GPU is AMD's.
var nvidiaFamilies = []string{"p", "g", "gr"}

// neuronFamilies have AWS Inferentia or Trainium chips.
var neuronFamilies = []string{"inf", "trn"}

// Accelerator is what drivers the type's nodes need.
func (t InstanceType) Accelerator() Accelerator {
	switch {
	case slices.Contains(neuronFamilies, t.Family):
		return Neuron
	case slices.Contains(nvidiaFamilies, t.Family) && (t.Family != "g" || !strings.Contains(t.Attributes, "ad")):
		return Nvidia
	}
	return NoAccelerator
}
