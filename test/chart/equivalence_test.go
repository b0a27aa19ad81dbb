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
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
)

// The differences between the chart with default values and config/default, as the chart's
// README lists them under "Differences from config/default":
//   - labels: the chart sets Helm's recommended labels (app.kubernetes.io/instance,
//     managed-by Helm, helm.sh/chart, version) and selects pods by name, instance and
//     component, so that two releases never select each other's pods;
//   - the image: the chart's image.repository and tag (appVersion), not controller:latest;
//   - no Namespace object: Helm installs into the release namespace (`--create-namespace`);
//   - the CRDs come from crds/, which Helm installs as they are (without the part-of label).

// normalise returns a copy of an object without the fields that differ by design: labels
// and selectors, and the image.
func normalise(u *unstructured.Unstructured) map[string]any {
	obj := u.DeepCopy().Object
	unstructured.RemoveNestedField(obj, "metadata", "labels")
	switch u.GetKind() {
	case "Deployment":
		unstructured.RemoveNestedField(obj, "spec", "selector")
		unstructured.RemoveNestedField(obj, "spec", "template", "metadata", "labels")
		containers, _, _ := unstructured.NestedSlice(obj, "spec", "template", "spec", "containers")
		for _, c := range containers {
			delete(c.(map[string]any), "image")
		}
		_ = unstructured.SetNestedSlice(obj, containers, "spec", "template", "spec", "containers")
	case "Service":
		unstructured.RemoveNestedField(obj, "spec", "selector")
		if _, found, _ := unstructured.NestedString(obj, "spec", "type"); !found {
			// The API server's default, which the chart writes out.
			_ = unstructured.SetNestedField(obj, string(corev1.ServiceTypeClusterIP), "spec", "type")
		}
	}
	return obj
}

// key names an object for messages and maps.
func key(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return fmt.Sprintf("%s %s", u.GetKind(), u.GetName())
	}
	return fmt.Sprintf("%s %s/%s", u.GetKind(), u.GetNamespace(), u.GetName())
}

func TestDefaultValuesRenderTheObjectsOfConfigDefault(t *testing.T) {
	want := map[string]*unstructured.Unstructured{}
	for _, u := range kustomize(t) {
		switch u.GetKind() {
		case "Namespace", "CustomResourceDefinition":
			continue // compared below: the release namespace, and crds/
		}
		want[key(u)] = u
	}
	got := map[string]*unstructured.Unstructured{}
	for _, u := range mustRender(t, nil) {
		got[key(u)] = u
	}
	if diff := cmp.Diff(slices.Sorted(maps.Keys(want)), slices.Sorted(maps.Keys(got))); diff != "" {
		t.Errorf("the chart renders other objects than config/default (-config/default +chart):\n%s", diff)
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			continue
		}
		if diff := cmp.Diff(normalise(w), normalise(g)); diff != "" {
			t.Errorf("%s differs from config/default's beyond the documented differences (-config/default +chart):\n%s", k, diff)
		}
	}
}

func TestDefaultValuesInstallTheCRDsOfConfigDefault(t *testing.T) {
	want := map[string]map[string]any{}
	for _, u := range kustomize(t).kind("CustomResourceDefinition") {
		want[u.GetName()] = normalise(u)
	}
	got := map[string]map[string]any{}
	for _, u := range chartCRDs(t) {
		if u.GetKind() != "CustomResourceDefinition" {
			t.Errorf("crds/ holds a %s", key(u))
		}
		got[u.GetName()] = normalise(u)
	}
	if len(want) == 0 {
		t.Fatal("config/default renders no CRDs")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the chart's crds/ differ from config/default's CRDs (-config/default +chart):\n%s", diff)
	}
}

func TestDefaultValuesNameTheImageAfterTheChart(t *testing.T) {
	objs := mustRender(t, nil)
	var deploy appsv1.Deployment
	objs.one(t, "Deployment", &deploy)
	ch := loadChart(t)
	if got, want := deploy.Spec.Template.Spec.Containers[0].Image, "switchboard-operator:"+ch.Metadata.AppVersion; got != want {
		t.Errorf("the default image is %q, want %q (image.repository and the chart's appVersion)", got, want)
	}
}

// TestSelectorsSelectOnlyTheReleasesPods checks the documented label difference: the
// Deployment and the Service select the pod template, and a second release's pods are
// not selected.
func TestSelectorsSelectOnlyTheReleasesPods(t *testing.T) {
	objs := mustRender(t, nil)
	var deploy appsv1.Deployment
	objs.one(t, "Deployment", &deploy)
	pod := labels.Set(deploy.Spec.Template.Labels)
	other := labels.Set(maps.Clone(deploy.Spec.Template.Labels))
	other["app.kubernetes.io/instance"] = "another-release"

	sels := map[string]labels.Selector{"the Deployment": labels.SelectorFromSet(deploy.Spec.Selector.MatchLabels)}
	for _, u := range objs.kind("Service") {
		var svc corev1.Service
		if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &svc); err != nil {
			t.Fatal(err)
		}
		sels["the Service "+svc.Name] = labels.SelectorFromSet(svc.Spec.Selector)
	}
	if len(sels) != 3 {
		t.Errorf("%d Services rendered, want the metrics and the receiver Services", len(sels)-1)
	}
	for name, sel := range sels {
		if !sel.Matches(pod) {
			t.Errorf("%s's selector %s does not select the pod template's labels %v", name, sel, pod)
		}
		if sel.Matches(other) {
			t.Errorf("%s's selector %s selects the pods of another release", name, sel)
		}
	}
	for _, u := range objs {
		if got := u.GetLabels()["app.kubernetes.io/managed-by"]; got != "Helm" {
			t.Errorf("%s is labelled managed-by %q, want Helm", key(u), got)
		}
	}
	if len(deploy.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("the Deployment has %d containers, want 1", len(deploy.Spec.Template.Spec.Containers))
	}
}
