//go:build tools

// Package tools pins gremlins' command for go build.
package tools

import _ "github.com/go-gremlins/gremlins/cmd/gremlins"
