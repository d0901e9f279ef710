package components

import (
	"encoding/base64"
	"encoding/json"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/netplan"
	"eks-advanced-networking/internal/nodeadm"
	"eks-advanced-networking/internal/plan"
)

// chapterNodes are the chapter's node instance type's facts, t3.medium.
func chapterNodes(t *testing.T) clusterspec.NodeFacts {
	t.Helper()
	node, err := clusterspec.Settings{NodeInstanceType: "t3.medium"}.NodeFacts()
	if err != nil || node.EniErr != nil {
		t.Fatal(err, node.EniErr)
	}
	return node
}

func chapterNetworks(t *testing.T, ranges ...string) []multus.Network {
	t.Helper()
	layout, err := netplan.PlanVpc(ipv4VpcInput())
	if err != nil {
		t.Fatal(err)
	}
	var subnets []multus.Subnet
	for _, s := range layout.SubnetsOf(netplan.Private) {
		subnets = append(subnets, multus.Subnet{AvailabilityZone: s.AvailabilityZone, Cidr: s.Ipv4Cidr})
	}
	networks, err := multus.Plan(multus.Input{NetworkPrefix: "ipvlan-private", Subnets: subnets, Ranges: ranges, NodesPerAz: 1, Node: chapterNodes(t)})
	if err != nil {
		t.Fatal(err)
	}
	return networks
}

// runMultus registers an IPv4 VPC and cluster and a MultusNetwork on them; aws tweaks the AWS side
// (nil drops it: bring-your-own-cluster).
func runMultus(t *testing.T, networks []multus.Network, aws func(*MultusAwsArgs) *MultusAwsArgs) (*plan.Plan, error) {
	t.Helper()
	return runProgram(t, func(ctx *pulumi.Context) error {
		_, err := newChapterMultus(ctx, networks, aws)
		return err
	})
}

// newChapterMultus registers the chapter's IPv4 VPC and cluster, and Multus on them with the AWS
// arguments changed by aws.
func newChapterMultus(ctx *pulumi.Context, networks []multus.Network, aws func(*MultusAwsArgs) *MultusAwsArgs) (*MultusNetwork, error) {
	return newChapterMultusOn(ctx, "t3.medium", networks, aws)
}

// newChapterMultusOn is newChapterMultus on a cluster whose nodes are of the instance type.
func newChapterMultusOn(ctx *pulumi.Context, instanceType string, networks []multus.Network, aws func(*MultusAwsArgs) *MultusAwsArgs) (*MultusNetwork, error) {
	vpc, err := NewDualStackVpc(ctx, "vpc", ipv4Vpc())
	if err != nil {
		return nil, err
	}
	args := chapterCluster().ClusterArgs
	args.Vpc, args.NodeGroupName, args.NodeInstanceType = vpc, "ipv4mng", instanceType
	cluster, err := NewIpv4Cluster(ctx, "cluster", &Ipv4ClusterArgs{ClusterArgs: args})
	if err != nil {
		return nil, err
	}
	awsArgs := aws(&MultusAwsArgs{Cluster: &cluster.ClusterParts, Tier: netplan.Private, Attachment: multus.AttachNodeGroup})
	return NewMultusNetwork(ctx, "multus", &MultusNetworkArgs{Networks: networks, Image: "602401143452.dkr.ecr.eu-central-1.amazonaws.com/" + multus.MultusImageTag, DemoPod: true, Aws: awsArgs})
}

// The Multus nodes' revision, which the checks follow, changes with what replaces a Multus node
// (here the cluster's node instance type, which the Multus nodes share) and names every zone's group.
func TestMultusNodesRevisionFollowsTheNodes(t *testing.T) {
	revision := func(instanceType string) string {
		p, err := plan.Run(plan.Options{Project: "test", Stack: "test", Config: map[string]string{"aws:region": "eu-central-1"}},
			func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
				m, err := newChapterMultusOn(ctx, instanceType, chapterNetworks(t), asIs)
				if err != nil {
					return nil, err
				}
				return map[string]pulumi.Output{"revision": m.NodesRevision()}, nil
			})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := p.Outputs["revision"].(string)
		return s
	}
	small, large := revision("t3.medium"), revision("m5.large")
	if !strings.Contains(small, "multus-a-") || !strings.Contains(small, "instance-type=t3.medium") || small == large || small != revision("t3.medium") {
		t.Errorf("revisions %q (t3.medium), %q (m5.large): want the zone's group and instance type, stable, and different", small, large)
	}
}

