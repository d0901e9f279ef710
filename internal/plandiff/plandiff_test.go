package plandiff

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"eks-advanced-networking/internal/plan"
)

const urnPrefix = "urn:pulumi:dev::eks-advanced-networking::"

func res(typ, name, id string, inputs map[string]any) plan.Resource {
	return plan.Resource{URN: urnPrefix + typ + "::" + name, Type: typ, Name: name, ID: id, Custom: id != "", Inputs: inputs}
}

func remote(typ, name string, inputs map[string]any) plan.Resource {
	return plan.Resource{URN: urnPrefix + typ + "::" + name, Type: typ, Name: name, Remote: true, Inputs: inputs}
}

func planOf(rs ...plan.Resource) *plan.Plan {
	p := &plan.Plan{Format: plan.FormatVersion, Stack: "dev", Resources: rs}
	// Plans are sorted by URN, which Compare relies on.
	for i := range p.Resources {
		for j := i + 1; j < len(p.Resources); j++ {
			if p.Resources[j].URN < p.Resources[i].URN {
				p.Resources[i], p.Resources[j] = p.Resources[j], p.Resources[i]
			}
		}
	}
	return p
}

func ops(s Stack) map[string]string {
	out := map[string]string{}
	for _, st := range s.Steps {
		op := st.Op.String()
		if st.MayReplace {
			op += "?"
		}
		out[st.Resource.Name] = op
	}
	return out
}

func wantOps(t *testing.T, s Stack, want map[string]string) {
	t.Helper()
	got := ops(s)
	for name, op := range want {
		if got[name] != op {
			t.Errorf("%s: %q, want %q (all: %v)", name, got[name], op, got)
		}
	}
	for name, op := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: %q, want no change", name, op)
		}
	}
}

// A network as the plans hold it: a subnet, a NAT gateway in it, a route through the NAT gateway,
// the subnet's route table association, a launch template and a node group in the subnet.
func network(cidr, instanceType string, diskSize float64) *plan.Plan {
	return planOf(
		res("aws:ec2/subnet:Subnet", "private-a", "subnet-0aaaaaaaaaaaaaaaa", map[string]any{"cidrBlock": cidr, "vpcId": "vpc-0bbbbbbbbbbbbbbbb"}),
		res("aws:ec2/natGateway:NatGateway", "nat", "nat-0ccccccccccccccccc", map[string]any{"subnetId": "subnet-0aaaaaaaaaaaaaaaa", "allocationId": "eipalloc-0dddddddddddd"}),
		res("aws:ec2/route:Route", "private-a-default", "r-0eeeeeeeeeeeeeeeee", map[string]any{"routeTableId": "rtb-0ffffffffffffffff", "natGatewayId": "nat-0ccccccccccccccccc", "destinationCidrBlock": "0.0.0.0/0"}),
		res("aws:ec2/routeTableAssociation:RouteTableAssociation", "private-a", "rtbassoc-0111111111111", map[string]any{"routeTableId": "rtb-0ffffffffffffffff", "subnetId": "subnet-0aaaaaaaaaaaaaaaa"}),
		res("aws:ec2/launchTemplate:LaunchTemplate", "nodes-lt", "lt-0222222222222222", map[string]any{"blockDeviceMappings": []any{map[string]any{"ebs": map[string]any{"volumeSize": diskSize}}}}),
		remote("eks:index:ManagedNodeGroup", "nodes", map[string]any{
			"instanceTypes":  []any{instanceType},
			"subnetIds":      []any{"subnet-0aaaaaaaaaaaaaaaa"},
			"launchTemplate": map[string]any{"id": "lt-0222222222222222", "version": "1"},
		}),
	)
}

func TestUnchangedPlansChangeNothing(t *testing.T) {
	r := Compare(map[string]*plan.Plan{"dev": network("10.0.0.0/19", "t3.medium", 20)}, map[string]*plan.Plan{"dev": network("10.0.0.0/19", "t3.medium", 20)})
	if r.Changed() || len(r.Stacks[0].Steps) != 0 || r.Stacks[0].Unchanged != 6 {
		t.Errorf("%+v", r.Stacks[0])
	}
	var b bytes.Buffer
	if err := r.WriteMarkdown(&b); err != nil || !strings.Contains(b.String(), "No stack changes.") {
		t.Errorf("%v\n%s", err, b.String())
	}
}

