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
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// The specs of this file apply the policy pack of config/policies to the suite's API
// server, which runs ValidatingAdmissionPolicies (GA since Kubernetes 1.30; envtest's
// kube-apiserver keeps the admission plugin on). The bindings are narrowed to
// namespaces labelled for these specs and read a copy of the pack's ConfigMap from a
// namespace of their own, so that the rest of the suite is not governed.

// policyTestLabel marks the namespaces the pack's bindings govern in these specs; its
// value is the namespace that holds the ConfigMap.
const policyTestLabel = "test.switchboard.conversations.dev/policies"

// policyPartition labels the objects these specs create so that no manager of the suite
// reconciles them.
const policyPartition = "policies"

// policyPack is the pack as shipped, decoded.
type policyPack struct {
	policies []*admissionv1.ValidatingAdmissionPolicy
	bindings []*admissionv1.ValidatingAdmissionPolicyBinding
	params   *corev1.ConfigMap
}

// readPolicyPack decodes the documents of config/policies that its kustomization lists.
func readPolicyPack() policyPack {
	dir := filepath.Join("..", "config", "policies")
	var kustomization struct {
		Resources []string `json:"resources"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	Expect(err).NotTo(HaveOccurred())
	Expect(yaml.Unmarshal(data, &kustomization)).To(Succeed())

	var pack policyPack
	for _, file := range kustomization.Resources {
		data, err := os.ReadFile(filepath.Join(dir, file))
		Expect(err).NotTo(HaveOccurred())
		for _, doc := range splitYAML(data) {
			var typeMeta metav1.TypeMeta
			Expect(yaml.Unmarshal(doc, &typeMeta)).To(Succeed(), file)
			switch typeMeta.Kind {
			case "ValidatingAdmissionPolicy":
				p := &admissionv1.ValidatingAdmissionPolicy{}
				Expect(yaml.UnmarshalStrict(doc, p)).To(Succeed(), file)
				pack.policies = append(pack.policies, p)
			case "ValidatingAdmissionPolicyBinding":
				b := &admissionv1.ValidatingAdmissionPolicyBinding{}
				Expect(yaml.UnmarshalStrict(doc, b)).To(Succeed(), file)
				pack.bindings = append(pack.bindings, b)
			case "ConfigMap":
				Expect(pack.params).To(BeNil(), "the pack has one ConfigMap")
				pack.params = &corev1.ConfigMap{}
				Expect(yaml.UnmarshalStrict(doc, pack.params)).To(Succeed(), file)
			default:
				Fail("unexpected kind " + typeMeta.Kind + " in config/policies/" + file)
			}
		}
	}
	Expect(pack.policies).To(HaveLen(2), "ValidatingAdmissionPolicies in the pack")
	Expect(pack.bindings).To(HaveLen(2), "bindings in the pack")
	Expect(pack.params).NotTo(BeNil(), "the ConfigMap of the pack")
	return pack
}

// splitYAML splits a file into its non-empty YAML documents.
func splitYAML(data []byte) [][]byte {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		Expect(err).NotTo(HaveOccurred())
		if len(bytes.TrimSpace(doc)) > 0 && !isOnlyComments(doc) {
			docs = append(docs, doc)
		}
	}
}

func isOnlyComments(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") && line != "---" {
			return false
		}
	}
	return true
}

// createCleanly creates obj and deletes it when the spec (or the Ordered container) ends.
func createCleanly(obj client.Object) {
	Expect(k8sClient.Create(suiteCtx, obj)).To(Succeed(), "%T %s", obj, obj.GetName())
	DeferCleanup(func(ctx SpecContext) {
		Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, obj))).To(Succeed())
	})
}

// governedNamespace creates a namespace that the narrowed bindings govern.
func governedNamespace(paramsNamespace string) string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		GenerateName: "sb-policy-", Labels: map[string]string{policyTestLabel: paramsNamespace},
	}}
	createCleanly(ns)
	return ns.Name
}

func policySwitchboard(namespace, appID, endpoint string) *sbv1.Switchboard {
	return &sbv1.Switchboard{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "sb-", Namespace: namespace, Labels: map[string]string{testManagerLabel: policyPartition}},
		Spec: sbv1.SwitchboardSpec{
			Endpoint: endpoint, AppID: appID,
			Auth: sbv1.SwitchboardAuth{SecretRef: sbv1.SecretReference{Name: "credentials"}},
		},
	}
}

func policyControl(namespace string, drift sbv1.DriftPolicy, deletion sbv1.DeletionPolicy) *sbv1.ConversationControl {
	return &sbv1.ConversationControl{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "cc-", Namespace: namespace, Labels: map[string]string{testManagerLabel: policyPartition}},
		Spec: sbv1.ConversationControlSpec{
			SwitchboardRef: sbv1.LocalObjectReference{Name: "acme"}, ConversationID: "conv-policy",
			State: sbv1.StateActive, Integration: "agent-workspace", DriftPolicy: drift, DeletionPolicy: deletion,
		},
	}
}

// dryRunCreate asks the API server to admit obj without storing it.
func dryRunCreate(obj client.Object) error {
	return k8sClient.Create(suiteCtx, obj.DeepCopyObject().(client.Object), client.DryRunAll)
}

// expectDenied waits until the API server refuses obj (policies and their parameters
// take a moment to reach the admission plugin) and checks the denial.
func expectDenied(obj client.Object, policy, message string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		err := dryRunCreate(obj)
		g.Expect(err).To(HaveOccurred(), "the API server admitted the object")
		g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "a Forbidden answer: %v", err)
		g.Expect(err.Error()).To(ContainSubstring("ValidatingAdmissionPolicy '" + policy + "'"))
		g.Expect(err.Error()).To(ContainSubstring(message))
	}).Should(Succeed())
}

// expectAdmitted waits until the API server admits obj.
func expectAdmitted(obj client.Object) {
	GinkgoHelper()
	Eventually(func() error { return dryRunCreate(obj) }).Should(Succeed())
}

const (
	tenancyPolicy  = "switchboard-operator-switchboard-tenancy"
	controlsPolicy = "switchboard-operator-conversationcontrol-policies"
	// The app and endpoints of the example ConfigMap.
	exampleApp      = "5d8cff3cd55b040010928b5b"
	exampleOtherApp = "64a3c9e8f1d2b3001234abcd"
	exampleEndpoint = "https://acme.zendesk.com/sc"
	globalEndpoint  = "https://api.smooch.io"
)

var _ = Describe("Policy pack", Ordered, func() {
	var (
		paramsNamespace string
		params          *corev1.ConfigMap
		// support and bots get the allowances the example ConfigMap gives the namespaces
		// of those names; nobody has no entry.
		support, bots, nobody string
	)

	BeforeAll(func() {
		pack := readPolicyPack()
		paramsNamespace = newNamespace()

		for _, p := range pack.policies {
			createCleanly(p)
		}
		// The policies' type-checking status is written by kube-controller-manager, which
		// envtest does not run; the specs below evaluate every expression instead (an
		// expression that fails to evaluate denies with failurePolicy Fail, and its message
		// would not match).

		support = governedNamespace(paramsNamespace)
		bots = governedNamespace(paramsNamespace)
		nobody = governedNamespace(paramsNamespace)

		params = pack.params.DeepCopy()
		params.Namespace = paramsNamespace
		params.Data = map[string]string{}
		for key, value := range pack.params.Data {
			ns, allowance, ok := strings.Cut(key, ".")
			Expect(ok).To(BeTrue(), "ConfigMap key %q is <namespace>.<allowance>", key)
			switch ns {
			case "support":
				params.Data[support+"."+allowance] = value
			case "bots":
				params.Data[bots+"."+allowance] = value
			default:
				Fail("the example ConfigMap names namespace " + ns)
			}
		}
		createCleanly(params)

		for _, b := range pack.bindings {
			Expect(b.Spec.ParamRef).NotTo(BeNil())
			Expect(b.Spec.ParamRef.Name).To(Equal(pack.params.Name), "binding %s reads the pack's ConfigMap", b.Name)
			Expect(b.Spec.ParamRef.Namespace).To(Equal(pack.params.Namespace), "binding %s reads the pack's ConfigMap", b.Name)
			b.Spec.ParamRef.Namespace = paramsNamespace
			b.Spec.MatchResources.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{policyTestLabel: paramsNamespace}}
			createCleanly(b)
		}
	})

	Context("Switchboards", func() {
		It("admits an app and endpoint that the namespace's entry lists", func() {
			expectDenied(policySwitchboard(nobody, exampleApp, exampleEndpoint), tenancyPolicy, "")
			expectAdmitted(policySwitchboard(support, exampleApp, exampleEndpoint))
			expectAdmitted(policySwitchboard(bots, exampleApp, globalEndpoint))
			expectAdmitted(policySwitchboard(bots, exampleOtherApp, globalEndpoint))
		})

		It("denies an app the namespace may not use, naming the field and what is allowed", func() {
			expectDenied(policySwitchboard(support, exampleOtherApp, exampleEndpoint), tenancyPolicy,
				"spec.appId: namespace "+support+" may not use app "+exampleOtherApp+" (allowed: "+exampleApp+")")
		})

		It("denies an endpoint the namespace may not use, though the app is allowed", func() {
			expectDenied(policySwitchboard(support, exampleApp, globalEndpoint), tenancyPolicy,
				"spec.endpoint: namespace "+support+" may not use endpoint "+globalEndpoint+" (allowed: "+exampleEndpoint+")")
			expectDenied(policySwitchboard(bots, exampleApp, exampleEndpoint), tenancyPolicy,
				"spec.endpoint: namespace "+bots+" may not use endpoint "+exampleEndpoint+" (allowed: "+globalEndpoint+")")
		})

		It("denies every app and endpoint in a namespace without an entry", func() {
			expectDenied(policySwitchboard(nobody, exampleApp, exampleEndpoint), tenancyPolicy,
				"spec.appId: namespace "+nobody+" may not use app "+exampleApp+" (no app is allowed in this namespace)")
		})
	})

	Context("ConversationControls", func() {
		It("admits the defaults Report and Orphan in every governed namespace", func() {
			expectDenied(policyControl(nobody, sbv1.DriftPolicyEnforce, sbv1.DeletionPolicyOrphan), controlsPolicy, "")
			for _, ns := range []string{support, bots, nobody} {
				expectAdmitted(policyControl(ns, sbv1.DriftPolicyReport, sbv1.DeletionPolicyOrphan))
				expectAdmitted(policyControl(ns, "", "")) // the CRD's defaults
			}
		})

		It("admits Enforce and Release where the namespace's entry lists them", func() {
			expectAdmitted(policyControl(support, sbv1.DriftPolicyEnforce, sbv1.DeletionPolicyRelease))
		})

		It("denies driftPolicy Enforce elsewhere, naming the field and what is allowed", func() {
			expectDenied(policyControl(bots, sbv1.DriftPolicyEnforce, sbv1.DeletionPolicyOrphan), controlsPolicy,
				"spec.driftPolicy: Enforce is not allowed in namespace "+bots+" (allowed: Report)")
		})

		It("denies deletionPolicy Release elsewhere, naming the field and what is allowed", func() {
			expectDenied(policyControl(nobody, sbv1.DriftPolicyReport, sbv1.DeletionPolicyRelease), controlsPolicy,
				"spec.deletionPolicy: Release is not allowed in namespace "+nobody+" (allowed: Orphan)")
		})
	})

	It("keeps objects admitted earlier labelable and deletable once their allowance is withdrawn, and checks spec changes", func() {
		sb := policySwitchboard(support, exampleApp, exampleEndpoint)
		Eventually(func() error { return k8sClient.Create(suiteCtx, sb) }).Should(Succeed())
		DeferCleanup(func(ctx SpecContext) { Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, sb))).To(Succeed()) })
		cc := policyControl(support, sbv1.DriftPolicyEnforce, sbv1.DeletionPolicyRelease)
		cc.Finalizers = []string{"test.switchboard.conversations.dev/policies"}
		Eventually(func() error { return k8sClient.Create(suiteCtx, cc) }).Should(Succeed())
		DeferCleanup(func(ctx SpecContext) {
			Expect(client.IgnoreNotFound(k8sClient.Patch(ctx, cc, client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"finalizers":null}}`))))).To(Succeed())
			Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, cc))).To(Succeed())
		})

		By("withdrawing the namespace's allowances")
		for key := range params.Data {
			if strings.HasPrefix(key, support+".") {
				delete(params.Data, key)
			}
		}
		Expect(k8sClient.Update(suiteCtx, params)).To(Succeed())
		expectDenied(policyControl(support, sbv1.DriftPolicyEnforce, sbv1.DeletionPolicyOrphan), controlsPolicy,
			"spec.driftPolicy: Enforce is not allowed in namespace "+support)

		By("a label change of the existing objects is admitted")
		for _, obj := range []client.Object{sb, cc} {
			Expect(k8sClient.Patch(suiteCtx, obj, client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"labels":{"team":"a"}}}`)))).
				To(Succeed(), "%T", obj)
		}

		By("a change of spec is checked")
		err := k8sClient.Patch(suiteCtx, sb, client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"endpoint":"https://other.zendesk.com/sc"}}`)))
		// Every validation runs on a spec change; the API server reports the first that fails.
		Expect(err).To(MatchError(ContainSubstring("spec.appId: namespace " + support + " may not use app " + exampleApp + " (no app is allowed in this namespace)")))
		err = k8sClient.Patch(suiteCtx, cc, client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"pollInterval":"10m"}}`)))
		Expect(err).To(MatchError(ContainSubstring("spec.driftPolicy: Enforce is not allowed in namespace " + support)))

		By("deletion, with its finalizer removed, goes through")
		Expect(k8sClient.Delete(suiteCtx, cc)).To(Succeed())
		Expect(k8sClient.Patch(suiteCtx, cc, client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"finalizers":null}}`)))).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(cc), &sbv1.ConversationControl{}))
		}).Should(BeTrue())
		Expect(k8sClient.Delete(suiteCtx, sb)).To(Succeed())
	})
})
