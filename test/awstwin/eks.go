package awstwin

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"eks-advanced-networking/test/awstwin/awsdata"
)

// EKS: clusters, managed node groups, add-ons and access entries. Codes and messages are EKS's
// (bc:eks = botocore's EKS model; tam = terraform-aws-modules/terraform-aws-eks).

const (
	typeCluster           = "aws:eks/cluster:Cluster"
	typeNodeGroup         = "aws:eks/nodeGroup:NodeGroup"
	typeAddon             = "aws:eks/addon:Addon"
	typeAccessEntry       = "aws:eks/accessEntry:AccessEntry"
	typeAccessAssociation = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
)

// CallerArn is who deploys (STS GetCallerIdentity); EKS gives that identity an access entry itself
// when the cluster bootstraps its creator's admin permissions.
var CallerArn = awsdata.Caller().Arn

// kubernetesVersions are the versions EKS creates clusters with, as of 2026-11 (EKS User Guide,
// "Kubernetes version lifecycle"); others get "unsupported Kubernetes version" (tam#3164).
var kubernetesVersions = []string{"1.32", "1.33", "1.34", "1.35", "1.36"}

// addonOffers says whether EKS offers an add-on version for a Kubernetes version, as
// DescribeAddonVersions lists them (awsdata).
func addonOffers(addon, version, kubernetes string) bool {
	offered, _ := awsdata.AddonVersions(addon, kubernetes)
	return slices.Contains(offered, version)
}

func object(v any) map[string]any {
	m, _ := v.(map[string]any)
	if m == nil {
		if list, ok := v.([]any); ok && len(list) > 0 {
			m, _ = list[0].(map[string]any)
		}
	}
	return m
}