// A subnet's new block replaces it, and its new id replaces what holds that id in an input that
// forces replacement: the NAT gateway (subnetId), the association (subnetId), the node group
// (subnetIds). The route takes the new NAT gateway's id in place. The engine does the same, since a
// replaced resource's id is unknown until it exists.
func TestAReplacementReachesWhatNamesItsId(t *testing.T) {
	r := Compare(map[string]*plan.Plan{"dev": network("10.0.0.0/19", "t3.medium", 20)}, map[string]*plan.Plan{"dev": network("10.0.32.0/19", "t3.medium", 20)})
	s := r.Stacks[0]
	wantOps(t, s, map[string]string{
		"private-a":         "replace", // the subnet and the association share the name; both replace
		"nat":               "replace",
		"private-a-default": "update",
		"nodes":             "replace",
	})
	for _, st := range s.Steps {
		if st.Resource.Type == "aws:ec2/route:Route" {
			if len(st.Changes) != 1 || st.Changes[0].Path != "natGatewayId" || !strings.Contains(st.Changes[0].Because, "NatGateway nat is replaced") {
				t.Errorf("route changes %+v", st.Changes)
			}
		}
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "node group `nodes`") || !strings.Contains(s.Warnings[0], "subnetIds[0]") {
		t.Errorf("warnings %q", s.Warnings)
	}
}

// A launch template that changes gets a new latest version, which the node group rolls to in place.
func TestALaunchTemplateChangeRollsItsNodeGroup(t *testing.T) {
	r := Compare(map[string]*plan.Plan{"dev": network("10.0.0.0/19", "t3.medium", 20)}, map[string]*plan.Plan{"dev": network("10.0.0.0/19", "t3.medium", 40)})
	s := r.Stacks[0]
	if got := ops(s); len(got) != 2 || got["nodes"] != "update" || got["nodes-lt"] != "update" {
		t.Fatalf("ops %v, want the launch template and the node group updated", got)
	}
	for _, st := range s.Steps {
		if st.Resource.Type == "eks:index:ManagedNodeGroup" &&
			(len(st.Changes) != 1 || st.Changes[0].Path != "launchTemplate.version" || st.Changes[0].New != plan.Computed) {
			t.Errorf("node group changes %+v", st.Changes)
		}
	}
	if len(s.Warnings) != 0 {
		t.Errorf("an in-place roll is no warning: %q", s.Warnings)
	}
}

