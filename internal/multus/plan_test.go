package multus

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/nodeadm"
)

var privateSubnets = []Subnet{
	{"eu-central-1a", "192.168.96.0/19"}, {"eu-central-1b", "192.168.128.0/19"}, {"eu-central-1c", "192.168.160.0/19"},
}

func chapter() Input {
	return Input{NetworkPrefix: "ipvlan-private", Subnets: privateSubnets, NodesPerAz: 1, Node: nodeOf("t3.medium")}
}

// nodeOf are an instance type's facts as clusterspec.Settings.NodeFacts looks them up, for a type
// the cluster's settings would refuse too.
func nodeOf(name string) clusterspec.NodeFacts {
	it, _ := clusterspec.ParseInstanceType(name)
	it.Name = name
	eni, err := clusterspec.LookupEniLimit(name)
	return clusterspec.NodeFacts{Instance: it, Eni: eni, EniErr: err}
}

// The chapter's preset reproduces its NAD exactly.
func TestChapterNad(t *testing.T) {
	networks, err := Plan(chapter())
	if err != nil {
		t.Fatal(err)
	}
	if len(networks) != 1 {
		t.Fatalf("%d networks, want the first AZ's only", len(networks))
	}
	nad, err := networks[0].NetworkAttachmentDefinition()
	if err != nil {
		t.Fatal(err)
	}
	if nad.Name != "ipvlan-private-a" || nad.APIVersion != "k8s.cni.cncf.io/v1" || nad.Kind != "NetworkAttachmentDefinition" {
		t.Errorf("NAD %s %s/%s", nad.Name, nad.APIVersion, nad.Kind)
	}
	want := `{"cniVersion":"0.3.1","type":"ipvlan","master":"multus","mode":"l3","ipam":{"type":"host-local","subnet":"192.168.96.0/19","rangeStart":"192.168.96.20","rangeEnd":"192.168.96.40","gateway":"192.168.96.1"}}`
	if nad.Spec.Config != want {
		t.Errorf("NAD config\n got %s\nwant %s", nad.Spec.Config, want)
	}
	// 21 addresses do not fit a t3.medium ENI's 5 secondary slots, so they ride on two /28 prefixes,
	// which are also what the subnet reserves.
	eni := networks[0].Eni
	wantPrefixes := []netip.Prefix{netip.MustParsePrefix("192.168.96.16/28"), netip.MustParsePrefix("192.168.96.32/28")}
	if fmt.Sprint(eni.Prefixes) != fmt.Sprint(wantPrefixes) || len(eni.SecondaryIps) != 0 || eni.PrimaryIp.IsValid() ||
		fmt.Sprint(networks[0].Reservations) != fmt.Sprint(wantPrefixes) || eni.Slots() != 2 {
		t.Errorf("ENI %+v reservations %v", eni, networks[0].Reservations)
	}
}

func TestSmallRangeUsesSecondaryAddresses(t *testing.T) {
	in := chapter()
	in.Zones = []string{"eu-central-1b", "eu-central-1c"}
	in.Ranges = []string{"192.168.128.20-192.168.128.24", "192.168.160.100-192.168.160.140"}
	networks, err := Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	b := networks[0]
	if b.Name != "ipvlan-private-b" || b.Eni.PrimaryIp.String() != "192.168.128.19" || len(b.Eni.SecondaryIps) != 5 ||
		b.Eni.SecondaryIps[4].String() != "192.168.128.24" || len(b.Eni.Prefixes) != 0 {
		t.Errorf("network b %+v", b)
	}
	// The reservation covers the primary and the five pod addresses, and nothing else.
	if got := fmt.Sprint(b.Reservations); got != "[192.168.128.19/32 192.168.128.20/30 192.168.128.24/32]" {
		t.Errorf("reservations %s", got)
	}
	c := networks[1]
	if c.Name != "ipvlan-private-c" || fmt.Sprint(c.Eni.Prefixes) != "[192.168.160.96/28 192.168.160.112/28 192.168.160.128/28]" {
		t.Errorf("network c %+v", c)
	}
}

