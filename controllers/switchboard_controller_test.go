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
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// newSwitchboard builds a Switchboard for the simulator's app in ns.
func newSwitchboard(ns, name string) *sbv1.Switchboard {
	return &sbv1.Switchboard{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: sbv1.SwitchboardSpec{
			Endpoint:  sim.URL,
			AppID:     testAppID,
			Auth:      sbv1.SwitchboardAuth{Type: sbv1.AuthTypeJWT, SecretRef: sbv1.SecretReference{Name: secretName}},
			RateLimit: sbv1.RateLimit{RequestsPerSecond: 50, Burst: 50},
		},
	}
}

// switchboardCondition waits for a condition of the Switchboard and returns the object.
func switchboardCondition(sb *sbv1.Switchboard, condType string, reason string) *sbv1.Switchboard {
	out := &sbv1.Switchboard{}
	Eventually(func(g Gomega) {
		g.Expect(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(sb), out)).To(Succeed())
		c := meta.FindStatusCondition(out.Status.Conditions, condType)
		g.Expect(c).NotTo(BeNil(), "conditions: %v", out.Status.Conditions)
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue))
		g.Expect(c.Reason).To(Equal(reason))
		g.Expect(out.Status.ObservedGeneration).To(Equal(out.Generation))
	}).Should(Succeed())
	return out
}

var _ = Describe("Switchboard", func() {
	var ns string
	BeforeEach(func() {
		sim.Reset()
		ns = newNamespace()
	})

	It("lists the app's switchboard and integrations into status with JWT credentials", func() {
		createSecret(ns, testSecret)
		sb := newSwitchboard(ns, "jwt")
		create(sb)
		got := switchboardCondition(sb, sbv1.ConditionReady, sbv1.ReasonSwitchboardReady)
		Expect(got.Status.SwitchboardID).NotTo(BeEmpty())
		Expect(got.Status.Enabled).To(BeTrue())
		Expect(got.Status.DefaultIntegration).To(Equal("bot"))
		Expect(got.Status.Integrations).To(ConsistOf(
			sbv1.SwitchboardIntegrationStatus{ID: integrationID("bot"), Name: "bot", IntegrationType: "custom",
				IntegrationID: "5e1f0c0ffee0000000000001", Next: "agent-workspace"},
			HaveField("Name", "agent-workspace"),
			HaveField("Name", "partner"),
		))
		Expect(got.Status.Integrations[0].Name).To(Equal("agent-workspace"), "integrations are sorted by name")
		Expect(got.Status.Integrations[0].Next).To(Equal("bot"))
		Expect(kstatusOf(got)).To(Equal(status.CurrentStatus))
		Expect(calls(sunshinetest.OpListSwitchboards)).To(Equal(1))

		By("re-checking the Secret without listing again until something changes")
		Consistently(func() int { return calls(sunshinetest.OpListSwitchboards) }, quiet).Should(Equal(1))
	})

	It("stalls with SecretNotFound until the Secret exists, then becomes Ready without a restart", func() {
		sb := newSwitchboard(ns, "no-secret")
		create(sb)
		got := switchboardCondition(sb, sbv1.ConditionStalled, sbv1.ReasonSecretNotFound)
		Expect(kstatusOf(got)).To(Equal(status.FailedStatus))

		createSecret(ns, testSecret)
		switchboardCondition(sb, sbv1.ConditionReady, sbv1.ReasonSwitchboardReady)
	})

	It("stalls with Unauthorized for a wrong secret, and ConversationControls wait for it", func() {
		createSecret(ns, "wrong")
		sb := newSwitchboard(ns, switchboardNm)
		create(sb)
		got := switchboardCondition(sb, sbv1.ConditionStalled, sbv1.ReasonUnauthorized)
		Expect(meta.FindStatusCondition(got.Status.Conditions, sbv1.ConditionReady).Message).NotTo(ContainSubstring("wrong"))

		conv := newConversation("bot", "")
		cc := (env{ns: ns}).control("waits", conv, sbv1.StateActive, "agent-workspace")
		create(cc)
		Eventually(func(g Gomega) {
			c := condition(get(cc), sbv1.ConditionReconciling)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(sbv1.ReasonSwitchboardNotReady))
		}).Should(Succeed())
		Expect(kstatusOf(get(cc))).To(Equal(status.InProgressStatus))

		By("fixing the Secret: the Switchboard recovers and the handoff goes through")
		rotateSecret(ns, testSecret)
		waitReady(cc)
		Expect(liveState(conv).Active).To(Equal("agent-workspace"))
	})

	It("retries a switchboard listing that fails with 5xx", func() {
		createSecret(ns, testSecret)
		sim.InjectFault(sunshinetest.OpListSwitchboards, sunshinetest.Fault{Status: 502, Times: 2})
		sb := newSwitchboard(ns, "flaky")
		create(sb)
		switchboardCondition(sb, sbv1.ConditionReady, sbv1.ReasonSwitchboardReady)
		Expect(calls(sunshinetest.OpListSwitchboards)).To(Equal(3))
	})

	It("re-lists the integrations when the requestedAt annotation changes", func() {
		createSecret(ns, testSecret)
		sb := newSwitchboard(ns, "requested")
		create(sb)
		switchboardCondition(sb, sbv1.ConditionReady, sbv1.ReasonSwitchboardReady)
		Eventually(func() error {
			current := &sbv1.Switchboard{}
			if err := k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(sb), current); err != nil {
				return err
			}
			current.Annotations = map[string]string{sbv1.AnnotationRequestedAt: "now"}
			return k8sClient.Update(suiteCtx, current)
		}).Should(Succeed())
		Eventually(func() int { return calls(sunshinetest.OpListSwitchboards) }, 10*time.Second).Should(Equal(2))
	})
})
