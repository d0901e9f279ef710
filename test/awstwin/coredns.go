package awstwin

import (
	"fmt"
	"net/http"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// What EKS's CoreDNS add-on puts in a cluster, as far as it bears on where its pods run and how they
// leave a node: its ServiceAccount (without which the ReplicaSet's pods are not admitted), its
// Deployment of two replicas (EKS User Guide, managing-coredns: "two replicas of the CoreDNS image
// are deployed by default") with the add-on's scheduling (eksctl pkg/addons/default/assets/
// coredns-1.36.json: the node affinity, the preferred anti-affinity by host, the zone spread, the
// tolerations), and its PodDisruptionBudget, which lets one replica go at a time: EKS deploys one
// with v1.9.3-eksbuild.6 and later (managing-coredns, "CoreDNS upgrade considerations"), with
// maxUnavailable 1 (eksctl-io/eksctl#7719). The ConfigMap, Service and RBAC it also installs change
// nothing here: no kubelet runs CoreDNS.

const (
	corednsNamespace = "kube-system"
	corednsName      = "coredns"
	// corednsImageAccount is the ECR account EKS serves its add-on images from in the commercial
	// regions (EKS User Guide, "View Amazon container image registries for Amazon EKS add-ons").
	corednsImageAccount = "602401143452"
)

// corednsLabels are the add-on's pod labels, which its Deployment and budget select.
var corednsLabels = map[string]string{"eks.amazonaws.com/component": "coredns", "k8s-app": "kube-dns"}

// corednsTolerations are the add-on Deployment's: CriticalAddonsOnly, and the control plane's
// NoSchedule. checkAddonHealthy asks for a node they let CoreDNS run on.
var corednsTolerations = []corev1.Toleration{
	{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule},
	{Key: "CriticalAddonsOnly", Operator: corev1.TolerationOpExists},
}

// corednsObjects are the ServiceAccount, Deployment and PodDisruptionBudget of a CoreDNS add-on of
// the given version in region.
func corednsObjects(version, region string) (*corev1.ServiceAccount, *appsv1.Deployment, *policyv1.PodDisruptionBudget) {
	meta := metav1.ObjectMeta{Name: corednsName, Namespace: corednsNamespace, Labels: corednsLabels}
	account := &corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: meta}
	replicas, one := int32(2), intstr.FromInt32(1)
	anyArch := corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{
		{Key: "kubernetes.io/os", Operator: corev1.NodeSelectorOpIn, Values: []string{"linux"}},
		{Key: "kubernetes.io/arch", Operator: corev1.NodeSelectorOpIn, Values: []string{"amd64", "arm64"}},
	}}
	dns := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "k8s-app", Operator: metav1.LabelSelectorOpIn, Values: []string{"kube-dns"}}}}
	deployment := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: corednsLabels},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &one}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: corednsLabels},
				Spec: corev1.PodSpec{
					ServiceAccountName: corednsName,
					PriorityClassName:  "system-cluster-critical",
					Affinity: &corev1.Affinity{
						NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{anyArch}}},
						PodAntiAffinity: &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{
							{Weight: 100, PodAffinityTerm: corev1.PodAffinityTerm{LabelSelector: dns, TopologyKey: "kubernetes.io/hostname"}},
						}},
					},
					TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone",
						WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}}}},
					Tolerations: corednsTolerations,
					Containers: []corev1.Container{{
						Name:  "coredns",
						Image: fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/eks/coredns:%s", corednsImageAccount, region, version),
						Args:  []string{"-conf", "/etc/coredns/Corefile"},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("70Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("170Mi")},
						},
					}},
				},
			},
		},
	}
	budget := &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: meta,
		Spec:       policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &one, Selector: &metav1.LabelSelector{MatchLabels: corednsLabels}},
	}
	return account, deployment, budget
}

// corednsPaths are where the add-on's objects live on the API server, in the order they are made.
var corednsPaths = []string{
	"/api/v1/namespaces/" + corednsNamespace + "/serviceaccounts/" + corednsName,
	"/apis/apps/v1/namespaces/" + corednsNamespace + "/deployments/" + corednsName,
	"/apis/policy/v1/namespaces/" + corednsNamespace + "/poddisruptionbudgets/" + corednsName,
}

// applyCoreDNS makes the add-on's objects or brings them to version, by server-side apply under the
// field manager "eks", as EKS manages its add-ons' fields (EKS User Guide, "Determine fields you can
// customize for Amazon EKS add-ons").
func (k *kubeClient) applyCoreDNS(version, region string) error {
	account, deployment, budget := corednsObjects(version, region)
	for i, obj := range []any{account, deployment, budget} {
		if err := k.send(http.MethodPatch, corednsPaths[i]+"?fieldManager=eks&force=true", "application/apply-patch+yaml", obj); err != nil {
			return err
		}
	}
	return nil
}

// removeCoreDNS deletes the add-on's objects, as EKS does when the add-on is deleted without
// preserve; the Deployment's pods follow it (the garbage collector's foreground deletion).
func (k *kubeClient) removeCoreDNS() error {
	for i := len(corednsPaths) - 1; i >= 0; i-- {
		if err := k.do(http.MethodDelete, corednsPaths[i], metav1.DeleteOptions{PropagationPolicy: new(metav1.DeletePropagationForeground)}); err != nil {
			return err
		}
	}
	return nil
}

// corednsInCluster brings the cluster's CoreDNS objects in line with a coredns add-on of the account
// (its version; none once it is deleted), when an API server backs the account. Other add-ons are
// left to the suite: the VPC CNI's and kube-proxy's DaemonSets no drain evicts.
func (p *Provider) corednsInCluster(addonID string, deleted bool) error {
	var api ApiServer
	var region, version string
	if err := p.withAccount(func(a *Account) error {
		r := a.Resources[addonID]
		if r == nil || r.str("addonName") != corednsName || a.ApiServer.Endpoint == "" {
			return nil
		}
		api, region, version = a.ApiServer, a.Region, r.str("addonVersion") // the version asked for, else the one EKS chose
		return nil
	}); err != nil || api.Endpoint == "" {
		return err
	}
	client, err := newKubeClient(api, os.Getenv(TokenEnv))
	if err != nil {
		return err
	}
	if deleted {
		if err := client.removeCoreDNS(); err != nil {
			return fmt.Errorf("deleting the coredns add-on's objects: %w", err)
		}
		return nil
	}
	if err := client.applyCoreDNS(version, region); err != nil {
		return fmt.Errorf("installing the coredns add-on's objects: %w", err)
	}
	return nil
}