func TestExpectedAddresses(t *testing.T) {
	networks, _ := Plan(chapter())
	n := networks[0]
	for i, want := range map[int]string{0: "192.168.96.20", 1: "192.168.96.21", 20: "192.168.96.40"} {
		if got, err := n.ExpectedAddress(i); got != want || err != nil {
			t.Errorf("address %d = %s %v, want %s", i, got, err, want)
		}
	}
	if _, err := n.ExpectedAddress(21); err == nil {
		t.Error("a 22nd address exists")
	}
}

func TestPlanRejects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Input)
		field  string
		says   string
	}{
		{"range outside the subnet", func(in *Input) { in.Ranges = []string{"192.168.200.20-192.168.200.40"} }, KeyRanges, "outside the subnet"},
		{"range over the AWS-reserved addresses", func(in *Input) { in.Ranges = []string{"192.168.96.2-192.168.96.10"} }, KeyRanges, "first four"},
		{"range backwards", func(in *Input) { in.Ranges = []string{"192.168.96.40-192.168.96.20"} }, KeyRanges, "ends before it starts"},
		{"not a range", func(in *Input) { in.Ranges = []string{"192.168.96.20"} }, KeyRanges, "first-last"},
		{"more slots than the ENI has", func(in *Input) { in.Ranges = []string{"192.168.96.16-192.168.97.255"} }, KeyRanges, "5 secondary slots"},
		{"zone without a subnet", func(in *Input) { in.Zones = []string{"eu-central-1d"} }, KeyAvailabilityZones, "no Multus subnet"},
		{"zone twice: overlapping ranges", func(in *Input) {
			in.Zones = []string{"eu-central-1a", "eu-central-1a"}
			in.Ranges = []string{"192.168.96.20-192.168.96.40", "192.168.96.30-192.168.96.50"}
		}, KeyAvailabilityZones, "listed twice"},
		{"ranges and zones disagree", func(in *Input) { in.Ranges = []string{"192.168.96.20-192.168.96.40", "192.168.128.20-192.168.128.40"} }, KeyRanges, "2 ranges for 1 zones"},
		{"two nodes share host-local", func(in *Input) { in.NodesPerAz = 2 }, KeyNodesPerAz, "same addresses"},
		{"instance type EC2 does not have", func(in *Input) { in.Node = nodeOf("x9.huge") }, KeyInstanceType, "EC2 has no instance type x9.huge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := chapter()
			tc.mutate(&in)
			_, err := Plan(in)
			var fe *field.Error
			if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err = %v, want a %s error saying %q", err, tc.field, tc.says)
			}
		})
	}
}

// chapterUserData are the user data parameters of the chapter's Multus node in eu-central-1a.
var chapterUserData = UserDataParams{
	ClusterName: "eks-ipv4-multus", Zone: "eu-central-1a", Network: "ipvlan-private-a", Region: "eu-central-1", NodeGroup: "multus-a", MaxPods: 12,
	Endpoint: "https://0123456789ABCDEF.gr7.eu-central-1.eks.amazonaws.com", CertificateAuthority: "bW9jay1jYQ==", ServiceCidr: "172.20.0.0/16",
}

