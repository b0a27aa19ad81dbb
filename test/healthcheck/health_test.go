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

package healthcheck_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/switchboard-operator/switchboard-operator/test/healthcheck"
)

const (
	kindCC = "ConversationControl"
	kindSB = "Switchboard"
)

// script is config/argocd/health.lua, read once.
func script(t *testing.T) string {
	t.Helper()
	s, err := healthcheck.ReadScript()
	if err != nil {
		t.Fatalf("reading the health check: %v", err)
	}
	return s
}

// newObject returns an object of the given kind as the API server serves it before the
// operator wrote any status, without the status.
func newObject(kind string, generation int64) map[string]any {
	obj := map[string]any{
		"apiVersion": "switchboard.conversations.dev/v1alpha1",
		"kind":       kind,
		"metadata": map[string]any{
			"name":              "acme",
			"namespace":         "support",
			"uid":               "0b6c2f0e-3f53-4bd4-9d1c-7d0f4a1b2c3d",
			"resourceVersion":   "4711",
			"generation":        generation,
			"creationTimestamp": "2026-11-27T09:58:00Z",
		},
	}
	switch kind {
	case kindSB:
		obj["spec"] = map[string]any{
			"endpoint": "https://acme.zendesk.com/sc",
			"appId":    "5d8cff3cd55b040010928b5b",
			"auth": map[string]any{
				"type":      "Basic",
				"secretRef": map[string]any{"name": "acme-sunshine"},
			},
			"rateLimit": map[string]any{"requestsPerSecond": int64(10), "burst": int64(20)},
		}
	case kindCC:
		meta := obj["metadata"].(map[string]any)
		meta["name"] = "vip-4711"
		obj["spec"] = map[string]any{
			"switchboardRef": map[string]any{"name": "acme"},
			"conversationId": "029c31f25a21b47effd7be90",
			"state":          "Active",
			"integration":    "agent-workspace",
			"metadata":       map[string]any{"reason": "vip", "priority": "1"},
			"deletionPolicy": "Release",
			"driftPolicy":    "Report",
			"pollInterval":   "5m0s",
			"suspend":        false,
		}
	}
	return obj
}

// withStatus sets the status the operator writes: observedGeneration, the conditions,
// and the kind's observed fields once a generation was finished.
func withStatus(obj map[string]any, observedGeneration int64, conditions ...map[string]any) map[string]any {
	status := map[string]any{"observedGeneration": observedGeneration}
	if len(conditions) > 0 {
		list := make([]any, 0, len(conditions))
		for _, c := range conditions {
			list = append(list, c)
		}
		status["conditions"] = list
	}
	if observedGeneration > 0 {
		switch obj["kind"] {
		case kindSB:
			status["switchboardId"] = "5ef21b132f21af34f088530d"
			status["enabled"] = true
			status["defaultIntegration"] = "bot"
			status["integrations"] = []any{
				map[string]any{"id": "5ef21b86e933b7355c11c605", "name": "bot", "integrationType": "custom", "next": "agent-workspace"},
				map[string]any{"id": "5ef21b86e933b7355c11c606", "name": "agent-workspace", "integrationType": "zd:agentWorkspace"},
			}
			status["lastRefreshTime"] = "2026-11-27T10:00:00Z"
		case kindCC:
			status["lastAppliedAction"] = map[string]any{
				"action":      "passControl",
				"state":       "Active",
				"integration": "agent-workspace",
				"generation":  observedGeneration,
				"time":        "2026-11-27T10:00:00Z",
			}
			status["activeIntegration"] = map[string]any{"id": "5ef21b86e933b7355c11c606", "name": "agent-workspace", "integrationType": "zd:agentWorkspace"}
			status["lastObservedTime"] = "2026-11-27T10:00:00Z"
		}
	}
	obj["status"] = status
	return obj
}

// cond is one metav1.Condition as the operator writes it.
func cond(condType, status, reason, message string, observedGeneration int64) map[string]any {
	return map[string]any{
		"type":               condType,
		"status":             status,
		"reason":             reason,
		"message":            message,
		"observedGeneration": observedGeneration,
		"lastTransitionTime": "2026-11-27T10:00:00Z",
	}
}

