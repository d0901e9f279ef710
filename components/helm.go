package components

import (
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/helmchart"
)

// chartArgs are a Helm v4 Chart's arguments for one chart of a source: an HTTP repository goes in
// RepositoryOpts; an OCI or local chart is named by its reference, and a local chart's version is its
// Chart.yaml's (helmchart.Parse checked it is version).
func chartArgs(source helmchart.Source, chart, version, namespace string) *helmv4.ChartArgs {
	args := &helmv4.ChartArgs{
		Chart:     pulumi.String(source.Chart(chart)),
		Version:   pulumi.String(version),
		Namespace: pulumi.String(namespace),
	}
	if source.Repository != "" {
		args.RepositoryOpts = &helmv4.RepositoryOptsArgs{Repo: pulumi.String(source.Repository)}
	}
	return args
}
