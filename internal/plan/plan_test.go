package plan

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"sigs.k8s.io/yaml"
)

type generic struct{ pulumi.CustomResourceState }

type group struct{ pulumi.ResourceState }

// program registers a component with two custom children: a Kubernetes namespace and a resource with
// a secret input, and returns a secret and a plain output.
func program(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
	var g group
	if err := ctx.RegisterComponentResource("test:index:Group", "g", &g); err != nil {
		return nil, err
	}
	var ns generic
	if err := ctx.RegisterResource("kubernetes:core/v1:Namespace", "demo", pulumi.Map{
		"apiVersion": pulumi.String("v1"), "kind": pulumi.String("Namespace"),
		"metadata": pulumi.Map{"name": pulumi.String("deploy1")},
	}, &ns, pulumi.Parent(&g)); err != nil {
		return nil, err
	}
	var secretHolder generic
	if err := ctx.RegisterResource("aws:ec2/vpc:Vpc", "vpc", pulumi.Map{
		"cidrBlock": pulumi.String("10.0.0.0/16"), "password": pulumi.ToSecret(pulumi.String("hunter2")),
	}, &secretHolder, pulumi.Parent(&g), pulumi.DependsOn([]pulumi.Resource{&ns})); err != nil {
		return nil, err
	}
	return map[string]pulumi.Output{
		"urn":    ns.URN().ToStringOutput(),
		"token":  pulumi.ToSecret(pulumi.String("t")).(pulumi.StringOutput),
		"vpcIds": pulumi.StringArray{secretHolder.ID().ToStringOutput()}.ToStringArrayOutput(),
	}, nil
}

func runProgram(t *testing.T) *Plan {
	t.Helper()
	p, err := Run(Options{Project: "proj", Stack: "dev", Config: map[string]string{"aws:region": "eu-central-1"}}, program)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRecorderSeesWhatTheEngineSees(t *testing.T) {
	p := runProgram(t)
	if len(p.Resources) != 3 {
		t.Fatalf("recorded %d resources, want 3", len(p.Resources))
	}
	g, err := p.Get("test:index:Group", "g")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := p.Get("kubernetes:core/v1:Namespace", "demo")
	if err != nil {
		t.Fatal(err)
	}
	vpc, err := p.Get("aws:ec2/vpc:Vpc", "vpc")
	if err != nil {
		t.Fatal(err)
	}
	// Our URNs must be the engine's, or dependencies and parents would point nowhere.
	if p.Outputs["urn"] != ns.URN || ns.URN != "urn:pulumi:dev::proj::test:index:Group$kubernetes:core/v1:Namespace::demo" {
		t.Errorf("namespace URN %s, engine says %v", ns.URN, p.Outputs["urn"])
	}
	if ns.Parent != g.URN || vpc.Parent != g.URN || g.Custom || g.ID != "" || !vpc.Custom {
		t.Errorf("parents/custom wrong: %+v %+v %+v", g, ns, vpc)
	}
	if !vpc.DependsOn(ns.URN) {
		t.Errorf("vpc dependencies %v lack the namespace", vpc.Dependencies)
	}
	if !strings.HasPrefix(vpc.ID, "vpc-0") || len(vpc.ID) != len("vpc-0")+16 {
		t.Errorf("vpc id %q does not look like an AWS VPC id", vpc.ID)
	}
	if vpc.Inputs["password"] != Secret || vpc.Inputs["cidrBlock"] != "10.0.0.0/16" {
		t.Errorf("vpc inputs %v: want the password hidden and the CIDR shown", vpc.Inputs)
	}
	if p.Outputs["token"] != Secret {
		t.Errorf("secret output shown as %v", p.Outputs["token"])
	}
	if ids, _ := p.Outputs["vpcIds"].([]any); len(ids) != 1 || ids[0] != vpc.ID {
		t.Errorf("vpcIds output %v, want [%s]", p.Outputs["vpcIds"], vpc.ID)
	}
}

func TestPlanOutputIsStable(t *testing.T) {
	render := func() []byte {
		var b bytes.Buffer
		p := runProgram(t)
		if err := p.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		if err := p.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	first := render()
	if again := render(); !bytes.Equal(first, again) {
		t.Errorf("two runs differ:\n%s\n---\n%s", first, again)
	}
	if !bytes.Contains(first, []byte("password: <secret>")) || bytes.Contains(first, []byte("hunter2")) {
		t.Errorf("the text view leaks or misses the secret:\n%s", first)
	}
}

func TestWriteManifests(t *testing.T) {
	dir := t.TempDir()
	n, err := runProgram(t).WriteManifests(dir)
	if err != nil || n != 1 {
		t.Fatalf("wrote %d manifests, err %v; want the one namespace", n, err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "namespace-cluster-deploy1.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	if obj["kind"] != "Namespace" || obj["apiVersion"] != "v1" || obj["metadata"].(map[string]any)["name"] != "deploy1" {
		t.Errorf("manifest = %v", obj)
	}
}

func TestMissingStackFileNamesTheStacks(t *testing.T) {
	dir := t.TempDir()
	for file, content := range map[string]string{"Pulumi.yaml": "name: proj\nruntime: go\n", "Pulumi.dev.yaml": "config: {}\n"} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := LoadStack(dir, "prod")
	if err == nil || !strings.Contains(err.Error(), "dev") {
		t.Errorf("err = %v, want one listing the dev stack", err)
	}
}