// deleting marks the object as being deleted, held by the operator's finalizer.
func deleting(obj map[string]any) map[string]any {
	meta := obj["metadata"].(map[string]any)
	meta["deletionTimestamp"] = "2026-11-27T10:05:00Z"
	meta["deletionGracePeriodSeconds"] = int64(0)
	meta["finalizers"] = []any{"switchboard.conversations.dev/release"}
	return obj
}

// suspend sets spec.suspend.
func suspend(obj map[string]any) map[string]any {
	obj["spec"].(map[string]any)["suspend"] = true
	return obj
}

// What the operator writes, by kind.
var (
	firstPassMessage = map[string]string{
		kindCC: "the operator is reading the conversation",
		kindSB: "the operator is connecting to the app",
	}
	readyReason = map[string]string{
		kindCC: "Succeeded",
		kindSB: "SwitchboardReady",
	}
	readyMessage = map[string]string{
		kindCC: "agent-workspace (zd:agentWorkspace) controls the conversation",
		kindSB: "switchboard 5ef21b132f21af34f088530d of app 5d8cff3cd55b040010928b5b listed with 2 integrations",
	}
)

const (
	unavailable  = "Post \"https://acme.zendesk.com/sc/v2/apps/5d8cff3cd55b040010928b5b/conversations/029c31f25a21b47effd7be90/passControl\": 503 Service Unavailable"
	rateLimited  = "the API rate limit was reached (429); retrying after 30s"
	unauthorized = "the API refused the credentials (401): check the key id and secret in the Secret"
)

type healthCase struct {
	name string
	// kinds the case applies to; nil for both.
	kinds       []string
	object      func(kind string) map[string]any
	wantStatus  string
	wantMessage func(kind string) string
}

func is(s string) func(string) string { return func(string) string { return s } }

