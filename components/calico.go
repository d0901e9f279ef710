package components

import (
	"fmt"

	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"eks-advanced-networking/internal/calico"
	"eks-advanced-networking/internal/settings"
)

// CalicoPolicyEngineType is the component's type token.
const CalicoPolicyEngineType = "eks-advanced-networking:policy:CalicoPolicyEngine"

// CalicoPolicyEngineArgs configure Calico in policy-only mode beside the Amazon VPC CNI.
type CalicoPolicyEngineArgs struct {
	// Settings are the chart version and where the charts come from, as the stack file's keys set
	// them; they are checked as the stack file's are.
	calico.Settings
	// SkipAwait stops Pulumi from waiting for the charts' workloads to become ready.
	SkipAwait bool
}

// CalicoPolicyEngine installs Calico the way Tigera supports it on EKS today: the tigera-operator
// Helm chart (CRDs from their own chart first) and an Installation for EKS and the VPC CNI, BGP off,
// with the APIServer. The Installation and APIServer are resources of their own that depend on the
// operator, so `pulumi destroy` deletes them while the operator still runs to remove its finalizers
// (see calico.Values for why the chart must not render them).
// It also lets aws-node patch pods, which ANNOTATE_POD_IP (set on the vpc-cni add-on by the cluster
// when its policy engine is Calico) needs. The cluster must have the VPC CNI's own policy engine off.
type CalicoPolicyEngine struct {
	pulumi.ResourceState

	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// StatusCommand is the chapter's check.
	StatusCommand pulumi.StringOutput `pulumi:"statusCommand"`

	ready []pulumi.Resource
}

// NewCalicoPolicyEngine registers Calico; it needs a Kubernetes provider among opts.
func NewCalicoPolicyEngine(ctx *pulumi.Context, name string, args *CalicoPolicyEngineArgs, opts ...pulumi.ResourceOption) (*CalicoPolicyEngine, error) {
	if args == nil {
		return nil, fmt.Errorf("CalicoPolicyEngine %s: args are required", name)
	}
	if err := settings.Errors("CalicoPolicyEngine "+name+": ", args.Validate()); err != nil {
		return nil, err
	}
	source, err := args.ChartSource()
	if err != nil {
		return nil, err
	}
	values, err := calico.OperatorValues().Map()
	if err != nil {
		return nil, err
	}
	c := &CalicoPolicyEngine{}
	if err := ctx.RegisterComponentResource(CalicoPolicyEngineType, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	// Helm v4 charts do not create their namespace.
	ns, err := newKubeObject(ctx, name+"-namespace", calico.NamespaceObject(), parent)
	if err != nil {
		return nil, err
	}
	crds, err := helmv4.NewChart(ctx, name+"-crds", chartArgs(source, calico.CrdChart, args.Version, calico.Namespace),
		parent, pulumi.DependsOn([]pulumi.Resource{ns}))
	if err != nil {
		return nil, err
	}
	operatorArgs := chartArgs(source, calico.OperatorChart, args.Version, calico.Namespace)
	operatorArgs.Values = pulumi.ToMap(values)
	operatorArgs.SkipAwait = pulumi.Bool(args.SkipAwait)
	operator, err := helmv4.NewChart(ctx, name+"-operator", operatorArgs, parent, pulumi.DependsOn([]pulumi.Resource{ns, crds}))
	if err != nil {
		return nil, err
	}
	// After the operator on the way up, before it on the way down.
	afterOperator := pulumi.DependsOn([]pulumi.Resource{crds, operator})
	installation, err := newKubeObject(ctx, name+"-installation", calico.EksInstallation(), parent, afterOperator)
	if err != nil {
		return nil, err
	}
	apiServer, err := newKubeObject(ctx, name+"-apiserver", calico.DefaultAPIServer(), parent, afterOperator)
	if err != nil {
		return nil, err
	}
	c.ready = []pulumi.Resource{installation, apiServer}

	// AWS: with Calico, set ANNOTATE_POD_IP and let aws-node patch pods. The add-on owns the aws-node
	// ClusterRole (and would overwrite edits), so the permission comes as a role of its own.
	role := &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: "aws-node-annotate-pod-ip"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"patch"}}},
	}
	binding := &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: "aws-node-annotate-pod-ip"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "aws-node", Namespace: "kube-system"}},
	}
	if _, err := newKubeObject(ctx, name+"-aws-node-role", role, parent); err != nil {
		return nil, err
	}
	if _, err := newKubeObject(ctx, name+"-aws-node-binding", binding, parent); err != nil {
		return nil, err
	}

	c.Namespace = pulumi.String(calico.Namespace).ToStringOutput()
	c.StatusCommand = pulumi.String(calico.StatusCommand).ToStringOutput()
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"namespace": c.Namespace, "statusCommand": c.StatusCommand})
}

// Ready is what to depend on for Calico to be installed: the Installation and the APIServer, which
// themselves depend on the operator. Go only.
func (c *CalicoPolicyEngine) Ready() []pulumi.Resource { return c.ready }
