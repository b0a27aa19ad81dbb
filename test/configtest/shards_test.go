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
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// renderDir runs `kubectl kustomize` on a directory of config/ and decodes the objects.
func renderDir(t *testing.T, dir string) *rendered {
	t.Helper()
	root := repoRoot(t)
	bin := kubectl(t, root)
	out, err := exec.Command(bin, "kustomize", filepath.Join(root, "config", dir)).CombinedOutput() //nolint:gosec // G204: the kubectl the Makefile builds, on the repository's own config
	if err != nil {
		t.Fatalf("kubectl kustomize config/%s: %v\n%s", dir, err, out)
	}
	r := &rendered{}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("decoding config/%s: %v", dir, err)
		}
		if len(u.Object) > 0 {
			r.objects = append(r.objects, u)
		}
	}
	return r
}

func TestShardsOverlayRunsOneManagerPerShard(t *testing.T) {
	shards, def := renderDir(t, "shards"), render(t)
	for _, kind := range []string{"Namespace", "ServiceAccount", "ClusterRole", "Role", "CustomResourceDefinition"} {
		if got, want := len(shards.all(kind)), len(def.all(kind)); got != want {
			t.Errorf("config/shards renders %d objects of kind %s, config/default %d", got, kind, want)
		}
	}
	checkShardServices(t, shards)
	var base appsv1.Deployment
	def.one(t, "Deployment", &base)
	deployments := shards.all("Deployment")
	if len(deployments) != 2 {
		t.Fatalf("config/shards renders %d Deployments, want 2", len(deployments))
	}
	for i, shard := range []string{"a", "b"} {
		var d appsv1.Deployment
		if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(deployments[i].Object, &d); err != nil {
			t.Fatal(err)
		}
		if want := base.Name + "-" + shard; d.Name != want {
			t.Errorf("Deployment %d is %s, want %s", i, d.Name, want)
		}
		args := d.Spec.Template.Spec.Containers[0].Args
		wantArgs := append(slices.Clone(base.Spec.Template.Spec.Containers[0].Args),
			"--watch-label-selector=switchboard.conversations.dev/shard="+shard, "--shard="+shard)
		if !slices.Equal(args, wantArgs) {
			t.Errorf("%s runs with %v, want %v", d.Name, args, wantArgs)
		}
		if d.Spec.Selector.MatchLabels["switchboard.conversations.dev/shard"] != shard ||
			d.Spec.Template.Labels["switchboard.conversations.dev/shard"] != shard {
			t.Errorf("%s selects %v with pod labels %v, want shard %s in both", d.Name, d.Spec.Selector.MatchLabels, d.Spec.Template.Labels, shard)
		}
		if d.Spec.Template.Spec.ServiceAccountName != base.Spec.Template.Spec.ServiceAccountName {
			t.Errorf("%s runs as %s, want %s", d.Name, d.Spec.Template.Spec.ServiceAccountName, base.Spec.Template.Spec.ServiceAccountName)
		}
		if !equalResources(d, base) {
			t.Errorf("%s has resources %v, want config/default's", d.Name, d.Spec.Template.Spec.Containers[0].Resources)
		}
	}
}

// checkShardServices checks that the shards share the metrics Service and that each has a
// webhook receiver Service of its own that selects only its pods: a replica resolves only
// its own shard's webhooks, so a delivery that reached another shard would be refused.
func checkShardServices(t *testing.T, shards *rendered) {
	t.Helper()
	selectors := map[string]map[string]string{}
	for _, u := range shards.all("Service") {
		var svc corev1.Service
		if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &svc); err != nil {
			t.Fatal(err)
		}
		selectors[svc.Name] = svc.Spec.Selector
	}
	if len(selectors) != 3 {
		t.Errorf("config/shards renders the Services %v, want the metrics one and one receiver per shard", selectors)
	}
	if sel, ok := selectors["switchboard-operator-controller-manager-metrics"]; !ok || sel["switchboard.conversations.dev/shard"] != "" {
		t.Errorf("the metrics Service selects %v, want every shard's pods", sel)
	}
	for _, shard := range []string{"a", "b"} {
		sel, ok := selectors["switchboard-operator-webhook-receiver-"+shard]
		if !ok || sel["switchboard.conversations.dev/shard"] != shard {
			t.Errorf("shard %s's receiver Service selects %v (present %v), want only that shard's pods", shard, sel, ok)
		}
	}
}

func equalResources(a, b appsv1.Deployment) bool {
	ra, rb := a.Spec.Template.Spec.Containers[0].Resources, b.Spec.Template.Spec.Containers[0].Resources
	return ra.Limits.Memory().Equal(*rb.Limits.Memory()) && ra.Requests.Memory().Equal(*rb.Requests.Memory())
}