var healthCases = []healthCase{
	{
		name:        "object without any status waits for the operator",
		object:      func(kind string) map[string]any { return newObject(kind, 1) },
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("Waiting for the operator to report status"),
	},
	{
		name: "fresh object with the CRD default observedGeneration -1 waits for the first reconcile",
		object: func(kind string) map[string]any {
			return withStatus(newObject(kind, 1), -1)
		},
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("Waiting for the operator's first reconcile"),
	},
	{
		name: "first reconcile under way reports the Ready Unknown message",
		object: func(kind string) map[string]any {
			return withStatus(newObject(kind, 1), -1,
				cond("Ready", "Unknown", "Progressing", firstPassMessage[kind], 1))
		},
		wantStatus: healthcheck.StatusProgressing,
		wantMessage: func(kind string) string {
			return "Waiting for the operator's first reconcile; Progressing: " + firstPassMessage[kind]
		},
	},
	{
		name: "transient error on the first reconcile reports the retry",
		object: func(kind string) map[string]any {
			return withStatus(newObject(kind, 1), -1,
				cond("Ready", "False", "APIUnavailable", unavailable, 1),
				cond("Reconciling", "True", "APIUnavailable", unavailable, 1))
		},
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("Waiting for the operator's first reconcile; APIUnavailable: " + unavailable),
	},
	{
		name: "new generation not yet reconciled is progressing although Ready=True for the previous one",
		object: func(kind string) map[string]any {
			return withStatus(newObject(kind, 3), 2,
				cond("Ready", "True", readyReason[kind], readyMessage[kind], 2))
		},
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("Waiting for the operator to reconcile generation 3 (status is for generation 2)"),
	},
	{
		name: "new generation retried after rate limiting reports the retry",
		object: func(kind string) map[string]any {
			return withStatus(newObject(kind, 3), 2,
				cond("Ready", "False", "RateLimited", rateLimited, 3),
				cond("Reconciling", "True", "RateLimited", rateLimited, 3))
		},
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("Waiting for the operator to reconcile generation 3 (status is for generation 2); RateLimited: " + rateLimited),
	},
	{
		name: "stale Reconciling from an older generation is not reported",
		object: func(kind string) map[string]any {
			return withStatus(newObject(kind, 3), 2,
				cond("Ready", "False", "RateLimited", rateLimited, 2),
				cond("Reconciling", "True", "RateLimited", rateLimited, 2))
		},
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("Waiting for the operator to reconcile generation 3 (status is for generation 2)"),
	},
	{
		name: "Reconciling=True for the current generation is progressing with its reason and message",
		object: func(kind string) map[string]any {
			return withStatus(newObject(kind, 2), 2,
				cond("Ready", "False", "APIUnavailable", unavailable, 2),
				cond("Reconciling", "True", "APIUnavailable", unavailable, 2))
		},
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("APIUnavailable: " + unavailable),
	},
	{
		name: "Stalled=True is degraded with its reason and message",
		object: func(kind string) map[string]any {
			return withStatus(newObject(kind, 2), 2,
				cond("Ready", "False", "Unauthorized", unauthorized, 2),
				cond("Stalled", "True", "Unauthorized", unauthorized, 2))
		},
		wantStatus:  healthcheck.StatusDegraded,
		wantMessage: is("Unauthorized: " + unauthorized),
	},
	{
		name: "Ready=True for the current generation is healthy",
		object: func(kind string) map[string]any {
			return withStatus(newObject(kind, 2), 2,
				cond("Ready", "True", readyReason[kind], readyMessage[kind], 2))
		},
		wantStatus: healthcheck.StatusHealthy,
		wantMessage: func(kind string) string {
			return readyReason[kind] + ": " + readyMessage[kind]
		},
	},
	{
		name: "Ready=True whose condition observedGeneration is stale is progressing",
		object: func(kind string) map[string]any {
			return withStatus(newObject(kind, 4), 4,
				cond("Ready", "True", readyReason[kind], readyMessage[kind], 3))
		},
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("Waiting for the Ready condition of generation 4 (it is for generation 3)"),
	},
	{
		name: "Ready=True without observedGeneration on the condition is healthy",
		object: func(kind string) map[string]any {
			c := cond("Ready", "True", readyReason[kind], readyMessage[kind], 2)
			delete(c, "observedGeneration")
			return withStatus(newObject(kind, 2), 2, c)
		},
		wantStatus: healthcheck.StatusHealthy,
		wantMessage: func(kind string) string {
			return readyReason[kind] + ": " + readyMessage[kind]
		},
	},
	{
		name: "Ready=True together with Reconciling=True is progressing",
		object: func(kind string) map[string]any {
			return withStatus(newObject(kind, 2), 2,
				cond("Ready", "True", readyReason[kind], readyMessage[kind], 2),
				cond("Reconciling", "True", "Progressing", "refreshing", 2))
		},
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("Progressing: refreshing"),
	},
	{
		name: "Ready=False without Reconciling or Stalled is progressing with the Ready message",
		object: func(kind string) map[string]any {
			return withStatus(newObject(kind, 2), 2,
				cond("Ready", "False", "Progressing", "waiting for the integration to accept control", 2))
		},
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("Progressing: waiting for the integration to accept control"),
	},
	{
		name: "observed generation without any condition is progressing, not healthy too early",
		object: func(kind string) map[string]any {
			return withStatus(newObject(kind, 2), 2)
		},
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("Waiting for the Ready condition"),
	},
	{
		name: "being deleted is progressing",
		object: func(kind string) map[string]any {
			return deleting(withStatus(newObject(kind, 2), 2,
				cond("Ready", "False", "Deleting", "the object is being deleted", 2)))
		},
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("Being deleted"),
	},
	{
		name: "being deleted before any status is progressing",
		object: func(kind string) map[string]any {
			return deleting(newObject(kind, 1))
		},
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("Being deleted"),
	},
	{
		name: "being deleted while Ready=True is progressing, not healthy",
		object: func(kind string) map[string]any {
			return deleting(withStatus(newObject(kind, 2), 2,
				cond("Ready", "True", readyReason[kind], readyMessage[kind], 2)))
		},
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("Being deleted"),
	},
	{
		name:  "deletion held up by a stalled release says why and is not degraded",
		kinds: []string{kindCC},
		object: func(kind string) map[string]any {
			return deleting(withStatus(newObject(kind, 2), 2,
				cond("Ready", "False", "Unauthorized", unauthorized, 2),
				cond("Stalled", "True", "Unauthorized", unauthorized, 2)))
		},
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("Being deleted; Unauthorized: " + unauthorized),
	},
	{
		name:  "deletion retrying a transient error says why",
		kinds: []string{kindCC},
		object: func(kind string) map[string]any {
			return deleting(withStatus(newObject(kind, 2), 2,
				cond("Ready", "False", "APIUnavailable", unavailable, 2),
				cond("Reconciling", "True", "APIUnavailable", unavailable, 2)))
		},
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("Being deleted; APIUnavailable: " + unavailable),
	},
	{
		name:  "suspended by spec.suspend is suspended with the operator's message",
		kinds: []string{kindCC},
		object: func(kind string) map[string]any {
			return suspend(withStatus(newObject(kind, 3), 3,
				cond("Ready", "False", "Suspended", "spec.suspend is true: no switchboard calls are made", 3),
				cond("InSync", "True", "InSync", "agent-workspace (zd:agentWorkspace) is active, as desired", 2)))
		},
		wantStatus:  healthcheck.StatusSuspended,
		wantMessage: is("Suspended: spec.suspend is true: no switchboard calls are made"),
	},
	{
		name:  "Ready reason Suspended alone is suspended",
		kinds: []string{kindCC, kindSB},
		object: func(kind string) map[string]any {
			return withStatus(newObject(kind, 3), 3,
				cond("Ready", "False", "Suspended", "no calls are made", 3))
		},
		wantStatus:  healthcheck.StatusSuspended,
		wantMessage: is("Suspended: no calls are made"),
	},
	{
		name:  "spec.suspend alone is suspended",
		kinds: []string{kindCC},
		object: func(kind string) map[string]any {
			return suspend(withStatus(newObject(kind, 3), 3,
				cond("Ready", "True", readyReason[kind], readyMessage[kind], 3)))
		},
		wantStatus:  healthcheck.StatusSuspended,
		wantMessage: is("Suspended: spec.suspend is true"),
	},
	{
		name:  "spec.suspend not yet seen by the operator waits for the generation",
		kinds: []string{kindCC},
		object: func(kind string) map[string]any {
			return suspend(withStatus(newObject(kind, 3), 2,
				cond("Ready", "True", readyReason[kind], readyMessage[kind], 2)))
		},
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("Waiting for the operator to reconcile generation 3 (status is for generation 2)"),
	},
	{
		name:  "being deleted while suspended is progressing",
		kinds: []string{kindCC},
		object: func(kind string) map[string]any {
			return deleting(suspend(withStatus(newObject(kind, 3), 3,
				cond("Ready", "False", "Deleting", "the object is being deleted", 3))))
		},
		wantStatus:  healthcheck.StatusProgressing,
		wantMessage: is("Being deleted"),
	},
	{
		name:  "conflict with an older object is degraded",
		kinds: []string{kindCC},
		object: func(kind string) map[string]any {
			msg := "ConversationControl vip-4710, created earlier, targets conversation 029c31f25a21b47effd7be90 of app 5d8cff3cd55b040010928b5b; this one waits until that one is deleted"
			return withStatus(newObject(kind, 1), 1,
				cond("Ready", "False", "Conflict", msg, 1),
				cond("InSync", "Unknown", "NotObserved", "the live state has not been read yet", 1),
				cond("Stalled", "True", "Conflict", msg, 1))
		},
		wantStatus:  healthcheck.StatusDegraded,
		wantMessage: is("Conflict: ConversationControl vip-4710, created earlier, targets conversation 029c31f25a21b47effd7be90 of app 5d8cff3cd55b040010928b5b; this one waits until that one is deleted"),
	},
	{
		name:  "offer to the already active integration is healthy",
		kinds: []string{kindCC},
		object: func(kind string) map[string]any {
			msg := "agent-workspace (zd:agentWorkspace) is already active; an offer to the active integration is not needed"
			return withStatus(newObject(kind, 5), 5,
				cond("Ready", "True", "AlreadyActive", msg, 5),
				cond("InSync", "True", "InSync", "agent-workspace (zd:agentWorkspace) is active, as desired", 5))
		},
		wantStatus:  healthcheck.StatusHealthy,
		wantMessage: is("AlreadyActive: agent-workspace (zd:agentWorkspace) is already active; an offer to the active integration is not needed"),
	},
	{
		name:  "drift reported with driftPolicy Report stays healthy",
		kinds: []string{kindCC},
		object: func(kind string) map[string]any {
			return withStatus(newObject(kind, 2), 2,
				cond("Ready", "True", readyReason[kind], readyMessage[kind], 2),
				cond("InSync", "False", "Drifted", "bot (custom) is active, agent-workspace (zd:agentWorkspace) is desired", 2))
		},
		wantStatus: healthcheck.StatusHealthy,
		wantMessage: func(kind string) string {
			return readyReason[kind] + ": " + readyMessage[kind]
		},
	},
}

