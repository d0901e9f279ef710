package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/nodeadm"
)

// clusterJoin is what a node needs to join its cluster: the cluster's name, and the endpoint,
// certificate authority (base64) and service block EKS reports for it.
type clusterJoin struct {
	clusterName                                 string
	endpoint, certificateAuthority, serviceCidr pulumi.StringOutput
}

// nodeLaunch is how a node group's nodes start: the AMI by id, and the user data.
type nodeLaunch struct {
	imageId  pulumi.StringInput
	userData pulumi.StringOutput
}

// recommendedAmiLaunch is the one way this project launches nodes on an AMI it names, the cluster's
// own in prefix mode and Multus's: the recommended AMI of family for the Kubernetes version and the
// instance type (its public SSM parameter, looked up here), and user data that is a complete
// NodeConfig for the cluster (EKS's own would override maxPods otherwise; see internal/nodeadm),
// followed by the extra parts, which may use the endpoint. node gives the kubelet's limits and the
// group's name; the cluster's fields come from join.
func recommendedAmiLaunch(ctx *pulumi.Context, parent pulumi.ResourceOrInvokeOption, family clusterspec.AmiFamily, kubernetesVersion string,
	instance clusterspec.InstanceType, join clusterJoin, node nodeadm.Node, extra func(endpoint string) ([]string, error)) (nodeLaunch, error) {
	parameter, err := clusterspec.RecommendedAmiParameter(family, kubernetesVersion, instance)
	if err != nil {
		return nodeLaunch{}, err
	}
	ami, err := ssm.LookupParameter(ctx, &ssm.LookupParameterArgs{Name: parameter}, parent)
	if err != nil {
		return nodeLaunch{}, fmt.Errorf("looking up the EKS AMI for %s (%s): %w", instance.Name, parameter, err)
	}
	node.ClusterName = join.clusterName
	userData := pulumi.All(join.endpoint, join.certificateAuthority, join.serviceCidr).ApplyT(func(v []any) (string, error) {
		n := node
		n.Endpoint, n.CertificateAuthority, n.ServiceCidr = v[0].(string), v[1].(string), v[2].(string)
		nc, err := nodeadm.NodeConfigFor(n)
		if err != nil {
			return "", err
		}
		var parts []string
		if extra != nil {
			if parts, err = extra(n.Endpoint); err != nil {
				return "", err
			}
		}
		return nodeadm.UserData(nc, parts...)
	}).(pulumi.StringOutput)
	return nodeLaunch{imageId: pulumi.String(ami.Value), userData: userData}, nil
}
