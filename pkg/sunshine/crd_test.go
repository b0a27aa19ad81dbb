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

package sunshine_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	crdvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/validationcases"
)

// crdFiles are the generated CRDs, relative to this package.
var crdFiles = map[string]string{
	"ConversationControl": filepath.Join("..", "..", "config", "crd", "bases", "switchboard.conversations.dev_conversationcontrols.yaml"),
	"Switchboard":         filepath.Join("..", "..", "config", "crd", "bases", "switchboard.conversations.dev_switchboards.yaml"),
}

// crdRules evaluates the x-kubernetes-validations rules of a generated CRD
// in-process, with the API server's own CEL validator, cost limits included.
type crdRules struct {
	kind       string
	structural *schema.Structural
	validator  *cel.Validator
}

var (
	loadedRulesMu sync.Mutex
	loadedRules   = map[string]*crdRules{}
)

// readCRD decodes the generated CRD of kind into the API server's internal type.
func readCRD(t testing.TB, kind string) *apiextensions.CustomResourceDefinition {
	t.Helper()
	data, err := os.ReadFile(crdFiles[kind])
	if err != nil {
		t.Fatalf("reading the %s CRD (run make manifests): %v", kind, err)
	}
	v1 := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(data, v1); err != nil {
		t.Fatalf("decoding the %s CRD: %v", kind, err)
	}
	internal := &apiextensions.CustomResourceDefinition{}
	if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(v1, internal, nil); err != nil {
		t.Fatalf("converting the %s CRD: %v", kind, err)
	}
	return internal
}

// rulesOf returns the CEL rules of kind's CRD, compiled once per test binary.
func rulesOf(t testing.TB, kind string) *crdRules {
	t.Helper()
	loadedRulesMu.Lock()
	defer loadedRulesMu.Unlock()
	if r, ok := loadedRules[kind]; ok {
		return r
	}
	crd := readCRD(t, kind)
	// The internal type holds the schema at the top when every version shares it.
	validation := crd.Spec.Validation
	if len(crd.Spec.Versions) == 1 && crd.Spec.Versions[0].Schema != nil {
		validation = crd.Spec.Versions[0].Schema
	}
	if validation == nil || validation.OpenAPIV3Schema == nil {
		t.Fatalf("the %s CRD has no schema", kind)
	}
	s, err := schema.NewStructural(validation.OpenAPIV3Schema)
	if err != nil {
		t.Fatalf("structural schema of %s: %v", kind, err)
	}
	r := &crdRules{kind: kind, structural: s, validator: cel.NewValidator(s, true, celconfig.PerCallLimit)}
	loadedRules[kind] = r
	return r
}

// errorsAt evaluates the rules on obj and returns the messages of the errors at field
// (such as "spec.endpoint") or below it.
func (r *crdRules) errorsAt(t testing.TB, obj map[string]any, field string) []string {
	t.Helper()
	errs, _ := r.validator.Validate(context.Background(), nil, r.structural, obj, nil, celconfig.RuntimeCELCostBudget)
	var out []string
	for _, e := range errs {
		if e.Field == field || strings.HasPrefix(e.Field, field+".") || strings.HasPrefix(e.Field, field+"[") {
			out = append(out, e.Error())
			continue
		}
		t.Fatalf("a %s rule failed outside %s: %v", r.kind, field, e)
	}
	return out
}

// conversationControlWith is a valid ConversationControl with metadata md.
func conversationControlWith(md map[string]string) map[string]any {
	spec := map[string]any{"switchboardRef": map[string]any{"name": "acme"}, "conversationId": "c1", "state": "Active", "integration": "bot"}
	if md != nil {
		m := make(map[string]any, len(md))
		for k, v := range md {
			m[k] = v
		}
		spec["metadata"] = m
	}
	return map[string]any{"apiVersion": "switchboard.conversations.dev/v1alpha1", "kind": "ConversationControl",
		"metadata": map[string]any{"name": "vip"}, "spec": spec}
}

// switchboardWith is a valid Switchboard with endpoint.
func switchboardWith(endpoint string) map[string]any {
	return map[string]any{"apiVersion": "switchboard.conversations.dev/v1alpha1", "kind": "Switchboard",
		"metadata": map[string]any{"name": "acme"},
		"spec": map[string]any{"endpoint": endpoint, "appId": "app", "auth": map[string]any{"type": "Basic", "secretRef": map[string]any{"name": "s"}},
			"rateLimit": map[string]any{"requestsPerSecond": int64(10), "burst": int64(20)}, "refreshInterval": "10m"}}
}

// crdAcceptsMetadata reports whether the ConversationControl rules accept md.
func crdAcceptsMetadata(t testing.TB, md map[string]string) (bool, []string) {
	errs := rulesOf(t, "ConversationControl").errorsAt(t, conversationControlWith(md), "spec.metadata")
	return len(errs) == 0, errs
}

// crdAcceptsEndpoint reports whether the Switchboard rules accept endpoint.
func crdAcceptsEndpoint(t testing.TB, endpoint string) (bool, []string) {
	errs := rulesOf(t, "Switchboard").errorsAt(t, switchboardWith(endpoint), "spec.endpoint")
	return len(errs) == 0, errs
}

func TestCRDsPassTheAPIServersValidationAndCostBudget(t *testing.T) {
	for kind := range crdFiles {
		t.Run(kind, func(t *testing.T) {
			crd := readCRD(t, kind)
			crd.Status.StoredVersions = []string{crd.Spec.Versions[0].Name} // as the API server sets it
			if errs := crdvalidation.ValidateCustomResourceDefinition(context.Background(), crd); len(errs) > 0 {
				t.Fatalf("the API server would refuse the %s CRD: %v", kind, errs.ToAggregate())
			}
		})
	}
}

func TestCRDRulesAcceptTheSharedMetadataCases(t *testing.T) {
	for _, tc := range validationcases.Metadata {
		t.Run(tc.Name, func(t *testing.T) {
			if ok, errs := crdAcceptsMetadata(t, tc.Value); ok != tc.Accept {
				t.Fatalf("CRD accepts %v (%v), want %v", ok, errs, tc.Accept)
			}
		})
	}
}

func TestCRDRulesAcceptTheSharedEndpointCases(t *testing.T) {
	for _, tc := range validationcases.Endpoints {
		t.Run(tc.Name, func(t *testing.T) {
			if ok, errs := crdAcceptsEndpoint(t, tc.Value); ok != tc.Accept {
				t.Fatalf("CRD accepts %q: %v (%v), want %v", tc.Value, ok, errs, tc.Accept)
			}
		})
	}
}

func TestCRDSaysWhatTheMetadataLimitIs(t *testing.T) {
	_, errs := crdAcceptsMetadata(t, map[string]string{"k": strings.Repeat("é", 3000)})
	if len(errs) != 1 || !strings.Contains(errs[0], "spec.metadata") || !strings.Contains(errs[0], "metadata must fit in 4096 bytes as JSON") {
		t.Fatalf("errors = %v, want one naming spec.metadata and the limit in bytes", errs)
	}
}
