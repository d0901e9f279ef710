package awstwin

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"eks-advanced-networking/test/awstwin/awsdata"
)

// The data sources the program and pulumi-eks read, answered from AWS's data (package awsdata) and
// from what the account holds, never from the offline plan's mocks. A function the twin does not
// simulate is an error, not a default.

// dataSource answers one function: its result, or AWS's error.
type dataSource func(a *Account, args map[string]any) (map[string]any, *Error)

var dataSources = map[string]dataSource{
	"aws:index/getAvailabilityZones:getAvailabilityZones": availabilityZones,
	"aws:index/getCallerIdentity:getCallerIdentity":       callerIdentity,
	"aws:index/getPartition:getPartition":                 partition,
	"aws:index/getRegion:getRegion":                       region,
	"aws:iam/getSessionContext:getSessionContext":         sessionContext,
	"aws:eks/getAddonVersion:getAddonVersion":             addonVersion,
	"aws:eks/getCluster:getCluster":                       describeCluster,
	"aws:eks/getClusters:getClusters":                     listClusters,
	"aws:eks/getNodeGroups:getNodeGroups":                 listNodeGroups,
	"aws:eks/getNodeGroup:getNodeGroup":                   describeNodeGroup,
	"aws:ec2/getInstanceType:getInstanceType":             instanceType,
	"aws:ec2/getVpc:getVpc":                               describeVpc,
	"aws:ec2/getSubnet:getSubnet":                         describeSubnet,
	"aws:ec2/getNetworkInterfaces:getNetworkInterfaces":   listNetworkInterfaces,
	"aws:ec2/getNetworkInterface:getNetworkInterface":     networkInterface,
	"aws:ssm/getParameter:getParameter":                   ssmParameter,
}

// Answer runs a data source against the account.
func (a *Account) Answer(token string, args map[string]any) (map[string]any, *Error) {
	ds, ok := dataSources[token]
	if !ok {
		return nil, awsErr("UnsupportedOperation", "the AWS twin does not simulate the function %s", token)
	}
	return ds(a, args)
}

// availabilityZones is DescribeAvailabilityZones as pulumi-aws calls it: zones in state "available"
// when asked, through the filters the program passes. Names stay in the order EC2 gives them.
func availabilityZones(a *Account, args map[string]any) (map[string]any, *Error) {
	zones, ok := awsdata.Zones(a.Region)
	if !ok {
		return nil, awsErr("UnsupportedOperation", "the AWS twin holds no availability zones for %s", a.Region)
	}
	state, _ := args["state"].(string)
	var names, ids []any
	groups := map[string]bool{}
	for _, z := range zones {
		if state != "" && z.State != state {
			continue
		}
		keep := true
		for _, f := range anyList(args["filters"]) {
			values := stringList(object(f)["values"])
			var field string
			switch name := strOf(object(f), "name"); name {
			case "opt-in-status":
				field = z.OptInStatus
			case "zone-name":
				field = z.ZoneName
			case "zone-id":
				field = z.ZoneId
			case "zone-type":
				field = z.ZoneType
			default:
				return nil, awsErr("InvalidParameterValue", "The filter '%s' is invalid", name)
			}
			keep = keep && slices.Contains(values, field)
		}
		if !keep || slices.Contains(stringList(args["excludeNames"]), z.ZoneName) || slices.Contains(stringList(args["excludeZoneIds"]), z.ZoneId) {
			continue
		}
		names = append(names, z.ZoneName)
		ids = append(ids, z.ZoneId)
		groups[z.GroupName] = true
	}
	var groupNames []any
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		groupNames = append(groupNames, g)
	}
	return map[string]any{"id": a.Region, "names": names, "zoneIds": ids, "groupNames": groupNames}, nil
}

func callerIdentity(_ *Account, _ map[string]any) (map[string]any, *Error) {
	c := awsdata.Caller()
	return map[string]any{"id": c.Account, "accountId": c.Account, "arn": c.Arn, "userId": c.UserId}, nil
}

func partition(a *Account, _ map[string]any) (map[string]any, *Error) {
	p, ok := awsdata.PartitionOf(a.Region)
	if !ok {
		return nil, awsErr("InvalidClientTokenId", "no AWS partition has the region %s", a.Region)
	}
	parts := strings.Split(p.DNSSuffix, ".")
	slices.Reverse(parts)
	return map[string]any{"id": p.Partition, "partition": p.Partition, "dnsSuffix": p.DNSSuffix, "reverseDnsPrefix": strings.Join(parts, ".")}, nil
}

func region(a *Account, args map[string]any) (map[string]any, *Error) {
	name, _ := args["name"].(string)
	if name == "" {
		name, _ = args["region"].(string)
	}
	if name == "" {
		name = a.Region
	}
	p, ok := awsdata.PartitionOf(name)
	if !ok {
		return nil, awsErr("InvalidParameterValue", "region %s not found", name)
	}
	return map[string]any{"id": name, "name": name, "region": name, "description": p.RegionDescription,
		"endpoint": fmt.Sprintf("ec2.%s.%s", name, p.DNSSuffix)}, nil
}

