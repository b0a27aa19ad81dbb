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
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
	"github.com/switchboard-operator/switchboard-operator/test/healthcheck"
)

// kubectl runs the kubectl built by `make envtest` against the suite's API server.
func kubectl(stdin io.Reader, args ...string) (string, error) {
	kubeconfig := filepath.Join(GinkgoT().TempDir(), "kubeconfig")
	user, err := testEnv.AddUser(envtestAdmin(), nil)
	Expect(err).NotTo(HaveOccurred())
	data, err := user.KubeConfig()
	Expect(err).NotTo(HaveOccurred())
	Expect(os.WriteFile(kubeconfig, data, 0o600)).To(Succeed())
	cmd := exec.Command(filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...) //nolint:gosec // G204: the kubectl that `make envtest` builds
	cmd.Stdin = stdin
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return out.String(), err
}

// renderDefault renders config/default with kubectl kustomize and decodes the objects.
func renderDefault() []*unstructured.Unstructured {
	out, err := kubectl(nil, "kustomize", filepath.Join("..", "config", "default"))
	Expect(err).NotTo(HaveOccurred(), out)
	decoder := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(out), 4096)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := decoder.Decode(&u.Object); errors.Is(err, io.EOF) {
			return objs
		} else if err != nil {
			Expect(err).NotTo(HaveOccurred())
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

var _ = Describe("Deployment", func() {
	It("runs a handoff with only the RBAC it ships, impersonating its ServiceAccount", func() {
		var namespace, serviceAccount string
		for _, obj := range renderDefault() {
			Expect(k8sClient.Apply(suiteCtx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner("deploy-test"), client.ForceOwnership)).
				To(Succeed(), "%s %s", obj.GetKind(), obj.GetName())
			if obj.GetKind() == "ServiceAccount" {
				namespace, serviceAccount = obj.GetNamespace(), obj.GetName()
			}
		}
		Expect(serviceAccount).NotTo(BeEmpty(), "the rendered install has a ServiceAccount")

		impersonated := rest.CopyConfig(cfg)
		impersonated.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + namespace + ":" + serviceAccount}
		m := startManager(suiteCtx, impersonated, "least-privilege", "rbac", suiteOptions, prometheus.NewRegistry(), func(o *ctrl.Options) {
			o.LeaderElection = true
			o.LeaderElectionID = "switchboard-operator.conversations.dev"
			o.LeaderElectionNamespace = namespace
			o.LeaderElectionReleaseOnCancel = true
		})
		DeferCleanup(m.stop)

		e := newEnvFor("rbac")
		conv := newConversation("bot", "")
		cc := e.control("least-privilege", conv, sbv1.StateActive, "agent-workspace")
		cc.Spec.DeletionPolicy = sbv1.DeletionPolicyRelease
		create(cc)
		waitReady(cc)
		Expect(liveState(conv).Active).To(Equal("agent-workspace"))
		Expect(eventReasons(e.ns, "least-privilege")).To(ContainElement(sbv1.EventReasonHandoffApplied))

		By("the release finalizer works with the same permissions")
		deleteAndWait(cc, 15*time.Second)
		Expect(liveState(conv)).To(Equal(sunshinetest.ConversationState{}))
	})

	It("lets kubectl apply --server-side the samples twice with no conflict with the operator", func() {
		ns := newNamespace()
		for range 2 {
			out, err := kubectl(nil, "apply", "--server-side", "-n", ns, "-k", filepath.Join("..", "config", "samples"))
			Expect(err).NotTo(HaveOccurred(), out)
			Expect(out).NotTo(ContainSubstring("conflict"))
			// Let the operator write status between the two applies.
			Eventually(func(g Gomega) {
				sb := &sbv1.Switchboard{}
				g.Expect(k8sClient.Get(suiteCtx, client.ObjectKey{Namespace: ns, Name: "demo"}, sb)).To(Succeed())
				g.Expect(sb.Status.Conditions).NotTo(BeEmpty())
			}).Should(Succeed())
		}
		var list sbv1.ConversationControlList
		Expect(k8sClient.List(suiteCtx, &list, client.InNamespace(ns))).To(Succeed())
		Expect(list.Items).NotTo(BeEmpty())
		for _, cc := range list.Items {
			Expect(cc.Generation).To(Equal(int64(1)), "the operator never changes spec")
			for _, mf := range cc.ManagedFields {
				if mf.Manager == FieldOwner {
					Expect(mf.Subresource).To(Or(Equal("status"), BeEmpty()))
					Expect(mf.FieldsV1.GetRawString()).NotTo(ContainSubstring(`"f:spec"`), "the operator owns no spec field")
				}
			}
			Expect(k8sClient.Delete(suiteCtx, &cc)).To(Succeed())
		}
		Expect(client.IgnoreNotFound(k8sClient.DeleteAllOf(suiteCtx, &sbv1.Switchboard{}, client.InNamespace(ns)))).To(Succeed())
	})
})

