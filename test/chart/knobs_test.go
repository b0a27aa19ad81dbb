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

package chart

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
)

// release is a rendered chart, decoded.
type release struct {
	objs objects
	// deploy is the manager's Deployment (the first, with shards); deploys are all of them.
	deploy  appsv1.Deployment
	deploys []appsv1.Deployment
}

// pod is the manager's pod template.
func (r *release) pod() corev1.PodSpec { return r.deploy.Spec.Template.Spec }

// manager is the manager's container.
func (r *release) manager() corev1.Container { return r.deploy.Spec.Template.Spec.Containers[0] }

// decodeInto decodes the object of a kind and name into into; false when there is none.
func (r *release) decodeInto(t *testing.T, kind, name string, into any) bool {
	t.Helper()
	u := r.objs.find(kind, name)
	if u == nil {
		return false
	}
	if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
		t.Fatalf("decoding %s: %v", key(u), err)
	}
	return true
}

// port returns the manager's container port of a name, or 0.
func (r *release) port(name string) int32 {
	for _, p := range r.manager().Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

// wantArg fails unless the manager's arguments hold arg exactly once.
func (r *release) wantArg(t *testing.T, arg string) {
	t.Helper()
	n := 0
	for _, a := range r.manager().Args {
		if a == arg {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the manager's args hold %q %d times, want once: %v", arg, n, r.manager().Args)
	}
}

// noArg fails when an argument of the manager starts with prefix.
func (r *release) noArg(t *testing.T, prefix string) {
	t.Helper()
	for _, a := range r.manager().Args {
		if strings.HasPrefix(a, prefix) {
			t.Errorf("the manager's args hold %q, want no %s: %v", a, prefix, r.manager().Args)
		}
	}
}

// renderRelease renders the chart with values and decodes its Deployment.
func renderRelease(t *testing.T, values map[string]any) *release {
	t.Helper()
	r := &release{objs: mustRender(t, values)}
	for _, u := range r.objs.kind("Deployment") {
		var d appsv1.Deployment
		if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &d); err != nil {
			t.Fatalf("decoding %s: %v", key(u), err)
		}
		if n := len(d.Spec.Template.Spec.Containers); n != 1 {
			t.Fatalf("the Deployment %s has %d containers, want 1", d.Name, n)
		}
		r.deploys = append(r.deploys, d)
	}
	if len(r.deploys) == 0 {
		t.Fatal("the chart renders no Deployment")
	}
	r.deploy = r.deploys[0]
	return r
}

// knob is one value of the chart and what setting it must change.
type knob struct {
	name   string
	values map[string]any
	check  func(t *testing.T, r *release)
}

// flag is a knob that sets one flag of the manager.
func flag(value string, set any, arg string) knob {
	path := strings.Split(value, ".")
	return knob{
		name:   value + " sets " + strings.SplitN(arg, "=", 2)[0],
		values: nested(path, set),
		check:  func(t *testing.T, r *release) { r.wantArg(t, arg) },
	}
}

// nested builds {a: {b: {c: v}}} from the path a.b.c.
func nested(path []string, v any) map[string]any {
	m := map[string]any{path[len(path)-1]: v}
	for i := len(path) - 2; i >= 0; i-- {
		m = map[string]any{path[i]: m}
	}
	return m
}

const (
	fullname = releaseName // the release name contains the chart name
	saName   = fullname + "-controller-manager"
	digest   = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// knobs lists every value of the chart with a render that proves what it does. Numbers
// from a values file reach the templates as float64, as in the maxConcurrentReconciles knob.
// TestEveryValueHasAKnob keeps it complete.
var knobs = []knob{
	{"image.repository and image.tag name the image", map[string]any{"image": map[string]any{"repository": "registry.example/sb", "tag": "v9"}},
		func(t *testing.T, r *release) {
			if got := r.manager().Image; got != "registry.example/sb:v9" {
				t.Errorf("image %q, want registry.example/sb:v9", got)
			}
		}},
	{"image.digest pins the image by digest", map[string]any{"image": map[string]any{"repository": "registry.example/sb", "tag": "v9", "digest": digest}},
		func(t *testing.T, r *release) {
			if got := r.manager().Image; got != "registry.example/sb@"+digest {
				t.Errorf("image %q, want registry.example/sb@%s", got, digest)
			}
		}},
	{"image.pullPolicy sets the pull policy", map[string]any{"image": map[string]any{"pullPolicy": "Always"}},
		func(t *testing.T, r *release) {
			if got := r.manager().ImagePullPolicy; got != corev1.PullAlways {
				t.Errorf("pull policy %q, want Always", got)
			}
		}},
	{"imagePullSecrets are the pod's", map[string]any{"imagePullSecrets": []any{map[string]any{"name": "regcred"}}},
		func(t *testing.T, r *release) {
			if got := r.pod().ImagePullSecrets; len(got) != 1 || got[0].Name != "regcred" {
				t.Errorf("imagePullSecrets %v, want [regcred]", got)
			}
		}},
	{"replicaCount sets the replicas", map[string]any{"replicaCount": 3},
		func(t *testing.T, r *release) {
			if got := r.deploy.Spec.Replicas; got == nil || *got != 3 {
				t.Errorf("replicas %v, want 3", got)
			}
		}},
	{"leaderElection.enabled=false drops --leader-elect and the Lease Role", map[string]any{"leaderElection": map[string]any{"enabled": false}},
		func(t *testing.T, r *release) {
			r.noArg(t, "--leader-elect")
			if n := len(r.objs.kind("Role")) + len(r.objs.kind("RoleBinding")); n != 0 {
				t.Errorf("%d leader-election Roles and RoleBindings rendered, want none", n)
			}
		}},
	{"leaderElection.namespace moves the Lease and its Role", map[string]any{"leaderElection": map[string]any{"namespace": "elections"}},
		func(t *testing.T, r *release) {
			r.wantArg(t, "--leader-election-namespace=elections")
			var role rbacv1.Role
			if !r.decodeInto(t, "Role", fullname+"-leader-election-role", &role) || role.Namespace != "elections" {
				t.Errorf("the leader-election Role is in %q, want elections", role.Namespace)
			}
			var binding rbacv1.RoleBinding
			if !r.decodeInto(t, "RoleBinding", fullname+"-leader-election-rolebinding", &binding) || binding.Namespace != "elections" {
				t.Errorf("the leader-election RoleBinding is in %q, want elections", binding.Namespace)
			}
			if len(binding.Subjects) != 1 || binding.Subjects[0].Namespace != namespace {
				t.Errorf("the leader-election RoleBinding binds %v, want the ServiceAccount in %s", binding.Subjects, namespace)
			}
		}},
	{"manager.allowedEndpointHosts is joined with commas", map[string]any{"manager": map[string]any{"allowedEndpointHosts": []any{"api.smooch.io", "*.zendesk.com"}}},
		func(t *testing.T, r *release) { r.wantArg(t, "--allowed-endpoint-hosts=api.smooch.io,*.zendesk.com") }},
	flag("manager.maxConcurrentReconciles", float64(10000000), "--max-concurrent-reconciles=10000000"),
	flag("manager.maxConcurrentSwitchboardReconciles", 2, "--max-concurrent-switchboard-reconciles=2"),
	flag("manager.reconcileTimeout", "45s", "--reconcile-timeout=45s"),
	flag("manager.apiTimeout", "5s", "--api-timeout=5s"),
	flag("manager.deletionTimeout", "10m", "--deletion-timeout=10m"),
	flag("manager.secretCheckInterval", "30s", "--secret-check-interval=30s"),
	flag("manager.switchboardRetryInterval", "2m", "--switchboard-retry-interval=2m"),
	flag("manager.retryBaseDelay", "500ms", "--retry-base-delay=500ms"),
	flag("manager.retryMaxDelay", "1h", "--retry-max-delay=1h"),
	flag("manager.kubeAPIQPS", 50.5, "--kube-api-qps=50.5"),
	flag("manager.kubeAPIBurst", 100, "--kube-api-burst=100"),
	flag("manager.logLevel", "debug", "--zap-log-level=debug"),
	flag("manager.watchLabelSelector", "switchboard.conversations.dev/shard=a", "--watch-label-selector=switchboard.conversations.dev/shard=a"),
	flag("manager.shard", "a", "--shard=a"),
	flag("manager.enableWarmup", true, "--enable-warmup"),
	flag("manager.webhookReadBackWait", "0s", "--webhook-read-back-wait=0s"),
	// 0 is a TTL (delete at once), not "unset"; a number from a values file arrives as float64.
	flag("manager.defaultTTLSecondsAfterFinished", 0, "--default-ttl-seconds-after-finished=0"),
	flag("manager.defaultTTLSecondsAfterFinished", float64(604800), "--default-ttl-seconds-after-finished=604800"),
	{"receiver.enabled=false turns the receiver off and drops its Service, port and Ingress", map[string]any{"receiver": map[string]any{"enabled": false}},
		func(t *testing.T, r *release) {
			r.noArg(t, "--receiver-bind-address")
			if r.port("webhooks") != 0 {
				t.Error("the container still declares the webhooks port")
			}
			if r.objs.find("Service", fullname+"-webhook-receiver") != nil {
				t.Error("the receiver Service is rendered")
			}
			if n := len(r.objs.kind("Ingress")); n != 0 {
				t.Errorf("%d Ingresses rendered, want none", n)
			}
		}},
	{"receiver.port moves the receiver and its container port", map[string]any{"receiver": map[string]any{"port": 8080}},
		func(t *testing.T, r *release) {
			r.wantArg(t, "--receiver-bind-address=:8080")
			if got := r.port("webhooks"); got != 8080 {
				t.Errorf("webhooks container port %d, want 8080", got)
			}
			svc := r.receiverService(t, fullname+"-webhook-receiver")
			if svc.Spec.Ports[0].TargetPort.StrVal != "webhooks" {
				t.Errorf("the receiver Service targets %v, want the webhooks port", svc.Spec.Ports[0].TargetPort)
			}
		}},
	{"receiver.service sets the Service's type, port and annotations", map[string]any{"receiver": map[string]any{"service": map[string]any{
		"type": "LoadBalancer", "port": 8080, "annotations": map[string]any{"service.example/internal": "false"}}}},
		func(t *testing.T, r *release) {
			svc := r.receiverService(t, fullname+"-webhook-receiver")
			if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
				t.Errorf("Service type %q, want LoadBalancer", svc.Spec.Type)
			}
			if p := svc.Spec.Ports[0]; p.Port != 8080 || p.Name != "http" {
				t.Errorf("Service port %v, want http on 8080", p)
			}
			if svc.Annotations["service.example/internal"] != "false" {
				t.Errorf("Service annotations %v", svc.Annotations)
			}
		}},
	{"receiver.ingress routes /hooks/ of the host to the receiver, with TLS, class and annotations", map[string]any{"receiver": map[string]any{"ingress": map[string]any{
		"enabled": true, "host": "hooks.example.com", "tlsSecretName": "hooks-tls", "className": "nginx",
		"annotations": map[string]any{"cert-manager.io/cluster-issuer": "letsencrypt"}}}},
		func(t *testing.T, r *release) {
			ing := r.ingress(t)
			if ing.Spec.IngressClassName == nil || *ing.Spec.IngressClassName != "nginx" {
				t.Errorf("ingressClassName %v, want nginx", ing.Spec.IngressClassName)
			}
			if ing.Annotations["cert-manager.io/cluster-issuer"] != "letsencrypt" {
				t.Errorf("Ingress annotations %v", ing.Annotations)
			}
			want := []networkingv1.IngressTLS{{Hosts: []string{"hooks.example.com"}, SecretName: "hooks-tls"}}
			if !reflect.DeepEqual(ing.Spec.TLS, want) {
				t.Errorf("Ingress TLS %v, want %v", ing.Spec.TLS, want)
			}
			checkRules(t, ing, map[string]string{"hooks.example.com": fullname + "-webhook-receiver"})
		}},
	{"receiver.ingress without tlsSecretName has no TLS section and no class", map[string]any{"receiver": map[string]any{"ingress": map[string]any{
		"enabled": true, "host": "hooks.example.com"}}},
		func(t *testing.T, r *release) {
			ing := r.ingress(t)
			if len(ing.Spec.TLS) != 0 || ing.Spec.IngressClassName != nil {
				t.Errorf("Ingress TLS %v and class %v, want neither", ing.Spec.TLS, ing.Spec.IngressClassName)
			}
			checkRules(t, ing, map[string]string{"hooks.example.com": fullname + "-webhook-receiver"})
		}},
	{"shards[].receiverHost routes each shard's host to its own receiver Service", map[string]any{
		"shards": []any{
			map[string]any{"name": "a", "watchLabelSelector": "switchboard.conversations.dev/shard=a", "receiverHost": "a.hooks.example.com"},
			map[string]any{"name": "b", "watchLabelSelector": "switchboard.conversations.dev/shard=b", "receiverHost": "b.hooks.example.com"},
		},
		"receiver": map[string]any{"ingress": map[string]any{"enabled": true, "tlsSecretName": "hooks-tls"}}},
		func(t *testing.T, r *release) {
			ing := r.ingress(t)
			want := []networkingv1.IngressTLS{{Hosts: []string{"a.hooks.example.com", "b.hooks.example.com"}, SecretName: "hooks-tls"}}
			if !reflect.DeepEqual(ing.Spec.TLS, want) {
				t.Errorf("Ingress TLS %v, want %v", ing.Spec.TLS, want)
			}
			checkRules(t, ing, map[string]string{
				"a.hooks.example.com": fullname + "-webhook-receiver-a",
				"b.hooks.example.com": fullname + "-webhook-receiver-b",
			})
		}},
	{"shards render one Deployment per shard, each with its selector, shard and pods of its own", map[string]any{"shards": []any{
		map[string]any{"name": "a", "watchLabelSelector": "switchboard.conversations.dev/shard=a"},
		map[string]any{"name": "b", "watchLabelSelector": "switchboard.conversations.dev/shard in (b,c)"},
	}}, func(t *testing.T, r *release) {
		if len(r.deploys) != 2 {
			t.Fatalf("%d Deployments rendered, want 2", len(r.deploys))
		}
		for i, want := range []struct{ name, selector, shard string }{
			{fullname + "-controller-manager-a", "--watch-label-selector=switchboard.conversations.dev/shard=a", "a"},
			{fullname + "-controller-manager-b", "--watch-label-selector=switchboard.conversations.dev/shard in (b,c)", "b"},
		} {
			d := r.deploys[i]
			one := &release{objs: r.objs, deploy: d}
			if d.Name != want.name {
				t.Errorf("Deployment %d is %s, want %s", i, d.Name, want.name)
			}
			one.wantArg(t, want.selector)
			one.wantArg(t, "--shard="+want.shard)
			one.wantArg(t, "--leader-elect")
			if got := d.Spec.Selector.MatchLabels["switchboard.conversations.dev/shard"]; got != want.shard {
				t.Errorf("%s selects pods of shard %q, want %q", d.Name, got, want.shard)
			}
			if got := d.Spec.Template.Labels["switchboard.conversations.dev/shard"]; got != want.shard {
				t.Errorf("%s's pods are labelled shard %q, want %q", d.Name, got, want.shard)
			}
			// Each shard serves the receiver, behind a Service of its own: a replica knows
			// the webhooks of its own shard's Switchboards only.
			one.wantArg(t, "--receiver-bind-address=:9292")
			if one.port("webhooks") != 9292 {
				t.Errorf("%s declares no webhooks port 9292: %v", d.Name, one.manager().Ports)
			}
			var svc corev1.Service
			if !r.decodeInto(t, "Service", fullname+"-webhook-receiver-"+want.shard, &svc) {
				t.Fatalf("no receiver Service for shard %s", want.shard)
			}
			sel := labels.SelectorFromSet(svc.Spec.Selector)
			for _, other := range r.deploys {
				if got, own := sel.Matches(labels.Set(other.Spec.Template.Labels)), other.Name == d.Name; got != own {
					t.Errorf("the receiver Service of shard %s selects the pods of %s: %v, want %v", want.shard, other.Name, got, own)
				}
			}
		}
		if r.objs.find("Service", fullname+"-webhook-receiver") != nil {
			t.Error("with shards, a receiver Service selecting every shard's pods is rendered")
		}
	}},
	{"extraArgs come last, as given", map[string]any{"extraArgs": []any{"--zap-devel", "--zap-encoder=console"}},
		func(t *testing.T, r *release) {
			args := r.manager().Args
			if len(args) < 2 || !slices.Equal(args[len(args)-2:], []string{"--zap-devel", "--zap-encoder=console"}) {
				t.Errorf("args %v, want them to end with --zap-devel --zap-encoder=console", args)
			}
		}},
	{"metrics.enabled=false turns metrics off and drops the Service and port", map[string]any{"metrics": map[string]any{"enabled": false}},
		func(t *testing.T, r *release) {
			r.wantArg(t, "--metrics-bind-address=0")
			if r.objs.find("Service", fullname+"-controller-manager-metrics") != nil {
				t.Error("the metrics Service is rendered")
			}
			if n := len(r.objs.kind("Service")); n != 1 {
				t.Errorf("%d Services rendered, want only the receiver's", n)
			}
			if r.port("metrics") != 0 {
				t.Error("the container still declares the metrics port")
			}
			if n := len(r.objs.kind("ClusterRole")); n != 1 {
				t.Errorf("%d ClusterRoles rendered, want only the manager's", n)
			}
		}},
	{"metrics.secure=false serves plain HTTP and drops the metrics RBAC", map[string]any{"metrics": map[string]any{"secure": false}},
		func(t *testing.T, r *release) {
			r.wantArg(t, "--metrics-secure=false")
			for _, name := range []string{fullname + "-metrics-auth-role", fullname + "-metrics-reader"} {
				if r.objs.find("ClusterRole", name) != nil {
					t.Errorf("the ClusterRole %s is rendered; plain HTTP metrics need none", name)
				}
			}
			if r.objs.find("ClusterRoleBinding", fullname+"-metrics-auth-rolebinding") != nil {
				t.Error("the metrics-auth ClusterRoleBinding is rendered; plain HTTP metrics need none")
			}
			var svc corev1.Service
			if !r.decodeInto(t, "Service", fullname+"-controller-manager-metrics", &svc) || svc.Spec.Ports[0].Name != "http" {
				t.Errorf("the metrics Service's port is %v, want one named http", svc.Spec.Ports)
			}
		}},
	{"metrics.port moves the endpoint and the container port", map[string]any{"metrics": map[string]any{"port": 9090}},
		func(t *testing.T, r *release) {
			r.wantArg(t, "--metrics-bind-address=:9090")
			if got := r.port("metrics"); got != 9090 {
				t.Errorf("metrics container port %d, want 9090", got)
			}
		}},
	{"metrics.service sets the Service's type, port and annotations", map[string]any{"metrics": map[string]any{"service": map[string]any{
		"type": "NodePort", "port": 9443, "annotations": map[string]any{"prometheus.io/scrape": "true"}}}},
		func(t *testing.T, r *release) {
			var svc corev1.Service
			if !r.decodeInto(t, "Service", fullname+"-controller-manager-metrics", &svc) {
				t.Fatal("no metrics Service")
			}
			if svc.Spec.Type != corev1.ServiceTypeNodePort {
				t.Errorf("Service type %q, want NodePort", svc.Spec.Type)
			}
			if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 9443 || svc.Spec.Ports[0].TargetPort.StrVal != "metrics" {
				t.Errorf("Service ports %v, want 9443 to the metrics port", svc.Spec.Ports)
			}
			if svc.Annotations["prometheus.io/scrape"] != "true" {
				t.Errorf("Service annotations %v", svc.Annotations)
			}
		}},
	{"healthProbe.port moves the probes", map[string]any{"healthProbe": map[string]any{"port": 9091}},
		func(t *testing.T, r *release) {
			r.wantArg(t, "--health-probe-bind-address=:9091")
			if got := r.port("probes"); got != 9091 {
				t.Errorf("probes container port %d, want 9091", got)
			}
			if r.manager().LivenessProbe.HTTPGet.Port.StrVal != "probes" || r.manager().ReadinessProbe.HTTPGet.Port.StrVal != "probes" {
				t.Error("the probes do not use the probes port")
			}
		}},
	{"resources are the container's", map[string]any{"resources": map[string]any{"limits": map[string]any{"cpu": "2", "memory": "1Gi"}, "requests": map[string]any{"cpu": "1", "memory": "512Mi"}}},
		func(t *testing.T, r *release) {
			res := r.manager().Resources
			if !res.Limits.Memory().Equal(resource.MustParse("1Gi")) || !res.Requests.Cpu().Equal(resource.MustParse("1")) {
				t.Errorf("resources %v, want limits memory 1Gi and requests cpu 1", res)
			}
		}},
	{"serviceAccount.create=false uses an existing ServiceAccount by name", map[string]any{"serviceAccount": map[string]any{"create": false, "name": "existing"}},
		func(t *testing.T, r *release) {
			if n := len(r.objs.kind("ServiceAccount")); n != 0 {
				t.Errorf("%d ServiceAccounts rendered, want none", n)
			}
			if got := r.pod().ServiceAccountName; got != "existing" {
				t.Errorf("the pod runs as %q, want existing", got)
			}
			checkSubjects(t, r, "existing")
		}},
	{"serviceAccount.name and annotations name and annotate the created ServiceAccount", map[string]any{"serviceAccount": map[string]any{
		"name": "operator", "annotations": map[string]any{"iam.example/role": "r"}}},
		func(t *testing.T, r *release) {
			var sa corev1.ServiceAccount
			if !r.decodeInto(t, "ServiceAccount", "operator", &sa) {
				t.Fatal("no ServiceAccount named operator")
			}
			if sa.Annotations["iam.example/role"] != "r" {
				t.Errorf("ServiceAccount annotations %v", sa.Annotations)
			}
			if got := r.pod().ServiceAccountName; got != "operator" {
				t.Errorf("the pod runs as %q, want operator", got)
			}
			checkSubjects(t, r, "operator")
		}},
	{"rbac.create=false renders no RBAC", map[string]any{"rbac": map[string]any{"create": false}},
		func(t *testing.T, r *release) {
			for _, kind := range []string{"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"} {
				if n := len(r.objs.kind(kind)); n != 0 {
					t.Errorf("%d %s objects rendered, want none", n, kind)
				}
			}
		}},
	{"podSecurityContext replaces the pod's security context", map[string]any{"podSecurityContext": map[string]any{"runAsNonRoot": true, "runAsUser": 1000, "fsGroup": 2000}},
		func(t *testing.T, r *release) {
			psc := r.pod().SecurityContext
			if psc == nil || psc.RunAsUser == nil || *psc.RunAsUser != 1000 || psc.FSGroup == nil || *psc.FSGroup != 2000 {
				t.Errorf("pod securityContext %+v, want runAsUser 1000 and fsGroup 2000", psc)
			}
		}},
	{"securityContext replaces the container's security context", map[string]any{"securityContext": map[string]any{"readOnlyRootFilesystem": true, "runAsUser": 1001}},
		func(t *testing.T, r *release) {
			sc := r.manager().SecurityContext
			if sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 1001 {
				t.Errorf("container securityContext %+v, want runAsUser 1001", sc)
			}
		}},
	{"podAnnotations are added to the pod's", map[string]any{"podAnnotations": map[string]any{"example.com/a": "b"}},
		func(t *testing.T, r *release) {
			ann := r.deploy.Spec.Template.Annotations
			if ann["example.com/a"] != "b" || ann["kubectl.kubernetes.io/default-container"] != "manager" {
				t.Errorf("pod annotations %v, want example.com/a and the default-container annotation", ann)
			}
		}},
	{"podLabels are added to the pod's, not to the selector", map[string]any{"podLabels": map[string]any{"team": "support"}},
		func(t *testing.T, r *release) {
			if r.deploy.Spec.Template.Labels["team"] != "support" {
				t.Errorf("pod labels %v, want team=support", r.deploy.Spec.Template.Labels)
			}
			if _, ok := r.deploy.Spec.Selector.MatchLabels["team"]; ok {
				t.Error("podLabels changed the Deployment's selector, which is immutable")
			}
		}},
	{"priorityClassName is the pod's", map[string]any{"priorityClassName": "system-cluster-critical"},
		func(t *testing.T, r *release) {
			if got := r.pod().PriorityClassName; got != "system-cluster-critical" {
				t.Errorf("priorityClassName %q", got)
			}
		}},
	{"nodeSelector is the pod's", map[string]any{"nodeSelector": map[string]any{"kubernetes.io/os": "linux"}},
		func(t *testing.T, r *release) {
			if got := r.pod().NodeSelector; got["kubernetes.io/os"] != "linux" {
				t.Errorf("nodeSelector %v", got)
			}
		}},
	{"tolerations are the pod's", map[string]any{"tolerations": []any{map[string]any{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}}},
		func(t *testing.T, r *release) {
			if got := r.pod().Tolerations; len(got) != 1 || got[0].Key != "dedicated" {
				t.Errorf("tolerations %v", got)
			}
		}},
	{"affinity is the pod's", map[string]any{"affinity": map[string]any{"nodeAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{
		"nodeSelectorTerms": []any{map[string]any{"matchExpressions": []any{map[string]any{"key": "zone", "operator": "In", "values": []any{"a"}}}}}}}}},
		func(t *testing.T, r *release) {
			if a := r.pod().Affinity; a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
				t.Errorf("affinity %+v", a)
			}
		}},
	{"nameOverride renames the objects and the name label", map[string]any{"nameOverride": "handoffs"},
		func(t *testing.T, r *release) {
			// The release name no longer contains the name, so the full name is release-name.
			if got, want := r.deploy.Name, releaseName+"-handoffs-controller-manager"; got != want {
				t.Errorf("the Deployment is %q, want %q", got, want)
			}
			if got := r.deploy.Labels["app.kubernetes.io/name"]; got != "handoffs" {
				t.Errorf("name label %q, want handoffs", got)
			}
		}},
	{"fullnameOverride names every object", map[string]any{"fullnameOverride": "sb"},
		func(t *testing.T, r *release) {
			for _, u := range r.objs {
				if !strings.HasPrefix(u.GetName(), "sb-") {
					t.Errorf("%s is not named after fullnameOverride", key(u))
				}
			}
			checkSubjects(t, r, "sb-controller-manager")
			var binding rbacv1.ClusterRoleBinding
			if !r.decodeInto(t, "ClusterRoleBinding", "sb-manager-rolebinding", &binding) || binding.RoleRef.Name != "sb-manager-role" {
				t.Errorf("the ClusterRoleBinding refers to %q, want sb-manager-role", binding.RoleRef.Name)
			}
		}},
}

