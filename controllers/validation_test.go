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

package controllers

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/validationcases"
)

const validSwitchboard = `
apiVersion: switchboard.conversations.dev/v1alpha1
kind: Switchboard
metadata: {name: acme}
spec:
  endpoint: https://acme.zendesk.com/sc
  appId: 5d8cff3cd55b040010928b5b
  auth: {type: Basic, secretRef: {name: acme-sunshine}}
`

const validConversationControl = `
apiVersion: switchboard.conversations.dev/v1alpha1
kind: ConversationControl
metadata: {name: vip-4711}
spec:
  switchboardRef: {name: acme}
  conversationId: 029c31f25a21b47effd7be90
  state: Active
  integration: agent-workspace
`

// objectFromYAML decodes a manifest into an unstructured object in namespace ns, then
// applies edit (which may set or remove fields) to it.
func objectFromYAML(manifest, ns string, edit func(spec map[string]any)) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	Expect(yaml.Unmarshal([]byte(manifest), &u.Object)).To(Succeed())
	u.SetNamespace(ns)
	// No manager handles these objects: the specs see exactly what the API server stored.
	u.SetLabels(map[string]string{testManagerLabel: "none"})
	if edit != nil {
		spec, _ := u.Object["spec"].(map[string]any)
		edit(spec)
	}
	return u
}

// createAndCleanUp creates obj and deletes it when the spec ends.
func createAndCleanUp(obj client.Object) error {
	err := k8sClient.Create(suiteCtx, obj)
	if err == nil {
		DeferCleanup(func(ctx SpecContext) {
			Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, obj))).To(Succeed())
		})
	}
	return err
}

