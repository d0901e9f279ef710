package plan

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// AccountID is the AWS account the mocks pretend to be.
const AccountID = "123456789012"

// MockVpcIpv6Cidr is the Amazon-provided /56 the mocks hand every VPC that asks for one: the chapter's.
const MockVpcIpv6Cidr = "2a05:d014:ec6:2f00::/56"

// mockAddonVersions are what the mocked add-on lookup answers as the most recent version EKS offers,
// per add-on and Kubernetes version. They are EKS's answers as public records give them, so the
// offline plan names versions a deploy would get and a pin of the running version plans no change:
//   - vpc-cni: amazon-vpc-cni-k8s's newest release, v1.23.2, with EKS's first build suffix;
//   - coredns: the image each version's add-on runs in eksctl's pkg/addons/default/assets
//     (github.com/eksctl-io/eksctl #8841, regenerated from EKS on 2026-08-20); EKS pairs 1.14 with both
//     1.35 and 1.36, so an upgrade between them keeps CoreDNS;
//   - kube-proxy: follows the cluster's minor (EKS User Guide, managing-kube-proxy), at the Kubernetes
//     patch EKS's artifacts carry (amazon-eks-ami CHANGELOG.md, AMI release v20260714).
//
// The AWS twin's fixture (test/awstwin/awsdata) holds the same records, and the day-2 matrix's
// pinning steps keep the two together: a pin of one of these versions must plan no change offline
// (stacks TestDayTwoMatrix) and preview none on the twin.
var mockAddonVersions = map[string]map[string]string{
	"vpc-cni":    {"1.32": "v1.23.2-eksbuild.1", "1.33": "v1.23.2-eksbuild.1", "1.34": "v1.23.2-eksbuild.1", "1.35": "v1.23.2-eksbuild.1", "1.36": "v1.23.2-eksbuild.1"},
	"coredns":    {"1.32": "v1.11.4-eksbuild.48", "1.33": "v1.13.2-eksbuild.19", "1.34": "v1.13.2-eksbuild.19", "1.35": "v1.14.3-eksbuild.11", "1.36": "v1.14.3-eksbuild.11"},
	"kube-proxy": {"1.32": "v1.32.13-eksbuild.1", "1.33": "v1.33.13-eksbuild.1", "1.34": "v1.34.9-eksbuild.1", "1.35": "v1.35.6-eksbuild.1", "1.36": "v1.36.2-eksbuild.1"},
}

// zonesByRegion are the availability zones the mocks report; other regions get a, b and c.
var zonesByRegion = map[string][]string{
	"us-east-1": {"a", "b", "c", "d", "e", "f"},
	"us-west-2": {"a", "b", "c", "d"},
}

// mocks answers the Pulumi engine's calls with realistic provider outputs, deterministically (every id
// is a hash of the resource's URN), and records every registration.
type mocks struct {
	project, stack, region string
	// latestAddons override mockAddonVersions.
	latestAddons map[string]string
	// running are the clusters the account already holds.
	running []RunningCluster
	// amiRelease is the EKS AMI release the SSM parameters answer from ("": the fixed one).
	amiRelease string

	mu       sync.Mutex
	recorded []Resource
	// called are the functions the program invoked.
	called map[string]bool
}

