package components

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/netplan"
	"eks-advanced-networking/internal/workload"
)

// MultusNetworkType is the component's type token.
const MultusNetworkType = "eks-advanced-networking:multus:MultusNetwork"

// MultusNetworkArgs configure the secondary networks.
type MultusNetworkArgs struct {
	// Networks come from multus.Plan: one per zone, the NAD and the ENI built from the same plan.
	Networks []multus.Network
	// Image is the Multus thick plugin image.
	Image string
	// DemoPod runs the chapter's multus-pod on the first network.
	DemoPod bool
	// DemoPodImage is multus-pod's busybox image; empty means workload.DefaultImage.
	DemoPodImage string
	// SkipAwait stops Pulumi from waiting for the DaemonSet and the pod (a cluster with no nodes).
	SkipAwait bool
	// Aws builds the AWS side. Leave it nil where the nodes and their ENIs exist already
	// (bring-your-own-cluster): then only the Kubernetes objects are created.
	Aws *MultusAwsArgs
}

// MultusAwsArgs are the AWS side of the secondary networks.
type MultusAwsArgs struct {
	// Cluster is the cluster the Multus nodes join: ordinary nodes of it, with its role, security
	// group, join parameters (endpoint, certificate authority, service block), Kubernetes version and
	// node instance type, in its region and VPC, started beside its own node group
	// (NodePrerequisites).
	Cluster *ClusterParts
	// Tier is the subnet tier the networks live in (the plan's subnets).
	Tier       netplan.Tier
	Attachment multus.Attachment
	// InstanceIds are the fixed instances, one per network, for multus.AttachInstances, and
	// DeviceIndexes the index each takes its ENI at (multus.InstanceDeviceIndex, from what EC2
	// reports attached to it).
	InstanceIds   []string
	DeviceIndexes []int
	Tags          map[string]string
}

// MultusNetwork is Multus on EKS with everything the chapter did by hand made declarative: the AWS EKS
// Multus build as typed Kubernetes objects, ENIs tagged as the chapter tags them and carrying the pod
// range (so pod addresses route in the VPC), subnet reservations for that range, the attachment of
// the ENIs, and one NetworkAttachmentDefinition per zone.
type MultusNetwork struct {
	pulumi.ResourceState

	NadNames pulumi.StringArrayOutput `pulumi:"nadNames"`
	// CheckCommands are the chapter's check of the demo pod's secondary address.
	CheckCommands pulumi.StringArrayOutput `pulumi:"checkCommands"`

	ready         []pulumi.Resource
	nodesRevision pulumi.StringOutput
}

// Ready are the resources that are done once the networks serve pods: the Multus DaemonSet, the
// NADs and the demo pod. Depend on these, not on the component, whose children the Go SDK may not
// have finished collecting. Go only.
func (c *MultusNetwork) Ready() []pulumi.Resource { return c.ready }

// NodesRevision changes whenever a Multus node is replaced: what checks of the Multus nodes follow.
// Empty where the component creates no AWS side. Go only.
func (c *MultusNetwork) NodesRevision() pulumi.StringOutput { return c.nodesRevision }

func validateMultusArgs(name string, args *MultusNetworkArgs) error {
	bad := func(field, value, reason string) error {
		return fmt.Errorf("MultusNetwork %s: %s = %q: %s", name, field, value, reason)
	}
	if len(args.Networks) == 0 {
		return bad("Networks", "", "no networks; compute them with multus.Plan")
	}
	if args.Image == "" {
		return bad("Image", "", "an image is required: AWS's EKS build in the cluster's region, multus.EksImage(region, multus.MultusImageTag)")
	}
	if args.DemoPodImage != "" {
		if err := workload.ValidateImage(args.DemoPodImage); err != nil {
			return bad("DemoPodImage", args.DemoPodImage, err.Error())
		}
	}
	a := args.Aws
	if a == nil {
		return nil
	}
	if a.Cluster == nil || a.Cluster.EksCluster() == nil {
		return bad("Aws.Cluster", "", "the cluster the Multus nodes join is required: a cluster component's ClusterParts")
	}
	// The same rule, and message, as the stack file's multusAttachment and multusInstanceIds.
	if fe := multus.ValidateAttachment(a.Attachment, a.InstanceIds, len(args.Networks)); fe != nil {
		return bad(fe.Field, fmt.Sprint(fe.BadValue), fe.Detail)
	}
	if a.Attachment == multus.AttachInstances {
		if len(a.DeviceIndexes) != len(a.InstanceIds) || slices.ContainsFunc(a.DeviceIndexes, func(i int) bool { return i < 1 }) {
			return bad("Aws.DeviceIndexes", fmt.Sprint(a.DeviceIndexes), "one index of 1 or more per instance, where it has a free one: multus.InstanceDeviceIndex")
		}
	}
	for _, n := range args.Networks {
		if _, err := a.Cluster.Vpc().subnetIndex(a.Tier, n.AvailabilityZone); err != nil {
			return bad("Networks", n.Name, err.Error())
		}
	}
	return nil
}

// NewMultusNetwork registers the networks. The Kubernetes objects need a Kubernetes provider and the
// AWS side an AWS provider, both among opts (pulumi.Providers).
func NewMultusNetwork(ctx *pulumi.Context, name string, args *MultusNetworkArgs, opts ...pulumi.ResourceOption) (*MultusNetwork, error) {
	if args == nil {
		return nil, fmt.Errorf("MultusNetwork %s: args are required", name)
	}
	if err := validateMultusArgs(name, args); err != nil {
		return nil, err
	}
	c := &MultusNetwork{}
	if err := ctx.RegisterComponentResource(MultusNetworkType, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	var multusNodes []pulumi.Resource
	c.nodesRevision = pulumi.String("").ToStringOutput()
	if args.Aws != nil {
		var err error
		if multusNodes, c.nodesRevision, err = multusAws(ctx, name, args, c); err != nil {
			return nil, err
		}
	}
	checkCommands, ready, err := multusKubernetes(ctx, name, args, multusNodes, parent)
	if err != nil {
		return nil, err
	}

	var nadNames []string
	for _, n := range args.Networks {
		nadNames = append(nadNames, n.Name)
	}
	c.NadNames = pulumi.ToStringArray(nadNames).ToStringArrayOutput()
	c.CheckCommands = pulumi.ToStringArray(checkCommands).ToStringArrayOutput()
	c.ready = ready
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"nadNames": c.NadNames, "checkCommands": c.CheckCommands})
}
