package replacement

import "fmt"

// pulumi-eks components are remote: their children are made at deploy time and a plan does not see
// them. These tables map a component's inputs onto the AWS resource inside it, as pulumi-eks v2.8.1
// passes them (nodejs/eks/cluster.ts, createCore: `new aws.eks.Cluster(..., {name, roleArn,
// vpcConfig, version, enabledClusterLogTypes, encryptionConfig, kubernetesNetworkConfig,
// accessConfig})`; nodejs/eks/nodegroup.ts, createManagedNodeGroupInternal: the args as they are,
// less `cluster`, plus clusterName, nodeRoleArn, scalingConfig, subnetIds, launchTemplate).
var eksComponentInputs = map[string]map[string]string{
	"eks:index:Cluster": {
		"name":                            "name",
		"serviceRole":                     "roleArn",
		"kubernetesServiceIpAddressRange": "kubernetesNetworkConfig",
		"ipFamily":                        "kubernetesNetworkConfig",
		"encryptionConfigKeyArn":          "encryptionConfig",
		"version":                         "version",
		"enabledClusterLogTypes":          "enabledClusterLogTypes",
		"endpointPrivateAccess":           "vpcConfig.endpointPrivateAccess",
		"endpointPublicAccess":            "vpcConfig.endpointPublicAccess",
		"publicAccessCidrs":               "vpcConfig.publicAccessCidrs",
		"authenticationMode":              "accessConfig",
		"tags":                            "tags",
		"clusterTags":                     "tags",
	},
	"eks:index:ManagedNodeGroup": {
		"cluster":        "clusterName",
		"nodeGroupName":  "nodeGroupName",
		"nodeRoleArn":    "nodeRoleArn",
		"subnetIds":      "subnetIds",
		"amiType":        "amiType",
		"capacityType":   "capacityType",
		"diskSize":       "diskSize",
		"instanceTypes":  "instanceTypes",
		"scalingConfig":  "scalingConfig",
		"launchTemplate": "launchTemplate",
		"version":        "version",
		"releaseVersion": "releaseVersion",
		"labels":         "labels",
		"taints":         "taints",
		"updateConfig":   "updateConfig",
		"tags":           "tags",
	},
}

// eksUnknown are component inputs whose effect on the resource inside the rules here do not hold:
// the cluster's subnets and security group go into vpcConfig, which EKS has updated in place only
// since UpdateClusterConfig took subnets, and into pulumi-eks's own node security group.
var eksUnknown = map[string]map[string]string{
	"eks:index:Cluster": {
		"subnetIds":            "vpcConfig.subnetIds",
		"privateSubnetIds":     "vpcConfig.subnetIds",
		"publicSubnetIds":      "vpcConfig.subnetIds",
		"clusterSecurityGroup": "vpcConfig.securityGroupIds",
		"vpcId":                "pulumi-eks's node security group",
	},
}

// eksInner is the AWS resource a pulumi-eks component holds, whose replacement the tables predict.
var eksInner = map[string]string{
	"eks:index:Cluster":          "aws:eks/cluster:Cluster",
	"eks:index:ManagedNodeGroup": "aws:eks/nodeGroup:NodeGroup",
}

// EKSInner returns the AWS type inside a pulumi-eks component that the rules here follow.
func EKSInner(typ string) (string, bool) {
	inner, ok := eksInner[typ]
	return inner, ok
}

func eks(typ, key string) (Verdict, string) {
	inputs, ok := eksComponentInputs[typ]
	if !ok {
		return Unknown, "no rules for the pulumi-eks component " + typ
	}
	if where, ok := eksUnknown[typ][key]; ok {
		return Unknown, fmt.Sprintf("pulumi-eks passes %s into %s; whether that replaces is not in the rules here", key, where)
	}
	target, ok := inputs[key]
	if !ok {
		return Unknown, "pulumi-eks builds other children from " + key + "; a plan cannot see them"
	}
	inner := eksInner[typ]
	verdict, _ := aws(inner, Split(target)[0])
	if verdict == Replaces {
		return Replaces, "forces replacement of the " + inner + " inside: " + key
	}
	return verdict, ""
}
