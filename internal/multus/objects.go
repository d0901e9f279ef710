package multus

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"eks-advanced-networking/internal/workload"
)

// The objects below are amazon-vpc-cni-k8s config/multus/v4.1.4-eksbuild.3/multus-daemonset-thick.yml
// (the version with 200Mi for kube-multus and cp -f in the init container, PR #3323), as typed
// Kubernetes objects: nothing is fetched from a URL at deploy time.

const (
	name      = "multus"
	namespace = "kube-system"
	// NodeLabel marks the nodes that carry a Multus ENI (the Multus DaemonSet selects it).
	NodeLabel = "eks-advanced-networking/multus"
	// NetworkLabel names the network whose ENI the node carries (Network.Name, the NAD's name), which
	// Multus pods select: while a node group is replaced (the ENI moves to another subnet), the old
	// node still carries the old network's ENI and NodeLabel, and a pod of the new network must not
	// land there.
	NetworkLabel = "eks-advanced-networking/multus-network"
	// NetworksAnnotation asks Multus for secondary networks.
	NetworksAnnotation = "k8s.v1.cni.cncf.io/networks"
	// NetworkConfigAnnotation holds, on multus-pod's template, the SHA-256 of its network's CNI
	// configuration (DemoDeployment).
	NetworkConfigAnnotation = "eks-advanced-networking/network-config-sha256"
	// DemoPodName is the chapter's pod.
	DemoPodName = "multus-pod"
	// DemoPodPort is where the demo pod tells who it is (its name and net1 address) over HTTP, so a
	// second pod on the network can check it from the network's side (internal/verify).
	DemoPodPort = 8080
)

var labels = map[string]string{"tier": "node", "app": name}

// ClusterRole is Multus's role: NADs, pods and their status, events.
func ClusterRole() *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"k8s.cni.cncf.io"}, Resources: []string{"*"}, Verbs: []string{"*"}},
			{APIGroups: []string{""}, Resources: []string{"pods", "pods/status"}, Verbs: []string{"get", "list", "update", "watch"}},
			{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch", "update"}},
		},
	}
}

// ClusterRoleBinding gives Multus's service account its role.
func ClusterRoleBinding() *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: namespace}},
	}
}

// ServiceAccount is the identity the Multus DaemonSet runs as.
func ServiceAccount() *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
	}
}

// DaemonConfig is the thick plugin's daemon-config.json. Multus wraps the VPC CNI's conflist
// (10-aws.conflist) as the cluster's default network.
type DaemonConfig struct {
	ChrootDir           string `json:"chrootDir"`
	ConfDir             string `json:"confDir"`
	LogFile             string `json:"logFile"`
	LogLevel            string `json:"logLevel"`
	SocketDir           string `json:"socketDir"`
	CNIVersion          string `json:"cniVersion"`
	LogToStderr         bool   `json:"logToStderr"`
	CNIConfigDir        string `json:"cniConfigDir"`
	MultusConfigFile    string `json:"multusConfigFile"`
	MultusAutoconfigDir string `json:"multusAutoconfigDir"`
	MultusMasterCNI     string `json:"multusMasterCNI"`
}

// ConfigMap holds the daemon configuration.
func ConfigMap() (*corev1.ConfigMap, error) {
	config, err := json.MarshalIndent(DaemonConfig{
		ChrootDir: "/hostroot", ConfDir: "/host/etc/cni/net.d", LogFile: "/var/log/multus.log", LogLevel: "verbose",
		SocketDir: "/host/run/multus/", CNIVersion: CNIVersion, LogToStderr: true, CNIConfigDir: "/host/etc/cni/net.d",
		MultusConfigFile: "auto", MultusAutoconfigDir: "/host/etc/cni/net.d", MultusMasterCNI: "10-aws.conflist",
	}, "", "    ")
	if err != nil {
		return nil, err
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "multus-daemon-config", Namespace: namespace, Labels: labels},
		Data:       map[string]string{"daemon-config.json": string(config) + "\n"},
	}, nil
}

// NodeTaint keeps a Multus node for Multus workloads: its node group registers every node with it,
// so only pods that tolerate it, and DaemonSets that tolerate every taint (aws-node, kube-proxy, the
// Multus daemon), land there. Otherwise pods could arrive before the node's ENI is attached, and
// the VPC CNI's ipamd, attaching ENIs of its own for them at the lowest free device index
// (amazon-vpc-cni-k8s pkg/awsutils/awsutils.go, awsGetFreeDeviceNumber), would take the slots and
// the pod capacity the node's maxPods keeps for Multus pods. A kubelet may set its own labels but
// not change its taints (NodeRestriction), so the taint stays and the label, set once the ENI is
// attached, is what says the node is ready.
var NodeTaint = corev1.Taint{Key: NodeLabel, Value: "true", Effect: corev1.TaintEffectNoSchedule}