var _ = Describe("Argo CD health check", func() {
	var script string
	BeforeEach(func() {
		var err error
		script, err = healthcheck.ReadScript()
		Expect(err).NotTo(HaveOccurred())
	})

	// health runs the shipped Lua on the object as the API server returns it.
	health := func(obj client.Object) string {
		Expect(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(obj), obj)).To(Succeed())
		status, message, err := healthcheck.EvaluateObject(script, obj)
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("%s %s: %s (%s)\n", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), status, message)
		return status
	}

	It("maps objects captured in each state to Argo CD health", func() {
		e := newEnv()

		By("a fresh object nobody has reconciled yet is Progressing")
		fresh := e.control("fresh", newConversation("bot", ""), sbv1.StateActive, "agent-workspace")
		fresh.Labels = map[string]string{testManagerLabel: "nobody"}
		create(fresh)
		Expect(health(fresh)).To(Equal(healthcheck.StatusProgressing))

		By("an applied handoff is Healthy")
		ready := e.control("ready", newConversation("bot", ""), sbv1.StateActive, "agent-workspace")
		create(ready)
		waitReady(ready)
		Expect(health(ready)).To(Equal(healthcheck.StatusHealthy))
		sb := &sbv1.Switchboard{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: switchboardNm}}
		Expect(health(sb)).To(Equal(healthcheck.StatusHealthy))

		By("a stalled object is Degraded")
		stalled := e.control("stalled", newConversation("bot", ""), sbv1.StateActive, "nobody-by-that-name")
		create(stalled)
		waitStalled(stalled, sbv1.ReasonIntegrationNotFound)
		Expect(health(stalled)).To(Equal(healthcheck.StatusDegraded))

		By("a suspended object is Suspended")
		suspended := e.control("suspended", newConversation("bot", ""), sbv1.StateActive, "agent-workspace")
		suspended.Spec.Suspend = true
		create(suspended)
		Eventually(func() string { return health(suspended) }).Should(Equal(healthcheck.StatusSuspended))

		By("an object retrying a transient error is Progressing")
		sim.InjectFault(sunshinetest.OpGetConversation, sunshinetest.Fault{Status: 503, Times: 1000})
		DeferCleanup(sim.ClearFaults)
		retrying := e.control("retrying", newConversation("bot", ""), sbv1.StateActive, "agent-workspace")
		create(retrying)
		Eventually(func() *metav1.Condition { return condition(get(retrying), sbv1.ConditionReconciling) }).ShouldNot(BeNil())
		Expect(health(retrying)).To(Equal(healthcheck.StatusProgressing))

		By("an object being deleted is Progressing")
		deleting := e.control("deleting", newConversation("bot", ""), sbv1.StateActive, "agent-workspace")
		deleting.Labels = map[string]string{testManagerLabel: "nobody"}
		deleting.Finalizers = []string{"test.switchboard.conversations.dev/hold"}
		Expect(k8sClient.Create(suiteCtx, deleting)).To(Succeed())
		Expect(k8sClient.Delete(suiteCtx, deleting)).To(Succeed())
		Expect(health(deleting)).To(Equal(healthcheck.StatusProgressing))
		deleting.Finalizers = nil
		Expect(k8sClient.Update(suiteCtx, deleting)).To(Succeed())
	})
})

// envtestAdmin is a user with every permission (system:masters).
func envtestAdmin() envtest.User {
	return envtest.User{Name: "admin", Groups: []string{"system:masters"}}
}