// encodings present the same object the ways it can reach Argo CD's Lua: as built here
// (int64 numbers, like the unstructured objects of Argo CD's cluster cache), decoded
// from JSON (float64), and decoded from JSON with UseNumber (json.Number, which Argo CD
// passes to Lua as a string).
var encodings = map[string]func(t *testing.T, obj map[string]any) map[string]any{
	"int64": func(_ *testing.T, obj map[string]any) map[string]any { return obj },
	"float64": func(t *testing.T, obj map[string]any) map[string]any {
		t.Helper()
		u, err := healthcheck.ToUnstructured(obj)
		if err != nil {
			t.Fatal(err)
		}
		return u
	},
	"json.Number": func(t *testing.T, obj map[string]any) map[string]any {
		t.Helper()
		data, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var u map[string]any
		if err := dec.Decode(&u); err != nil {
			t.Fatal(err)
		}
		return u
	},
}

func TestHealthCheck(t *testing.T) {
	lua := script(t)
	for _, tc := range healthCases {
		kinds := tc.kinds
		if kinds == nil {
			kinds = []string{kindCC, kindSB}
		}
		for _, kind := range kinds {
			for encoding, encode := range encodings {
				t.Run(kind+"/"+tc.name+"/"+encoding, func(t *testing.T) {
					t.Parallel()
					obj := encode(t, tc.object(kind))
					status, message, err := healthcheck.Evaluate(lua, obj)
					if err != nil {
						t.Fatalf("Evaluate: %v", err)
					}
					if want := tc.wantMessage(kind); status != tc.wantStatus || message != want {
						t.Errorf("got %s %q\nwant %s %q", status, message, tc.wantStatus, want)
					}
				})
			}
		}
	}
}

