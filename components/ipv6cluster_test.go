package components

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/plan"
)

const (
	typeCluster     = "eks:index:Cluster"
	typeNodeGroup   = "aws:eks/nodeGroup:NodeGroup"
	typeAddon       = "aws:eks/addon:Addon"
	typeAccessEntry = "aws:eks/accessEntry:AccessEntry"
	typeRole        = "aws:iam/role:Role"
	typeRolePolicy  = "aws:iam/rolePolicy:RolePolicy"
	typeAttachment  = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	typeOidc        = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
	typeLaunchTpl   = "aws:ec2/launchTemplate:LaunchTemplate"
	typeSg          = "aws:ec2/securityGroup:SecurityGroup"
	typeIngress     = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	typeEgress      = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
)

func chapterCluster() *Ipv6ClusterArgs {
	return &Ipv6ClusterArgs{
		ClusterArgs: ClusterArgs{
			Settings: clusterspec.Settings{
				Name: "chapter", KubernetesVersion: "1.35", LogTypes: []string{"api", "audit"}, LogRetentionDays: 30,
				NodeInstanceType: "t3.medium", Nodes: clusterspec.NodeGroupSize{MinSize: 2, DesiredSize: 2, MaxSize: 2},
				VpcCniVersion: "latest", CorednsVersion: "latest", KubeProxyVersion: "v1.35.3-eksbuild.13", WarmPrefixTarget: 1,
			},
			Region: "eu-central-1", NodeGroupName: "ipv6mng", PolicyEngine: clusterspec.PolicyEngineNone,
		},
		NodeSnat: true,
	}
}

// runCluster registers the chapter's VPC and an Ipv6Cluster on it.
func runCluster(t *testing.T, vpcArgs *DualStackVpcArgs, args *Ipv6ClusterArgs) (*plan.Plan, error) {
	t.Helper()
	return plan.Run(plan.Options{Project: "test", Stack: "test", Config: map[string]string{"aws:region": "eu-central-1"}},
		func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
			vpc, err := NewDualStackVpc(ctx, "vpc", vpcArgs)
			if err != nil {
				return nil, err
			}
			args.Vpc = vpc
			c, err := NewIpv6Cluster(ctx, "cluster", args)
			if err != nil {
				return nil, err
			}
			return map[string]pulumi.Output{"kubeconfig": c.Kubeconfig, "oidcProviderArn": c.OidcProviderArn,
				"nodeGroupName": c.NodeGroupName, "clusterName": c.ClusterName}, nil
		})
}

