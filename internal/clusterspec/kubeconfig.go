package clusterspec

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
)

// KubeconfigParams are what a kubeconfig for an EKS cluster needs.
type KubeconfigParams struct {
	ClusterName string
	Endpoint    string
	// CertificateAuthorityData is the cluster's CA as EKS returns it: base64 of the PEM.
	CertificateAuthorityData string
	// Region goes on the token command, so `aws eks get-token` does not depend on the caller's
	// default region.
	Region string
	// Profile, when set, is the AWS profile the token command uses (aws:profile).
	Profile string
}

// Kubeconfig is a kubeconfig whose user gets a token from `aws eks get-token`. pulumi-eks v2.8.1's
// kubeconfigJson carries neither the region nor (in its outputs) the profile, so its token command
// follows whatever AWS_PROFILE and AWS_REGION the caller has set (pulumi-eks nodejs/eks/cluster.ts,
// generateKubeconfig; --region came only in v3.2.0, pulumi-eks #1498). This one names both.
func Kubeconfig(p KubeconfigParams) (string, error) {
	ca, err := base64.StdEncoding.DecodeString(p.CertificateAuthorityData)
	if err != nil {
		return "", fmt.Errorf("cluster %s: certificate authority data is not base64: %w", p.ClusterName, err)
	}
	args := []string{"--region", p.Region, "eks", "get-token", "--cluster-name", p.ClusterName, "--output", "json"}
	env := []clientcmdv1.ExecEnvVar{}
	if p.Profile != "" {
		env = append(env, clientcmdv1.ExecEnvVar{Name: "AWS_PROFILE", Value: p.Profile})
	}
	const name = "aws"
	config := clientcmdv1.Config{
		APIVersion:     "v1",
		Kind:           "Config",
		CurrentContext: name,
		Clusters: []clientcmdv1.NamedCluster{{Name: p.ClusterName, Cluster: clientcmdv1.Cluster{
			Server: p.Endpoint, CertificateAuthorityData: ca,
		}}},
		Contexts: []clientcmdv1.NamedContext{{Name: name, Context: clientcmdv1.Context{Cluster: p.ClusterName, AuthInfo: name}}},
		AuthInfos: []clientcmdv1.NamedAuthInfo{{Name: name, AuthInfo: clientcmdv1.AuthInfo{Exec: &clientcmdv1.ExecConfig{
			APIVersion:      "client.authentication.k8s.io/v1beta1",
			Command:         "aws",
			Args:            args,
			Env:             env,
			InteractiveMode: clientcmdv1.NeverExecInteractiveMode,
		}}}},
	}
	b, err := json.Marshal(config)
	return string(b), err
}
