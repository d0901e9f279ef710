// Command eks-advanced-networking is the Pulumi program: `pulumi up -s <stack>` runs it with the
// configuration of Pulumi.<stack>.yaml, whose eks-advanced-networking:scenario picks a composition in
// stacks/. `go run ./cmd/plan -stack <stack>` runs the same program offline.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/stacks"
)

func main() {
	raw, err := engineConfig()
	pulumi.Run(func(ctx *pulumi.Context) error {
		if err != nil {
			return err
		}
		return stacks.Run(raw)(ctx)
	})
}

// engineConfig returns the whole stack configuration the engine hands the program. pulumi.Context only
// answers for keys one already knows, and strict decoding needs to see the unknown ones too.
func engineConfig() (map[string]string, error) {
	raw := map[string]string{}
	if s := os.Getenv(pulumi.EnvConfig); s != "" {
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			return nil, fmt.Errorf("reading %s: %w", pulumi.EnvConfig, err)
		}
	}
	return raw, nil
}