func mustRunMultus(t *testing.T, networks []multus.Network, aws func(*MultusAwsArgs) *MultusAwsArgs) *plan.Plan {
	t.Helper()
	p, err := runMultus(t, networks, aws)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func asIs(a *MultusAwsArgs) *MultusAwsArgs { return a }

func TestMultusEniAndNadComeFromOnePlan(t *testing.T) {
	networks := chapterNetworks(t)
	p := mustRunMultus(t, networks, asIs)
	subnetA := get(t, p, typeSubnet, "vpc-private-eu-central-1a")
	sg := get(t, p, typeSg, "multus")
	eni := get(t, p, "aws:ec2/networkInterface:NetworkInterface", "multus-ipvlan-private-a")
	tags, _ := eni.Input("tags").(map[string]any)
	for k, v := range map[string]string{"multus": "true", "Zone": "eu-central-1a", "multus-network": "ipvlan-private-a", "node.k8s.amazonaws.com/no_manage": "true", "cluster": "chapter"} {
		if tags[k] != v {
			t.Errorf("ENI tag %s = %v, want %s", k, tags[k], v)
		}
	}
	hasInputs(t, eni, map[string]any{"subnetId": subnetA.ID, "sourceDestCheck": false, "securityGroups": []any{sg.ID}})
	var reservations []string
	for _, r := range p.ByType("aws:ec2/subnetCidrReservation:SubnetCidrReservation") {
		hasInputs(t, r, map[string]any{"subnetId": subnetA.ID, "reservationType": "explicit"})
		if !eni.DependsOn(r.URN) {
			t.Errorf("the ENI does not wait for reservation %s", r.Name)
		}
		reservations = append(reservations, r.String("cidrBlock"))
	}
	prefixes := eni.Input("ipv4Prefixes").([]any)
	if !slices.Equal(reservations, []string{"192.168.96.16/28", "192.168.96.32/28"}) || !reflect.DeepEqual(prefixes, []any{"192.168.96.16/28", "192.168.96.32/28"}) {
		t.Errorf("reservations %v, ENI prefixes %v", reservations, prefixes)
	}

	// The NAD's range lies on the ENI's prefixes: pod addresses route in the VPC.
	nad := get(t, p, "kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition", "multus-ipvlan-private-a")
	var config multus.IpvlanConfig
	if err := json.Unmarshal([]byte(nad.String("spec.config")), &config); err != nil {
		t.Fatal(err)
	}
	first, last := netip.MustParseAddr(config.IPAM.RangeStart), netip.MustParseAddr(config.IPAM.RangeEnd)
	for _, a := range []netip.Addr{first, last} {
		covered := false
		for _, pfx := range prefixes {
			covered = covered || netip.MustParsePrefix(pfx.(string)).Contains(a)
		}
		if !covered {
			t.Errorf("NAD address %s is on none of the ENI's prefixes %v", a, prefixes)
		}
	}
	if config.Master != "multus" || config.Mode != "l3" || config.IPAM.Subnet != "192.168.96.0/19" || config.IPAM.Gateway != "192.168.96.1" {
		t.Errorf("NAD config %+v", config)
	}
	if crd := get(t, p, "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "multus-nad-crd"); !nad.DependsOn(crd.URN) {
		t.Error("the NAD does not wait for its CRD")
	}
	for _, r := range p.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
		if r.String("securityGroupId") == sg.ID && (r.Input("cidrIpv4") != nil || r.String("referencedSecurityGroupId") != sg.ID) {
			t.Errorf("Multus ingress rule %s lets in more than the group itself: %v", r.Name, r.Inputs)
		}
	}
}

