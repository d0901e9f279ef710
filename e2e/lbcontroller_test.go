//go:build e2e

package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"eks-advanced-networking/test/awstwin"
)

// serviceFinalizer is the finalizer the AWS Load Balancer Controller puts on a Service whose load
// balancer it manages, and takes off once that is deleted (aws-load-balancer-controller
// pkg/service/service_controller.go, serviceFinalizer "service.k8s.aws/resources").
const serviceFinalizer = "service.k8s.aws/resources"

// loadBalancerControllerStandIn does what the AWS Load Balancer Controller does for Services of
// class service.k8s.aws/nlb, against the twin's account, while the controller's Deployment exists
// on the API server (no pod of it runs here): it puts its finalizer on the Service and makes the
// load balancer, its security group and ELB's interfaces; when the Service is being deleted, it
// deletes them and takes the finalizer off. With the Deployment gone it does nothing, as a
// controller that no longer runs: the Service's delete then waits on the finalizer for ever, and the
// load balancer stays. It also removes the controller's webhook configurations, which a running
// controller would serve and which here no pod can. Returns the function that stops it.
func loadBalancerControllerStandIn(t *testing.T, tw *twin) func() {
	t.Helper()
	return poll(100*time.Millisecond, func() {
		if _, running, err := testCluster.get("/apis/apps/v1/namespaces/kube-system/deployments/aws-load-balancer-controller"); err != nil || !running {
			return
		}
		for _, kind := range []string{"mutatingwebhookconfigurations", "validatingwebhookconfigurations"} {
			_, _, _ = testCluster.request("DELETE", "/apis/admissionregistration.k8s.io/v1/"+kind+"/aws-load-balancer-webhook", nil)
		}
		if err := reconcileLoadBalancers(tw); err != nil {
			t.Logf("load balancer controller stand-in: %v", err)
		}
	})
}

// service is what the stand-in reads of a Service.
type service struct {
	Metadata struct {
		Name              string            `json:"name"`
		Namespace         string            `json:"namespace"`
		Annotations       map[string]string `json:"annotations"`
		Finalizers        []string          `json:"finalizers"`
		DeletionTimestamp *string           `json:"deletionTimestamp"`
	} `json:"metadata"`
	Spec struct {
		LoadBalancerClass string `json:"loadBalancerClass"`
	} `json:"spec"`
}

func reconcileLoadBalancers(tw *twin) error {
	_, body, err := testCluster.request("GET", "/api/v1/services", nil)
	if err != nil {
		return err
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		return err
	}
	for _, raw := range list.Items {
		var svc service
		if err := json.Unmarshal(raw, &svc); err != nil {
			return err
		}
		if svc.Spec.LoadBalancerClass != "service.k8s.aws/nlb" {
			continue
		}
		key := svc.Metadata.Namespace + "/" + svc.Metadata.Name
		held := slices.Contains(svc.Metadata.Finalizers, serviceFinalizer)
		switch {
		case svc.Metadata.DeletionTimestamp == nil && !held:
			if err := setFinalizer(raw, true); err != nil {
				return err
			}
			scheme := svc.Metadata.Annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"]
			if err := awstwin.UpdateAccount(tw.state, "eu-central-1", func(a *awstwin.Account) error {
				if _, awsErr := a.AddServiceLoadBalancer(key, scheme); awsErr != nil {
					return awsErr
				}
				return nil
			}); err != nil {
				return err
			}
		case svc.Metadata.DeletionTimestamp != nil && held:
			if err := awstwin.UpdateAccount(tw.state, "eu-central-1", func(a *awstwin.Account) error {
				a.RemoveServiceLoadBalancer(key)
				return nil
			}); err != nil {
				return err
			}
			if err := setFinalizer(raw, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// setFinalizer puts the controller's finalizer on a Service, or takes it off, with a PUT of the
// object as read (its resourceVersion makes a stale write fail, and the next round retries).
func setFinalizer(raw json.RawMessage, on bool) error {
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return err
	}
	meta := obj["metadata"].(map[string]any)
	var finalizers []any
	for _, f := range asList(meta["finalizers"]) {
		if f != serviceFinalizer {
			finalizers = append(finalizers, f)
		}
	}
	if on {
		finalizers = append(finalizers, serviceFinalizer)
	}
	meta["finalizers"] = finalizers
	path := "/api/v1/namespaces/" + meta["namespace"].(string) + "/services/" + meta["name"].(string)
	status, body, err := testCluster.request("PUT", path, obj)
	if err != nil {
		return err
	}
	if status != 200 && !strings.Contains(body, "the object has been modified") {
		return &putError{path: path, status: status, body: body}
	}
	return nil
}

type putError struct {
	path   string
	status int
	body   string
}

func (e *putError) Error() string { return "PUT " + e.path + ": " + e.body }

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
