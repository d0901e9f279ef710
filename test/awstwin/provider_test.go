package awstwin

import (
	"context"
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// testProvider is the provider over a fresh state file, with no waiting.
func testProvider(t *testing.T) *Provider {
	t.Helper()
	return &Provider{statePath: filepath.Join(t.TempDir(), "account.json"), region: "eu-central-1",
		now: time.Now, sleep: func(time.Duration) {}}
}

func props(m map[string]any) resource.PropertyMap { return resource.NewPropertyMapFromMap(m) }

// Check names what the program left unnamed as pulumi-aws does (name-<7 hex>, the same for the same
// URN and seed), keeps a name it gave before, records that it filled it in, and leaves the rest.
func TestCheckAutonames(t *testing.T) {
	p := testProvider(t)
	const urn = "urn:pulumi:s::p::aws:iam/role:Role::node"
	check := func(typ string, olds, news map[string]any, seed string) resource.PropertyMap {
		t.Helper()
		res, err := p.Check(context.Background(), plugin.CheckRequest{URN: resource.URN(urn), Name: "node", Type: tokens.Type(typ),
			Olds: props(olds), News: props(news), RandomSeed: []byte(seed)})
		if err != nil {
			t.Fatal(err)
		}
		return res.Properties
	}
	first := check(typeRole, nil, map[string]any{"assumeRolePolicy": "{}"}, "seed-1")
	name := first["name"].StringValue()
	if len(name) != len("node-")+7 || name[:5] != "node-" {
		t.Errorf("autoname %q, want node-<7 hex>", name)
	}
	if d := first[defaultsKey]; !d.IsArray() || d.ArrayValue()[0].StringValue() != "name" {
		t.Errorf("Check did not record the default it filled in: %v", d)
	}
	if again := check(typeRole, nil, map[string]any{}, "seed-1")["name"].StringValue(); again != name {
		t.Errorf("the same URN and seed gave %q, then %q", name, again)
	}
	if other := check(typeRole, nil, map[string]any{}, "seed-2")["name"].StringValue(); other == name {
		t.Errorf("another seed gave the same name %q", other)
	}
	if kept := check(typeRole, map[string]any{"name": "node-abc1234"}, map[string]any{}, "seed-3")["name"].StringValue(); kept != "node-abc1234" {
		t.Errorf("an update renamed the resource to %q instead of keeping node-abc1234", kept)
	}
	named := check(typeRole, nil, map[string]any{"name": "mine"}, "seed-1")
	if named["name"].StringValue() != "mine" || named.HasValue(defaultsKey) {
		t.Errorf("a name the program set was changed or marked a default: %v", named)
	}
	if vpc := check(typeVpc, nil, map[string]any{"cidrBlock": "10.0.0.0/16"}, "seed-1"); vpc.HasValue("name") || vpc.HasValue(defaultsKey) {
		t.Errorf("a VPC, which has no name, was given one: %v", vpc)
	}
}

// Diff: nothing changed is no change; a change AWS makes in place is an update; a change to an
// input pulumi-aws marks ForceNew replaces, deleting first only when the program set the unique
// name; an unknown value is a change; ignored and bookkeeping inputs are not.
func TestDiff(t *testing.T) {
	p := testProvider(t)
	for _, c := range []struct {
		name          string
		typ           string
		olds, news    map[string]any
		ignore        []string
		changes       plugin.DiffChanges
		changed, repl []string
		deleteFirst   bool
	}{
		{name: "same", typ: typeSubnet, olds: map[string]any{"cidrBlock": "10.0.0.0/24"}, news: map[string]any{"cidrBlock": "10.0.0.0/24"},
			changes: plugin.DiffNone},
		{name: "tags in place", typ: typeSubnet, olds: map[string]any{"cidrBlock": "10.0.0.0/24", "tags": map[string]any{"a": "1"}},
			news: map[string]any{"cidrBlock": "10.0.0.0/24", "tags": map[string]any{"a": "2"}}, changes: plugin.DiffSome, changed: []string{"tags"}},
		{name: "cidr replaces", typ: typeSubnet, olds: map[string]any{"cidrBlock": "10.0.0.0/24"}, news: map[string]any{"cidrBlock": "10.0.1.0/24"},
			changes: plugin.DiffSome, changed: []string{"cidrBlock"}, repl: []string{"cidrBlock"}},
		{name: "a program-named role deletes first", typ: typeRole,
			olds: map[string]any{"name": "node", "assumeRolePolicy": "{}"}, news: map[string]any{"name": "node2", "assumeRolePolicy": "{}"},
			changes: plugin.DiffSome, changed: []string{"name"}, repl: []string{"name"}, deleteFirst: true},
		{name: "an autonamed role creates first", typ: typeRole,
			olds:    map[string]any{"name": "node-1234567", "path": "/", defaultsKey: []any{"name"}},
			news:    map[string]any{"name": "node-1234567", "path": "/x/", defaultsKey: []any{"name"}},
			changes: plugin.DiffSome, changed: []string{"path"}, repl: []string{"path"}},
		{name: "ignored", typ: typeSubnet, olds: map[string]any{"tags": map[string]any{"a": "1"}}, news: map[string]any{"tags": map[string]any{"a": "2"}},
			ignore: []string{"tags"}, changes: plugin.DiffNone},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := p.Diff(context.Background(), plugin.DiffRequest{Type: tokens.Type(c.typ), OldInputs: props(c.olds), NewInputs: props(c.news), IgnoreChanges: c.ignore})
			if err != nil {
				t.Fatal(err)
			}
			if res.Changes != c.changes || !sameKeys(res.ChangedKeys, c.changed) || !sameKeys(res.ReplaceKeys, c.repl) || res.DeleteBeforeReplace != c.deleteFirst {
				t.Errorf("got %v changed %v replace %v delete-first %v; want %v %v %v %v",
					res.Changes, res.ChangedKeys, res.ReplaceKeys, res.DeleteBeforeReplace, c.changes, c.changed, c.repl, c.deleteFirst)
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		// Unknown at preview, whatever it was: it may change, so it counts as a change.
		for _, old := range []resource.PropertyValue{resource.NewProperty("vpc-1"), resource.MakeComputed(resource.NewProperty(""))} {
			news := props(map[string]any{"cidrBlock": "10.0.0.0/24"})
			news["vpcId"] = resource.MakeComputed(resource.NewProperty(""))
			olds := props(map[string]any{"cidrBlock": "10.0.0.0/24"})
			olds["vpcId"] = old
			res, err := p.Diff(context.Background(), plugin.DiffRequest{Type: tokens.Type(typeSubnet), OldInputs: olds, NewInputs: news})
			if err != nil {
				t.Fatal(err)
			}
			if res.Changes != plugin.DiffSome || !sameKeys(res.ReplaceKeys, []string{"vpcId"}) {
				t.Errorf("a VPC id not known yet (was %v): %v replace %v; want a replacement on vpcId", old, res.Changes, res.ReplaceKeys)
			}
		}
	})
}

func sameKeys(got []resource.PropertyKey, want []string) bool {
	g := make([]string, 0, len(got))
	for _, k := range got {
		g = append(g, string(k))
	}
	return slices.Equal(g, want)
}

// Read answers what the account holds, outputs and tagsAll included; nothing for a resource being
// deleted or gone, which the engine takes as deleted out of band.
func TestRead(t *testing.T) {
	p := testProvider(t)
	var vpc, gone string
	if err := p.withAccount(func(a *Account) error {
		r, err := a.Create(typeVpc, map[string]any{"cidrBlock": "10.0.0.0/16", "tags": map[string]any{"Name": "chapter"}})
		if err != nil {
			return err
		}
		vpc = r.ID
		d, err := a.Create(typeVpc, map[string]any{"cidrBlock": "10.1.0.0/16"})
		if err != nil {
			return err
		}
		gone = d.ID
		until := time.Now().Add(time.Hour)
		d.DeletingUntil = &until
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	res, err := p.Read(context.Background(), plugin.ReadRequest{Type: tokens.Type(typeVpc), ID: resource.ID(vpc)})
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != resource.ID(vpc) || res.Inputs["cidrBlock"].StringValue() != "10.0.0.0/16" ||
		!res.Outputs["arn"].IsString() || !res.Outputs["tagsAll"].DeepEquals(res.Inputs["tags"]) {
		t.Errorf("read %s: id %q inputs %v outputs %v", vpc, res.ID, res.Inputs, res.Outputs)
	}
	for _, id := range []string{gone, "vpc-0000000000000dead"} {
		res, err := p.Read(context.Background(), plugin.ReadRequest{Type: tokens.Type(typeVpc), ID: resource.ID(id)})
		if err != nil || res.ID != "" || res.Outputs != nil {
			t.Errorf("read of %s, deleted or never there: %+v %v; want nothing", id, res.ReadResult, err)
		}
	}
}

// The provider's default tags, in either form the engine passes them, are in every resource's tagsAll
// under its own tags, which win, and DescribeCluster answers them as EKS holds them.
func TestDefaultTagsAreHeldWithTheResourcesOwn(t *testing.T) {
	for _, form := range []resource.PropertyValue{
		resource.NewProperty(`{"tags":{"project":"p","stack":"dev","Name":"default"}}`),
		resource.NewProperty(props(map[string]any{"tags": map[string]any{"project": "p", "stack": "dev", "Name": "default"}})),
	} {
		p := testProvider(t)
		if _, err := p.Configure(context.Background(), plugin.ConfigureRequest{Inputs: resource.PropertyMap{"region": resource.NewProperty("eu-central-1"), "defaultTags": form}}); err != nil {
			t.Fatal(err)
		}
		res, err := p.Create(context.Background(), plugin.CreateRequest{URN: "urn:pulumi:s::p::aws:ec2/vpc:Vpc::v", Type: tokens.Type(typeVpc),
			Properties: props(map[string]any{"cidrBlock": "10.0.0.0/16", "tags": map[string]any{"Name": "own"}})})
		if err != nil {
			t.Fatal(err)
		}
		want := props(map[string]any{"project": "p", "stack": "dev", "Name": "own"})
		if got := res.Properties["tagsAll"]; !got.IsObject() || !got.ObjectValue().DeepEquals(want) {
			t.Errorf("defaultTags %v: tagsAll %v, want %v", form, got, want)
		}
		var described map[string]any
		if err := p.withAccount(func(a *Account) error {
			a.Resources["c"] = &Record{ID: "c", Type: typeCluster, Inputs: map[string]any{"name": "c"}, Outputs: map[string]any{}}
			p.tagAll(a.Resources["c"])
			out, awsErr := describeCluster(a, map[string]any{"name": "c"})
			if awsErr != nil {
				return awsErr
			}
			described = out
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if tags, _ := described["tags"].(map[string]any); tags["stack"] != "dev" || tags["Name"] != "default" {
			t.Errorf("DescribeCluster of a cluster without tags of its own answers tags %v, want the default tags", described["tags"])
		}
	}
}

// An update's preview marks a launch template's versions unknown when its contents change, as
// terraform-provider-aws's CustomizeDiff does, so what names the latest version shows an update too;
// a new description alone keeps them known.
func TestUpdatePreviewOfALaunchTemplate(t *testing.T) {
	p := testProvider(t)
	olds := resource.NewPropertyMapFromMap(map[string]any{"name": "lt", "imageId": "ami-1", "description": "nodes", "updateDefaultVersion": true})
	outs := olds.Copy()
	outs["latestVersion"], outs["defaultVersion"] = resource.NewNumberProperty(3), resource.NewNumberProperty(3)
	preview := func(change map[string]any) resource.PropertyMap {
		news := olds.Copy()
		for k, v := range change {
			news[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
		res, err := p.Update(context.Background(), plugin.UpdateRequest{Type: tokens.Type(typeLaunchTemplate), ID: "lt-1",
			OldInputs: olds, OldOutputs: outs, NewInputs: news, Preview: true})
		if err != nil {
			t.Fatal(err)
		}
		return res.Properties
	}
	if got := preview(map[string]any{"imageId": "ami-2"}); !got["latestVersion"].IsComputed() || !got["defaultVersion"].IsComputed() {
		t.Errorf("a new image keeps the versions %v and %v known", got["latestVersion"], got["defaultVersion"])
	}
	if got := preview(map[string]any{"userData": "new"}); !got["latestVersion"].IsComputed() {
		t.Errorf("new user data keeps the latest version %v known", got["latestVersion"])
	}
	if got := preview(map[string]any{"description": "other"}); got["latestVersion"].IsComputed() || got["latestVersion"].NumberValue() != 3 {
		t.Errorf("a new description makes the latest version %v", got["latestVersion"])
	}
}

// An IPv6 block asked of a running VPC: the update's preview leaves the block unknown, for the subnets'
// /64s to wait on, and the update associates a /56 that the subnets' /64s then come from. Giving it
// back is refused as not simulated.
func TestAVpcTakesIpv6InPlace(t *testing.T) {
	p := testProvider(t)
	create := func(typ string, in map[string]any) plugin.CreateResponse {
		t.Helper()
		res, err := p.Create(context.Background(), plugin.CreateRequest{URN: resource.URN("urn:pulumi:s::p::" + typ + "::x"), Type: tokens.Type(typ), Properties: props(in)})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	v4 := map[string]any{"cidrBlock": "10.0.0.0/16"}
	vpc := create(typeVpc, v4)
	subnetIn := map[string]any{"vpcId": string(vpc.ID), "cidrBlock": "10.0.0.0/24", "availabilityZone": "eu-central-1a"}
	subnet := create(typeSubnet, subnetIn)
	dual := map[string]any{"cidrBlock": "10.0.0.0/16", "assignGeneratedIpv6CidrBlock": true}
	update := func(typ string, id resource.ID, olds map[string]any, outs resource.PropertyMap, news map[string]any, preview bool) (resource.PropertyMap, error) {
		res, err := p.Update(context.Background(), plugin.UpdateRequest{Type: tokens.Type(typ), ID: id,
			OldInputs: props(olds), OldOutputs: outs, NewInputs: props(news), Preview: preview})
		return res.Properties, err
	}
	planned, err := update(typeVpc, vpc.ID, v4, vpc.Properties, dual, true)
	if err != nil || !planned["ipv6CidrBlock"].IsComputed() {
		t.Fatalf("the preview of IPv6 on a running VPC plans its block as %v (%v); want unknown", planned["ipv6CidrBlock"], err)
	}
	if planned, _ := update(typeVpc, vpc.ID, v4, vpc.Properties, map[string]any{"cidrBlock": "10.0.0.0/16", "tags": map[string]any{"a": "b"}}, true); planned["ipv6CidrBlock"].IsComputed() {
		t.Errorf("new tags plan the VPC's IPv6 block unknown")
	}
	done, err := update(typeVpc, vpc.ID, v4, vpc.Properties, dual, false)
	if err != nil {
		t.Fatal(err)
	}
	block, ok := prefixOf(done["ipv6CidrBlock"].StringValue())
	if !ok || block.Bits() != 56 {
		t.Fatalf("the updated VPC holds the IPv6 block %v", done["ipv6CidrBlock"])
	}
	slash64 := netip.PrefixFrom(block.Addr(), 64).String()
	withV6 := maps.Clone(subnetIn)
	withV6["ipv6CidrBlock"] = slash64
	got, err := update(typeSubnet, subnet.ID, subnetIn, subnet.Properties, withV6, false)
	if err != nil || !got["ipv6CidrBlockAssociationId"].IsString() {
		t.Errorf("the subnet's /64 %s of the VPC's block: %v, association %v", slash64, err, got["ipv6CidrBlockAssociationId"])
	}
	if _, err := update(typeVpc, vpc.ID, dual, done, v4, false); err == nil || !strings.Contains(err.Error(), "NotSimulated") {
		t.Errorf("giving the VPC's IPv6 block back: %v, want it refused as not simulated", err)
	}
}

// A resource is usable only once its modelled create has finished: an add-on, node group or access
// entry on a cluster still CREATING, or a NAT gateway on a VPC whose internet gateway is not yet
// attached, gets AWS's error; the same call after the create has finished succeeds.
func TestNothingUsesAResourceBeforeItsCreateFinishes(t *testing.T) {
	clock := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	p := testProvider(t)
	p.scale, p.now = 1, func() time.Time { return clock }
	create := func(typ string, in map[string]any) (string, error) {
		t.Helper()
		res, err := p.Create(context.Background(), plugin.CreateRequest{URN: resource.URN("urn:pulumi:s::p::" + typ + "::x"), Type: tokens.Type(typ), Properties: props(in)})
		return string(res.ID), err
	}
	must := func(typ string, in map[string]any) string {
		t.Helper()
		id, err := create(typ, in)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	// Creates return at once here (no sleep) while the clock stands still: each stays pending.
	vpc := must(typeVpc, map[string]any{"cidrBlock": "10.0.0.0/16"})
	clock = clock.Add(time.Minute)
	subnet := must(typeSubnet, map[string]any{"vpcId": vpc, "cidrBlock": "10.0.0.0/24", "availabilityZone": "eu-central-1a"})
	second := must(typeSubnet, map[string]any{"vpcId": vpc, "cidrBlock": "10.0.1.0/24", "availabilityZone": "eu-central-1b"})
	eip := must(typeEip, map[string]any{"domain": "vpc"})
	must(typeInternetGateway, map[string]any{"vpcId": vpc})
	nat := map[string]any{"subnetId": subnet, "allocationId": eip, "connectivityType": "public"}
	if _, err := create(typeNatGateway, nat); err == nil || !strings.Contains(err.Error(), "Gateway.NotAttached") {
		t.Errorf("a NAT gateway while the internet gateway attaches: %v", err)
	}
	role := must(typeRole, map[string]any{"name": "cluster-role", "assumeRolePolicy": trust})
	clock = clock.Add(time.Minute)
	must(typeNatGateway, nat)

	cluster := must(typeCluster, map[string]any{"name": "c", "version": "1.35", "roleArn": "arn:aws:iam::123456789012:role/" + role,
		"vpcConfig": map[string]any{"subnetIds": []any{subnet, second}}})
	for typ, in := range map[string]map[string]any{
		typeAddon:       {"clusterName": cluster, "addonName": "kube-proxy"},
		typeAccessEntry: {"clusterName": cluster, "principalArn": "arn:aws:iam::123456789012:role/nodes", "type": "EC2_LINUX"},
	} {
		if _, err := create(typ, in); err == nil || !strings.Contains(err.Error(), "InvalidRequestException") || !strings.Contains(err.Error(), "CREATING") {
			t.Errorf("%s on a cluster still creating: %v", typ, err)
		}
	}
	clock = clock.Add(12 * time.Minute)
	must(typeAddon, map[string]any{"clusterName": cluster, "addonName": "kube-proxy"})
	must(typeAccessEntry, map[string]any{"clusterName": cluster, "principalArn": "arn:aws:iam::123456789012:role/nodes", "type": "EC2_LINUX"})
}

// A create that fails at its end (nodes that cannot join) leaves nothing in the account, since the
// engine records no resource for it, and counts as a refusal.
func TestAFailedNodeGroupLeavesNothing(t *testing.T) {
	p := testProvider(t)
	var cluster, subnet string
	err := p.withAccount(func(a *Account) error {
		n, second := eksNet(t)
		*a = *n.a
		cluster, subnet = eksCluster(t, a, "c", n.subnet, second), n.subnet
		mustCreate(t, a, typeRole, map[string]any{"name": "no-policies", "assumeRolePolicy": trust})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Create(context.Background(), plugin.CreateRequest{URN: "urn:pulumi:s::p::aws:eks/nodeGroup:NodeGroup::ng", Type: typeNodeGroup,
		Properties: props(map[string]any{"clusterName": cluster, "nodeGroupName": "ng", "nodeRoleArn": "arn:aws:iam::123456789012:role/no-policies",
			"subnetIds": []any{subnet}, "instanceTypes": []any{"t3.medium"}, "scalingConfig": map[string]any{"minSize": 1, "desiredSize": 1, "maxSize": 1}})})
	if err == nil || !strings.Contains(err.Error(), "NodeCreationFailure") {
		t.Fatalf("a node group whose role has no policies: %v", err)
	}
	_ = p.withAccount(func(a *Account) error {
		if groups := a.live(typeNodeGroup, nil); len(groups) != 0 || len(a.ownedBy(cluster+":ng")) != 0 {
			t.Errorf("the failed group is still in the account: %v", a.Summary())
		}
		if last := a.Refusals[len(a.Refusals)-1]; last.Code != "NodeCreationFailure" {
			t.Errorf("refusals %+v", a.Refusals)
		}
		return nil
	})
}

// A subnet delete that EC2 refuses while EKS's interfaces are still there is retried, as pulumi-aws
// retries it for 20 minutes, and goes once they have gone, with no refusal left in the account; one
// held past the window fails, refused once. Without the retry the first delete fails (tried).
func TestDependencyViolationsAreRetriedForTheProvidersWindow(t *testing.T) {
	clock := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	p := &Provider{statePath: filepath.Join(t.TempDir(), "account.json"), region: "eu-central-1", scale: 1,
		now: func() time.Time { return clock }, sleep: func(d time.Duration) { clock = clock.Add(d) }}
	var cluster, second, held string
	if err := p.withAccount(func(a *Account) error {
		n, s := eksNet(t)
		*a = *n.a
		cluster, second = eksCluster(t, a, "c", n.subnet, s), s
		held = n.subnet
		mustCreate(t, a, typeNetworkInterface, map[string]any{"subnetId": held})
		// EKS takes three minutes to delete the cluster; its interfaces stay until then.
		if err := a.Delete(typeCluster, cluster, clock, 3*time.Minute); err != nil {
			t.Fatal(err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	start := clock
	if _, err := p.Delete(context.Background(), plugin.DeleteRequest{ID: resource.ID(second), Type: typeSubnet}); err != nil {
		t.Fatalf("the subnet's delete failed although EKS's interfaces went after %s: %v", clock.Sub(start), err)
	}
	if waited := clock.Sub(start); waited < 3*time.Minute || waited > 4*time.Minute {
		t.Errorf("the delete went through after %s, want just after the cluster's three minutes", waited)
	}
	_ = p.withAccount(func(a *Account) error {
		if len(a.Refusals) != 0 {
			t.Errorf("a retried refusal was kept: %+v", a.Refusals)
		}
		return nil
	})

	start = clock
	_, err := p.Delete(context.Background(), plugin.DeleteRequest{ID: resource.ID(held), Type: typeSubnet})
	if err == nil || !strings.Contains(err.Error(), "DependencyViolation") {
		t.Fatalf("a subnet an interface holds for good: %v", err)
	}
	if waited := clock.Sub(start); waited < 20*time.Minute {
		t.Errorf("gave up after %s, want pulumi-aws's 20 minutes", waited)
	}
	_ = p.withAccount(func(a *Account) error {
		if len(a.Refusals) != 1 || a.Refusals[0].Code != "DependencyViolation" {
			t.Errorf("refusals %+v, want the last one", a.Refusals)
		}
		return nil
	})
}