func TestMultusNodeGroupAttachesTheEni(t *testing.T) {
	p := mustRunMultus(t, chapterNetworks(t), asIs)
	eni := get(t, p, "aws:ec2/networkInterface:NetworkInterface", "multus-ipvlan-private-a")
	ng := get(t, p, typeNodeGroup, "multus-nodes-a")
	subnetA := get(t, p, typeSubnet, "vpc-private-eu-central-1a")
	lt := get(t, p, typeLaunchTpl, "multus-nodes-a")
	hasInputs(t, ng, map[string]any{"nodeGroupName": chapterNodeGroupName("multus-a", true, chapterPrivateSubnets[0]), "subnetIds": []any{subnetA.ID},
		"scalingConfig.minSize": 1, "scalingConfig.desiredSize": 1, "scalingConfig.maxSize": 1, "launchTemplate.id": lt.ID})
	// The node labels itself once its ENI is attached (multus.AttachedLabelPatch); a label from the
	// node group would let Multus pods onto a replacement node that is still waiting for the ENI.
	if labels, ok := ng.Input("labels").(map[string]any); ok && len(labels) > 0 {
		t.Errorf("Multus node group labels %v, want none", labels)
	}
	// Its nodes register tainted, so only Multus workloads and DaemonSets land there, before the ENI
	// or after (multus.NodeTaint).
	hasInputs(t, ng, map[string]any{"taints": []any{map[string]any{"key": multus.NodeLabel, "value": "true", "effect": "NO_SCHEDULE"}}})
	// Destroy removes the node (and the attachment Pulumi never saw) before the ENI; the attach policy
	// is in place before the node boots.
	policy := get(t, p, typeRolePolicy, "multus-attach-eni")
	for _, dep := range []plan.Resource{eni, policy, get(t, p, typeAddon, "cluster-vpc-cni"), get(t, p, typeAddon, "cluster-kube-proxy"), get(t, p, typeAccessEntry, "cluster-nodes")} {
		if !ng.DependsOn(dep.URN) {
			t.Errorf("the Multus node group does not depend on %s %s", dep.Type, dep.Name)
		}
	}
	if lt.Input("metadataOptions.httpTokens") != "required" {
		t.Errorf("Multus launch template metadata %v", lt.Input("metadataOptions"))
	}
	// The recommended AL2023 AMI by id, so EKS merges nothing into the user data, the AMI type EKS
	// takes with it, and no version (EKS takes none with an image id).
	if !strings.HasPrefix(lt.String("imageId"), "ami-0") || ng.Input("amiType") != "CUSTOM" || ng.Input("version") != nil {
		t.Errorf("Multus launch template image %q, node group AMI type %v", lt.String("imageId"), ng.Input("amiType"))
	}
	raw, err := base64.StdEncoding.DecodeString(lt.String("userData"))
	if err != nil {
		t.Fatal(err)
	}
	configs := nodeConfigs(t, string(raw))
	if len(configs) != 1 {
		t.Fatalf("%d NodeConfig parts, want exactly one", len(configs))
	}
	c := configs[0].Spec
	if c.Cluster.Name != "chapter" || !strings.HasPrefix(c.Cluster.APIServerEndpoint, "https://") || c.Cluster.CertificateAuthority != plan.MockCertificateAuthorityData ||
		c.Cluster.CIDR != "172.20.0.0/16" || c.Kubelet.MaxPodsExpression != "12" {
		t.Errorf("NodeConfig %+v", c)
	}
	want, _ := multus.UserData(multus.UserDataParams{ClusterName: "chapter", Zone: "eu-central-1a", Network: "ipvlan-private-a", Region: "eu-central-1", NodeGroup: chapterNodeGroupName("multus-a", true, chapterPrivateSubnets[0]), MaxPods: 12,
		Endpoint: c.Cluster.APIServerEndpoint, CertificateAuthority: plan.MockCertificateAuthorityData, ServiceCidr: "172.20.0.0/16"})
	if string(raw) != want {
		t.Errorf("user data differs from multus.UserData's for the zone")
	}

	nodeRole := get(t, p, typeRole, "cluster-nodes")
	if policy.String("role") != nodeRole.ID || !strings.Contains(policy.String("policy"), `"aws:ResourceTag/cluster":"chapter"`) {
		t.Errorf("attach policy %v on role %s", policy.Inputs, policy.String("role"))
	}
	pod := get(t, p, "kubernetes:apps/v1:Deployment", "multus-demo")
	if pod.String("metadata.name") != "multus-pod" || !pod.DependsOn(ng.URN) || pod.String("spec.strategy.type") != "Recreate" ||
		pod.String("spec.template.spec.hostname") != "multus-pod" {
		t.Errorf("demo deployment %v deps %v", pod.Inputs, pod.Dependencies)
	}
	annotations, _ := pod.Input("spec.template.metadata.annotations").(map[string]any)
	selector, _ := pod.Input("spec.template.spec.nodeSelector").(map[string]any)
	if annotations["k8s.v1.cni.cncf.io/networks"] != "ipvlan-private-a" || selector["topology.kubernetes.io/zone"] != "eu-central-1a" || selector[multus.NodeLabel] != "true" ||
		selector[multus.NetworkLabel] != "ipvlan-private-a" {
		t.Errorf("demo pod annotations %v node selector %v", annotations, selector)
	}
	if ds := get(t, p, "kubernetes:apps/v1:DaemonSet", "multus-daemonset"); !strings.HasSuffix(ds.String("metadata.name"), "kube-multus-ds") {
		t.Errorf("DaemonSet %v", ds.Inputs["metadata"])
	}
}