// receiverService decodes the receiver Service of a name and checks it serves port http.
func (r *release) receiverService(t *testing.T, name string) corev1.Service {
	t.Helper()
	var svc corev1.Service
	if !r.decodeInto(t, "Service", name, &svc) {
		t.Fatalf("no receiver Service %s", name)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "http" {
		t.Fatalf("the receiver Service %s has ports %v, want one named http", name, svc.Spec.Ports)
	}
	return svc
}

// ingress decodes the receiver's Ingress, the only one.
func (r *release) ingress(t *testing.T) networkingv1.Ingress {
	t.Helper()
	var ing networkingv1.Ingress
	r.objs.one(t, "Ingress", &ing)
	if ing.Name != fullname+"-webhook-receiver" || ing.Namespace != namespace {
		t.Errorf("the Ingress is %s/%s, want %s/%s-webhook-receiver", ing.Namespace, ing.Name, namespace, fullname)
	}
	return ing
}

// checkRules checks that the Ingress has one rule per host, each routing only the
// receiver's path prefix to the http port of the Service given for the host, and that the
// Service exists.
func checkRules(t *testing.T, ing networkingv1.Ingress, want map[string]string) {
	t.Helper()
	if len(ing.Spec.Rules) != len(want) {
		t.Errorf("the Ingress has %d rules, want %d: %v", len(ing.Spec.Rules), len(want), ing.Spec.Rules)
	}
	for _, rule := range ing.Spec.Rules {
		svc, ok := want[rule.Host]
		if !ok || rule.HTTP == nil || len(rule.HTTP.Paths) != 1 {
			t.Errorf("unexpected Ingress rule %+v", rule)
			continue
		}
		p := rule.HTTP.Paths[0]
		var pathType networkingv1.PathType
		if p.PathType != nil {
			pathType = *p.PathType
		}
		if p.Path != "/hooks/" || pathType != networkingv1.PathTypePrefix {
			t.Errorf("the rule of %s routes %q (pathType %q), want the Prefix /hooks/", rule.Host, p.Path, pathType)
		}
		if b := p.Backend.Service; b == nil || b.Name != svc || b.Port.Name != "http" {
			t.Errorf("the rule of %s goes to %+v, want the Service %s port http", rule.Host, p.Backend.Service, svc)
		}
	}
}

// checkSubjects checks that every binding binds the ServiceAccount sa in the release namespace.
func checkSubjects(t *testing.T, r *release, sa string) {
	t.Helper()
	for _, u := range append(r.objs.kind("ClusterRoleBinding"), r.objs.kind("RoleBinding")...) {
		var b rbacv1.RoleBinding // the fields shared with ClusterRoleBinding
		if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &b); err != nil {
			t.Fatal(err)
		}
		want := []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: namespace}}
		if !slices.Equal(b.Subjects, want) {
			t.Errorf("%s binds %v, want %v", key(u), b.Subjects, want)
		}
	}
}

