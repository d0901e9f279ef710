package clusterspec

import (
	"fmt"
	"regexp"
	"strings"
)

// instanceTypePattern reads an EC2 instance type: family letters, generation, attribute letters, size.
var instanceTypePattern = regexp.MustCompile(`^([a-z]+)([0-9]+)([a-z-]*)\.([0-9]*[a-z]+[0-9]*|metal(-[0-9]+xl)?)$`)

// InstanceType is a parsed EC2 instance type name.
type InstanceType struct {
	Name               string
	Family, Attributes string
	Generation         int
	Size               string
}

// ParseInstanceType checks an instance type name's format (it cannot know whether AWS offers it).
func ParseInstanceType(name string) (InstanceType, error) {
	m := instanceTypePattern.FindStringSubmatch(name)
	if m == nil {
		return InstanceType{}, fmt.Errorf("not an EC2 instance type name; names look like t3.medium or m7g.large")
	}
	var gen int
	fmt.Sscan(m[2], &gen)
	return InstanceType{Name: name, Family: m[1], Generation: gen, Attributes: m[3], Size: m[4]}, nil
}

// Arm64 says whether the type runs on AWS Graviton (a g among the attribute letters: m7g, c6gn, t4g).
func (t InstanceType) Arm64() bool { return strings.Contains(t.Attributes, "g") }

// Al2023AmiType is the managed node group AMI type for the instance's architecture. Amazon Linux 2
// AMIs are not published for Kubernetes 1.33 and later, so nodes run AL2023.
func (t InstanceType) Al2023AmiType() string {
	if t.Arm64() {
		return "AL2023_ARM_64_STANDARD"
	}
	return "AL2023_x86_64_STANDARD"
}
