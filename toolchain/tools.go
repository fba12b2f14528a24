//go:build tools

// Pins the Pulumi CLI's main package in this module so that `go build` of it uses
// the versions in go.mod/go.sum (the CLI's own go.mod has relative replaces that
// `go install pkg@version` cannot follow).
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