var _ pulumi.MockResourceMonitor = (*mocks)(nil)

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rpc := args.RegisterRPC
	if rpc == nil {
		return "", nil, fmt.Errorf("%s %s: reads of existing resources are not mocked", args.TypeToken, args.Name)
	}
	urn := urnOf(m.stack, m.project, rpc.GetParent(), args.TypeToken, args.Name)
	id := ""
	if args.Custom {
		id = m.idFor(args.TypeToken, urn, args.Inputs)
	}
	state := args.Inputs.Copy()
	for k, v := range m.outputsFor(args.TypeToken, args.Name, id, args.Inputs) {
		state[k] = v
	}

	deps := slices.Clone(rpc.GetDependencies())
	slices.Sort(deps)
	deps = slices.Compact(deps)
	if deps == nil {
		deps = []string{} // "dependencies": [] in JSON, never null
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recorded = append(m.recorded, Resource{
		URN: urn, Type: args.TypeToken, Name: args.Name, ID: id, Parent: rpc.GetParent(),
		Custom: args.Custom, Remote: rpc.GetRemote(), Inputs: plainMap(args.Inputs), Dependencies: deps,
		Provider: args.Provider, RawInputs: args.Inputs,
		DeleteBeforeReplace: deleteBeforeReplaceOf(rpc), Aliases: m.aliasesOf(rpc, args.TypeToken, args.Name),
	})
	return id, state, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.called[args.Token] = true
	m.mu.Unlock()
	switch args.Token {
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		letters := zonesByRegion[m.region]
		if letters == nil {
			letters = []string{"a", "b", "c"}
		}
		var names, ids []any
		for i, l := range letters {
			names = append(names, m.region+l)
			ids = append(ids, fmt.Sprintf("%s-az%d", shortRegion(m.region), i+1))
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": m.region, "names": names, "zoneIds": ids, "groupNames": []any{m.region},
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"id": m.region, "name": m.region, "region": m.region}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": AccountID, "accountId": AccountID, "arn": "arn:aws:iam::" + AccountID + ":user/offline-plan", "userId": "AIDAOFFLINEPLAN",
		}), nil
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com"}), nil
	case "aws:eks/getAddonVersion:getAddonVersion":
		addon, k8s := args.Args["addonName"].StringValue(), args.Args["kubernetesVersion"].StringValue()
		version, ok := m.latestAddons[addon]
		if !ok {
			byKubernetes, known := mockAddonVersions[addon]
			if !known {
				return nil, fmt.Errorf("no add-on %q", addon)
			}
			if version, ok = byKubernetes[k8s]; !ok {
				return nil, fmt.Errorf("no %s version recorded for Kubernetes %s", addon, k8s)
			}
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": addon, "addonName": addon, "kubernetesVersion": k8s, "mostRecent": true, "version": version,
		}), nil
	case "aws:eks/getCluster:getCluster":
		name := args.Args["name"].StringValue()
		described := map[string]any{
			"id": name, "name": name, "status": "ACTIVE",
			"arn":                    fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", m.region, AccountID, name),
			"endpoint":               fmt.Sprintf("https://%s.gr7.%s.eks.amazonaws.com", mockHex(name, 32), m.region),
			"identities":             []any{map[string]any{"oidcs": []any{map[string]any{"issuer": m.oidcIssuer(name)}}}},
			"certificateAuthorities": []any{map[string]any{"data": MockCertificateAuthorityData}},
			// EKS picks 10.100.0.0/16 or 172.20.0.0/16 for an IPv4 cluster without a service block.
			"kubernetesNetworkConfigs": []any{map[string]any{"ipFamily": "ipv4", "serviceIpv4Cidr": "172.20.0.0/16"}},
		}
		if c, err := m.runningCluster(name); err == nil {
			if c.DescribeDenied {
				return nil, fmt.Errorf("AccessDeniedException: User: %s is not authorized to perform: eks:DescribeCluster on resource: arn:aws:eks:%s:%s:cluster/%s", "arn:aws:iam::"+AccountID+":user/offline-plan", m.region, AccountID, name)
			}
			described["version"] = c.Version
			described["tags"] = map[string]any{"project": m.project, "stack": cmp.Or(c.OtherStack, m.stack), "managed-by": "pulumi"}
			network := map[string]any{"ipFamily": cmp.Or(c.IpFamily, "ipv4")}
			if network["ipFamily"] == "ipv4" {
				network["serviceIpv4Cidr"] = cmp.Or(c.ServiceIpv4Cidr, "172.20.0.0/16")
			}
			described["kubernetesNetworkConfigs"] = []any{network}
			subnets := []any{}
			for _, s := range c.Subnets {
				subnets = append(subnets, s.SubnetID())
			}
			described["vpcConfig"] = map[string]any{"vpcId": c.VpcID(), "subnetIds": subnets}
		}
		return resource.NewPropertyMapFromMap(described), nil
	case "aws:ec2/getVpc:getVpc":
		id := args.Args["id"].StringValue()
		for _, c := range m.running {
			if c.VpcID() == id {
				described := map[string]any{"id": id, "cidrBlock": c.VpcCidr, "state": "available"}
				if c.VpcIpv6 {
					described["ipv6CidrBlock"] = MockVpcIpv6Cidr
				}
				return resource.NewPropertyMapFromMap(described), nil
			}
		}
		return nil, fmt.Errorf("InvalidVpcID.NotFound: The vpc ID '%s' does not exist", id)
	case "aws:ec2/getSubnet:getSubnet":
		id := args.Args["id"].StringValue()
		for _, c := range m.running {
			for _, s := range c.Subnets {
				if s.SubnetID() == id {
					return resource.NewPropertyMapFromMap(map[string]any{"id": id, "vpcId": c.VpcID(), "cidrBlock": s.Ipv4Cidr, "availabilityZone": s.AvailabilityZone, "state": "available"}), nil
				}
			}
		}
		return nil, fmt.Errorf("InvalidSubnetID.NotFound: The subnet ID '%s' does not exist", id)
	case "aws:eks/getClusters:getClusters":
		names := []any{}
		for _, c := range m.running {
			names = append(names, c.Name)
		}
		return resource.NewPropertyMapFromMap(map[string]any{"id": m.region, "names": names}), nil
	case "aws:eks/getNodeGroups:getNodeGroups":
		c, err := m.runningCluster(args.Args["clusterName"].StringValue())
		if err != nil {
			return nil, err
		}
		names := []any{}
		for _, name := range slices.Sorted(maps.Keys(c.NodeGroups)) {
			names = append(names, name)
		}
		return resource.NewPropertyMapFromMap(map[string]any{"id": c.Name, "clusterName": c.Name, "names": names}), nil
	case "aws:eks/getNodeGroup:getNodeGroup":
		c, err := m.runningCluster(args.Args["clusterName"].StringValue())
		if err != nil {
			return nil, err
		}
		name := args.Args["nodeGroupName"].StringValue()
		version, ok := c.NodeGroups[name]
		if !ok {
			return nil, fmt.Errorf("ResourceNotFoundException: No node group found for name: %s", name)
		}
		amiType := "AL2023_x86_64_STANDARD"
		if slices.Contains(c.CustomAmi, name) {
			amiType = "CUSTOM"
		}
		return resource.NewPropertyMapFromMap(map[string]any{"id": c.Name + ":" + name, "clusterName": c.Name, "nodeGroupName": name, "version": version, "status": "ACTIVE", "amiType": amiType}), nil
	case "aws:ec2/getInstanceType:getInstanceType":
		name := args.Args["instanceType"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{"id": name, "instanceType": name, "defaultVcpus": mockVcpus(name)}), nil
	case "aws:ssm/getParameter:getParameter":
		// The recommended EKS AMI parameters: an AMI id per image_id parameter, a release version
		// (<kubernetes version>.<patch>-<date>) per release_version parameter.
		name := args.Args["name"].StringValue()
		value, date := "ami-0"+mockHex(name, 16), "20261120"
		if m.amiRelease != "" {
			value, date = "ami-0"+mockHex(m.amiRelease+name, 16), strings.TrimPrefix(m.amiRelease, "v")
		}
		if strings.HasSuffix(name, "/release_version") {
			version := strings.Split(strings.TrimPrefix(name, "/aws/service/eks/optimized-ami/"), "/")[0]
			value = version + ".4-" + date
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": name, "name": name, "type": "String", "value": value, "version": 1, "arn": "arn:aws:ssm:" + m.region + "::parameter" + name,
		}), nil
	case "aws:ec2/getNetworkInterfaces:getNetworkInterfaces":
		// multusAttachment instances: every instance is a running node with pods: its primary
		// interface at device index 0 and the VPC CNI's second ENI at 1, which it attaches once a pod
		// takes an address (WARM_ENI_TARGET 1, amazon-vpc-cni-k8s docs/eni-and-ip-target.md), and
		// no Multus ENI yet.
		filters := map[string]string{}
		for _, f := range args.Args["filters"].ArrayValue() {
			filters[f.ObjectValue()["name"].StringValue()] = f.ObjectValue()["values"].ArrayValue()[0].StringValue()
		}
		if instance := filters["attachment.instance-id"]; instance != "" && len(filters) == 1 {
			return resource.NewPropertyMapFromMap(map[string]any{"id": m.region, "ids": []any{mockInstanceEni(instance, 0), mockInstanceEni(instance, 1)}}), nil
		}
		if cluster := filters["tag:cluster"]; cluster != "" && filters["tag:multus"] == "true" && len(filters) == 2 {
			// A running cluster's Multus ENIs (RunningCluster.MultusEnis).
			ids := []any{}
			if c, err := m.runningCluster(cluster); err == nil {
				for _, e := range c.MultusEnis {
					ids = append(ids, e.ID)
				}
			}
			return resource.NewPropertyMapFromMap(map[string]any{"id": m.region, "ids": ids}), nil
		}
		return nil, fmt.Errorf("the offline plan answers getNetworkInterfaces only for an attachment.instance-id filter, or tag:cluster with tag:multus=true; asked %v", filters)
	case "aws:ec2/getNetworkInterface:getNetworkInterface":
		id := args.Args["id"].StringValue()
		for _, c := range m.running {
			for _, e := range c.MultusEnis {
				if e.ID != id {
					continue
				}
				var attachments []any
				if e.Instance != "" {
					attachments = append(attachments, map[string]any{"deviceIndex": 1, "instanceId": e.Instance, "attachmentId": "eni-attach-" + mockHex(id, 17)})
				}
				return resource.NewPropertyMapFromMap(map[string]any{"id": id, "attachments": attachments,
					"tags": map[string]any{"cluster": c.Name, "multus": "true", "multus-network": e.Network, "multus-attachment": e.Attachment}}), nil
			}
		}
		instance, index, ok := parseMockInstanceEni(id)
		if !ok {
			return nil, fmt.Errorf("InvalidNetworkInterfaceID.NotFound: The networkInterface ID '%s' does not exist", id)
		}
		return resource.NewPropertyMapFromMap(map[string]any{"id": id, "tags": map[string]any{},
			"attachments": []any{map[string]any{"deviceIndex": index, "instanceId": instance, "attachmentId": "eni-attach-" + mockHex(id, 17)}}}), nil
	case "aws:iam/getSessionContext:getSessionContext":
		// The offline plan's caller is an IAM user, whose session context is itself.
		arn := args.Args["arn"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{"id": arn, "arn": arn, "issuerArn": arn, "issuerId": "AIDAOFFLINEPLAN", "issuerName": "offline-plan"}), nil
	}
	return nil, fmt.Errorf("the offline plan has no mock for the function %s; add one to internal/plan/mocks.go", args.Token)
}

