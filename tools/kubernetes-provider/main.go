// Command pulumi-resource-kubernetes serves the Pulumi kubernetes provider, built from the Go module
// proxy. The embedded files are generated from the provider module's schema by `go run ./gen`
// (tools/build.sh does this); they are not checked in.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