// OnMultusNode puts a pod on a node that holds n's ENI: it selects the labels the node sets once the
// ENI is attached (AttachedLabelPatch), and tolerates NodeTaint.
func OnMultusNode(spec *corev1.PodSpec, n Network) {
	spec.NodeSelector = map[string]string{"topology.kubernetes.io/zone": n.AvailabilityZone, NodeLabel: "true", NetworkLabel: n.Name}
	spec.Tolerations = append(spec.Tolerations, corev1.Toleration{
		Key: NodeTaint.Key, Operator: corev1.TolerationOpEqual, Value: NodeTaint.Value, Effect: NodeTaint.Effect,
	})
}

// DaemonSet runs the thick Multus daemon on the Multus nodes (NodeLabel), Linux and not Fargate.
// AWS's manifest runs it on every node; here the other nodes keep the plain VPC CNI, so Multus,
// which takes over a node's CNI configuration, goes only where a secondary network exists.
func DaemonSet(image string) *appsv1.DaemonSet {
	podLabels := map[string]string{"tier": "node", "app": name, "name": name}
	privileged := true
	grace := int64(10)
	hostToContainer := corev1.MountPropagationHostToContainer
	bidirectional := corev1.MountPropagationBidirectional
	hostPath := func(volume, path string) corev1.Volume {
		return corev1.Volume{Name: volume, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path}}}
	}
	quantity := resource.MustParse
	return &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: metav1.ObjectMeta{Name: "kube-multus-ds", Namespace: namespace, Labels: podLabels},
		Spec: appsv1.DaemonSetSpec{
			Selector:       &metav1.LabelSelector{MatchLabels: map[string]string{"name": name}},
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec: corev1.PodSpec{
					Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
						RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
							MatchExpressions: []corev1.NodeSelectorRequirement{
								{Key: "kubernetes.io/os", Operator: corev1.NodeSelectorOpIn, Values: []string{"linux"}},
								{Key: "eks.amazonaws.com/compute-type", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"fargate"}},
								{Key: NodeLabel, Operator: corev1.NodeSelectorOpIn, Values: []string{"true"}},
							},
						}}},
					}},
					HostNetwork: true,
					HostPID:     true,
					Tolerations: []corev1.Toleration{
						{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
						{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
					},
					ServiceAccountName: name,
					Containers: []corev1.Container{{
						Name:    "kube-multus",
						Image:   image,
						Command: []string{"/usr/src/multus-cni/bin/multus-daemon"},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: quantity("100m"), corev1.ResourceMemory: quantity("200Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceCPU: quantity("100m"), corev1.ResourceMemory: quantity("200Mi")},
						},
						SecurityContext:          &corev1.SecurityContext{Privileged: &privileged},
						TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
						VolumeMounts: []corev1.VolumeMount{
							{Name: "cni", MountPath: "/host/etc/cni/net.d"},
							// multus-daemon expects the CNI binary path to be the same inside and on the host.
							{Name: "cnibin", MountPath: "/opt/cni/bin"},
							{Name: "host-run", MountPath: "/host/run"},
							{Name: "host-var-lib-cni-multus", MountPath: "/var/lib/cni/multus"},
							{Name: "host-var-lib-kubelet", MountPath: "/var/lib/kubelet", MountPropagation: &hostToContainer},
							{Name: "host-run-k8s-cni-cncf-io", MountPath: "/run/k8s.cni.cncf.io"},
							{Name: "host-run-netns", MountPath: "/run/netns", MountPropagation: &hostToContainer},
							{Name: "multus-daemon-config", MountPath: "/etc/cni/net.d/multus.d", ReadOnly: true},
							{Name: "hostroot", MountPath: "/hostroot", MountPropagation: &hostToContainer},
						},
						Env: []corev1.EnvVar{{Name: "MULTUS_NODE_NAME", ValueFrom: &corev1.EnvVarSource{
							FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"},
						}}},
					}},
					InitContainers: []corev1.Container{{
						Name:    "install-multus-binary",
						Image:   image,
						Command: []string{"cp", "-f", "/usr/src/multus-cni/bin/multus-shim", "/host/opt/cni/bin/multus-shim"},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: quantity("10m"), corev1.ResourceMemory: quantity("15Mi")},
						},
						SecurityContext:          &corev1.SecurityContext{Privileged: &privileged},
						TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
						VolumeMounts:             []corev1.VolumeMount{{Name: "cnibin", MountPath: "/host/opt/cni/bin", MountPropagation: &bidirectional}},
					}},
					TerminationGracePeriodSeconds: &grace,
					Volumes: []corev1.Volume{
						hostPath("cni", "/etc/cni/net.d"),
						hostPath("cnibin", "/opt/cni/bin"),
						hostPath("hostroot", "/"),
						{Name: "multus-daemon-config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: "multus-daemon-config"},
							Items:                []corev1.KeyToPath{{Key: "daemon-config.json", Path: "daemon-config.json"}},
						}}},
						hostPath("host-run", "/run"),
						hostPath("host-var-lib-cni-multus", "/var/lib/cni/multus"),
						hostPath("host-var-lib-kubelet", "/var/lib/kubelet"),
						hostPath("host-run-k8s-cni-cncf-io", "/run/k8s.cni.cncf.io"),
						hostPath("host-run-netns", "/run/netns/"),
					},
				},
			},
		},
	}
}