// mockInstanceEni names the offline plan's network interface of an instance at a device index.
func mockInstanceEni(instance string, index int) string {
	return fmt.Sprintf("eni-of-%s-at-%d", instance, index)
}

func parseMockInstanceEni(id string) (instance string, index int, ok bool) {
	rest, found := strings.CutPrefix(id, "eni-of-")
	if !found {
		return "", 0, false
	}
	instance, at, found := strings.Cut(rest, "-at-")
	if !found {
		return "", 0, false
	}
	index, err := strconv.Atoi(at)
	return instance, index, err == nil
}

// deleteBeforeReplaceOf is the registration's deleteBeforeReplace option, nil when the program left
// it to the provider.
func deleteBeforeReplaceOf(rpc *pulumirpc.RegisterResourceRequest) *bool {
	if !rpc.GetDeleteBeforeReplaceDefined() {
		return nil
	}
	v := rpc.GetDeleteBeforeReplace()
	return &v
}

// aliasesOf are the URNs the registration's aliases name, a specification resolved as the engine
// does: its name and type default to the resource's, its parent to the resource's parent.
func (m *mocks) aliasesOf(rpc *pulumirpc.RegisterResourceRequest, typ, name string) []string {
	out := slices.Clone(rpc.GetAliasURNs())
	for _, a := range rpc.GetAliases() {
		if urn := a.GetUrn(); urn != "" {
			out = append(out, urn)
			continue
		}
		spec := a.GetSpec()
		aliasName, aliasType, parent := cmp.Or(spec.GetName(), name), cmp.Or(spec.GetType(), typ), rpc.GetParent()
		switch {
		case spec.GetNoParent():
			parent = ""
		case spec.GetParentUrn() != "":
			parent = spec.GetParentUrn()
		}
		out = append(out, urnOf(cmp.Or(spec.GetStack(), m.stack), cmp.Or(spec.GetProject(), m.project), parent, aliasType, aliasName))
	}
	return out
}

