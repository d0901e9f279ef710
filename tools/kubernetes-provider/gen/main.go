// Command gen writes the provider's embedded schema and Terraform mapping from the provider module's
// cmd/pulumi-resource-kubernetes, as that command's own generate.go does, with the version set.
//
//	go run ./gen -version 4.32.0 -src <provider module dir>/cmd/pulumi-resource-kubernetes -out .
//
// tools/build.sh finds the module directory with `go mod download -json`, which downloads the module
// first; `go list -m -f '{{.Dir}}'` prints nothing for a module not yet in the module cache.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"os"
	"path/filepath"
)

func main() {
	version := flag.String("version", "", "provider version to stamp into the schema")
	src := flag.String("src", "", "the provider module's cmd/pulumi-resource-kubernetes directory")
	out := flag.String("out", ".", "where to write the embed files")
	flag.Parse()
	if *version == "" || *src == "" {
		log.Fatal("-version and -src are required")
	}
	var schema map[string]json.RawMessage
	read(filepath.Join(*src, "schema.json"), &schema)
	v, _ := json.Marshal(*version)
	schema["version"] = v
	write(filepath.Join(*out, "schema-embed.json"), schema)

	var mapping any
	read(filepath.Join(*src, "terraform-mapping.json"), &mapping)
	write(filepath.Join(*out, "terraform-mapping-embed.json"), mapping)
}

func read(path string, into any) {
	b, err := os.ReadFile(path)
	if err != nil {
		log.Fatalf("%v: is the provider module downloaded? In tools/kubernetes-provider run "+
			"`go mod download github.com/pulumi/pulumi-kubernetes/provider/v4`", err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		log.Fatalf("%s: %v", path, err)
	}
}

func write(path string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		log.Fatal(err)
	}
}
