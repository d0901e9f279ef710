package workload

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestValidateImage(t *testing.T) {
	for _, tc := range []struct {
		ref     string
		wantErr string
	}{
		{DefaultImage, ""},
		{"busybox", ""},
		{"busybox:1.37", ""},
		{"123456789012.dkr.ecr.eu-central-1.amazonaws.com/mirror/busybox:1.37", ""},
		{"registry.example.com:5000/library/busybox:1.37", ""},
		{"public.ecr.aws/docker/library/busybox:1.37@sha256:" + strings.Repeat("ab", 32), ""},
		{"public.ecr.aws/docker/library/busybox@sha256:" + strings.Repeat("0", 64), ""},
		{"", "empty"},
		{" busybox:1.37", "surrounding spaces"},
		{"Busybox:1.37", "not an image reference"},
		{"busybox@sha256:abc", "not an image reference"},
		{"https://public.ecr.aws/docker/library/busybox", "not an image reference"},
		{"busybox:1.37:latest", "not an image reference"},
	} {
		err := ValidateImage(tc.ref)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("ValidateImage(%q) = %v, want nil", tc.ref, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("ValidateImage(%q) = %v, want an error saying %q", tc.ref, err, tc.wantErr)
		}
	}
}

// The default image is not Docker Hub's: a reference without a registry resolves to docker.io.
func TestDefaultImageIsNotFromDockerHub(t *testing.T) {
	if !strings.HasPrefix(DefaultImage, "public.ecr.aws/") {
		t.Errorf("DefaultImage %s is not served by ECR Public", DefaultImage)
	}
}

func busyboxPod(mutate func(*corev1.PodSpec)) (*metav1.ObjectMeta, *corev1.PodSpec) {
	spec := &corev1.PodSpec{Containers: []corev1.Container{{Name: "busybox", Image: DefaultImage, Command: []string{"sleep", "3600"}}}}
	if mutate != nil {
		mutate(spec)
	}
	return &metav1.ObjectMeta{Name: "p"}, spec
}

// Restrict is what makes a pod pass the real PodSecurity checks at `restricted`; each piece of it is
// needed, and the host network still needs `privileged`.
func TestRestrictMeetsTheRestrictedLevel(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*corev1.PodSpec)
		// allowed maps each level to whether the pod is admitted there.
		restricted, baseline bool
		wantReason           string
	}{
		{"as written, no security context", nil, false, true, "runAsNonRoot"},
		{"restricted", func(s *corev1.PodSpec) { Restrict(s) }, true, true, ""},
		{"restricted, with a writable directory", func(s *corev1.PodSpec) { Restrict(s, "/www") }, true, true, ""},
		{"restricted, with an init container", func(s *corev1.PodSpec) {
			s.InitContainers = []corev1.Container{{Name: "init", Image: DefaultImage}}
			Restrict(s)
		}, true, true, ""},
		{"restricted but escalation allowed", func(s *corev1.PodSpec) {
			Restrict(s)
			yes := true
			s.Containers[0].SecurityContext.AllowPrivilegeEscalation = &yes
		}, false, true, "allowPrivilegeEscalation"},
		{"restricted but NET_RAW added", func(s *corev1.PodSpec) {
			Restrict(s)
			s.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"NET_RAW"}
		}, false, false, "unrestricted capabilities"},
		{"restricted but unconfined seccomp", func(s *corev1.PodSpec) {
			Restrict(s)
			s.SecurityContext.SeccompProfile.Type = corev1.SeccompProfileTypeUnconfined
		}, false, false, "seccompProfile"},
		{"restricted, on the host network", func(s *corev1.PodSpec) { Restrict(s); s.HostNetwork = true }, false, false, "host namespaces"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			meta, spec := busyboxPod(tc.mutate)
			for level, want := range map[Level]bool{Restricted: tc.restricted, Baseline: tc.baseline, Privileged: true} {
				got, err := Violations(level, meta, spec)
				if err != nil {
					t.Fatal(err)
				}
				if (len(got) == 0) != want {
					t.Errorf("%s: violations %q, want admitted=%v", level, got, want)
				}
				if level == Restricted && tc.wantReason != "" && !strings.Contains(strings.Join(got, "; "), tc.wantReason) {
					t.Errorf("restricted: violations %q do not mention %q", got, tc.wantReason)
				}
			}
		})
	}
}

