package multus

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// MultusImageTag is AWS's EKS build of the Multus thick plugin (amazon-vpc-cni-k8s
// config/multus/v4.1.4-eksbuild.3/multus-daemonset-thick.yml; 4.x ships the thick plugin only).
const MultusImageTag = "eks/multus-cni:v4.1.4-eksbuild.3_thick"

// eksRegistryAccounts are the AWS accounts of the EKS image registries, per region: EKS replicates
// its images to a registry in each region it runs in (EKS User Guide, "View Amazon container image
// registries for Amazon EKS add-ons", add-ons-images.html; the same table is eksctl's
// EKSResourceAccountID in pkg/apis/eksctl.io/v1alpha5/types.go). Pulling from the stack's own
// region keeps the nodes' image pulls in region (and working where us-west-2 is not reachable, such
// as the China and GovCloud partitions).
var eksRegistryAccounts = map[string]string{
	"af-south-1": "877085696533", "ap-east-1": "800184023465", "ap-east-2": "533267051163",
	"ap-northeast-1": "602401143452", "ap-northeast-2": "602401143452", "ap-northeast-3": "602401143452",
	"ap-south-1": "602401143452", "ap-south-2": "900889452093",
	"ap-southeast-1": "602401143452", "ap-southeast-2": "602401143452", "ap-southeast-3": "296578399912",
	"ap-southeast-4": "491585149902", "ap-southeast-5": "151610086707", "ap-southeast-6": "333609536671",
	"ap-southeast-7": "121268973566",
	"ca-central-1":   "602401143452", "ca-west-1": "761377655185",
	"cn-north-1": "918309763551", "cn-northwest-1": "961992271922",
	"eu-central-1": "602401143452", "eu-central-2": "900612956339", "eu-north-1": "602401143452",
	"eu-south-1": "590381155156", "eu-south-2": "455263428931",
	"eu-west-1": "602401143452", "eu-west-2": "602401143452", "eu-west-3": "602401143452",
	"il-central-1": "066635153087", "me-central-1": "759879836304", "me-south-1": "558608220178",
	"mx-central-1": "730335286997", "sa-east-1": "602401143452",
	"us-east-1": "602401143452", "us-east-2": "602401143452", "us-west-1": "602401143452", "us-west-2": "602401143452",
	"us-gov-east-1": "151742754352", "us-gov-west-1": "013241004608",
}

// EksImage is an image of AWS's EKS registry in the region: <account>.dkr.ecr.<region>.<suffix>/<tag>.
func EksImage(region, tag string) (string, error) {
	account, ok := eksRegistryAccounts[region]
	if !ok {
		return "", fmt.Errorf("no EKS image registry recorded for region %q (known: %s); give the image explicitly", region, strings.Join(slices.Sorted(maps.Keys(eksRegistryAccounts)), ", "))
	}
	suffix := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return fmt.Sprintf("%s.dkr.ecr.%s.%s/%s", account, region, suffix, tag), nil
}
