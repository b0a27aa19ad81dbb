/*
Copyright 2026 The switchboard-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package configtest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

const (
	// namespace is where config/default installs the operator.
	namespace = "switchboard-operator-system"
	// group is the API group of the operator's kinds.
	group = "switchboard.conversations.dev"
	// k8sVersion is the version of the envtest binaries (bin/k8s/<version>-<os>-<arch>).
	k8sVersion = "1.37.2"
	// nonRootUID is the user of the distroless nonroot image and of the Deployment.
	nonRootUID = 65532
)

// repoRoot walks up from the working directory to the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// kubectl returns the kubectl built by `make envtest`: $KUBEBUILDER_ASSETS/kubectl when
// that is set, else bin/k8s/<version>-<os>-<arch>/kubectl.
func kubectl(t *testing.T, root string) string {
	t.Helper()
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = filepath.Join(root, "bin", "k8s", k8sVersion+"-"+runtime.GOOS+"-"+runtime.GOARCH)
	}
	path := filepath.Join(dir, "kubectl")
	if _, err := os.Stat(path); err != nil { //nolint:gosec // G703: the test reads where the Makefile put kubectl
		t.Skipf("kubectl is not at %s (%v); run `make envtest` to build it", path, err)
	}
	return path
}

// rendered is the output of `kubectl kustomize config/default`, decoded.
type rendered struct {
	objects []*unstructured.Unstructured
}

var (
	renderOnce sync.Once
	renderOut  []byte
	renderErr  error
)

// render runs `kubectl kustomize config/default` once per test binary.
func render(t *testing.T) *rendered {
	t.Helper()
	root := repoRoot(t)
	bin := kubectl(t, root)
	renderOnce.Do(func() {
		cmd := exec.Command(bin, "kustomize", filepath.Join(root, "config", "default")) //nolint:gosec // G204: the kubectl the Makefile builds, on the repository's own config
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		renderOut, renderErr = cmd.Output()
		if renderErr != nil {
			renderErr = errors.New(renderErr.Error() + ": " + stderr.String())
		}
	})
	if renderErr != nil {
		if strings.Contains(renderErr.Error(), "role.yaml") {
			t.Fatalf("kubectl kustomize config/default: %v\nconfig/rbac/role.yaml is generated: run `make manifests`", renderErr)
		}
		t.Fatalf("kubectl kustomize config/default: %v", renderErr)
	}
	r := &rendered{}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(renderOut), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("decoding the rendered objects: %v", err)
		}
		if len(u.Object) > 0 {
			r.objects = append(r.objects, u)
		}
	}
	return r
}

// all returns the rendered objects of a kind.
func (r *rendered) all(kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, u := range r.objects {
		if u.GetKind() == kind {
			out = append(out, u)
		}
	}
	return out
}

// one decodes the only rendered object of a kind into into.
func (r *rendered) one(t *testing.T, kind string, into any) {
	t.Helper()
	objs := r.all(kind)
	if len(objs) != 1 {
		t.Fatalf("config/default renders %d objects of kind %s, want 1", len(objs), kind)
	}
	if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(objs[0].Object, into); err != nil {
		t.Fatalf("decoding the %s: %v", kind, err)
	}
}

// named decodes the rendered object of a kind with the given name suffix (the
// kustomization adds a name prefix).
func (r *rendered) named(t *testing.T, kind, suffix string, into any) {
	t.Helper()
	for _, u := range r.all(kind) {
		if strings.HasSuffix(u.GetName(), suffix) {
			if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
				t.Fatalf("decoding the %s %s: %v", kind, u.GetName(), err)
			}
			return
		}
	}
	t.Fatalf("config/default renders no %s named *%s", kind, suffix)
}

func TestRenderedInstallIsComplete(t *testing.T) {
	r := render(t)
	counts := map[string]int{}
	for _, u := range r.objects {
		counts[u.GetKind()]++
	}
	want := map[string]int{
		"Namespace":                1,
		"CustomResourceDefinition": 2,
		"ServiceAccount":           1,
		"ClusterRole":              3, // the manager's, metrics-auth-role, metrics-reader
		"ClusterRoleBinding":       2, // the manager's, metrics-auth-rolebinding
		"Role":                     1,
		"RoleBinding":              1,
		"Deployment":               1,
		"Service":                  1,
	}
	for kind, n := range want {
		if counts[kind] < n {
			t.Errorf("config/default renders %d %s objects, want at least %d", counts[kind], kind, n)
		}
	}
	var ns corev1.Namespace
	r.one(t, "Namespace", &ns)
	if ns.Name != namespace {
		t.Errorf("the Namespace is %q, want %q", ns.Name, namespace)
	}
	if got := ns.Labels["pod-security.kubernetes.io/enforce"]; got != "restricted" {
		t.Errorf("the Namespace enforces pod security %q, want restricted", got)
	}
	clusterScoped := map[string]bool{"Namespace": true, "CustomResourceDefinition": true, "ClusterRole": true, "ClusterRoleBinding": true}
	for _, u := range r.objects {
		if !clusterScoped[u.GetKind()] && u.GetNamespace() != namespace {
			t.Errorf("%s %s is in namespace %q, want %q", u.GetKind(), u.GetName(), u.GetNamespace(), namespace)
		}
	}
}

func TestRenderedCRDsAreIncluded(t *testing.T) {
	r := render(t)
	found := map[string]bool{}
	for _, u := range r.all("CustomResourceDefinition") {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &crd); err != nil {
			t.Fatal(err)
		}
		if crd.Spec.Group != group || crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
			t.Errorf("CRD %s: group %q scope %q, want %q Namespaced", crd.Name, crd.Spec.Group, crd.Spec.Scope, group)
		}
		found[crd.Spec.Names.Kind] = true
	}
	for _, kind := range []string{"Switchboard", "ConversationControl"} {
		if !found[kind] {
			t.Errorf("config/default renders no CRD for %s", kind)
		}
	}
}

func TestRenderedDeploymentIsHardened(t *testing.T) {
	r := render(t)
	var deploy appsv1.Deployment
	r.one(t, "Deployment", &deploy)
	pod := deploy.Spec.Template.Spec

	var sa corev1.ServiceAccount
	r.one(t, "ServiceAccount", &sa)
	if pod.ServiceAccountName != sa.Name {
		t.Errorf("the Deployment runs as ServiceAccount %q, want the rendered %q", pod.ServiceAccountName, sa.Name)
	}
	if pod.HostNetwork || pod.HostPID || pod.HostIPC {
		t.Error("the Deployment shares a host namespace")
	}
	psc := pod.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	if len(pod.Containers) == 0 {
		t.Fatal("the Deployment has no containers")
	}
	for _, c := range pod.Containers {
		csc := c.SecurityContext
		if csc == nil {
			t.Errorf("container %s has no securityContext", c.Name)
			continue
		}
		if !isTrue(first(csc.RunAsNonRoot, psc.RunAsNonRoot)) {
			t.Errorf("container %s: runAsNonRoot is not true", c.Name)
		}
		if uid := first(csc.RunAsUser, psc.RunAsUser); uid == nil || *uid != nonRootUID {
			t.Errorf("container %s: runAsUser is %v, want %d (the distroless nonroot user)", c.Name, deref(uid), nonRootUID)
		}
		if !isTrue(csc.ReadOnlyRootFilesystem) {
			t.Errorf("container %s: readOnlyRootFilesystem is not true", c.Name)
		}
		if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
			t.Errorf("container %s: allowPrivilegeEscalation is not false", c.Name)
		}
		if isTrue(csc.Privileged) {
			t.Errorf("container %s is privileged", c.Name)
		}
		if csc.Capabilities == nil || !slices.Contains(csc.Capabilities.Drop, "ALL") || len(csc.Capabilities.Add) > 0 {
			t.Errorf("container %s: capabilities %+v, want drop [ALL] and nothing added", c.Name, csc.Capabilities)
		}
		seccomp := csc.SeccompProfile
		if seccomp == nil {
			seccomp = psc.SeccompProfile
		}
		if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("container %s: seccompProfile %+v, want RuntimeDefault", c.Name, seccomp)
		}
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[res]; !ok {
				t.Errorf("container %s: no %s request", c.Name, res)
			}
			if _, ok := c.Resources.Limits[res]; !ok {
				t.Errorf("container %s: no %s limit", c.Name, res)
			}
		}
		checkProbe(t, c, "liveness", c.LivenessProbe, "/healthz")
		checkProbe(t, c, "readiness", c.ReadinessProbe, "/readyz")
	}

	manager := pod.Containers[0]
	if !slices.Contains(manager.Args, "--leader-elect") && !slices.Contains(manager.Args, "--leader-elect=true") {
		t.Errorf("the manager runs without --leader-elect: %v", manager.Args)
	}
	if manager.Image == "" {
		t.Error("the manager has no image")
	}
}

// checkProbe checks that a probe asks the manager's health endpoint on a declared port.
func checkProbe(t *testing.T, c corev1.Container, which string, p *corev1.Probe, path string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("container %s: no HTTP %s probe", c.Name, which)
		return
	}
	if p.HTTPGet.Path != path {
		t.Errorf("container %s: %s probe path %q, want %q", c.Name, which, p.HTTPGet.Path, path)
	}
	if !hasPort(c, p.HTTPGet.Port) {
		t.Errorf("container %s: %s probe port %s is not a port of the container", c.Name, which, p.HTTPGet.Port.String())
	}
}

// hasPort tells whether a container declares port, by name or number.
func hasPort(c corev1.Container, port intstr.IntOrString) bool {
	for _, p := range c.Ports {
		if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.ContainerPort == port.IntVal) {
			return true
		}
	}
	return false
}

func TestRenderedClusterRoleIsLeastPrivilege(t *testing.T) {
	r := render(t)
	var role rbacv1.ClusterRole
	r.named(t, "ClusterRole", "manager-role", &role)
	if len(role.Rules) == 0 {
		t.Fatal("the ClusterRole has no rules; run `make manifests` after adding +kubebuilder:rbac markers")
	}
	if role.AggregationRule != nil {
		t.Error("the ClusterRole aggregates other roles")
	}
	var secretVerbs []string
	for i, rule := range role.Rules {
		for _, field := range [][]string{rule.APIGroups, rule.Resources, rule.Verbs} {
			if slices.Contains(field, "*") {
				t.Errorf("rule %d has a wildcard: %+v", i, rule)
			}
		}
		if len(rule.NonResourceURLs) > 0 {
			t.Errorf("rule %d grants non-resource URLs: %v", i, rule.NonResourceURLs)
		}
		for _, res := range rule.Resources {
			switch {
			case res == "secrets" || strings.HasPrefix(res, "secrets/"):
				if !slices.Equal(rule.APIGroups, []string{""}) {
					t.Errorf("rule %d grants secrets in API groups %v", i, rule.APIGroups)
				}
				if res != "secrets" {
					t.Errorf("rule %d grants the Secret subresource %s", i, res)
				}
				if len(rule.ResourceNames) > 0 {
					t.Errorf("rule %d limits secrets to names %v, which cannot work for user-named Secrets", i, rule.ResourceNames)
				}
				secretVerbs = append(secretVerbs, rule.Verbs...)
			case res == "leases":
				t.Errorf("rule %d grants leases cluster-wide; leader election has its own namespaced Role", i)
			}
		}
		if slices.Contains(rule.APIGroups, group) {
			for _, verb := range []string{"create", "delete", "deletecollection"} {
				// The one delete it needs: a ConversationControl whose TTL ran out.
				if slices.Contains(rule.Verbs, verb) && (verb != "delete" || !slices.Equal(rule.Resources, []string{"conversationcontrols"})) {
					t.Errorf("rule %d lets the operator %s its own objects (%v); it never does", i, verb, rule.Resources)
				}
			}
		}
	}
	slices.Sort(secretVerbs)
	if !slices.Equal(slices.Compact(secretVerbs), []string{"get"}) {
		t.Errorf("the ClusterRole grants secrets %v, want only get", secretVerbs)
	}

	var binding rbacv1.ClusterRoleBinding
	r.named(t, "ClusterRoleBinding", "manager-rolebinding", &binding)
	checkBinding(t, r, binding.RoleRef, binding.Subjects, "ClusterRole", role.Name)
}

func TestRenderedMetricsEndpointIsAuthenticated(t *testing.T) {
	r := render(t)
	var deploy appsv1.Deployment
	r.one(t, "Deployment", &deploy)
	args := deploy.Spec.Template.Spec.Containers[0].Args
	if !slices.Contains(args, "--metrics-bind-address=:8443") {
		t.Errorf("the manager's args %v do not bind metrics to :8443", args)
	}
	for _, a := range args {
		if strings.HasPrefix(a, "--metrics-secure=") && a != "--metrics-secure=true" {
			t.Errorf("the manager runs with %s: metrics would be served without authentication", a)
		}
	}

	// The filter checks tokens and permissions with the API server: exactly these two grants.
	var auth rbacv1.ClusterRole
	r.named(t, "ClusterRole", "metrics-auth-role", &auth)
	want := []rbacv1.PolicyRule{
		{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"tokenreviews"}, Verbs: []string{"create"}},
		{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews"}, Verbs: []string{"create"}},
	}
	if !slices.EqualFunc(auth.Rules, want, rulesEqual) {
		t.Errorf("metrics-auth-role rules = %+v, want %+v", auth.Rules, want)
	}
	var authBinding rbacv1.ClusterRoleBinding
	r.named(t, "ClusterRoleBinding", "metrics-auth-rolebinding", &authBinding)
	checkBinding(t, r, authBinding.RoleRef, authBinding.Subjects, "ClusterRole", auth.Name)

	var reader rbacv1.ClusterRole
	r.named(t, "ClusterRole", "metrics-reader", &reader)
	wantReader := []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}
	if !slices.EqualFunc(reader.Rules, wantReader, rulesEqual) {
		t.Errorf("metrics-reader rules = %+v, want %+v", reader.Rules, wantReader)
	}

	var svc corev1.Service
	r.named(t, "Service", "metrics", &svc)
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 8443 || svc.Spec.Ports[0].Name != "https" {
		t.Errorf("the metrics Service ports are %+v, want one named https on 8443", svc.Spec.Ports)
	}
}

// rulesEqual compares two policy rules field by field.
func rulesEqual(a, b rbacv1.PolicyRule) bool {
	return slices.Equal(a.APIGroups, b.APIGroups) && slices.Equal(a.Resources, b.Resources) &&
		slices.Equal(a.Verbs, b.Verbs) && slices.Equal(a.NonResourceURLs, b.NonResourceURLs) &&
		slices.Equal(a.ResourceNames, b.ResourceNames)
}

func TestRenderedManagerKeepsTheDefaultEndpointAllowList(t *testing.T) {
	r := render(t)
	var deploy appsv1.Deployment
	r.one(t, "Deployment", &deploy)
	for _, a := range deploy.Spec.Template.Spec.Containers[0].Args {
		if strings.HasPrefix(a, "--allowed-endpoint-hosts") {
			t.Errorf("config/default passes %s; the install must keep the vendor's hosts, the built-in default", a)
		}
	}
}

// allowListOverlay is the overlay the README shows for --allowed-endpoint-hosts.
const allowListOverlay = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- %s
patches:
- target: {kind: Deployment, name: switchboard-operator-controller-manager}
  patch: |-
    - op: add
      path: /spec/template/spec/containers/0/args/-
      value: --allowed-endpoint-hosts=acme.zendesk.com,api.eu-1.smooch.io
`

func TestAllowListOverlayFromTheREADMESetsTheFlag(t *testing.T) {
	root := repoRoot(t)
	bin := kubectl(t, root)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	shown := strings.Replace(allowListOverlay, "%s", "../../default", 1)
	if !strings.Contains(string(readme), shown) {
		t.Fatalf("README.md does not show the overlay this test renders:\n%s", shown)
	}
	dir := t.TempDir()
	base, err := filepath.Rel(dir, filepath.Join(root, "config", "default")) // kustomize refuses absolute paths
	if err != nil {
		t.Fatal(err)
	}
	overlay := strings.Replace(allowListOverlay, "%s", base, 1)
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(overlay), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "kustomize", dir).CombinedOutput() //nolint:gosec // G204: the kubectl the Makefile builds, on a kustomization the test wrote
	if err != nil {
		t.Fatalf("kubectl kustomize of the overlay: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "- --allowed-endpoint-hosts=acme.zendesk.com,api.eu-1.smooch.io") {
		t.Errorf("the rendered overlay does not pass the flag to the manager:\n%s", out)
	}
}

func TestRenderedLeaderElectionRoleIsNamespaced(t *testing.T) {
	r := render(t)
	var role rbacv1.Role
	r.named(t, "Role", "leader-election-role", &role)
	if role.Namespace != namespace {
		t.Errorf("the leader-election Role is in namespace %q, want %q", role.Namespace, namespace)
	}
	leases := false
	for _, rule := range role.Rules {
		if slices.Contains(rule.APIGroups, "coordination.k8s.io") && slices.Contains(rule.Resources, "leases") {
			leases = true
		}
		for _, field := range [][]string{rule.APIGroups, rule.Resources, rule.Verbs} {
			if slices.Contains(field, "*") {
				t.Errorf("leader-election rule has a wildcard: %+v", rule)
			}
		}
	}
	if !leases {
		t.Error("the leader-election Role grants no coordination.k8s.io leases")
	}
	var binding rbacv1.RoleBinding
	r.named(t, "RoleBinding", "leader-election-rolebinding", &binding)
	if binding.Namespace != namespace {
		t.Errorf("the leader-election RoleBinding is in namespace %q, want %q", binding.Namespace, namespace)
	}
	checkBinding(t, r, binding.RoleRef, binding.Subjects, "Role", role.Name)
}

// checkBinding checks that a binding gives the named role to the manager's ServiceAccount.
func checkBinding(t *testing.T, r *rendered, ref rbacv1.RoleRef, subjects []rbacv1.Subject, kind, name string) {
	t.Helper()
	var sa corev1.ServiceAccount
	r.one(t, "ServiceAccount", &sa)
	if ref.Kind != kind || ref.Name != name {
		t.Errorf("binding refers to %s %s, want %s %s", ref.Kind, ref.Name, kind, name)
	}
	want := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: sa.Namespace}
	if !slices.Contains(subjects, want) {
		t.Errorf("binding to %s %s has subjects %+v, want %+v", kind, name, subjects, want)
	}
}

func TestRenderedMetricsServiceSelectsTheManager(t *testing.T) {
	checkServiceSelectsTheManager(t, render(t), "metrics")
}

func TestRenderedReceiverServiceSelectsTheManagerOnTheReceiverPort(t *testing.T) {
	r := render(t)
	checkServiceSelectsTheManager(t, r, "webhook-receiver")
	var deploy appsv1.Deployment
	r.one(t, "Deployment", &deploy)
	c := deploy.Spec.Template.Spec.Containers[0]
	if !slices.Contains(c.Args, "--receiver-bind-address=:9292") {
		t.Errorf("the manager's args %v do not turn the receiver on at :9292", c.Args)
	}
	if !hasPort(c, intstr.FromString("webhooks")) || !hasPort(c, intstr.FromInt32(9292)) {
		t.Errorf("the manager does not declare the port webhooks (9292): %+v", c.Ports)
	}
}

// checkServiceSelectsTheManager checks that the Service named *suffix selects the
// manager's pods on ports the manager declares.
func checkServiceSelectsTheManager(t *testing.T, r *rendered, suffix string) {
	t.Helper()
	var svc corev1.Service
	r.named(t, "Service", suffix, &svc)
	var deploy appsv1.Deployment
	r.one(t, "Deployment", &deploy)
	labels := deploy.Spec.Template.Labels
	if len(svc.Spec.Selector) == 0 {
		t.Fatalf("the %s Service selects nothing", suffix)
	}
	for k, v := range svc.Spec.Selector {
		if labels[k] != v {
			t.Errorf("the %s Service selects %s=%s, which the manager's pods do not carry (%v)", suffix, k, v, labels)
		}
	}
	if len(svc.Spec.Ports) == 0 {
		t.Fatalf("the %s Service has no ports", suffix)
	}
	for _, p := range svc.Spec.Ports {
		target := p.TargetPort
		if target.Type == intstr.Int && target.IntVal == 0 {
			target = intstr.FromInt32(p.Port)
		}
		if !hasPort(deploy.Spec.Template.Spec.Containers[0], target) {
			t.Errorf("the %s Service port %s targets %s, which the manager does not declare", suffix, p.Name, target.String())
		}
	}
}

func isTrue(b *bool) bool { return b != nil && *b }

// first returns the first non-nil pointer.
func first[T any](ps ...*T) *T {
	for _, p := range ps {
		if p != nil {
			return p
		}
	}
	return nil
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