func TestMultusSecondaryAddressesAndInstances(t *testing.T) {
	networks := chapterNetworks(t, "192.168.96.20-192.168.96.24")
	p := mustRunMultus(t, networks, func(a *MultusAwsArgs) *MultusAwsArgs {
		// Index 1, the lowest a secondary interface may take, where the instance has it free.
		a.Attachment, a.InstanceIds, a.DeviceIndexes = multus.AttachInstances, []string{"i-0123456789abcdef0"}, []int{1}
		return a
	})
	eni := get(t, p, "aws:ec2/networkInterface:NetworkInterface", "multus-ipvlan-private-a")
	if eni.Input("privateIpListEnabled") != true || !reflect.DeepEqual(eni.Input("privateIpLists"),
		[]any{"192.168.96.19", "192.168.96.20", "192.168.96.21", "192.168.96.22", "192.168.96.23", "192.168.96.24"}) {
		t.Errorf("ENI addresses %v %v", eni.Input("privateIpListEnabled"), eni.Input("privateIpLists"))
	}
	attachment := get(t, p, "aws:ec2/networkInterfaceAttachment:NetworkInterfaceAttachment", "multus-ipvlan-private-a")
	hasInputs(t, attachment, map[string]any{"deviceIndex": 1, "instanceId": "i-0123456789abcdef0", "networkInterfaceId": eni.ID})
	if demo := get(t, p, "kubernetes:apps/v1:Deployment", "multus-demo"); !demo.DependsOn(attachment.URN) {
		t.Errorf("multus-pod does not wait for the ENI's attachment: %v", demo.Dependencies)
	}
	if d := attachment.DeleteBeforeReplace; d == nil || !*d {
		t.Error("a replaced attachment would take the index its predecessor still holds: it must be deleted first")
	}
	if n := len(p.ByType(typeNodeGroup)); n != 1 {
		t.Errorf("%d node groups, want only the cluster's with fixed instances", n)
	}
	if _, err := p.Get(typeRolePolicy, "multus-attach-eni"); err == nil {
		t.Error("fixed instances need no attach policy on the node role")
	}
}

