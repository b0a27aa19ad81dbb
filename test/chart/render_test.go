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
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

const (
	// releaseName is the release name under which the chart names its objects exactly as
	// config/default does.
	releaseName = "switchboard-operator"
	// namespace is where config/default installs the operator, and the release namespace.
	namespace = "switchboard-operator-system"
	// kubeVersion is the Kubernetes version the chart is rendered and linted for (that of
	// the envtest binaries).
	kubeVersion = "v1.37.2"
)

// repoRoot is the operator's repository, two levels above this module.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "charts", "switchboard-operator", "Chart.yaml")); err != nil {
		t.Fatalf("the chart is not at %s: %v", filepath.Join(root, "charts", "switchboard-operator"), err)
	}
	return root
}

// chartDir is the chart's directory.
func chartDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(repoRoot(t), "charts", "switchboard-operator")
}

// loadChart loads the chart from its directory, as `helm install ./charts/...` does.
func loadChart(t *testing.T) *chartv2.Chart {
	t.Helper()
	ch, err := loader.Load(chartDir(t))
	if err != nil {
		t.Fatalf("loading the chart: %v", err)
	}
	return ch
}

// objects is a set of rendered Kubernetes objects.
type objects []*unstructured.Unstructured

// render renders the chart's templates with values (on top of values.yaml) as `helm
// template switchboard-operator --namespace switchboard-operator-system` does, values
// schema included. It returns the objects and the error of the render.
func render(t *testing.T, values map[string]any) (objects, error) {
	t.Helper()
	ch := loadChart(t)
	caps := common.DefaultCapabilities.Copy()
	kv, err := common.ParseKubeVersion(kubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	caps.KubeVersion = *kv
	opts := common.ReleaseOptions{Name: releaseName, Namespace: namespace, Revision: 1, IsInstall: true}
	vals, err := util.ToRenderValuesWithSchemaValidation(ch, values, opts, caps, false)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var out objects
	for _, name := range names {
		if !strings.HasSuffix(name, ".yaml") {
			continue // NOTES.txt and the helpers
		}
		objs, err := decode([]byte(files[name]))
		if err != nil {
			t.Fatalf("decoding %s: %v\n%s", name, err, files[name])
		}
		out = append(out, objs...)
	}
	return out, nil
}

// mustRender renders the chart and fails the test when that fails.
func mustRender(t *testing.T, values map[string]any) objects {
	t.Helper()
	objs, err := render(t, values)
	if err != nil {
		t.Fatalf("rendering the chart with %v: %v", values, err)
	}
	return objs
}

// chartCRDs decodes the chart's crds/ files, which Helm installs as they are.
func chartCRDs(t *testing.T) objects {
	t.Helper()
	var out objects
	for _, crd := range loadChart(t).CRDObjects() {
		objs, err := decode(crd.File.Data)
		if err != nil {
			t.Fatalf("decoding %s: %v", crd.Filename, err)
		}
		out = append(out, objs...)
	}
	return out
}

// kustomize renders config/default with the kustomize library, as `kubectl kustomize
// config/default` does.
func kustomize(t *testing.T) objects {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(repoRoot(t), "config", "default"))
	if err != nil {
		t.Fatalf("kustomize build config/default: %v", err)
	}
	data, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decode(data)
	if err != nil {
		t.Fatalf("decoding config/default: %v", err)
	}
	return objs
}

// decode splits a YAML stream into objects, dropping empty documents.
func decode(data []byte) (objects, error) {
	var out objects
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

// kind returns the objects of a kind.
func (o objects) kind(kind string) objects {
	var out objects
	for _, u := range o {
		if u.GetKind() == kind {
			out = append(out, u)
		}
	}
	return out
}

// find returns the object of a kind and name, or nil.
func (o objects) find(kind, name string) *unstructured.Unstructured {
	for _, u := range o {
		if u.GetKind() == kind && u.GetName() == name {
			return u
		}
	}
	return nil
}

// one decodes the only object of a kind into into.
func (o objects) one(t *testing.T, kind string, into any) {
	t.Helper()
	objs := o.kind(kind)
	if len(objs) != 1 {
		t.Fatalf("the chart renders %d objects of kind %s, want 1", len(objs), kind)
	}
	if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(objs[0].Object, into); err != nil {
		t.Fatalf("decoding the %s: %v", kind, err)
	}
}