// runningCluster is a cluster the mocked account holds, or EKS's error.
func (m *mocks) runningCluster(name string) (RunningCluster, error) {
	for _, c := range m.running {
		if c.Name == name {
			return c, nil
		}
	}
	return RunningCluster{}, fmt.Errorf("ResourceNotFoundException: No cluster found for name: %s", name)
}

// outputsFor returns the outputs AWS would add to a resource's inputs.
func (m *mocks) outputsFor(typ, name, id string, in resource.PropertyMap) map[resource.PropertyKey]resource.PropertyValue {
	out := map[resource.PropertyKey]resource.PropertyValue{}
	set := func(k string, v any) { out[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	if tags, ok := in["tags"]; ok {
		out["tagsAll"] = tags
	}
	ec2Arn := func(kind string) string {
		return fmt.Sprintf("arn:aws:ec2:%s:%s:%s/%s", m.region, AccountID, kind, id)
	}
	switch typ {
	case "aws:ec2/vpc:Vpc":
		set("arn", ec2Arn("vpc"))
		set("ownerId", AccountID)
		set("mainRouteTableId", "rtb-main"+id[len("vpc"):])
		set("defaultSecurityGroupId", "sg-default"+id[len("vpc"):])
		if v, ok := in["assignGeneratedIpv6CidrBlock"]; ok && v.IsBool() && v.BoolValue() {
			set("ipv6CidrBlock", MockVpcIpv6Cidr)
			set("ipv6AssociationId", "vpc-cidr-assoc"+id[len("vpc"):])
		}
	case "aws:ec2/subnet:Subnet":
		set("arn", ec2Arn("subnet"))
		set("ownerId", AccountID)
		if _, ok := in["ipv6CidrBlock"]; ok {
			set("ipv6CidrBlockAssociationId", "subnet-cidr-assoc"+id[len("subnet"):])
		}
	case "aws:ec2/internetGateway:InternetGateway":
		set("arn", ec2Arn("internet-gateway"))
	case "aws:ec2/eip:Eip":
		set("allocationId", id)
		set("publicIp", mockPublicIP(id))
	case "aws:ec2/natGateway:NatGateway":
		set("networkInterfaceId", mockID("eni", id))
		set("publicIp", mockPublicIP(id))
		set("privateIp", "192.168.0.10")
	case "aws:ec2/routeTable:RouteTable":
		set("arn", ec2Arn("route-table"))
	case "aws:ec2/securityGroup:SecurityGroup":
		set("arn", ec2Arn("security-group"))
		set("ownerId", AccountID)
	case "aws:ec2/launchTemplate:LaunchTemplate":
		set("arn", ec2Arn("launch-template"))
		set("latestVersion", 1)
		set("defaultVersion", 1)
	case "aws:iam/role:Role":
		roleName := stringInput(in, "name", autoName(name))
		set("name", roleName)
		set("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s", AccountID, roleName))
		set("uniqueId", "AROA"+strings.ToUpper(mockHex(roleName, 17)))
	case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
		if url := stringInput(in, "url", ""); url != "" {
			set("arn", fmt.Sprintf("arn:aws:iam::%s:oidc-provider/%s", AccountID, strings.TrimPrefix(url, "https://")))
		}
	case "aws:eks/addon:Addon":
		set("arn", fmt.Sprintf("arn:aws:eks:%s:%s:addon/%s", m.region, AccountID, strings.ReplaceAll(id, ":", "/")))
	case "aws:eks/accessEntry:AccessEntry":
		set("accessEntryArn", fmt.Sprintf("arn:aws:eks:%s:%s:access-entry/%s", m.region, AccountID, strings.ReplaceAll(id, ":", "/")))
	case "kubernetes:core/v1:Pod":
		// The address Kubernetes gives a running pod; what the checks' Jobs are told to reach.
		sum := sha256.Sum256([]byte(name))
		set("status", map[string]any{"phase": "Running", "podIP": fmt.Sprintf("192.168.%d.%d", 100+sum[0]%64, 1+sum[1]%254)})
	case "eks:index:Cluster":
		clusterName := stringInput(in, "name", autoName(name))
		kubeconfig := mockKubeconfig(clusterName, m.region)
		raw, _ := json.Marshal(kubeconfig)
		set("kubeconfig", kubeconfig)
		set("kubeconfigJson", string(raw))
	}
	return out
}

// idFor gives ids that are not random strings the shape AWS gives them.
func (m *mocks) idFor(typ, urn string, in resource.PropertyMap) string {
	switch typ {
	case "aws:iam/role:Role":
		return stringInput(in, "name", autoName(resource.URN(urn).Name()))
	case "aws:eks/addon:Addon":
		return stringInput(in, "clusterName", "") + ":" + stringInput(in, "addonName", "")
	case "aws:eks/accessEntry:AccessEntry":
		return stringInput(in, "clusterName", "") + ":" + stringInput(in, "principalArn", "")
	}
	return mockID(typ, urn)
}

func (m *mocks) oidcIssuer(cluster string) string {
	return fmt.Sprintf("https://oidc.eks.%s.amazonaws.com/id/%s", m.region, strings.ToUpper(mockHex(cluster, 32)))
}

// mockVcpus stands in for EC2's vCPU count, by the size in the name as most families have it
// (large 2, xlarge 4, Nxlarge 4N); not a statement of what EC2 says of every type.
func mockVcpus(instanceType string) int {
	_, size, _ := strings.Cut(instanceType, ".")
	switch {
	case size == "xlarge":
		return 4
	case strings.HasSuffix(size, "xlarge"):
		n, err := strconv.Atoi(strings.TrimSuffix(size, "xlarge"))
		if err == nil {
			return 4 * n
		}
	case strings.HasPrefix(size, "metal"):
		return 96
	}
	return 2
}

// MockCertificateAuthorityData is the clusters' CA in the offline plan: base64 of a PEM-looking text.
const MockCertificateAuthorityData = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCm9mZmxpbmUtcGxhbgotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg=="

// mockKubeconfig is a kubeconfig like pulumi-eks writes: the endpoint, and a token from aws eks get-token.
func mockKubeconfig(cluster, region string) map[string]any {
	return map[string]any{
		"apiVersion": "v1", "kind": "Config", "current-context": "aws",
		"clusters": []any{map[string]any{"name": "kubernetes", "cluster": map[string]any{
			"server":                     fmt.Sprintf("https://%s.gr7.%s.eks.amazonaws.com", mockHex(cluster, 32), region),
			"certificate-authority-data": "bW9jay1jYQ==",
		}}},
		"contexts": []any{map[string]any{"name": "aws", "context": map[string]any{"cluster": "kubernetes", "user": "aws"}}},
		"users": []any{map[string]any{"name": "aws", "user": map[string]any{"exec": map[string]any{
			"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
			"args": []any{"eks", "get-token", "--cluster-name", cluster, "--output", "json"},
		}}}},
	}
}

func stringInput(in resource.PropertyMap, key, fallback string) string {
	if v, ok := in[resource.PropertyKey(key)]; ok && v.IsString() {
		return v.StringValue()
	}
	return fallback
}

// autoName imitates Pulumi's auto-naming: the logical name and a random-looking suffix (here a hash).
func autoName(logical string) string { return logical + "-" + mockHex(logical, 7) }

func mockHex(seed string, n int) string {
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:])[:n]
}