// sessionContext is pulumi-aws's getSessionContext: an assumed role's session names the role it was
// assumed from; any other ARN is its own issuer (terraform-provider-aws
// internal/service/iam/session_context_data_source.go).
func sessionContext(_ *Account, args map[string]any) (map[string]any, *Error) {
	arn, _ := args["arn"].(string)
	out := map[string]any{"id": arn, "arn": arn, "issuerArn": arn, "issuerId": "", "issuerName": "", "sessionName": ""}
	// arn:aws:sts::123456789012:assumed-role/<role>/<session>
	if _, rest, ok := strings.Cut(arn, ":assumed-role/"); ok {
		role, session, _ := strings.Cut(rest, "/")
		account := strings.Split(arn, ":")[4]
		out["issuerArn"] = fmt.Sprintf("arn:aws:iam::%s:role/%s", account, role)
		out["issuerName"], out["sessionName"] = role, session
	}
	return out, nil
}

// addonVersion is pulumi-aws's getAddonVersion: the newest version EKS offers for the Kubernetes
// version with mostRecent, else the default one.
func addonVersion(_ *Account, args map[string]any) (map[string]any, *Error) {
	addon, _ := args["addonName"].(string)
	k8s, _ := args["kubernetesVersion"].(string)
	mostRecent, _ := args["mostRecent"].(bool)
	offered, byDefault := awsdata.AddonVersions(addon, k8s)
	if !slices.Contains(awsdata.Addons(), addon) {
		return nil, awsErr("ResourceNotFoundException", "Addon %s specified is not supported", addon)
	}
	version := byDefault
	if mostRecent && len(offered) > 0 {
		version = offered[0]
	}
	if version == "" {
		return nil, awsErr("InvalidParameterException", "no %s versions are offered for Kubernetes %s", addon, k8s)
	}
	return map[string]any{"id": addon, "addonName": addon, "kubernetesVersion": k8s, "mostRecent": mostRecent, "version": version}, nil
}

// describeCluster is a cluster the account holds.
func describeCluster(a *Account, args map[string]any) (map[string]any, *Error) {
	name, _ := args["name"].(string)
	c, err := a.cluster(name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": name, "name": name, "status": c.Outputs["status"], "arn": c.Outputs["arn"],
		"endpoint": c.Outputs["endpoint"], "version": c.Outputs["version"], "identities": c.Outputs["identities"],
		"certificateAuthorities":   []any{c.Outputs["certificateAuthority"]},
		"kubernetesNetworkConfigs": []any{c.Outputs["kubernetesNetworkConfig"]},
		"vpcConfig":                c.Outputs["vpcConfig"],
		"tags":                     c.tagsAll(),
	}, nil
}

// listClusters is ListClusters: the names of the account's clusters in the region, deleting ones
// included (EKS lists a cluster until its delete finishes).
func listClusters(a *Account, _ map[string]any) (map[string]any, *Error) {
	names := []any{}
	for _, c := range a.live(typeCluster, nil) {
		names = append(names, c.ID)
	}
	return map[string]any{"id": a.Region, "names": names}, nil
}

// listNodeGroups is ListNodegroups for one cluster.
func listNodeGroups(a *Account, args map[string]any) (map[string]any, *Error) {
	name, _ := args["clusterName"].(string)
	if _, err := a.cluster(name); err != nil {
		return nil, err
	}
	names := []any{}
	for _, g := range a.live(typeNodeGroup, func(g *Record) bool { return g.str("clusterName") == name }) {
		names = append(names, g.str("nodeGroupName"))
	}
	return map[string]any{"id": name, "clusterName": name, "names": names}, nil
}

// describeNodeGroup is DescribeNodegroup: what the program reads of a group (its versions, AMI type
// and status).
func describeNodeGroup(a *Account, args map[string]any) (map[string]any, *Error) {
	cluster, _ := args["clusterName"].(string)
	name, _ := args["nodeGroupName"].(string)
	for _, g := range a.live(typeNodeGroup, func(g *Record) bool { return g.str("clusterName") == cluster && g.str("nodeGroupName") == name }) {
		return map[string]any{"id": g.ID, "clusterName": cluster, "nodeGroupName": name, "arn": g.Outputs["arn"],
			"status": g.Outputs["status"], "version": g.str("version"), "releaseVersion": g.str("releaseVersion"), "amiType": g.str("amiType")}, nil
	}
	return nil, awsErr("ResourceNotFoundException", "No node group found for name: %s.", name)
}

// describeVpc is DescribeVpcs for one id, as the program asks for a running cluster's VPC: its
// primary block and its IPv6 block ("" when it has none). EC2 answers an id that names nothing with InvalidVpcID.NotFound.
func describeVpc(a *Account, args map[string]any) (map[string]any, *Error) {
	id, _ := args["id"].(string)
	r, ok := a.Resources[id]
	if !ok || r.Type != typeVpc {
		return nil, notFound(typeVpc, id)
	}
	return map[string]any{"id": id, "cidrBlock": r.str("cidrBlock"), "ipv6CidrBlock": r.str("ipv6CidrBlock"), "state": "available"}, nil
}