// TestHealthCheckIsRepeatable checks that evaluating leaves the object as it was and
// that the same object gives the same answer twice.
func TestHealthCheckIsRepeatable(t *testing.T) {
	lua := script(t)
	obj := withStatus(newObject(kindCC, 2), 2, cond("Ready", "True", "Succeeded", "done", 2))
	before, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		status, message, err := healthcheck.Evaluate(lua, obj)
		if err != nil || status != healthcheck.StatusHealthy || message != "Succeeded: done" {
			t.Fatalf("got %s %q %v", status, message, err)
		}
	}
	if after, _ := json.Marshal(obj); !bytes.Equal(before, after) {
		t.Errorf("the object changed:\n%s\n%s", before, after)
	}
}

// TestArgoCDConfigMapCarriesTheScript checks that argocd-cm.yaml installs health.lua,
// byte for byte, for both kinds and nothing else.
func TestArgoCDConfigMapCarriesTheScript(t *testing.T) {
	root, err := healthcheck.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	lua := script(t)
	data, err := os.ReadFile(filepath.Join(root, "config", "argocd", "argocd-cm.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name   string            `json:"name"`
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Data map[string]string `json:"data"`
	}
	if err := yaml.UnmarshalStrict(data, &cm); err != nil {
		t.Fatalf("argocd-cm.yaml: %v", err)
	}
	if cm.APIVersion != "v1" || cm.Kind != "ConfigMap" || cm.Metadata.Name != "argocd-cm" {
		t.Errorf("argocd-cm.yaml is a %s %s named %q, want the v1 ConfigMap argocd-cm", cm.APIVersion, cm.Kind, cm.Metadata.Name)
	}
	keys := []string{
		"resource.customizations.health.switchboard.conversations.dev_Switchboard",
		"resource.customizations.health.switchboard.conversations.dev_ConversationControl",
	}
	for _, key := range keys {
		got, ok := cm.Data[key]
		if !ok {
			t.Errorf("argocd-cm.yaml has no key %s", key)
			continue
		}
		if got != lua {
			t.Errorf("argocd-cm.yaml %s differs from %s; copy the script again, indented by four spaces", key, healthcheck.ScriptPath)
		}
	}
	if len(cm.Data) != len(keys) {
		t.Errorf("argocd-cm.yaml has %d keys, want only %v", len(cm.Data), keys)
	}
}

// TestScriptFitsAYAMLBlock checks what keeps the script intact inside argocd-cm's YAML
// block scalars: no tabs, no trailing spaces, one final newline.
func TestScriptFitsAYAMLBlock(t *testing.T) {
	lua := script(t)
	if !strings.HasSuffix(lua, "\n") || strings.HasSuffix(lua, "\n\n") {
		t.Error("health.lua must end with exactly one newline")
	}
	for i, line := range strings.Split(lua, "\n") {
		if strings.Contains(line, "\t") {
			t.Errorf("health.lua:%d holds a tab", i+1)
		}
		if strings.TrimRight(line, " ") != line {
			t.Errorf("health.lua:%d ends with spaces", i+1)
		}
	}
}

func TestEvaluate(t *testing.T) {
	obj := map[string]any{"metadata": map[string]any{"generation": int64(1)}}
	cases := []struct {
		name        string
		script      string
		wantStatus  string
		wantMessage string
		wantErr     string
	}{
		{
			name:       "a returned table gives its status and message",
			script:     `hs = {} hs.status = "Healthy" hs.message = "gen " .. tostring(obj.metadata.generation) return hs`,
			wantStatus: "Healthy", wantMessage: "gen 1",
		},
		{
			name:       "a status Argo CD does not know is Unknown",
			script:     `return {status = "Fine"}`,
			wantStatus: "Unknown", wantMessage: healthcheck.InvalidStatusMessage,
		},
		{
			name:       "an empty table is Unknown",
			script:     `return {}`,
			wantStatus: "Unknown", wantMessage: healthcheck.InvalidStatusMessage,
		},
		{
			name:    "a script that returns no table fails",
			script:  `return "Healthy"`,
			wantErr: "expect table output from Lua script, not string",
		},
		{
			name:    "a script that returns nothing fails",
			script:  `local x = 1`,
			wantErr: "expect table output from Lua script, not nil",
		},
		{
			name:    "a status that is not a string fails",
			script:  `return {status = 1}`,
			wantErr: "not a string",
		},
		{
			name:    "a syntax error fails",
			script:  `hs = {`,
			wantErr: "running the health check",
		},
		{
			name:    "the string library is not open, as in Argo CD",
			script:  `return {status = string.format("%s", "Healthy")}`,
			wantErr: "running the health check",
		},
		{
			name:    "a script that never ends is stopped",
			script:  `while true do end`,
			wantErr: "running the health check",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, message, err := healthcheck.Evaluate(tc.script, obj)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if status != tc.wantStatus || message != tc.wantMessage {
				t.Errorf("got %s %q, want %s %q", status, message, tc.wantStatus, tc.wantMessage)
			}
		})
	}
}