func TestEveryValueChangesWhatItSays(t *testing.T) {
	for _, k := range knobs {
		t.Run(k.name, func(t *testing.T) {
			r := renderRelease(t, k.values)
			k.check(t, r)
		})
	}
}

// TestReceiverIngressNeedsWhatItRoutes checks that an Ingress that could not route a
// delivery fails the render with a message naming the value to set.
func TestReceiverIngressNeedsWhatItRoutes(t *testing.T) {
	on := map[string]any{"enabled": true, "host": "hooks.example.com"}
	for _, tc := range []struct {
		name   string
		values map[string]any
		want   string
	}{
		{"no host", map[string]any{"receiver": map[string]any{"ingress": map[string]any{"enabled": true}}}, "receiver.ingress.host"},
		{"the receiver off", map[string]any{"receiver": map[string]any{"enabled": false, "ingress": on}}, "receiver.enabled"},
		{"a shard without its host", map[string]any{"receiver": map[string]any{"ingress": on}, "shards": []any{
			map[string]any{"name": "a", "watchLabelSelector": "s=a", "receiverHost": "a.example.com"},
			map[string]any{"name": "b", "watchLabelSelector": "s=b"},
		}}, "shards[1].receiverHost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(t, tc.values)
			if err == nil {
				t.Fatalf("the chart rendered with %v, want an error", tc.values)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("the error does not name %s: %v", tc.want, err)
			}
		})
	}
}

