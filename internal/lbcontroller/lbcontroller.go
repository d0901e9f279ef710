// Package lbcontroller holds how the AWS Load Balancer Controller is installed here: AWS's Helm chart,
// the values we set, its IAM policy (iam.go), and the demo Service it serves. It is the only way an
// IPv6 cluster exposes a Service: the in-tree service controller has no IPv6, and EKS load-balances
// over IPv6 only to IP targets (EKS User Guide, "Route TCP and UDP traffic with Network Load
// Balancers"; containers-roadmap #1653; cloud-provider-aws #1219).
package lbcontroller

import (
	"fmt"
	"regexp"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"eks-advanced-networking/internal/helmchart"
	"eks-advanced-networking/internal/workload"
)

const (
	// Repository is AWS's EKS chart repository.
	Repository = "https://aws.github.io/eks-charts"
	// Chart is the controller's chart.
	Chart = "aws-load-balancer-controller"
	// DefaultVersion is the chart (and controller) version installed unless configured: 3.5.0 of
	// 2026-08 (aws/eks-charts, stable/aws-load-balancer-controller).
	DefaultVersion = "3.5.0"
	// Namespace is where the controller runs.
	Namespace = "kube-system"
	// ServiceAccount is the controller's identity, the only one its IRSA role trusts.
	ServiceAccount = "aws-load-balancer-controller"
)

var versionPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

// ValidateVersion checks a chart version such as 3.5.0 (without a v).
func ValidateVersion(v string) error {
	if !versionPattern.MatchString(v) {
		return fmt.Errorf("not a chart version; versions look like %s (without a v)", DefaultVersion)
	}
	return nil
}

// ParseChartSource reads the chart repository setting: AWS's repository, an OCI registry, or a local
// directory holding aws-load-balancer-controller/ at the given version.
func ParseChartSource(repository, version string) (helmchart.Source, error) {
	return helmchart.Parse(repository, version, Repository, Chart)
}

// Values are the chart values we set; the component adds the VPC id and the role ARN, which are
// outputs.
type Values struct {
	ClusterName string `json:"clusterName"`
	// FullnameOverride names the controller's objects as AWS's docs do (aws-load-balancer-controller):
	// Pulumi's Helm v4 Chart takes the resource's name as the release's, which the chart would
	// otherwise prefix to every object.
	FullnameOverride string `json:"fullnameOverride"`
	// Region and the VPC id are set because pods often cannot reach the instance metadata service
	// (hop limit 1 on our nodes) to find them.
	Region         string               `json:"region"`
	ServiceAccount ServiceAccountValues `json:"serviceAccount"`
	// KeepTLSSecret reuses the webhook certificate the chart generated on the first install: the
	// chart generates a new CA at every render otherwise (genCA), so every preview would change the
	// webhooks' caBundle.
	KeepTLSSecret bool `json:"keepTLSSecret"`
}

// ServiceAccountValues name the service account the IRSA role trusts.
type ServiceAccountValues struct {
	Create bool   `json:"create"`
	Name   string `json:"name"`
}

// ChartValues are the values for a cluster.
func ChartValues(clusterName, region string) Values {
	return Values{
		ClusterName:      clusterName,
		FullnameOverride: Chart,
		Region:           region,
		ServiceAccount:   ServiceAccountValues{Create: true, Name: ServiceAccount},
		KeepTLSSecret:    true,
	}
}

// Map renders the values as the plain map a Helm chart takes.
func (v Values) Map() (map[string]any, error) { return helmchart.Values(v) }

// IP address types of a load balancer's front end.
const (
	Ipv4      = "ipv4"
	DualStack = "dualstack"
)

// DemoNamespace and DemoName are the demo's.
const (
	DemoNamespace = "lb-demo"
	DemoName      = "echo"
)

// DemoService is the demo's Service: a Network Load Balancer with IP targets (the pods themselves,
// which is what IPv6 needs), dual-stack on IPv6 clusters. It is internet-facing only for the given
// source ranges (the stack's endpointPublicAccessCidrs, the deployer's addresses), internal without
// them: the controller otherwise opens the load balancer to 0.0.0.0/0 and ::/0.
func DemoService(addressType string, sourceRanges []string) *corev1.Service {
	scheme := "internal"
	if len(sourceRanges) > 0 {
		scheme = "internet-facing"
	}
	nlb := "service.k8s.aws/nlb"
	return &corev1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: DemoName, Namespace: DemoNamespace, Annotations: map[string]string{
			"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
			"service.beta.kubernetes.io/aws-load-balancer-scheme":          scheme,
			"service.beta.kubernetes.io/aws-load-balancer-ip-address-type": addressType,
		}},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeLoadBalancer,
			// The controller's class: the in-tree controller leaves the Service alone.
			LoadBalancerClass:        &nlb,
			LoadBalancerSourceRanges: sourceRanges,
			Selector:                 map[string]string{"app": DemoName},
			Ports:                    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}},
		},
	}
}

// DemoNamespaceObject is the demo's namespace, at the Pod Security level `restricted`.
func DemoNamespaceObject() *corev1.Namespace {
	return workload.Namespace(DemoNamespace, workload.Restricted, nil)
}

// DemoPort is where the demo's pods serve HTTP: above 1023, so a non-root process may bind it.
const DemoPort = 8080

// DemoDeployment serves its pod's name over HTTP on DemoPort with busybox httpd, which listens on
// IPv6 and IPv4 alike (a dual-stack socket), at `restricted`.
func DemoDeployment(image string) *appsv1.Deployment {
	server := workload.WebServer("httpd", image, "hostname", DemoPort, corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("200m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
	})
	server.Ports = []corev1.ContainerPort{{ContainerPort: DemoPort, Name: "http"}}
	return workload.Deployment(DemoName, DemoNamespace, map[string]string{"app": DemoName}, 2,
		corev1.PodSpec{Containers: []corev1.Container{server}}, "/www")
}