func TestMultusWithoutAws(t *testing.T) {
	p := mustRunMultus(t, chapterNetworks(t), func(*MultusAwsArgs) *MultusAwsArgs { return nil })
	component := get(t, p, MultusNetworkType, "multus")
	var got []string
	for _, r := range p.Children(component.URN) {
		got = append(got, r.Type+" "+r.Name)
	}
	slices.Sort(got)
	want := []string{
		"kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition multus-nad-crd",
		"kubernetes:apps/v1:DaemonSet multus-daemonset",
		"kubernetes:apps/v1:Deployment multus-demo",
		"kubernetes:core/v1:ConfigMap multus-daemon-config",
		"kubernetes:core/v1:ServiceAccount multus-service-account",
		"kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition multus-ipvlan-private-a",
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRole multus-cluster-role",
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding multus-cluster-role-binding",
	}
	if !slices.Equal(got, want) {
		t.Errorf("bring-your-own-cluster Multus registers\n%s\nwant exactly\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMultusRefusesBadArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		aws  func(*MultusAwsArgs) *MultusAwsArgs
		says string
	}{
		{"instances without ids", func(a *MultusAwsArgs) *MultusAwsArgs { a.Attachment = multus.AttachInstances; return a }, "one instance per Multus zone (1)"},
		{"bad instance id", func(a *MultusAwsArgs) *MultusAwsArgs {
			a.Attachment, a.InstanceIds = multus.AttachInstances, []string{"instance-1"}
			return a
		}, "not an instance id"},
		{"an instance without its device index", func(a *MultusAwsArgs) *MultusAwsArgs {
			a.Attachment, a.InstanceIds = multus.AttachInstances, []string{"i-0123456789abcdef0"}
			return a
		}, "one index of 1 or more per instance"},
		{"the primary interface's index", func(a *MultusAwsArgs) *MultusAwsArgs {
			a.Attachment, a.InstanceIds, a.DeviceIndexes = multus.AttachInstances, []string{"i-0123456789abcdef0"}, []int{0}
			return a
		}, "one index of 1 or more per instance"},
		{"unknown attachment", func(a *MultusAwsArgs) *MultusAwsArgs { a.Attachment = "lambda"; return a }, "node-group or instances"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := runMultus(t, chapterNetworks(t), tc.aws)
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want one saying %q", err, tc.says)
			}
			if _, err := p.Get(MultusNetworkType, "multus"); err == nil {
				t.Error("registered the component before refusing")
			}
		})
	}
}

// nodeConfigs are the NodeConfig documents of MIME user data, in order.
func nodeConfigs(t *testing.T, userData string) []nodeadm.NodeConfig {
	t.Helper()
	configs, err := nodeadm.NodeConfigs(userData)
	if err != nil {
		t.Fatal(err)
	}
	return configs
}

// The Multus node group starts beside the cluster's own: nothing on its path of dependencies leads to
// that group or to CoreDNS, which waits for it (about four minutes of node boot otherwise).
func TestMultusNodeGroupBootsBesideTheClusters(t *testing.T) {
	p := mustRunMultus(t, chapterNetworks(t), asIs)
	ng := get(t, p, typeNodeGroup, "multus-nodes-a")
	for _, late := range []plan.Resource{get(t, p, typeNodeGroup, "cluster-ipv4mng"), get(t, p, typeAddon, "cluster-coredns")} {
		if dependsTransitively(p, ng, late.URN) {
			t.Errorf("the Multus node group waits for %s %s", late.Type, late.Name)
		}
	}
}

func dependsTransitively(p *plan.Plan, r plan.Resource, urn string) bool {
	seen := map[string]bool{}
	var walk func(plan.Resource) bool
	walk = func(r plan.Resource) bool {
		for _, d := range r.Dependencies {
			if d == urn {
				return true
			}
			if seen[d] {
				continue
			}
			seen[d] = true
			if dep, ok := p.ByURN(d); ok && walk(dep) {
				return true
			}
		}
		return false
	}
	return walk(r)
}

// The check command reads the demo pod's secondary interface and names the address it expects.
func TestMultusCheckCommands(t *testing.T) {
	p, err := plan.Run(plan.Options{Project: "test", Stack: "test", Config: map[string]string{"aws:region": "eu-central-1"}},
		func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
			m, err := newChapterMultus(ctx, chapterNetworks(t), asIs)
			if err != nil {
				return nil, err
			}
			return map[string]pulumi.Output{"commands": m.CheckCommands}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	// The first address of the default range in the first private subnet, 192.168.96.0/19.
	want := []any{"kubectl exec -n default deploy/multus-pod -- ip addr show net1   # expect inet 192.168.96.20/19"}
	if !reflect.DeepEqual(p.Outputs["commands"], want) {
		t.Errorf("check commands %v, want %v", p.Outputs["commands"], want)
	}
}