// DemoDeployment runs the chapter's multus-pod: busybox with the network annotation, on a Multus
// node of the network's zone. It serves its name and its net1 address on DemoPodPort (busybox httpd),
// and a user can still exec into it and run ip addr, as the chapter does (kubectl exec
// deploy/multus-pod). A Deployment, not a bare pod: a managed node group update drains the old node,
// and an evicted bare pod never comes back (Kubernetes "Pod Lifecycle": pods are not rescheduled).
// One replica, recreated rather than surged: host-local gives the first address to the first pod on
// the node, so two at once would take two. Its hostname stays multus-pod, which the checks read. It
// runs at the Pod Security level `restricted`: the secondary interface is Multus's work, done outside
// the pod. Multus reads the network's configuration only when the pod's sandbox is made, so the
// pod would keep an address of an old range, which the ENI no longer holds: its template carries the
// configuration's digest, and any change to the network recreates it.
func DemoDeployment(n Network, image string) (*appsv1.Deployment, error) {
	nad, err := n.NetworkAttachmentDefinition()
	if err != nil {
		return nil, err
	}
	server := workload.WebServer("busybox", image, "{ hostname; ip -4 -o addr show dev net1; }", DemoPodPort, corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
	})
	spec := corev1.PodSpec{Hostname: DemoPodName, Containers: []corev1.Container{server}}
	OnMultusNode(&spec, n)
	d := workload.Deployment(DemoPodName, NadNamespace, map[string]string{"app": DemoPodName}, 1, spec, "/www")
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	digest := sha256.Sum256([]byte(nad.Spec.Config))
	d.Spec.Template.Annotations = map[string]string{NetworksAnnotation: n.Name, NetworkConfigAnnotation: hex.EncodeToString(digest[:])}
	return d, nil
}

// NadCrd is the NetworkAttachmentDefinition CRD with the schema of AWS's Multus manifest.
func NadCrd() *apiextensionsv1.CustomResourceDefinition {
	str := func(description string) apiextensionsv1.JSONSchemaProps {
		return apiextensionsv1.JSONSchemaProps{Type: "string", Description: description}
	}
	return &apiextensionsv1.CustomResourceDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{Name: "network-attachment-definitions.k8s.cni.cncf.io"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "k8s.cni.cncf.io",
			Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{
				Plural: "network-attachment-definitions", Singular: "network-attachment-definition",
				Kind: "NetworkAttachmentDefinition", ShortNames: []string{"net-attach-def"},
			},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Description: "NetworkAttachmentDefinition is a CRD schema specified by the Network Plumbing Working Group to express the intent for attaching pods to one or more logical or physical networks. More information available at: https://github.com/k8snetworkplumbingwg/multi-net-spec",
					Type:        "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"apiVersion": str("APIVersion defines the versioned schema of this representation of an object."),
						"kind":       str("Kind is a string value representing the REST resource this object represents."),
						"metadata":   {Type: "object"},
						"spec": {
							Description: "NetworkAttachmentDefinition spec defines the desired state of a network attachment",
							Type:        "object",
							Properties:  map[string]apiextensionsv1.JSONSchemaProps{"config": str("NetworkAttachmentDefinition config is a JSON-formatted CNI configuration")},
						},
					},
				}},
			}},
		},
	}
}