func TestEvaluateConvertsValuesLikeArgoCD(t *testing.T) {
	obj := map[string]any{
		"float":   float64(1.5),
		"int":     3,
		"int32":   int32(4),
		"int64":   int64(5),
		"uint":    uint(6),
		"number":  json.Number("7"),
		"bool":    true,
		"null":    nil,
		"list":    []any{"a", int64(2)},
		"strings": []string{"x", "y"},
		"labels":  map[string]string{"app": "demo"},
	}
	const check = `
local ok = obj.float == 1.5 and obj.int == 3 and obj.int32 == 4 and obj.int64 == 5 and obj.uint == 6
  and obj.number == "7" and obj.bool == true and obj.null == nil
  and obj.list[1] == "a" and obj.list[2] == 2 and #obj.list == 2
  and obj.strings[2] == "y" and obj.labels.app == "demo"
if ok then return {status = "Healthy"} end
return {status = "Degraded"}
`
	status, _, err := healthcheck.Evaluate(check, obj)
	if err != nil || status != healthcheck.StatusHealthy {
		t.Fatalf("got %s, %v; a value reached Lua differently than Argo CD passes it", status, err)
	}
	if _, _, err := healthcheck.Evaluate(check, map[string]any{"c": make(chan int)}); err == nil {
		t.Error("a channel in the object was accepted")
	}
}
