// Package helmchart reads where a Helm chart comes from: an HTTP(S) repository, an OCI registry, or a
// local directory (a mirror, or an air-gapped copy), the three ways Pulumi's Helm v4 Chart takes one.
package helmchart

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// Source is where charts come from.
type Source struct {
	// Repository is an http(s):// repository URL; empty otherwise. It goes in RepositoryOpts.
	Repository string
	// Prefix goes before the chart name in the chart reference: "oci://host/path/" or a local
	// directory with a trailing separator; empty with Repository.
	Prefix string
	// Local says the charts are read from disk, where a chart's version is its Chart.yaml's: Pulumi's
	// Helm v4 Chart does not check Version against a local chart (Helm's chart locator returns a
	// local path as it is).
	Local bool
}

// Chart is the reference of one chart in the source.
func (s Source) Chart(name string) string { return s.Prefix + name }

// Parse reads a repository setting: https://…, oci://…, or an absolute local directory, which must
// hold every named chart at the given version (a mismatch would install something else than
// configured). example names a valid repository for messages.
func Parse(repository, version, example string, charts ...string) (Source, error) {
	switch {
	case strings.HasPrefix(repository, "oci://"):
		u, err := url.Parse(repository)
		if err != nil || u.Host == "" {
			return Source{}, errors.New("not an OCI reference; OCI repositories look like oci://registry.example/charts")
		}
		return Source{Prefix: strings.TrimSuffix(repository, "/") + "/"}, nil
	case strings.HasPrefix(repository, "https://"), strings.HasPrefix(repository, "http://"):
		u, err := url.Parse(repository)
		if err != nil || u.Host == "" {
			return Source{}, fmt.Errorf("not a repository URL; repositories look like %s", example)
		}
		return Source{Repository: repository}, nil
	case repository == "":
		return Source{}, fmt.Errorf("empty; use a repository such as %s, an oci:// registry, or a local directory", example)
	}
	if !filepath.IsAbs(repository) {
		return Source{}, errors.New("a local chart directory must be an absolute path (Pulumi runs the program from the project directory, its provider from elsewhere)")
	}
	for _, chart := range charts {
		got, err := chartVersion(filepath.Join(repository, chart, "Chart.yaml"))
		if err != nil {
			return Source{}, fmt.Errorf("a local directory must hold the %s chart(s): %w", strings.Join(charts, " and "), err)
		}
		if got != version {
			return Source{}, fmt.Errorf("%s there is version %s, not %s; set the version to %s or point at the charts of %s", chart, got, version, got, version)
		}
	}
	return Source{Prefix: filepath.Clean(repository) + string(filepath.Separator), Local: true}, nil
}

func chartVersion(path string) (string, error) {
	b, err := os.ReadFile(path) //nolint:gosec // the user's own chart directory is the point
	if err != nil {
		return "", err
	}
	var meta struct {
		Version string `json:"version"`
	}
	if err := yaml.Unmarshal(b, &meta); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return meta.Version, nil
}

// Values renders typed chart values (a struct with json tags) as the plain map a Helm chart takes.
func Values(v any) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(raw, &m)
}