var _ = Describe("API validation", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	It("accepts every sample under config/samples", func() {
		files, err := filepath.Glob(filepath.Join("..", "config", "samples", "*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		var created int
		for _, file := range files {
			if filepath.Base(file) == "kustomization.yaml" {
				continue
			}
			data, err := os.ReadFile(file)
			Expect(err).NotTo(HaveOccurred())
			for _, doc := range strings.Split(string(data), "\n---") {
				if strings.TrimSpace(doc) == "" {
					continue
				}
				obj := objectFromYAML(doc, ns, nil)
				Expect(createAndCleanUp(obj)).To(Succeed(), "sample %s (%s)", file, obj.GetName())
				created++
			}
		}
		Expect(created).To(BeNumerically(">=", 4), "the samples hold a Secret, a Switchboard and ConversationControls")
	})

	DescribeTable("rejects an invalid object with a message that names the field",
		func(manifest string, edit func(spec map[string]any), field, message string) {
			obj := objectFromYAML(manifest, ns, edit)
			err := createAndCleanUp(obj)
			Expect(err).To(HaveOccurred(), "the API server accepted an invalid object")
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want 422 Invalid, got %v", err)
			Expect(err.Error()).To(ContainSubstring(field))
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("Switchboard without endpoint", validSwitchboard,
			func(s map[string]any) { delete(s, "endpoint") }, "spec.endpoint", "Required value"),
		Entry("Switchboard endpoint that is not a URL", validSwitchboard,
			func(s map[string]any) { s["endpoint"] = "acme zendesk" }, "spec.endpoint", "absolute http(s) URL"),
		Entry("Switchboard endpoint with plain http to a remote host", validSwitchboard,
			func(s map[string]any) { s["endpoint"] = "http://acme.zendesk.com/sc" }, "spec.endpoint", "must use https"),
		Entry("Switchboard endpoint with another scheme", validSwitchboard,
			func(s map[string]any) { s["endpoint"] = "ftp://acme.zendesk.com" }, "spec.endpoint", "absolute http(s) URL"),
		Entry("Switchboard endpoint with user info", validSwitchboard,
			func(s map[string]any) { s["endpoint"] = "https://u:p@acme.zendesk.com/sc" }, "spec.endpoint", `endpoint must not contain user info ("@")`),
		Entry("Switchboard endpoint with a query", validSwitchboard,
			func(s map[string]any) { s["endpoint"] = "https://acme.zendesk.com/sc?x=1" }, "spec.endpoint", "endpoint must not have a query or a fragment"),
		Entry("Switchboard endpoint with a fragment", validSwitchboard,
			func(s map[string]any) { s["endpoint"] = "https://acme.zendesk.com/sc#x" }, "spec.endpoint", "endpoint must not have a query or a fragment"),
		Entry("Switchboard endpoint with port 99999", validSwitchboard,
			func(s map[string]any) { s["endpoint"] = "https://acme.zendesk.com:99999" }, "spec.endpoint", "endpoint port must be a number from 1 to 65535"),
		Entry("Switchboard endpoint with port 0", validSwitchboard,
			func(s map[string]any) { s["endpoint"] = "https://acme.zendesk.com:0" }, "spec.endpoint", "endpoint port must be a number from 1 to 65535"),
		Entry("Switchboard webhook url with plain http to a remote host", validSwitchboard,
			func(s map[string]any) { s["webhook"] = map[string]any{"url": "http://hooks.example.com"} }, "spec.webhook.url", "must use https"),
		Entry("Switchboard webhook url that is not a URL", validSwitchboard,
			func(s map[string]any) { s["webhook"] = map[string]any{"url": "hooks example"} }, "spec.webhook.url", "absolute http(s) URL"),
		Entry("Switchboard webhook url with user info", validSwitchboard,
			func(s map[string]any) { s["webhook"] = map[string]any{"url": "https://u:p@hooks.example.com"} }, "spec.webhook.url", "user info"),
		Entry("Switchboard webhook url with a query", validSwitchboard,
			func(s map[string]any) { s["webhook"] = map[string]any{"url": "https://hooks.example.com/?a=b"} }, "spec.webhook.url", "query"),
		Entry("Switchboard webhook without url", validSwitchboard,
			func(s map[string]any) { s["webhook"] = map[string]any{} }, "spec.webhook.url", "Required value"),
		Entry("Switchboard without appId", validSwitchboard,
			func(s map[string]any) { delete(s, "appId") }, "spec.appId", "Required value"),
		Entry("Switchboard with an empty appId", validSwitchboard,
			func(s map[string]any) { s["appId"] = "" }, "spec.appId", "at least 1 chars long"),
		Entry("Switchboard with an overlong appId", validSwitchboard,
			func(s map[string]any) { s["appId"] = strings.Repeat("a", 129) }, "spec.appId", "may not be more than 128"),
		Entry("Switchboard with a path in the appId", validSwitchboard,
			func(s map[string]any) { s["appId"] = "app/../other" }, "spec.appId", "should match"),
		Entry("Switchboard with an unknown auth type", validSwitchboard,
			func(s map[string]any) { s["auth"].(map[string]any)["type"] = "OAuth" }, "spec.auth.type", `supported values: "Basic", "JWT"`),
		Entry("Switchboard without a Secret name", validSwitchboard,
			func(s map[string]any) { s["auth"].(map[string]any)["secretRef"] = map[string]any{} }, "spec.auth.secretRef.name", "Required value"),
		Entry("Switchboard with a zero rate limit", validSwitchboard,
			func(s map[string]any) { s["rateLimit"] = map[string]any{"requestsPerSecond": 0} }, "spec.rateLimit.requestsPerSecond", "greater than or equal to 1"),
		Entry("ConversationControl without switchboardRef", validConversationControl,
			func(s map[string]any) { delete(s, "switchboardRef") }, "spec.switchboardRef", "Required value"),
		Entry("ConversationControl without conversationId", validConversationControl,
			func(s map[string]any) { delete(s, "conversationId") }, "spec.conversationId", "Required value"),
		Entry("ConversationControl with an empty conversationId", validConversationControl,
			func(s map[string]any) { s["conversationId"] = "" }, "spec.conversationId", "at least 1 chars long"),
		Entry("ConversationControl with an overlong conversationId", validConversationControl,
			func(s map[string]any) { s["conversationId"] = strings.Repeat("c", 129) }, "spec.conversationId", "may not be more than 128"),
		Entry("ConversationControl with an unknown state", validConversationControl,
			func(s map[string]any) { s["state"] = "Pending" }, "spec.state", `supported values: "Active", "Offered", "Released"`),
		Entry("ConversationControl Active without integration", validConversationControl,
			func(s map[string]any) { delete(s, "integration") }, "spec.integration", "integration is required unless state is Released"),
		Entry("ConversationControl with default state and no integration", validConversationControl,
			func(s map[string]any) { delete(s, "integration"); delete(s, "state") }, "spec.integration", "integration is required unless state is Released"),
		Entry("ConversationControl Released with an integration", validConversationControl,
			func(s map[string]any) { s["state"] = "Released" }, "spec.integration", "integration must not be set when state is Released"),
		Entry("ConversationControl with an unknown deletion policy", validConversationControl,
			func(s map[string]any) { s["deletionPolicy"] = "Delete" }, "spec.deletionPolicy", `supported values: "Orphan", "Release"`),
		Entry("ConversationControl with an unknown drift policy", validConversationControl,
			func(s map[string]any) { s["driftPolicy"] = "Ignore" }, "spec.driftPolicy", `supported values: "Report", "Enforce"`),
		Entry("ConversationControl with metadata over 4 KB", validConversationControl,
			func(s map[string]any) {
				s["metadata"] = map[string]any{"a": strings.Repeat("x", 3000), "b": strings.Repeat("y", 1200)}
			}, "spec.metadata", "metadata must fit in 4096 bytes as JSON"),
		Entry(`ConversationControl with "é" 3000 times as metadata (6000 bytes)`, validConversationControl,
			func(s map[string]any) { s["metadata"] = map[string]any{"k": strings.Repeat("é", 3000)} },
			"spec.metadata", "metadata must fit in 4096 bytes as JSON"),
		Entry("ConversationControl with a control character in metadata", validConversationControl,
			func(s map[string]any) { s["metadata"] = map[string]any{"k": "a\x01"} },
			"spec.metadata", "must not contain control characters other than tab, newline and carriage return"),
		Entry("ConversationControl with a nested metadata value", validConversationControl,
			func(s map[string]any) { s["metadata"] = map[string]any{"reason": map[string]any{"nested": "x"}} },
			"spec.metadata.reason", "must be of type string"),
		Entry("ConversationControl with a number as metadata value", validConversationControl,
			func(s map[string]any) { s["metadata"] = map[string]any{"priority": int64(1)} },
			"spec.metadata.priority", "must be of type string"),
		Entry("ConversationControl polling faster than 10s", validConversationControl,
			func(s map[string]any) { s["pollInterval"] = "5s" }, "spec.pollInterval", "pollInterval must be 0s (never) or at least 10s"),
		Entry("ConversationControl with an empty integration", validConversationControl,
			func(s map[string]any) { s["integration"] = "" }, "spec.integration", "at least 1 chars long"),
	)

	It("accepts metadata that fits in 4 KB and polling that is switched off", func() {
		obj := objectFromYAML(validConversationControl, ns, func(s map[string]any) {
			s["metadata"] = map[string]any{"a": strings.Repeat("x", 2000), "b": strings.Repeat("y", 1990)}
			s["pollInterval"] = "0s"
		})
		Expect(createAndCleanUp(obj)).To(Succeed())
	})

	// The same table runs against the client (pkg/sunshine): what the API server
	// accepts, the client sends, and what it refuses, the client refuses too.
	It("accepts and refuses metadata as the client does (the shared cases)", func() {
		for i, tc := range validationcases.Metadata {
			obj := objectFromYAML(validConversationControl, ns, func(s map[string]any) {
				md := make(map[string]any, len(tc.Value))
				for k, v := range tc.Value {
					md[k] = v
				}
				s["metadata"] = md
			})
			obj.SetName(fmt.Sprintf("metadata-%d", i))
			err := createAndCleanUp(obj)
			if tc.Accept {
				Expect(err).NotTo(HaveOccurred(), "case %q", tc.Name)
				continue
			}
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "case %q: want 422 Invalid, got %v", tc.Name, err)
			Expect(err.Error()).To(ContainSubstring("spec.metadata"), "case %q", tc.Name)
		}
	})

	It("accepts and refuses endpoints as the client does (the shared cases)", func() {
		for i, tc := range validationcases.Endpoints {
			obj := objectFromYAML(validSwitchboard, ns, func(s map[string]any) { s["endpoint"] = tc.Value })
			obj.SetName(fmt.Sprintf("endpoint-%d", i))
			err := createAndCleanUp(obj)
			if tc.Accept {
				Expect(err).NotTo(HaveOccurred(), "case %q (%s)", tc.Name, tc.Value)
				continue
			}
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "case %q (%s): want 422 Invalid, got %v", tc.Name, tc.Value, err)
			Expect(err.Error()).To(ContainSubstring("spec.endpoint"), "case %q", tc.Name)
		}
	})

	It("accepts a loopback endpoint over plain http (the simulator)", func() {
		for i, endpoint := range []string{"http://127.0.0.1:8091", "http://localhost:8091/sc", "http://[::1]:8091"} {
			obj := objectFromYAML(validSwitchboard, ns, func(s map[string]any) { s["endpoint"] = endpoint })
			obj.SetName(obj.GetName() + "-" + string(rune('a'+i)))
			Expect(createAndCleanUp(obj)).To(Succeed(), endpoint)
		}
	})

	DescribeTable("rejects an update of an immutable field",
		func(manifest, field, value, message string) {
			obj := objectFromYAML(manifest, ns, nil)
			Expect(createAndCleanUp(obj)).To(Succeed())
			var err error
			// The operator may write to the object meanwhile: retry optimistic-lock conflicts.
			Eventually(func() bool {
				Expect(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(obj), obj)).To(Succeed())
				Expect(unstructured.SetNestedField(obj.Object, value, "spec", field)).To(Succeed())
				err = k8sClient.Update(suiteCtx, obj)
				return apierrors.IsConflict(err)
			}).Should(BeFalse())
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want 422 Invalid, got %v", err)
			Expect(err.Error()).To(ContainSubstring("spec." + field))
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("conversationId", validConversationControl, "conversationId", "other-conversation", "conversationId is immutable"),
		Entry("appId", validSwitchboard, "appId", "otherapp", "appId is immutable"),
	)

	It("applies the documented defaults", func() {
		obj := objectFromYAML(validConversationControl, ns, func(s map[string]any) { delete(s, "state") })
		Expect(createAndCleanUp(obj)).To(Succeed())
		spec := obj.Object["spec"].(map[string]any)
		Expect(spec).To(HaveKeyWithValue("state", "Active"))
		Expect(spec).To(HaveKeyWithValue("deletionPolicy", "Orphan"))
		Expect(spec).To(HaveKeyWithValue("driftPolicy", "Report"))
		Expect(spec).To(HaveKeyWithValue("pollInterval", "5m"))
	})

	DescribeTable("a freshly created object reads as in progress under kstatus",
		func(manifest string) {
			obj := objectFromYAML(manifest, ns, nil)
			Expect(createAndCleanUp(obj)).To(Succeed())
			fresh := &unstructured.Unstructured{}
			fresh.SetGroupVersionKind(obj.GroupVersionKind())
			Expect(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(obj), fresh)).To(Succeed())
			observed, found, err := unstructured.NestedInt64(fresh.Object, "status", "observedGeneration")
			Expect(err).NotTo(HaveOccurred())
			Expect(found).To(BeTrue(), "status.observedGeneration is defaulted")
			Expect(observed).To(Equal(int64(-1)))
			res, err := status.Compute(fresh)
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Status).To(Equal(status.InProgressStatus))
		},
		Entry("ConversationControl", validConversationControl),
		Entry("Switchboard", validSwitchboard),
	)
})