func mustRunCluster(t *testing.T, args *Ipv6ClusterArgs) *plan.Plan {
	t.Helper()
	p, err := runCluster(t, chapterVpc(), args)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestIpv6ClusterInputs(t *testing.T) {
	p := mustRunCluster(t, chapterCluster())
	component := get(t, p, Ipv6ClusterType, "cluster")
	vpcComponent := get(t, p, DualStackVpcType, "vpc")
	for _, r := range p.Resources {
		if r.URN != component.URN && r.URN != vpcComponent.URN && r.Parent != vpcComponent.URN && r.Parent != component.URN {
			t.Errorf("%s %s is not parented to the Ipv6Cluster", r.Type, r.Name)
		}
	}
	cluster := get(t, p, typeCluster, "cluster")
	if !cluster.Remote {
		t.Error("the pulumi-eks cluster is not registered as a remote component")
	}
	controlPlane := get(t, p, typeSg, "cluster-control-plane")
	want := map[string]any{
		"name": "chapter", "version": "1.35", "ipFamily": "ipv6", "authenticationMode": "API",
		"useDefaultVpcCni": true, "skipDefaultNodeGroup": true, "createOidcProvider": false,
		"endpointPrivateAccess": true, "endpointPublicAccess": false,
		"vpcId": get(t, p, typeVpc, "vpc").ID, "clusterSecurityGroup": controlPlane.URN,
	}
	for k, w := range want {
		if got := cluster.Input(k); got != w {
			t.Errorf("cluster %s = %v, want %v", k, got, w)
		}
	}
	for tier, key := range map[string]string{"public": "publicSubnetIds", "private": "privateSubnetIds"} {
		var ids []any
		for _, az := range zones {
			ids = append(ids, get(t, p, typeSubnet, "vpc-"+tier+"-"+az).ID)
		}
		if got, _ := cluster.Input(key).([]any); !slices.Equal(got, ids) {
			t.Errorf("cluster %s = %v, want %v", key, got, ids)
		}
	}
	if got := cluster.Input("enabledClusterLogTypes"); !slices.Equal(got.([]any), []any{"api", "audit"}) {
		t.Errorf("log types %v", got)
	}
	if _, ok := cluster.Inputs["publicAccessCidrs"]; ok {
		t.Error("a private endpoint has public access CIDRs")
	}
	if p.Outputs["kubeconfig"] != plan.Secret {
		t.Errorf("kubeconfig output is not secret: %v", p.Outputs["kubeconfig"])
	}
	if p.Outputs["nodeGroupName"] != chapterNodeGroupName("ipv6mng", false, chapterPrivateSubnets...) || p.Outputs["clusterName"] != "chapter" {
		t.Errorf("outputs %v", p.Outputs)
	}
}

// pulumi-eks v2.8.1 creates a default instance role (with AmazonEKS_CNI_Policy) and an EC2_LINUX
// access entry for it unless it is given instance roles; an empty list creates neither, while a
// non-empty one is refused with authenticationMode API (nodejs/eks/cluster.ts, authenticationMode.ts).
func TestClusterSuppressesPulumiEksDefaultInstanceRole(t *testing.T) {
	cluster := get(t, mustRunCluster(t, chapterCluster()), typeCluster, "cluster")
	roles, ok := cluster.Input("instanceRoles").([]any)
	if !ok || len(roles) != 0 {
		t.Errorf("instanceRoles = %#v, want an empty list", cluster.Input("instanceRoles"))
	}
	if cluster.Input("providerCredentialOpts") != nil {
		t.Errorf("providerCredentialOpts without a profile: %v", cluster.Input("providerCredentialOpts"))
	}
	args := chapterCluster()
	args.AwsProfile = "platform"
	cluster = get(t, mustRunCluster(t, args), typeCluster, "cluster")
	if cluster.String("providerCredentialOpts.profileName") != "platform" {
		t.Errorf("providerCredentialOpts = %v, want profileName platform", cluster.Input("providerCredentialOpts"))
	}
}

// Admin principals: a STANDARD access entry each, with the cluster admin policy at cluster scope.
func TestClusterAdmins(t *testing.T) {
	args := chapterCluster()
	args.AdminArns = []string{"arn:aws:iam::123456789012:role/teams/platform-admins", "arn:aws:iam::123456789012:user/jane"}
	p := mustRunCluster(t, args)
	cluster := get(t, p, typeCluster, "cluster")
	for _, tc := range []struct{ arn, name string }{
		{args.AdminArns[0], "cluster-admin-123456789012-role-teams-platform-admins"},
		{args.AdminArns[1], "cluster-admin-123456789012-user-jane"},
	} {
		entry := get(t, p, typeAccessEntry, tc.name)
		if entry.String("type") != "STANDARD" || entry.String("principalArn") != tc.arn || entry.String("clusterName") != "chapter" || !entry.DependsOn(cluster.URN) {
			t.Errorf("access entry %s: %v (deps %v)", tc.name, entry.Inputs, entry.Dependencies)
		}
		assoc := get(t, p, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", tc.name)
		if assoc.String("policyArn") != "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" ||
			assoc.String("accessScope.type") != "cluster" || assoc.String("principalArn") != tc.arn || !assoc.DependsOn(entry.URN) {
			t.Errorf("policy association %s: %v (deps %v)", tc.name, assoc.Inputs, assoc.Dependencies)
		}
	}
	if n := len(p.ByType("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")); n != 2 {
		t.Errorf("%d policy associations, want 2", n)
	}
	args = chapterCluster()
	args.AdminArns = []string{"arn:aws:sts::123456789012:assumed-role/admins/jane"}
	if p, err := runCluster(t, chapterVpc(), args); err == nil || !strings.Contains(err.Error(), "clusterAdminArns") || len(p.ByType(typeCluster)) != 0 {
		t.Errorf("session ARN accepted: %v", err)
	}
}

// A deployer inside the VPC reaches the private endpoint through the control plane's security group.
func TestPrivateEndpointAccess(t *testing.T) {
	args := chapterCluster()
	args.EndpointPrivateAccessCidrs = []string{"10.20.0.0/16", "2001:db8:1::/48"}
	p := mustRunCluster(t, args)
	controlPlane := get(t, p, typeSg, "cluster-control-plane")
	v4 := get(t, p, typeIngress, "cluster-control-plane-from-10-20-0-0-16")
	v6 := get(t, p, typeIngress, "cluster-control-plane-from-2001-db8-1---48")
	for _, rule := range []struct {
		r          plan.Resource
		key, block string
	}{{v4, "cidrIpv4", "10.20.0.0/16"}, {v6, "cidrIpv6", "2001:db8:1::/48"}} {
		hasInputs(t, rule.r, map[string]any{"securityGroupId": controlPlane.ID, "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, rule.key: rule.block})
	}
	if cluster := get(t, p, typeCluster, "cluster"); cluster.Input("endpointPublicAccess") != false {
		t.Errorf("public endpoint on with only private access CIDRs")
	}
}

func TestPublicEndpointOnlyForTheGivenCidrs(t *testing.T) {
	args := chapterCluster()
	args.EndpointPublicAccessCidrs = []string{"203.0.113.7/32"}
	cluster := get(t, mustRunCluster(t, args), typeCluster, "cluster")
	if cluster.Input("endpointPublicAccess") != true || !slices.Equal(cluster.Input("publicAccessCidrs").([]any), []any{"203.0.113.7/32"}) {
		t.Errorf("endpoint public %v cidrs %v", cluster.Input("endpointPublicAccess"), cluster.Input("publicAccessCidrs"))
	}
}

func addonConfig(t *testing.T, addon plan.Resource) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(addon.String("configurationValues")), &m); err != nil {
		t.Fatalf("%s configurationValues: %v", addon.Name, err)
	}
	return m
}

func TestIpv6ClusterAddons(t *testing.T) {
	p := mustRunCluster(t, chapterCluster())
	cluster := get(t, p, typeCluster, "cluster")
	versions := map[string]string{
		"vpc-cni": "v1.23.2-eksbuild.1", "coredns": "v1.14.3-eksbuild.11", // latest, from the (mocked) lookup
		"kube-proxy": "v1.35.3-eksbuild.13", // pinned
	}
	for addon, version := range versions {
		a := get(t, p, typeAddon, "cluster-"+addon)
		if a.String("addonName") != addon || a.String("addonVersion") != version || a.String("clusterName") != "chapter" ||
			a.String("resolveConflictsOnCreate") != "OVERWRITE" || !a.DependsOn(cluster.URN) {
			t.Errorf("add-on %s: %v (deps %v)", addon, a.Inputs, a.Dependencies)
		}
	}
	if n := len(p.ByType(typeAddon)); n != 3 {
		t.Errorf("%d add-ons, want vpc-cni, coredns and kube-proxy", n)
	}

	vpcCni := get(t, p, typeAddon, "cluster-vpc-cni")
	if irsa := get(t, p, typeRole, "cluster-vpc-cni"); vpcCni.String("serviceAccountRoleArn") != irsa.ID && !strings.HasSuffix(vpcCni.String("serviceAccountRoleArn"), "/"+irsa.ID) {
		t.Errorf("vpc-cni runs as %q, want the IRSA role %s", vpcCni.String("serviceAccountRoleArn"), irsa.ID)
	}
	config := addonConfig(t, vpcCni)
	for k := range config {
		if !slices.Contains(clusterspec.VpcCniSchemaKeys, k) {
			t.Errorf("vpc-cni configuration key %s is not in the add-on schema", k)
		}
	}
	env := config["env"].(map[string]any)
	for k := range env {
		if !slices.Contains(clusterspec.VpcCniSchemaEnvKeys, k) {
			t.Errorf("vpc-cni env.%s is not in the add-on schema", k)
		}
	}
	for k, v := range map[string]string{"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1", "ENABLE_V4_EGRESS": "true"} {
		if env[k] != v {
			t.Errorf("vpc-cni env.%s = %v, want %q", k, env[k], v)
		}
	}

	// Node SNAT off is said, not left to the default (which is on).
	args := chapterCluster()
	args.NodeSnat = false
	env = addonConfig(t, get(t, mustRunCluster(t, args), typeAddon, "cluster-vpc-cni"))["env"].(map[string]any)
	if env["ENABLE_V4_EGRESS"] != "false" {
		t.Errorf("NodeSnat false: ENABLE_V4_EGRESS = %v", env["ENABLE_V4_EGRESS"])
	}
}

func TestIpv6ClusterIam(t *testing.T) {
	p := mustRunCluster(t, chapterCluster())
	oidc := get(t, p, typeOidc, "cluster")
	issuer := oidc.String("url")
	if !strings.HasPrefix(issuer, "https://oidc.eks.eu-central-1.amazonaws.com/id/") {
		t.Errorf("OIDC provider URL %s", issuer)
	}
	hasInputs(t, oidc, map[string]any{"clientIdLists": []any{"sts.amazonaws.com"}})

	irsa := get(t, p, typeRole, "cluster-vpc-cni")
	var trust clusterspec.PolicyDocument
	if err := json.Unmarshal([]byte(irsa.String("assumeRolePolicy")), &trust); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(issuer, "https://")
	st := trust.Statement[0]
	oidcArn, _ := p.Outputs["oidcProviderArn"].(string)
	if len(trust.Statement) != 1 || st.Principal.Federated != oidcArn || oidcArn == "" ||
		st.Condition["StringEquals"][host+":sub"].String() != "system:serviceaccount:kube-system:aws-node" ||
		st.Condition["StringEquals"][host+":aud"].String() != "sts.amazonaws.com" {
		t.Errorf("IRSA trust policy %s (OIDC provider %s)", irsa.String("assumeRolePolicy"), oidcArn)
	}

	policy := get(t, p, typeRolePolicy, "cluster-vpc-cni")
	if policy.String("role") != irsa.ID {
		t.Errorf("CNI policy on role %q, want the IRSA role %s", policy.String("role"), irsa.ID)
	}
	var doc clusterspec.PolicyDocument
	if err := json.Unmarshal([]byte(policy.String("policy")), &doc); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, s := range doc.Statement {
		actions = append(actions, s.Action...)
		if slices.Contains(s.Action, "ec2:CreateTags") && !slices.Equal(s.Resource, []string{"arn:aws:ec2:*:*:network-interface/*"}) {
			t.Errorf("ec2:CreateTags on %v", s.Resource)
		}
	}
	wantActions := append(slices.Clone(clusterspec.VpcCniIpv6Actions), "ec2:CreateTags")
	slices.Sort(actions)
	slices.Sort(wantActions)
	if !slices.Equal(actions, wantActions) {
		t.Errorf("CNI policy actions %v, want %v", actions, wantActions)
	}

	nodeRole := get(t, p, typeRole, "cluster-nodes")
	if !strings.Contains(nodeRole.String("assumeRolePolicy"), `"Service":"ec2.amazonaws.com"`) {
		t.Errorf("node role trust %s", nodeRole.String("assumeRolePolicy"))
	}
	var attached []string
	for _, a := range p.ByType(typeAttachment) {
		if a.String("role") == nodeRole.ID {
			attached = append(attached, a.String("policyArn"))
		}
	}
	slices.Sort(attached)
	if !slices.Equal(attached, clusterspec.NodeManagedPolicies("aws")) {
		t.Errorf("node role policies %v, want exactly %v (no CNI policy on the node role)", attached, clusterspec.NodeManagedPolicies("aws"))
	}
	// Each attachment is named after its policy: a new name would replace it, leaving the nodes
	// without the policy for a moment.
	for _, name := range []string{"cluster-nodes-AmazonEC2ContainerRegistryReadOnly", "cluster-nodes-AmazonEKSWorkerNodePolicy"} {
		get(t, p, typeAttachment, name)
	}
	entry := get(t, p, typeAccessEntry, "cluster-nodes")
	hasInputs(t, entry, map[string]any{"type": "EC2_LINUX", "principalArn": "arn:aws:iam::" + plan.AccountID + ":role/" + nodeRole.ID})
}

func TestIpv6ClusterNodes(t *testing.T) {
	p := mustRunCluster(t, chapterCluster())
	// The cluster's group takes no taints (CoreDNS runs there) and no labels: neither input is sent,
	// not even empty.
	if group := get(t, p, typeNodeGroup, "cluster-ipv6mng"); group.Inputs["taints"] != nil || group.Inputs["labels"] != nil {
		t.Errorf("the cluster's node group has taints %v and labels %v, want neither input", group.Inputs["taints"], group.Inputs["labels"])
	}
	lt := get(t, p, typeLaunchTpl, "cluster-ipv6mng")
	nodeSg := get(t, p, typeSg, "cluster-nodes")
	for path, want := range map[string]any{
		"metadataOptions.httpTokens": "required", "metadataOptions.httpEndpoint": "enabled",
		"metadataOptions.httpProtocolIpv6": "enabled", "metadataOptions.httpPutResponseHopLimit": 1.0,
	} {
		if got := lt.Input(path); got != want {
			t.Errorf("launch template %s = %v, want %v", path, got, want)
		}
	}
	disks := lt.Input("blockDeviceMappings").([]any)
	if ebs := disks[0].(map[string]any)["ebs"].(map[string]any); len(disks) != 1 || ebs["encrypted"] != "true" {
		t.Errorf("root volume %v is not encrypted", disks)
	}
	if sgs := lt.Input("vpcSecurityGroupIds").([]any); !slices.Equal(sgs, []any{nodeSg.ID}) {
		t.Errorf("launch template security groups %v, want the node group %s", sgs, nodeSg.ID)
	}
	for _, forbidden := range []string{"iamInstanceProfile", "networkInterfaces", "instanceMarketOptions", "hibernationOptions", "imageId"} {
		if _, ok := lt.Inputs[forbidden]; ok {
			t.Errorf("launch template sets %s, which a managed node group's launch template may not", forbidden)
		}
	}

	ng := get(t, p, typeNodeGroup, "cluster-ipv6mng")
	var private []any
	for _, az := range zones {
		private = append(private, get(t, p, typeSubnet, "vpc-private-"+az).ID)
	}
	nodeRole := get(t, p, typeRole, "cluster-nodes")
	hasInputs(t, ng, map[string]any{
		"nodeGroupName": chapterNodeGroupName("ipv6mng", false, chapterPrivateSubnets...), "amiType": "AL2023_x86_64_STANDARD", "launchTemplate.id": lt.ID, "launchTemplate.version": "1",
		// The cluster's version and the recommended AMI release: the group follows both.
		"version": "1.35", "releaseVersion": "1.35.4-20261120",
		"subnetIds": private, "instanceTypes": []any{"t3.medium"}, "nodeRoleArn": "arn:aws:iam::" + plan.AccountID + ":role/" + nodeRole.ID,
		"scalingConfig.minSize": 2, "scalingConfig.desiredSize": 2, "scalingConfig.maxSize": 2,
	})
	for _, dep := range []plan.Resource{get(t, p, typeAddon, "cluster-vpc-cni"), get(t, p, typeAccessEntry, "cluster-nodes"), get(t, p, "eks:index:Cluster", "cluster")} {
		if !ng.DependsOn(dep.URN) {
			t.Errorf("node group does not wait for %s %s", dep.Type, dep.Name)
		}
	}
	// Replaced, the group is created before the old one goes, whatever pulumi-aws asks; and it keeps
	// the URN it had as pulumi-eks's ManagedNodeGroup's child.
	if ng.DeleteBeforeReplace == nil || *ng.DeleteBeforeReplace {
		t.Errorf("node group deleteBeforeReplace %v, want false, set by the program", ng.DeleteBeforeReplace)
	}
	oldURN := "urn:pulumi:test::test::eks-advanced-networking:cluster:Ipv6Cluster$eks:index:ManagedNodeGroup$aws:eks/nodeGroup:NodeGroup::cluster-ipv6mng"
	if !slices.Contains(ng.Aliases, oldURN) {
		t.Errorf("node group aliases %q, want %s", ng.Aliases, oldURN)
	}
	if coredns := get(t, p, typeAddon, "cluster-coredns"); !coredns.DependsOn(ng.URN) {
		t.Errorf("coredns does not wait for the nodes")
	}
}

// pulumi-eks #1700: the nodes must reach ::/0, and nothing may be open to the internet for ingress.
func TestIpv6ClusterSecurityGroups(t *testing.T) {
	p := mustRunCluster(t, chapterCluster())
	nodeSg := get(t, p, typeSg, "cluster-nodes")
	controlPlane := get(t, p, typeSg, "cluster-control-plane")
	egress := map[string]bool{}
	for _, r := range p.ByType(typeEgress) {
		if r.String("securityGroupId") == nodeSg.ID {
			egress[r.String("cidrIpv4")+r.String("cidrIpv6")] = r.String("ipProtocol") == "-1"
		}
	}
	if !egress["::/0"] || !egress["0.0.0.0/0"] {
		t.Errorf("node egress %v, want all traffic to ::/0 and 0.0.0.0/0", egress)
	}
	var selfRule, apiRule bool
	for _, r := range p.ByType(typeIngress) {
		if r.Input("cidrIpv4") != nil || r.Input("cidrIpv6") != nil {
			t.Errorf("ingress rule %s is open to %v%v", r.Name, r.Input("cidrIpv4"), r.Input("cidrIpv6"))
		}
		sg, peer := r.String("securityGroupId"), r.String("referencedSecurityGroupId")
		selfRule = selfRule || (sg == nodeSg.ID && peer == nodeSg.ID && r.String("ipProtocol") == "-1")
		apiRule = apiRule || (sg == controlPlane.ID && peer == nodeSg.ID && r.Input("fromPort") == 443.0)
	}
	if !selfRule || !apiRule {
		t.Errorf("node-to-node rule %v, nodes-to-API rule %v", selfRule, apiRule)
	}
}

func TestIpv6ClusterRefusesBadArgs(t *testing.T) {
	ipv4Input := chapterVpcInput()
	ipv4Input.Ipv6, ipv4Input.PrivateDns64 = false, false
	ipv4Vpc := vpcArgs(ipv4Input)
	for _, tc := range []struct {
		name   string
		vpc    *DualStackVpcArgs
		mutate func(*Ipv6ClusterArgs)
		says   string
	}{
		{"IPv4 VPC", ipv4Vpc, func(*Ipv6ClusterArgs) {}, "needs an IPv6 VPC"},
		// The cluster's settings are refused as the stack file's keys are, by the same rules.
		{"instance type", chapterVpc(), func(a *Ipv6ClusterArgs) { a.NodeInstanceType = "t3" }, "Ipv6Cluster cluster: nodeInstanceType = \"t3\""},
		{"node counts", chapterVpc(), func(a *Ipv6ClusterArgs) { a.Nodes.DesiredSize = 5 }, "nodeDesiredSize = \"5\": must lie between nodeMinSize (2) and nodeMaxSize (2)"},
		{"old vpc-cni", chapterVpc(), func(a *Ipv6ClusterArgs) { a.VpcCniVersion = "v1.12.0-eksbuild.1" }, "vpcCniVersion = \"v1.12.0-eksbuild.1\": ENABLE_V4_EGRESS"},
		{"a service block", chapterVpc(), func(a *Ipv6ClusterArgs) { a.ServiceIpv4Cidr = "172.20.0.0/16" }, "serviceIpv4Cidr = \"172.20.0.0/16\": an IPv6 cluster takes its service block from EKS"},
		{"a bad name", chapterVpc(), func(a *Ipv6ClusterArgs) { a.Name = "prod.eks" }, "clusterName = \"prod.eks\""},
		{"no node group name", chapterVpc(), func(a *Ipv6ClusterArgs) { a.NodeGroupName = "" }, "NodeGroupName"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := chapterCluster()
			tc.mutate(args)
			p, err := runCluster(t, tc.vpc, args)
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want one saying %q", err, tc.says)
			}
			for _, r := range p.Resources {
				if r.Type == Ipv6ClusterType || strings.Contains(r.URN, Ipv6ClusterType+"$") {
					t.Errorf("registered %s %s before refusing", r.Type, r.Name)
				}
			}
		})
	}
}