// TestDefaultValuesSetOnlyTheFlagsOfConfigDefault makes sure the knobs above prove a
// change: with default values none of their flags is set.
func TestDefaultValuesSetOnlyTheFlagsOfConfigDefault(t *testing.T) {
	r := renderRelease(t, nil)
	want := []string{"--leader-elect", "--metrics-bind-address=:8443", "--health-probe-bind-address=:8081", "--receiver-bind-address=:9292"}
	if !slices.Equal(r.manager().Args, want) {
		t.Errorf("default args %v, want %v", r.manager().Args, want)
	}
}

// TestEveryValueHasAKnob fails when a value documented in values.yaml is set by no knob.
func TestEveryValueHasAKnob(t *testing.T) {
	rows := valuesTable(t)
	set := make([]string, 0, len(knobs))
	for _, k := range knobs {
		set = append(set, paths("", k.values)...)
	}
	for _, row := range rows {
		if !slices.ContainsFunc(set, func(p string) bool { return p == row.key || strings.HasPrefix(p, row.key+".") }) {
			t.Errorf("no knob in knobs_test.go sets %s", row.key)
		}
	}
	for _, p := range set {
		if !slices.ContainsFunc(rows, func(row valueRow) bool { return p == row.key || strings.HasPrefix(p, row.key+".") }) {
			t.Errorf("a knob sets %s, which values.yaml does not document", p)
		}
	}
}

// paths lists the dotted paths of a values map's leaves.
func paths(prefix string, m map[string]any) []string {
	var out []string
	for k, v := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			out = append(out, paths(p, sub)...)
			continue
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// allFlagValues merges the values of every knob that sets a manager flag, for the tests that
// need every flag the chart can set at once.
func allFlagValues() map[string]any {
	manager := map[string]any{}
	for _, k := range knobs {
		if m, ok := k.values["manager"].(map[string]any); ok {
			for name, v := range m {
				manager[name] = v
			}
		}
	}
	return map[string]any{
		"manager":        manager,
		"leaderElection": map[string]any{"namespace": "elections"},
	}
}
