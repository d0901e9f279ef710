package components

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	k8smeta "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// kubeObject is a Kubernetes object registered from its k8s.io/api value. Building objects with the
// API's own Go types keeps one source of truth: the resource, the offline manifest and any test of
// the object (the policy matcher, the CNI plugins) read the same value.
type kubeObject struct {
	pulumi.CustomResourceState
}

// newKubeObject registers obj, which must carry apiVersion and kind, under the same type token the
// typed pulumi-kubernetes resource uses (kubernetes:<group>/<version>:<Kind>), with the object's
// JSON as its inputs. This is what pulumi-kubernetes's own yaml package does.
func newKubeObject(ctx *pulumi.Context, name string, obj any, opts ...pulumi.ResourceOption) (*kubeObject, error) {
	args, token, err := kubeObjectArgs(obj)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var res kubeObject
	if err := ctx.RegisterResource(token, name, args, &res, opts...); err != nil {
		return nil, err
	}
	return &res, nil
}

// skipAwait tells the kubernetes provider not to wait for the object to become ready (a cluster
// with no nodes runs nothing).
func skipAwait(meta *k8smeta.ObjectMeta) {
	if meta.Annotations == nil {
		meta.Annotations = map[string]string{}
	}
	meta.Annotations["pulumi.com/skipAwait"] = "true"
}

// kubeObjectArgs turns a Kubernetes object into provider inputs and its type token.
func kubeObjectArgs(obj any) (kubernetes.UntypedArgs, string, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, "", err
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, "", err
	}
	apiVersion, _ := fields["apiVersion"].(string)
	kind, _ := fields["kind"].(string)
	if apiVersion == "" || kind == "" {
		return nil, "", fmt.Errorf("object %T has no apiVersion or kind; set its TypeMeta", obj)
	}
	delete(fields, "status") // the server's to fill
	groupVersion := apiVersion
	if !strings.Contains(apiVersion, "/") {
		groupVersion = "core/" + apiVersion
	}
	return kubernetes.UntypedArgs(fields), "kubernetes:" + groupVersion + ":" + kind, nil
}