func TestRestrictKeepsTheRootFilesystemReadOnly(t *testing.T) {
	_, spec := busyboxPod(func(s *corev1.PodSpec) { Restrict(s, "/www", "/var/run/x") })
	c := spec.Containers[0]
	if c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
		t.Error("the root filesystem is writable")
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Error("the pod gets an API token it did not ask for")
	}
	yes := true
	_, asked := busyboxPod(func(s *corev1.PodSpec) { s.AutomountServiceAccountToken = &yes; Restrict(s) })
	if !*asked.AutomountServiceAccountToken {
		t.Error("Restrict took away a token the pod asked for")
	}
	if *spec.SecurityContext.RunAsUser != RunAsID || *spec.SecurityContext.RunAsGroup != RunAsID || RunAsID == 0 {
		t.Errorf("runs as %d:%d, want %d:%d", *spec.SecurityContext.RunAsUser, *spec.SecurityContext.RunAsGroup, RunAsID, RunAsID)
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	emptyDirs := map[string]bool{}
	for _, v := range spec.Volumes {
		emptyDirs[v.Name] = v.EmptyDir != nil
	}
	for _, dir := range []string{"/www", "/var/run/x"} {
		if name, ok := mounts[dir]; !ok || !emptyDirs[name] {
			t.Errorf("%s is not an emptyDir mount (mounts %v, volumes %v)", dir, mounts, emptyDirs)
		}
	}
}

func TestNamespaceCarriesAllThreeModes(t *testing.T) {
	ns := Namespace("deploy1", Restricted, map[string]string{"app": "deploy1"})
	want := map[string]string{"app": "deploy1", EnforceLabel: "restricted", AuditLabel: "restricted", WarnLabel: "restricted"}
	if len(ns.Labels) != len(want) {
		t.Errorf("labels %v, want %v", ns.Labels, want)
	}
	for k, v := range want {
		if ns.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, ns.Labels[k], v)
		}
	}
}

// Every exception is below restricted and says why; every other namespace is restricted.
func TestExceptionsAreNamedAndReasoned(t *testing.T) {
	for _, e := range Exceptions() {
		if e.Level == Restricted || len(e.Why) < 40 || LevelOf(e.Namespace) != e.Level {
			t.Errorf("exception %+v: not below restricted, no reason, or not what LevelOf says", e)
		}
	}
	if LevelOf("deploy1") != Restricted || LevelOf("eks-verify") != Restricted {
		t.Error("a namespace without an exception is not restricted")
	}
	if _, err := Violations("strict", &metav1.ObjectMeta{}, &corev1.PodSpec{}); err == nil {
		t.Error("an unknown level was accepted")
	}
}

func TestImageOrDefault(t *testing.T) {
	if got, err := ImageOrDefault(""); got != DefaultImage || err != nil {
		t.Errorf(`ImageOrDefault("") = %q, %v; want the default`, got, err)
	}
	mirror := "registry.example.com/mirror/busybox:1.37"
	if got, err := ImageOrDefault(mirror); got != mirror || err != nil {
		t.Errorf("ImageOrDefault(%q) = %q, %v", mirror, got, err)
	}
	if _, err := ImageOrDefault("Busybox"); err == nil {
		t.Error("a bad image was accepted")
	}
}

// A web server Deployment selects its own pods, runs at restricted and serves from its emptyDir.
func TestWebServerDeployment(t *testing.T) {
	d := Deployment("echo", "lb-demo", map[string]string{"app": "echo"}, 2,
		corev1.PodSpec{Containers: []corev1.Container{WebServer("httpd", DefaultImage, "hostname", 8080, corev1.ResourceRequirements{})}}, "/www")
	if *d.Spec.Replicas != 2 || d.Spec.Selector.MatchLabels["app"] != "echo" || d.Spec.Template.Labels["app"] != "echo" {
		t.Errorf("deployment %+v", d.Spec)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if got := strings.Join(c.Command, " "); got != "sh -c hostname > /www/index.html && exec httpd -f -p 8080 -h /www" {
		t.Errorf("command %q", got)
	}
	if v, err := Violations(Restricted, &d.Spec.Template.ObjectMeta, &d.Spec.Template.Spec); err != nil || len(v) > 0 || len(c.VolumeMounts) != 1 {
		t.Errorf("violations %v %v, mounts %v", v, err, c.VolumeMounts)
	}
}