// With logging on, the control-plane log group is the component's: named as EKS names it, with the
// retention, and created before the cluster (which EKS would otherwise do, with no retention, leaving
// it behind after destroy). With logging off there is none; a retention CloudWatch lacks is refused.
func TestControlPlaneLogGroupIsOurs(t *testing.T) {
	p := mustRunCluster(t, chapterCluster())
	logs := get(t, p, "aws:cloudwatch/logGroup:LogGroup", "cluster-control-plane-logs")
	hasInputs(t, logs, map[string]any{"name": "/aws/eks/chapter/cluster", "retentionInDays": 30})
	if cluster := get(t, p, typeCluster, "cluster"); !cluster.DependsOn(logs.URN) {
		t.Error("the cluster does not wait for its log group")
	}
	off := chapterCluster()
	off.LogTypes = nil
	if groups := mustRunCluster(t, off).ByType("aws:cloudwatch/logGroup:LogGroup"); len(groups) != 0 {
		t.Errorf("logging off, and still log groups %v", groups)
	}
	forever := chapterCluster()
	forever.LogRetentionDays = 0
	if kept := get(t, mustRunCluster(t, forever), "aws:cloudwatch/logGroup:LogGroup", "cluster-control-plane-logs"); kept.Inputs["retentionInDays"] != nil {
		t.Errorf("retention 0 (never expire) sends retentionInDays %v; CloudWatch keeps a group without a retention policy forever", kept.Inputs["retentionInDays"])
	}
	bad := chapterCluster()
	bad.LogRetentionDays = 45
	if _, err := runCluster(t, chapterVpc(), bad); err == nil || !strings.Contains(err.Error(), "clusterLogRetentionDays = \"45\"") {
		t.Errorf("retention 45: %v", err)
	}
}