// describeSubnet is DescribeSubnets for one id: its VPC, zone and block.
func describeSubnet(a *Account, args map[string]any) (map[string]any, *Error) {
	id, _ := args["id"].(string)
	r, ok := a.Resources[id]
	if !ok || r.Type != typeSubnet {
		return nil, notFound(typeSubnet, id)
	}
	return map[string]any{"id": id, "vpcId": r.str("vpcId"), "availabilityZone": r.str("availabilityZone"),
		"cidrBlock": r.str("cidrBlock"), "state": "available"}, nil
}

// listNetworkInterfaces is DescribeNetworkInterfaces as pulumi-aws's getNetworkInterfaces calls it:
// its tags become tag:<key> filters beside its own, and the answer is the ids of every match, none
// an empty list rather than an error (terraform-provider-aws
// internal/service/ec2/vpc_network_interfaces_data_source.go).
func listNetworkInterfaces(a *Account, args map[string]any) (map[string]any, *Error) {
	filters := dataSourceFilters(args)
	found, err := a.describeNetworkInterfaces(nil, filters)
	if err != nil {
		return nil, err
	}
	ids := []any{}
	for _, d := range found {
		ids = append(ids, d["NetworkInterfaceId"])
	}
	return map[string]any{"id": a.Region, "ids": ids}, nil
}

// networkInterface is DescribeNetworkInterfaces for the one id pulumi-aws's getNetworkInterface
// names: its attachment and tags, as EC2 describes them; an unknown id is EC2's NotFound.
func networkInterface(a *Account, args map[string]any) (map[string]any, *Error) {
	id, _ := args["id"].(string)
	if id == "" || len(anyList(args["filters"])) > 0 {
		return nil, awsErr("NotSimulated", "the AWS twin describes one network interface by its id only")
	}
	found, err := a.describeNetworkInterfaces([]string{id}, nil)
	if err != nil {
		return nil, err
	}
	d := found[0]
	tags := map[string]any{}
	for _, tag := range d["TagSet"].([]map[string]any) {
		tags[tag["Key"].(string)] = tag["Value"]
	}
	attachments := []any{}
	if attachment, ok := d["Attachment"].(map[string]any); ok {
		attachments = append(attachments, map[string]any{"instanceId": attachment["InstanceId"], "deviceIndex": attachment["DeviceIndex"],
			"networkCardIndex": 0, "instanceOwnerId": AccountID})
	}
	return map[string]any{"id": id, "attachments": attachments, "tags": tags, "subnetId": d["SubnetId"],
		"availabilityZone": d["AvailabilityZone"], "macAddress": d["MacAddress"], "description": d["Description"]}, nil
}

// dataSourceFilters are a data source's filter blocks and its tags, as tag:<key> filters.
func dataSourceFilters(args map[string]any) []ec2Filter {
	var filters []ec2Filter
	tags, _ := args["tags"].(map[string]any)
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		v, _ := tags[k].(string)
		filters = append(filters, ec2Filter{"tag:" + k, []string{v}})
	}
	for _, f := range anyList(args["filters"]) {
		f, _ := f.(map[string]any)
		name, _ := f["name"].(string)
		var values []string
		for _, v := range anyList(f["values"]) {
			s, _ := v.(string)
			values = append(values, s)
		}
		filters = append(filters, ec2Filter{name, values})
	}
	return filters
}

// instanceType is DescribeInstanceTypes for one type; EC2 refuses a type it does not have.
func instanceType(_ *Account, args map[string]any) (map[string]any, *Error) {
	name, _ := args["instanceType"].(string)
	t, err := describeInstanceType(name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": name, "instanceType": name, "defaultVcpus": t.VCpuInfo.DefaultVCpus,
		"memorySize": t.MemoryInfo.SizeInMiB, "supportedArchitectures": []any{t.Architecture()},
		"maximumNetworkInterfaces": t.NetworkInfo.MaximumNetworkInterfaces, "maximumIpv4AddressesPerInterface": t.NetworkInfo.Ipv4AddressesPerInterface,
		"ipv6Supported": t.NetworkInfo.Ipv6Supported, "hypervisor": t.Hypervisor, "bareMetal": t.BareMetal}, nil
}

func describeInstanceType(name string) (awsdata.InstanceType, *Error) {
	t, ok := awsdata.Instance(name)
	if !ok {
		return t, awsErr("InvalidInstanceType", "The following supplied instance types do not exist: [%s]", name)
	}
	return t, nil
}

// ssmParameter is GetParameter for the public EKS AMI parameters, as of the account's AMI release.
func ssmParameter(a *Account, args map[string]any) (map[string]any, *Error) {
	name, _ := args["name"].(string)
	value, ok := awsdata.AmiParameter(name, a.AmiRelease)
	if !ok {
		return nil, awsErr("ParameterNotFound", "Parameter %s not found.", name)
	}
	return map[string]any{"id": name, "name": name, "type": "String", "value": value, "insecureValue": value,
		"version": 1, "withDecryption": true, "arn": fmt.Sprintf("arn:aws:ssm:%s::parameter%s", a.Region, name)}, nil
}
