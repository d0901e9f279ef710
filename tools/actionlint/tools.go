//go:build tools

// Package tools pins actionlint, which tools/build.sh builds from its cmd/actionlint.
package tools

import _ "github.com/rhysd/actionlint"
