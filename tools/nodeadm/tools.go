//go:build tools

// Package tools pins nodeadm for tools/build.sh.
package tools

import _ "github.com/awslabs/amazon-eks-ami/nodeadm/cmd/nodeadm"