// A Go caller's "latest" is resolved and checked by the component itself, as the stack file's is:
// EKS's answer is taken even where it is newer than the versions recorded here, and refused only
// for what the cluster needs of it (here IPv6 with ENABLE_V4_EGRESS, which v1.15.0 lacks).
func TestIpv6ClusterResolvesLatestAddons(t *testing.T) {
	run := func(vpcCni string) (*plan.Plan, error) {
		return plan.Run(plan.Options{Project: "test", Stack: "test", Config: map[string]string{"aws:region": "eu-central-1"},
			LatestAddons: map[string]string{"vpc-cni": vpcCni}},
			func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
				vpc, err := NewDualStackVpc(ctx, "vpc", chapterVpc())
				if err != nil {
					return nil, err
				}
				args := chapterCluster()
				args.Vpc = vpc
				_, err = NewIpv6Cluster(ctx, "cluster", args)
				return nil, err
			})
	}
	p, err := run("v1.24.0-eksbuild.1")
	if err != nil {
		t.Fatalf("EKS's newer latest refused: %v", err)
	}
	if got := get(t, p, "aws:eks/addon:Addon", "cluster-vpc-cni").String("addonVersion"); got != "v1.24.0-eksbuild.1" {
		t.Errorf("vpc-cni takes %s", got)
	}
	_, err = run("v1.15.0-eksbuild.1")
	if err == nil || !strings.Contains(err.Error(), `Ipv6Cluster cluster: vpcCniVersion = "latest": EKS offers v1.15.0-eksbuild.1 as the latest vpc-cni`) {
		t.Errorf("an answer without ENABLE_V4_EGRESS: %v", err)
	}
}

