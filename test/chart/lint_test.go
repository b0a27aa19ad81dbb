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
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
)

func TestChartPassesHelmLint(t *testing.T) {
	kv, err := common.ParseKubeVersion(kubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	for name, values := range map[string]map[string]any{
		"default values":     nil,
		"every flag set":     allFlagValues(),
		"no metrics or RBAC": {"metrics": map[string]any{"enabled": false}, "rbac": map[string]any{"create": false}},
		"receiver Ingress for shards": {"receiver": map[string]any{"ingress": map[string]any{"enabled": true, "tlsSecretName": "hooks-tls"}},
			"shards": []any{map[string]any{"name": "a", "watchLabelSelector": "s=a", "receiverHost": "a.hooks.example.com"}}},
	} {
		t.Run(name, func(t *testing.T) {
			result := lint.RunAll(chartDir(t), values, namespace, lint.WithKubeVersion(kv))
			for _, m := range result.Messages {
				// INFO messages are advice (an icon is recommended); warnings and errors fail.
				if m.Severity >= support.WarningSev {
					t.Errorf("helm lint: %s", m.Error())
				}
			}
		})
	}
}

// TestSchemaRejectsInvalidValues checks that values.schema.json turns a mistake into an
// error that names the value, before anything reaches the cluster.
func TestSchemaRejectsInvalidValues(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values map[string]any
		want   string // in the error
	}{
		{"an unknown pull policy", map[string]any{"image": map[string]any{"pullPolicy": "Sometimes"}}, "pullPolicy"},
		{"a digest without its algorithm", map[string]any{"image": map[string]any{"digest": "0123abcd"}}, "digest"},
		{"a misspelt manager flag", map[string]any{"manager": map[string]any{"maxConcurentReconciles": 4}}, "maxConcurentReconciles"},
		{"no workers", map[string]any{"manager": map[string]any{"maxConcurrentReconciles": 0}}, "maxConcurrentReconciles"},
		{"a duration in words", map[string]any{"manager": map[string]any{"apiTimeout": "10 seconds"}}, "apiTimeout"},
		{"an endpoint host with a scheme", map[string]any{"manager": map[string]any{"allowedEndpointHosts": []any{"https://api.smooch.io"}}}, "allowedEndpointHosts"},
		{"a port out of range", map[string]any{"metrics": map[string]any{"port": 70000}}, "port"},
		{"extraArgs as a string", map[string]any{"extraArgs": "--zap-devel"}, "extraArgs"},
		{"an unknown top-level value", map[string]any{"replicas": 2}, "replicas"},
		{"a negative default TTL", map[string]any{"manager": map[string]any{"defaultTTLSecondsAfterFinished": -1}}, "defaultTTLSecondsAfterFinished"},
		{"a read-back wait in words", map[string]any{"manager": map[string]any{"webhookReadBackWait": "2 seconds"}}, "webhookReadBackWait"},
		{"receiver port 0", map[string]any{"receiver": map[string]any{"port": 0}}, "port"},
		{"an Ingress host with a scheme", map[string]any{"receiver": map[string]any{"ingress": map[string]any{"host": "https://hooks.example.com"}}}, "host"},
		{"a misspelt receiver value", map[string]any{"receiver": map[string]any{"ingress": map[string]any{"tlsSecret": "x"}}}, "tlsSecret"},
		{"a shard's receiver host with a path", map[string]any{"shards": []any{map[string]any{
			"name": "a", "watchLabelSelector": "s=a", "receiverHost": "a.example.com/hooks"}}}, "receiverHost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(t, tc.values)
			if err == nil {
				t.Fatalf("the chart rendered with %v, want a schema error", tc.values)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("the error does not name %s: %v", tc.want, err)
			}
		})
	}
}

// TestChartCopiesAreCurrent checks the files that `make manifests` copies into the chart:
// crds/ from config/crd/bases, and files/manager-role.yaml from config/rbac/role.yaml.
func TestChartCopiesAreCurrent(t *testing.T) {
	root := repoRoot(t)
	src := filepath.Join(root, "config", "crd", "bases")
	dst := filepath.Join(chartDir(t), "crds")
	want, got := yamlFiles(t, src), yamlFiles(t, dst)
	if !slices.Equal(want, got) {
		t.Errorf("crds/ holds %v, config/crd/bases %v; run `make manifests`", got, want)
	}
	pairs := make([][2]string, 0, 1+len(want))
	pairs = append(pairs, [2]string{filepath.Join(root, "config", "rbac", "role.yaml"), filepath.Join(chartDir(t), "files", "manager-role.yaml")})
	for _, name := range want {
		pairs = append(pairs, [2]string{filepath.Join(src, name), filepath.Join(dst, name)})
	}
	for _, p := range pairs {
		a, errA := os.ReadFile(p[0])
		b, errB := os.ReadFile(p[1])
		if errA != nil || errB != nil {
			t.Errorf("reading %s and its copy: %v, %v", p[0], errA, errB)
			continue
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s is not a copy of %s; run `make manifests`", p[1], p[0])
		}
	}
}

// yamlFiles lists the .yaml files of a directory.
func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
			out = append(out, e.Name())
		}
	}
	return out
}