func TestUserData(t *testing.T) {
	ud, err := UserData(chapterUserData)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := nodeadm.Parts(ud)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 || parts[0].ContentType != "application/node.eks.aws" || !strings.HasPrefix(parts[1].ContentType, "text/x-shellscript") {
		t.Fatalf("parts %+v", parts)
	}
	bodies := []string{parts[0].Body, parts[1].Body}
	// One complete NodeConfig: with the AMI named in the launch template EKS adds none, so this is
	// what nodeadm merges, and maxPods is ours.
	var nc nodeadm.NodeConfig
	if err := yaml.UnmarshalStrict([]byte(bodies[0]), &nc); err != nil {
		t.Fatal(err)
	}
	want := nodeadm.NodeConfig{APIVersion: "node.eks.aws/v1alpha1", Kind: "NodeConfig", Spec: nodeadm.NodeConfigSpec{
		Cluster: nodeadm.ClusterDetails{Name: "eks-ipv4-multus", APIServerEndpoint: chapterUserData.Endpoint, CertificateAuthority: "bW9jay1jYQ==", CIDR: "172.20.0.0/16"},
		Kubelet: nodeadm.KubeletOptions{MaxPodsExpression: "12", Flags: []string{"--node-labels=eks.amazonaws.com/nodegroup=multus-a"}},
	}}
	if !reflect.DeepEqual(nc, want) {
		t.Errorf("NodeConfig\n got %+v\nwant %+v", nc, want)
	}
	for _, want := range []string{"cat >\"$root" + AttachScriptPath + "\"", "cat >\"$root" + UnitPath + "\"", "systemctl enable multus-eni.service", AttachEniScript, MultusEniUnit} {
		if !strings.Contains(bodies[1], want) {
			t.Errorf("installer lacks %q", want)
		}
	}
	if again, _ := UserData(chapterUserData); again != ud {
		t.Error("user data differs between two calls")
	}
	for _, bad := range []func(p *UserDataParams){
		func(p *UserDataParams) { p.ClusterName = "x; rm -rf /" },
		func(p *UserDataParams) { p.Endpoint = "https://x.example/$(reboot)" },
		func(p *UserDataParams) { p.Endpoint = "http://x.example" },
		func(p *UserDataParams) { p.ServiceCidr = "" },
		func(p *UserDataParams) { p.Network = "" },
		func(p *UserDataParams) { p.Network = "a$(reboot)" },
	} {
		p := chapterUserData
		bad(&p)
		if _, err := UserData(p); err == nil {
			t.Errorf("accepted %+v", p)
		}
	}
}

func TestAttachedLabelPatch(t *testing.T) {
	patch, err := AttachedLabelPatch("ipvlan-private-a")
	if err != nil || patch != `{"metadata":{"labels":{"eks-advanced-networking/multus":"true","eks-advanced-networking/multus-network":"ipvlan-private-a"}}}` {
		t.Errorf("patch %s %v", patch, err)
	}
	// A label value has at most 63 characters.
	if patch, err := AttachedLabelPatch("ipvlan-" + strings.Repeat("x", 57)); err == nil || !strings.Contains(err.Error(), "not a label value") {
		t.Errorf("a 64-character network: %s %v", patch, err)
	}
}

func TestDaemonConfigIsJson(t *testing.T) {
	cm, err := ConfigMap()
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal([]byte(cm.Data["daemon-config.json"]), &c); err != nil || c["multusMasterCNI"] != "10-aws.conflist" {
		t.Errorf("daemon config %v %v", c, err)
	}
	image, err := EksImage("eu-central-1", MultusImageTag)
	if err != nil || image != "602401143452.dkr.ecr.eu-central-1.amazonaws.com/eks/multus-cni:v4.1.4-eksbuild.3_thick" {
		t.Fatalf("image %s %v", image, err)
	}
	ds := DaemonSet(image)
	if ds.Spec.Template.Spec.Containers[0].Image != image || ds.Spec.Template.Spec.InitContainers[0].Command[1] != "-f" ||
		ds.Spec.Template.Spec.Containers[0].Resources.Limits.Memory().String() != "200Mi" {
		t.Errorf("DaemonSet differs from AWS's v4.1.4-eksbuild.3 thick manifest")
	}
}

// multus-pod is recreated when its network's configuration changes, and only then: a new range
// changes its template (Multus gave the running pod an address of the old range, which the ENI no
// longer holds); the same network keeps the digest.
func TestDemoPodFollowsItsNetworksConfiguration(t *testing.T) {
	digestOf := func(in Input) string {
		t.Helper()
		networks, err := Plan(in)
		if err != nil {
			t.Fatal(err)
		}
		d, err := DemoDeployment(networks[0], "busybox:1.37")
		if err != nil {
			t.Fatal(err)
		}
		return d.Spec.Template.Annotations[NetworkConfigAnnotation]
	}
	moved := chapter()
	moved.Subnets = privateSubnets[:1]
	moved.Ranges = []string{"192.168.96.50-192.168.96.70"}
	chapterOne := chapter()
	chapterOne.Subnets = privateSubnets[:1]
	if a, b := digestOf(chapterOne), digestOf(chapterOne); a == "" || a != b {
		t.Errorf("the same network gives the digests %q and %q", a, b)
	}
	if a, b := digestOf(chapterOne), digestOf(moved); a == b {
		t.Errorf("a new range keeps multus-pod's template (digest %q)", a)
	}
}