// Every add-on left at latest takes what EKS answers for the cluster's Kubernetes version.
func TestClusterResolvesEveryLatestAddon(t *testing.T) {
	args := chapterCluster()
	args.KubeProxyVersion = clusterspec.Latest
	p := mustRunCluster(t, args)
	for _, want := range []struct{ addon, version string }{
		{"vpc-cni", "v1.23.2-eksbuild.1"}, {"coredns", "v1.14.3-eksbuild.11"}, {"kube-proxy", "v1.35.6-eksbuild.1"},
	} {
		if got := get(t, p, typeAddon, "cluster-"+want.addon).String("addonVersion"); got != want.version {
			t.Errorf("%s takes %s, want EKS's latest for 1.35, %s", want.addon, got, want.version)
		}
	}
}

// The stack's tags reach pulumi-eks's cluster, which puts them on the EKS cluster; with none, the
// cluster is given no tags input at all.
func TestClusterTakesTheStacksTags(t *testing.T) {
	if untagged := get(t, mustRunCluster(t, chapterCluster()), typeCluster, "cluster"); untagged.Inputs["tags"] != nil {
		t.Errorf("no tags given, and the cluster gets %v", untagged.Inputs["tags"])
	}
	args := chapterCluster()
	args.Tags = map[string]string{"team": "platform"}
	hasInputs(t, get(t, mustRunCluster(t, args), typeCluster, "cluster"), map[string]any{"tags": map[string]any{"team": "platform"}})
}
