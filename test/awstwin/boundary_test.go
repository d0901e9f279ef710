package awstwin

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "eks-advanced-networking"

// twinMayImport are the product packages the twin imports, and why. The replacement rules describe
// pulumi-aws itself (its ForceNew inputs); the twin replaces with them as the offline preview does.
// Data sources answer from the twin's own fixtures (awsdata), never from the offline plan's mocks.
var twinMayImport = map[string]string{
	module + "/internal/replacement": "pulumi-aws's ForceNew inputs",
}

// imports are every import of this module's packages, by the file's directory relative to the
// module's root; the tools' own modules, vendored charts and test data are not this module.
func imports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch rel {
			case ".git", "tools", "third_party", "testdata", "bin":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, spec := range f.Imports {
			p, _ := strconv.Unquote(spec.Path.Value)
			if p == module || strings.HasPrefix(p, module+"/") {
				out[filepath.ToSlash(filepath.Dir(rel))] = append(out[filepath.ToSlash(filepath.Dir(rel))], p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func isTestMachinery(dir string) bool {
	return dir == "test" || strings.HasPrefix(dir, "test/") || dir == "e2e" || strings.HasPrefix(dir, "e2e/")
}

// The twin is test machinery: no product package (nor its tests) imports it or anything else under
// test/ or e2e/, and the twin imports, of the product, only what twinMayImport names.
func TestTheTwinAndTheProductStayApart(t *testing.T) {
	byDir := imports(t, "../..")
	if len(byDir["stacks"]) == 0 || len(byDir["test/awstwin"]) == 0 {
		t.Fatalf("the walk found no imports of stacks or the twin: %v", byDir)
	}
	for _, v := range boundaryViolations(byDir) {
		t.Error(v)
	}
}

func boundaryViolations(byDir map[string][]string) []string {
	var out []string
	for dir, imps := range byDir {
		for _, p := range imps {
			target := strings.TrimPrefix(strings.TrimPrefix(p, module), "/")
			switch {
			case !isTestMachinery(dir) && isTestMachinery(target):
				out = append(out, dir+" imports "+p+": the product must not depend on test machinery")
			case (dir == "test/awstwin" || strings.HasPrefix(dir, "test/awstwin/")) && !isTestMachinery(target) && twinMayImport[p] == "":
				out = append(out, "the twin ("+dir+") imports the product's "+p+"; it may import only what twinMayImport names")
			}
		}
	}
	return out
}

// The check refuses both directions.
func TestTheBoundaryCheckRefuses(t *testing.T) {
	for name, byDir := range map[string]map[string][]string{
		"product imports the twin": {"stacks": {module + "/test/awstwin"}},
		"product imports e2e":      {"components": {module + "/e2e/networld"}},
		"twin imports the product": {"test/awstwin": {module + "/internal/config"}},
	} {
		if len(boundaryViolations(byDir)) != 1 {
			t.Errorf("%s: not refused", name)
		}
	}
}