func TestAnInstanceTypeReplacesTheNodeGroupAndSaysWhy(t *testing.T) {
	r := Compare(map[string]*plan.Plan{"dev": network("10.0.0.0/19", "t3.medium", 20)}, map[string]*plan.Plan{"dev": network("10.0.0.0/19", "m5.large", 20)})
	wantOps(t, r.Stacks[0], map[string]string{"nodes": "replace"})
	var b bytes.Buffer
	_ = r.WriteMarkdown(&b)
	for _, want := range []string{
		"+- eks:index:ManagedNodeGroup  nodes  (replaces the aws:eks/nodeGroup:NodeGroup inside)",
		` ! instanceTypes[0]: "t3.medium" => "m5.large"  (forces replacement of the aws:eks/nodeGroup:NodeGroup inside: instanceTypes)`,
		"### dev: 1 to replace, 5 unchanged",
		"> [!WARNING]",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
}

// Where no rule knows, the report says the update may replace, and why it cannot tell.
func TestWhatTheRulesCannotTellIsSaid(t *testing.T) {
	chart := func(replicas float64) *plan.Plan {
		return planOf(remote("kubernetes:helm.sh/v4:Chart", "calico", map[string]any{"values": map[string]any{"replicas": replicas}}))
	}
	r := Compare(map[string]*plan.Plan{"dev": chart(1)}, map[string]*plan.Plan{"dev": chart(2)})
	wantOps(t, r.Stacks[0], map[string]string{"calico": "update?"})
	var b bytes.Buffer
	_ = r.WriteMarkdown(&b)
	for _, want := range []string{"(may be replaced: see the lines marked ?)", " ? values.replicas: 1 => 2  (pulumi-kubernetes renders", "1 of the updates may replace"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
}

// A JSON document held in a string is compared inside, so a reviewer sees the setting, not two
// long strings.
func TestJSONInAStringIsComparedInside(t *testing.T) {
	addon := func(egress string) *plan.Plan {
		return planOf(res("aws:eks/addon:Addon", "vpc-cni", "eks-dev:vpc-cni", map[string]any{
			"addonName": "vpc-cni", "configurationValues": `{"env":{"ENABLE_V4_EGRESS":"` + egress + `","WARM_PREFIX_TARGET":"1"}}`}))
	}
	r := Compare(map[string]*plan.Plan{"dev": addon("true")}, map[string]*plan.Plan{"dev": addon("false")})
	st := r.Stacks[0].Steps
	if len(st) != 1 || st[0].Op != Update || len(st[0].Changes) != 1 || st[0].Changes[0].Path != "configurationValues (JSON) env.ENABLE_V4_EGRESS" {
		t.Errorf("%+v", st)
	}
}

// A JSON document in an input that forces replacement replaces the resource, whichever key inside it
// changes: the rules are asked about the string that holds the document.
func TestAChangeInsideAJSONInputIsClassifiedByItsHolder(t *testing.T) {
	assoc := func(doc string) *plan.Plan {
		return planOf(res("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "admin", "eks-dev:arn:aws:iam::1:role/admin",
			map[string]any{"clusterName": "eks-dev", "principalArn": "arn:aws:iam::1:role/admin", "policyArn": doc}))
	}
	r := Compare(map[string]*plan.Plan{"dev": assoc(`{"scope":"cluster"}`)}, map[string]*plan.Plan{"dev": assoc(`{"scope":"namespace"}`)})
	st := r.Stacks[0].Steps
	if len(st) != 1 || st[0].Op != Replace || st[0].Changes[0].Path != "policyArn (JSON) scope" {
		t.Errorf("%+v", st)
	}
}

func TestAStackOnOneSideIsAddedOrRemoved(t *testing.T) {
	r := Compare(map[string]*plan.Plan{"old": network("10.0.0.0/19", "t3.medium", 20)}, map[string]*plan.Plan{"new": network("10.0.0.0/19", "t3.medium", 20)})
	if len(r.Stacks) != 2 {
		t.Fatalf("stacks %+v", r.Stacks)
	}
	added, removed := r.Stacks[0], r.Stacks[1]
	if !added.Added || added.Name != "new" || len(added.Steps) != 6 || added.Steps[0].Op != Create {
		t.Errorf("added %+v", added)
	}
	if !removed.Removed || removed.Name != "old" || len(removed.Steps) != 6 || removed.Steps[0].Op != Delete || len(removed.Warnings) == 0 {
		t.Errorf("removed %+v", removed)
	}
	var b bytes.Buffer
	_ = r.WriteMarkdown(&b)
	for _, want := range []string{"### new: new stack, 6 to create", "### old: stack removed, 6 to delete", "**old**: its stack file is gone: CI stops deploying it, but nothing destroys it"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
}

// A new resource that takes the unique name of one the same update deletes fails: the engine runs
// deletes last.
func TestANameTakenFromADeletedResourceIsFlagged(t *testing.T) {
	ns := func(parent string) *plan.Plan {
		r := res("kubernetes:core/v1:Namespace", "demo", "ns-0123456789", map[string]any{"metadata": map[string]any{"name": "demo"}})
		r.URN = urnPrefix + parent + "$kubernetes:core/v1:Namespace::demo"
		return planOf(r)
	}
	r := Compare(map[string]*plan.Plan{"dev": ns("eks-advanced-networking:cluster:Ipv6Cluster")}, map[string]*plan.Plan{"dev": ns("eks-advanced-networking:cluster:Ipv4Cluster")})
	w := r.Stacks[0].Warnings
	if len(w) != 1 || !strings.Contains(w[0], "takes the name `demo`") || !strings.Contains(w[0], "the create will fail") {
		t.Errorf("warnings %q", w)
	}
}

func TestLoadRefusesAnotherPlanFormat(t *testing.T) {
	dir := t.TempDir()
	data, _ := json.Marshal(map[string]any{"stack": "dev", "resources": []any{}})
	if err := os.WriteFile(filepath.Join(dir, "dev.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "plan format 0") || !strings.Contains(err.Error(), "reads format 1") {
		t.Errorf("Load = %v, want a refusal naming format 0 and format 1", err)
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing directory loads")
	}
}

func TestSecretsStayMasked(t *testing.T) {
	provider := func(kubeconfig string) *plan.Plan {
		return planOf(res("pulumi:providers:kubernetes", "k8s", "00000000-0000-0000-0000-000000000000", map[string]any{"kubeconfig": kubeconfig}))
	}
	// Plans mask secrets (plan.Secret), so a change inside one cannot show, and none is reported.
	r := Compare(map[string]*plan.Plan{"dev": provider(plan.Secret)}, map[string]*plan.Plan{"dev": provider(plan.Secret)})
	if r.Changed() {
		t.Errorf("%+v", r.Stacks)
	}
}