func strOf(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func (a *Account) cluster(name string) (*Record, *Error) {
	for _, c := range a.live(typeCluster, nil) {
		if c.ID == name && c.DeletingUntil == nil {
			return c, nil
		}
	}
	return nil, awsErr("ResourceNotFoundException", "No cluster found for name: %s.", name)
}

// activeCluster is a cluster that can take add-ons, node groups and access entries: one whose create
// has finished. Before that EKS answers InvalidRequestException, "the request is invalid given the
// state of the cluster" (EKS API reference, CreateAddon, CreateNodegroup, CreateAccessEntry).
func (a *Account) activeCluster(name string) (*Record, *Error) {
	c, err := a.cluster(name)
	if err != nil {
		return nil, err
	}
	if c.CreatingUntil != nil {
		return nil, awsErr("InvalidRequestException", "The request is invalid given the state of the cluster %s (CREATING). Check the state of the cluster and the associated operations.", name)
	}
	return c, nil
}

func init() {
	register(typeCluster, handler{prefix: "cluster", took: durations{create: 12 * time.Minute, delete: 10 * time.Minute},
		create: func(a *Account, r *Record) *Error {
			name := r.str("name")
			if len(a.live(typeCluster, func(o *Record) bool { return o.ID == name })) > 0 {
				return awsErr("ResourceInUseException", "Cluster already exists with name: %s", name)
			}
			if _, err := a.role(r.str("roleArn")); err != nil {
				// tpa eks/cluster.go retries this for 2 minutes while IAM propagates; a role that does not
				// exist at all still fails.
				return awsErr("InvalidParameterException", "Role with arn: %s, does not exist", r.str("roleArn"))
			}
			version := r.str("version")
			if version != "" && !slices.Contains(kubernetesVersions, version) {
				return awsErr("InvalidParameterException", "unsupported Kubernetes version %s", version)
			}
			if version == "" {
				version = kubernetesVersions[len(kubernetesVersions)-2]
			}
			vpcConfig := object(r.Inputs["vpcConfig"])
			zones, vpcID, ipv6Subnets := map[string]bool{}, "", true
			subnetIds := stringList(vpcConfig["subnetIds"])
			for _, id := range subnetIds {
				subnet, err := a.get(id, typeSubnet)
				if err != nil {
					return awsErr("InvalidParameterException", "The subnet ID '%s' does not exist", id)
				}
				zones[subnet.str("availabilityZone")] = true
				vpcID = subnet.str("vpcId")
				ipv6Subnets = ipv6Subnets && subnet.str("ipv6CidrBlock") != ""
			}
			// pulumi/pulumi-eks#311
			if len(zones) < 2 {
				return awsErr("InvalidParameterException", "Subnets specified must be in at least two different AZs")
			}
			for _, sg := range stringList(vpcConfig["securityGroupIds"]) {
				if _, err := a.get(sg, typeSecurityGroup); err != nil {
					return awsErr("InvalidParameterException", "The security group '%s' does not exist", sg)
				}
			}
			network := object(r.Inputs["kubernetesNetworkConfig"])
			if strOf(network, "ipFamily") == "ipv6" && !ipv6Subnets {
				// bc:eks KubernetesNetworkConfigRequest: an IPv6 cluster's subnets need IPv6 blocks.
				return awsErr("InvalidParameterException", "IPv6 clusters require subnets with IPv6 CIDR blocks; subnets %v have none", subnetIds)
			}
			r.ID = name
			a.eksCreatesLogGroup(r)
			// EKS's cluster security group, which EKS deletes with the cluster: it keeps the VPC in use.
			// It lets its members (the control plane's interfaces, and nodes given no other group)
			// reach each other on everything (EKS User Guide, sec-group-reqs).
			sg := &Record{Type: typeSecurityGroup, ID: a.nextID("sg"), Outputs: map[string]any{},
				Inputs: map[string]any{"vpcId": vpcID, "name": "eks-cluster-sg-" + name, "description": "EKS created security group",
					"ingress": []any{map[string]any{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "self": true}}}}
			a.Resources[sg.ID] = sg
			host := fmt.Sprintf("%032X", a.Sequence)
			r.Outputs["arn"] = fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", a.Region, AccountID, name)
			r.Outputs["version"] = version
			r.Outputs["status"] = "ACTIVE"
			r.Outputs["endpoint"] = fmt.Sprintf("https://%s.gr7.%s.eks.amazonaws.com", host, a.Region)
			r.Outputs["certificateAuthority"] = map[string]any{"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="}
			if a.ApiServer.Endpoint != "" {
				// The endpoint is the gate in front of the API server, which answers the deployer as
				// the cluster's access allows at the time (EndpointGate); without one, the API server.
				r.Outputs["certificateAuthority"] = map[string]any{"data": a.ApiServer.CertificateAuthority}
				r.Outputs["endpoint"] = cmp.Or(a.ApiServer.PublicEndpoint, a.ApiServer.Endpoint)
			}
			r.Outputs["identities"] = []any{map[string]any{"oidcs": []any{map[string]any{
				"issuer": fmt.Sprintf("https://oidc.eks.%s.amazonaws.com/id/%s", a.Region, host)}}}}
			networkOut := map[string]any{"ipFamily": "ipv4", "serviceIpv4Cidr": "172.20.0.0/16"}
			if strOf(network, "ipFamily") == "ipv6" {
				// EKS assigns an IPv6 cluster's services a /108 of a unique local block.
				networkOut = map[string]any{"ipFamily": "ipv6", "serviceIpv6Cidr": fmt.Sprintf("fd%02x:%04x:%04x::/108", a.Sequence%256, a.Sequence, a.Sequence)}
			} else if cidr := strOf(network, "serviceIpv4Cidr"); cidr != "" {
				networkOut["serviceIpv4Cidr"] = cidr
			}
			r.Outputs["kubernetesNetworkConfig"] = networkOut
			vpcOut := map[string]any{"clusterSecurityGroupId": sg.ID, "vpcId": vpcID}
			for k, v := range vpcConfig {
				vpcOut[k] = v
			}
			r.Outputs["vpcConfig"] = vpcOut
			if access := object(r.Inputs["accessConfig"]); access["bootstrapClusterCreatorAdminPermissions"] != false {
				entry := &Record{Type: typeAccessEntry, ID: name + ":" + CallerArn, Owner: name, Outputs: map[string]any{},
					Inputs: map[string]any{"clusterName": name, "principalArn": CallerArn, "type": "STANDARD"}}
				a.Resources[entry.ID] = entry
			}
			controlPlane := subnetIds[:min(eksControlPlaneENIs, len(subnetIds))]
			a.addOwnedENIs(r, "Amazon EKS "+name, controlPlane,
				append(stringList(vpcConfig["securityGroupIds"]), strOf(vpcOut, "clusterSecurityGroupId")), len(controlPlane))
			return nil
		},
		update: func(a *Account, old, r *Record) *Error {
			if v := r.str("version"); v != "" && !slices.Contains(kubernetesVersions, v) {
				return awsErr("InvalidParameterException", "unsupported Kubernetes version %s", v)
			}
			if err := a.checkVersionUpdate(old, r); err != nil {
				return err
			}
			r.Outputs["version"] = r.str("version")
			return nil
		},
		// "Cluster has nodegroups attached" (gruntwork-io/cloud-nuke#148); add-ons, access entries and
		// the cluster security group go with the cluster.
		delete: func(a *Account, r *Record) *Error {
			if groups := a.live(typeNodeGroup, func(o *Record) bool { return o.str("clusterName") == r.ID }); len(groups) > 0 {
				return awsErr("ResourceInUseException", "Cluster has nodegroups attached (%s)", groups[0].str("nodeGroupName"))
			}
			for _, typ := range []string{typeAddon, typeAccessEntry, typeAccessAssociation} {
				for _, o := range a.live(typ, func(o *Record) bool { return o.str("clusterName") == r.ID }) {
					delete(a.Resources, o.ID)
				}
			}
			if vpc := object(r.Outputs["vpcConfig"]); vpc != nil {
				delete(a.Resources, strOf(vpc, "clusterSecurityGroupId"))
			}
			return nil
		},
	})

	register(typeNodeGroup, handler{prefix: "ng", took: durations{create: 2 * time.Minute, delete: 3 * time.Minute},
		create: func(a *Account, r *Record) *Error {
			cluster, err := a.activeCluster(r.str("clusterName"))
			if err != nil {
				return err
			}
			if err := a.checkNodeGroup(cluster, r, r.str("amiType")); err != nil {
				return err
			}
			name := r.str("nodeGroupName")
			if len(a.live(typeNodeGroup, func(o *Record) bool { return o.str("clusterName") == cluster.ID && o.str("nodeGroupName") == name })) > 0 {
				return awsErr("ResourceInUseException", "NodeGroup already exists with name %s and cluster name %s", name, cluster.ID)
			}
			version, err := a.nodeGroupVersion(cluster, r, cluster.str("version"))
			if err != nil {
				return err
			}
			r.ID = cluster.ID + ":" + name
			r.Outputs["arn"] = fmt.Sprintf("arn:aws:eks:%s:%s:nodegroup/%s/%s/%s", a.Region, AccountID, cluster.ID, name, r.ID)
			r.Outputs["status"] = "ACTIVE"
			r.Outputs["version"] = version
			a.nodeENIs(r)
			return nil
		},
		update: func(a *Account, old, r *Record) *Error {
			cluster, err := a.activeCluster(r.str("clusterName"))
			if err != nil {
				return err
			}
			// EKS keeps a group's AMI type; an update that names none keeps the old one.
			amiType := r.str("amiType")
			if amiType == "" {
				amiType = old.str("amiType")
			}
			if err := a.checkNodeGroup(cluster, r, amiType); err != nil {
				return err
			}
			version, err := a.nodeGroupVersion(cluster, r, old.str("version"))
			if err != nil {
				return err
			}
			r.Outputs["version"] = version
			if rollsNodes(old.Inputs, r.Inputs) {
				if err := a.checkSurge(old); err != nil {
					return err
				}
				// A version update replaces the instances, and their interfaces with them.
				a.dropOwnedENIs(r.ID)
			}
			a.nodeENIs(r)
			return nil
		},
	})

	register(typeAddon, handler{prefix: "addon", took: durations{create: 45 * time.Second, delete: 30 * time.Second},
		create: func(a *Account, r *Record) *Error {
			cluster, err := a.activeCluster(r.str("clusterName"))
			if err != nil {
				return err
			}
			name := r.str("addonName")
			if len(a.live(typeAddon, func(o *Record) bool { return o.str("clusterName") == cluster.ID && o.str("addonName") == name })) > 0 {
				return awsErr("ResourceInUseException", "Addon already exists.")
			}
			if err := checkAddon(cluster, r); err != nil {
				return err
			}
			r.ID = cluster.ID + ":" + name
			r.Outputs["arn"] = fmt.Sprintf("arn:aws:eks:%s:%s:addon/%s/%s/%s", a.Region, AccountID, cluster.ID, name, r.ID)
			if r.str("addonVersion") == "" {
				// EKS installs the default version for the cluster's Kubernetes version.
				_, r.Outputs["addonVersion"] = awsdata.AddonVersions(name, cluster.str("version"))
			}
			return nil
		},
		update: func(a *Account, old, r *Record) *Error {
			cluster, err := a.activeCluster(r.str("clusterName"))
			if err != nil {
				return err
			}
			if err := checkAddon(cluster, r); err != nil {
				return err
			}
			// The add-on runs the version asked for; an update that names none leaves the one it runs
			// (pulumi-aws sends no version then: addon_version is optional and computed).
			if v := r.Inputs["addonVersion"]; v != nil && v != "" {
				r.Outputs["addonVersion"] = v
			}
			return nil
		},
	})

	register(typeAccessEntry, handler{prefix: "entry", took: quick,
		create: func(a *Account, r *Record) *Error {
			cluster, err := a.activeCluster(r.str("clusterName"))
			if err != nil {
				return err
			}
			principal := r.str("principalArn")
			// tam#3293: one entry per principal, the creator's own (made by EKS) included.
			if len(a.live(typeAccessEntry, func(o *Record) bool { return o.str("clusterName") == cluster.ID && o.str("principalArn") == principal })) > 0 {
				return awsErr("ResourceInUseException", "The specified access entry resource is already in use on this cluster.")
			}
			if r.str("type") == "" {
				r.Outputs["type"] = "STANDARD"
			}
			r.ID = cluster.ID + ":" + principal
			r.Outputs["accessEntryArn"] = fmt.Sprintf("arn:aws:eks:%s:%s:access-entry/%s/%s", a.Region, AccountID, cluster.ID, r.ID)
			return nil
		},
		update: func(a *Account, old, r *Record) *Error { return nil },
	})

	register(typeAccessAssociation, handler{prefix: "assoc", took: quick,
		create: func(a *Account, r *Record) *Error {
			entry, ok := a.Resources[r.str("clusterName")+":"+r.str("principalArn")]
			if !ok || entry.Type != typeAccessEntry {
				return awsErr("ResourceNotFoundException", "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.")
			}
			if entry.str("type") != "STANDARD" {
				// aws-controllers-k8s/community#2144
				return awsErr("InvalidParameterException", `This operation can only be performed on Access Entries with a type of "STANDARD".`)
			}
			r.ID = entry.ID + "#" + r.str("policyArn")
			return nil
		},
		update: func(a *Account, old, r *Record) *Error { return nil },
	})
}

// checkVersionUpdate is UpdateClusterVersion's refusals: one minor version up at a time ("Unsupported
// Kubernetes minor version update from 1.22 to 1.25", terraform-aws-modules/terraform-aws-eks#2607;
// "... from 1.25 to 1.24", rancher/rancher#43316), and only when every managed node group runs the
// control plane's current version, behind it or ahead ("Nodegroups eks-stg-gp must be updated to
// match cluster version 1.18 before updating cluster version", hashicorp/terraform-provider-aws#19478;
// eksctl-io/eksctl#3727). A group on a custom AMI is left out: EKS takes no Kubernetes version for it
// ("You cannot specify the field kubernetesVersion when using custom AMIs", eksctl-io/eksctl#5748),
// and no source says whether the check counts it.
func (a *Account) checkVersionUpdate(old, r *Record) *Error {
	from, to := old.str("version"), r.str("version")
	if from == to {
		return nil
	}
	fromMinor, _ := strconv.Atoi(strings.TrimPrefix(from, "1."))
	toMinor, _ := strconv.Atoi(strings.TrimPrefix(to, "1."))
	if toMinor != fromMinor+1 {
		return awsErr("InvalidParameterException", "Unsupported Kubernetes minor version update from %s to %s", from, to)
	}
	var behind []string
	for _, g := range a.live(typeNodeGroup, func(g *Record) bool { return g.str("clusterName") == r.ID && g.DeletingUntil == nil }) {
		if !a.customAmi(g) && g.str("version") != from {
			behind = append(behind, g.str("nodeGroupName"))
		}
	}
	if len(behind) > 0 {
		return awsErr("InvalidParameterException", "Nodegroups %s must be updated to match cluster version %s before updating cluster version", strings.Join(behind, ", "), from)
	}
	return nil
}

// customAmi says whether a node group's launch template names its image.
func (a *Account) customAmi(g *Record) bool {
	lt, ok := a.Resources[strOf(object(g.Inputs["launchTemplate"]), "id")]
	return ok && lt.str("imageId") != ""
}

// nodeGroupVersion is the Kubernetes version a node group create or update leaves it on: the one it
// names, else current (the cluster's on a create, EKS's default; its own on an update). EKS refuses a
// version with a custom AMI ("You cannot specify a kubernetes version to use when specifying an image
// id to use within the launch template", pulumi/pulumi-eks#1283), a version ahead of the control
// plane (EKS User Guide, update-managed-node-group: a node group's version cannot be newer than the
// cluster's; the message is ours), and a release version of another Kubernetes version ("Requested
// release version 1.31.3-20250103 is not valid for kubernetes version 1.30", eksctl-io/eksctl#7976).
func (a *Account) nodeGroupVersion(cluster, r *Record, current string) (string, *Error) {
	version, _ := r.Inputs["version"].(string)
	if version != "" && a.customAmi(r) {
		return "", awsErr("InvalidParameterException", "You cannot specify a kubernetes version to use when specifying an image id to use within the launch template.")
	}
	if version == "" {
		version = current
	}
	clusterMinor, _ := strconv.Atoi(strings.TrimPrefix(cluster.str("version"), "1."))
	if minor, _ := strconv.Atoi(strings.TrimPrefix(version, "1.")); minor > clusterMinor {
		return "", awsErr("InvalidParameterException", "Nodegroup version %s is newer than the cluster's Kubernetes version %s", version, cluster.str("version"))
	}
	if release, _ := r.Inputs["releaseVersion"].(string); release != "" && !strings.HasPrefix(release, version+".") {
		return "", awsErr("InvalidParameterException", "Requested release version %s is not valid for kubernetes version %s", release, version)
	}
	return version, nil
}

// checkAddon: EKS offers the version for the cluster's Kubernetes version (tpa#32238), and the
// configuration is JSON.
func checkAddon(cluster, r *Record) *Error {
	name, version := r.str("addonName"), r.str("addonVersion")
	if version != "" && !addonOffers(name, version, cluster.str("version")) {
		return awsErr("InvalidParameterException", "Addon version specified is not supported")
	}
	if conf := r.str("configurationValues"); conf != "" && !json.Valid([]byte(conf)) {
		return awsErr("InvalidParameterException", "ConfigurationValue provided in request is not supported: it is not valid JSON")
	}
	return nil
}

// checkNodeGroup: the subnets, role and launch template exist; the launch template names no
// instance profile and no subnet (API_LaunchTemplateSpecification), and instance types are given in
// one place only (tam#1545); the sizes are ordered.
func (a *Account) checkNodeGroup(cluster, r *Record, amiType string) *Error {
	for _, id := range stringList(r.Inputs["subnetIds"]) {
		if _, err := a.get(id, typeSubnet); err != nil {
			return awsErr("InvalidParameterException", "The subnet ID '%s' does not exist", id)
		}
	}
	if _, err := a.role(r.str("nodeRoleArn")); err != nil {
		return awsErr("InvalidParameterException", "Role with arn: %s, does not exist", r.str("nodeRoleArn"))
	}
	scaling := object(r.Inputs["scalingConfig"])
	lo, _ := scaling["minSize"].(float64)
	want, _ := scaling["desiredSize"].(float64)
	hi, _ := scaling["maxSize"].(float64)
	if lo > want || want > hi || hi < 1 {
		return awsErr("InvalidParameterException", "Minimum capacity %v can't be greater than desired size %v, and desired size can't be greater than maximum %v", lo, want, hi)
	}
	if err := a.checkNodeArchitecture(r, amiType); err != nil {
		return err
	}
	spec := object(r.Inputs["launchTemplate"])
	if spec == nil {
		return nil
	}
	lt, err := a.get(strOf(spec, "id"), typeLaunchTemplate)
	if err != nil {
		return awsErr("InvalidParameterException", "Launch template %s does not exist", strOf(spec, "id"))
	}
	if object(lt.Inputs["iamInstanceProfile"]) != nil {
		return awsErr("InvalidParameterException", "Launch template %s should not specify an instance profile. The IAM role in your request will be used to construct an instance profile.", lt.ID)
	}
	for _, ni := range anyList(lt.Inputs["networkInterfaces"]) {
		if strOf(object(ni), "subnetId") != "" {
			return awsErr("InvalidParameterException", "Launch template %s should not specify a subnet; the node group's subnets are used.", lt.ID)
		}
	}
	if lt.str("instanceType") != "" && len(stringList(r.Inputs["instanceTypes"])) > 0 {
		return awsErr("InvalidRequestException", "Cannot specify instance types in launch template and API request")
	}
	// A launch template that names the image takes AMI type CUSTOM, and CUSTOM takes an image (EKS
	// CreateNodegroup/UpdateNodegroupVersion; the message as pulumi-eks #1463 quotes it).
	switch {
	case lt.str("imageId") != "" && amiType != "" && amiType != "CUSTOM":
		return awsErr("InvalidParameterException", "You cannot specify an AMI Type other than CUSTOM, when specifying an image id in your launch template.")
	case lt.str("imageId") == "" && amiType == "CUSTOM":
		return awsErr("InvalidParameterException", "You must specify an image id in your launch template when using AMI Type CUSTOM.")
	}
	return nil
}

// checkNodeArchitecture: the instance type exists, and its architecture is the AMI's, whether the
// AMI comes from the node group's AMI type (AL2023_x86_64_*, AL2023_ARM_64_*) or from the launch
// template's image id (which must be an AMI the account can see).
func (a *Account) checkNodeArchitecture(r *Record, amiType string) *Error {
	instance, _, err := a.nodeLaunch(r)
	if err != nil {
		return awsErr("InvalidParameterException", "%s", err.Message)
	}
	arch := instance.Architecture()
	var lt *Record
	if spec := object(r.Inputs["launchTemplate"]); spec != nil {
		lt = a.Resources[strOf(spec, "id")]
	}
	switch {
	case lt != nil && lt.str("imageId") != "":
		imageArch, ok := awsdata.ImageArchitecture(lt.str("imageId"))
		if !ok {
			return awsErr("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", lt.str("imageId"))
		}
		if imageArch != arch {
			return awsErr("InvalidParameterValue", "The architecture '%s' of the specified instance type does not match the architecture '%s' of the specified AMI.", arch, imageArch)
		}
	case strings.Contains(amiType, "_x86_64_") && arch != "x86_64", strings.Contains(amiType, "_ARM_64_") && arch != "arm64":
		return awsErr("InvalidParameterException", "[%s] is not a valid instance type for requested amiType %s", instance.InstanceType, amiType)
	}
	return nil
}

func anyList(v any) []any {
	list, _ := v.([]any)
	return list
}

// deployerReaches says whether the deployer reaches a cluster's endpoint: only through the public
// endpoint, from an address its CIDRs allow (pulumi-aws's defaults: public on, 0.0.0.0/0). The
// deployer is outside the VPC, so a private endpoint answers it nothing ("can only receive requests
// from within the cluster VPC", EKS API reference, VpcConfigRequest); EndpointGate then refuses it.
func (a *Account) deployerReaches(vpcConfig map[string]any) bool {
	if public, ok := vpcConfig["endpointPublicAccess"].(bool); ok && !public {
		return false
	}
	cidrs := stringList(vpcConfig["publicAccessCidrs"])
	if len(cidrs) == 0 {
		cidrs = []string{"0.0.0.0/0"}
	}
	deployer, err := netip.ParseAddr(a.ApiServer.Deployer)
	if err != nil {
		return false
	}
	for _, c := range cidrs {
		if p, ok := prefixOf(c); ok && p.Contains(deployer) {
			return true
		}
	}
	return false
}

// checkSurge refuses, as not simulated, a rolling update EKS would carry out in more than one round.
// EKS's scale-up phase adds the larger of twice the group's zones and its maxUnavailable (default 1)
// new nodes at once (EKS User Guide, "Managed node update behavior"); the twin launches every new
// node before it drains any old one, which is that phase only when the group is no larger.
func (a *Account) checkSurge(group *Record) *Error {
	zones := map[string]bool{}
	for _, id := range stringList(group.Inputs["subnetIds"]) {
		if subnet, ok := a.Resources[id]; ok {
			zones[subnet.str("availabilityZone")] = true
		}
	}
	unavailable, _ := object(group.Inputs["updateConfig"])["maxUnavailable"].(float64)
	surge := max(2*len(zones), int(unavailable), 1)
	if nodes := desiredSize(group); nodes > surge {
		return awsErr("NotSimulated", "the AWS twin rolls a node group's nodes in one round; EKS would add %d new nodes at a time to the %d of %s", surge, nodes, group.ID)
	}
	return nil
}