// idPrefixes are the prefixes AWS puts on ids, by resource type.
var idPrefixes = map[string]string{
	"aws:ec2/vpc:Vpc":                                             "vpc",
	"aws:ec2/subnet:Subnet":                                       "subnet",
	"aws:ec2/internetGateway:InternetGateway":                     "igw",
	"aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway": "eigw",
	"aws:ec2/eip:Eip":                                             "eipalloc",
	"aws:ec2/natGateway:NatGateway":                               "nat",
	"aws:ec2/routeTable:RouteTable":                               "rtb",
	"aws:ec2/routeTableAssociation:RouteTableAssociation":         "rtbassoc",
	"aws:ec2/route:Route":                                         "r",
	"aws:ec2/securityGroup:SecurityGroup":                         "sg",
	"aws:ec2/networkInterface:NetworkInterface":                   "eni",
	"aws:ec2/launchTemplate:LaunchTemplate":                       "lt",
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":   "sgr",
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":     "sgr",
}

// mockID makes an AWS-looking id from a hash of the URN, so ids are stable run to run.
func mockID(typ, urn string) string {
	sum := sha256.Sum256([]byte(urn))
	prefix, ok := idPrefixes[typ]
	if !ok {
		prefix = strings.ToLower(typ[strings.LastIndex(typ, ":")+1:])
	}
	return prefix + "-0" + hex.EncodeToString(sum[:])[:16]
}

func mockPublicIP(id string) string {
	sum := sha256.Sum256([]byte(id))
	return fmt.Sprintf("3.%d.%d.%d", 64+sum[0]%64, sum[1], 1+sum[2]%254)
}

// shortRegion abbreviates a region the way AZ ids do: eu-central-1 becomes euc1.
func shortRegion(region string) string {
	parts := strings.Split(region, "-")
	short := parts[0]
	for _, p := range parts[1 : len(parts)-1] {
		short += p[:1]
	}
	return short + parts[len(parts)-1]
}
