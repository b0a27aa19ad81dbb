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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// A quiet period long enough for a wrongly scheduled reconcile to show up.
const quiet = 2 * time.Second

var _ = Describe("ConversationControl handoffs", func() {
	var e env
	BeforeEach(func() { e = newEnv() })

	DescribeTable("passes control to the declared integration with one passControl",
		func(integration func() string, wantActive string) {
			conv := newConversation("bot", "")
			cc := e.control("handoff", conv, sbv1.StateActive, integration())
			sim.ResetCounts()
			create(cc)

			got := waitReady(cc)
			Expect(liveState(conv)).To(Equal(sunshinetest.ConversationState{Active: wantActive}))
			Expect(calls(sunshinetest.OpPassControl)).To(Equal(1))
			Expect(calls(sunshinetest.OpGetConversation)).To(Equal(2), "one read before the action, one read back after it")
			Expect(got.Status.LastAppliedAction).NotTo(BeNil())
			Expect(got.Status.LastAppliedAction.Action).To(Equal(sbv1.ActionPassControl))
			Expect(got.Status.LastAppliedAction.Reached.Name).To(Equal(wantActive))
			Expect(got.Status.ActiveIntegration.Name).To(Equal(wantActive))
			Expect(condition(got, sbv1.ConditionInSync).Status).To(Equal(metav1.ConditionTrue))
			Expect(condition(got, sbv1.ConditionReconciling)).To(BeNil())
			Expect(condition(got, sbv1.ConditionStalled)).To(BeNil())
			Expect(kstatusOf(got)).To(Equal(status.CurrentStatus))

			Consistently(func() int { return calls(sunshinetest.OpPassControl) }, quiet).Should(Equal(1),
				"no second handoff, not even for `next`")
			Expect(liveState(conv).Active).To(Equal(wantActive))
			Expect(eventReasons(e.ns, "handoff")).To(Equal([]string{sbv1.EventReasonHandoffApplied}),
				"one Event for the handoff, none for the no-op passes after it")
		},
		Entry("by name", func() string { return "agent-workspace" }, "agent-workspace"),
		Entry("by id", func() string { return integrationID("agent-workspace") }, "agent-workspace"),
		Entry("by integrationType", func() string { return testPartner }, "partner"),
		Entry("by next, exactly one hop", func() string { return sbv1.IntegrationNext }, "agent-workspace"),
	)

	It("accepts an offer when the state changes from Offered to Active (acceptControl, not passControl)", func() {
		conv := newConversation("bot", "")
		cc := e.control("offer", conv, sbv1.StateOffered, "agent-workspace")
		sim.ResetCounts()
		create(cc)
		got := waitReady(cc)
		Expect(liveState(conv)).To(Equal(sunshinetest.ConversationState{Active: "bot", Pending: "agent-workspace"}))
		Expect(calls(sunshinetest.OpOfferControl)).To(Equal(1))
		Expect(got.Status.PendingIntegration.Name).To(Equal("agent-workspace"))

		update(cc, func(c *sbv1.ConversationControl) { c.Spec.State = sbv1.StateActive })
		got = waitReady(cc)
		Expect(got.Status.LastAppliedAction.Action).To(Equal(sbv1.ActionAcceptControl))
		Expect(liveState(conv)).To(Equal(sunshinetest.ConversationState{Active: "agent-workspace"}))
		Expect(calls(sunshinetest.OpAcceptControl)).To(Equal(1))
		Expect(calls(sunshinetest.OpPassControl)).To(Equal(0))
	})

	It("reports an offer to the integration that is already active as done, without calling the API", func() {
		conv := newConversation("agent-workspace", "")
		cc := e.control("offer-active", conv, sbv1.StateOffered, "agent-workspace")
		sim.ResetCounts()
		create(cc)
		got := waitReady(cc)
		Expect(condition(got, sbv1.ConditionReady).Reason).To(Equal(sbv1.ReasonAlreadyActive))
		Expect(calls(sunshinetest.OpOfferControl)).To(Equal(0))
	})

	It("releases the conversation, then hands it over again", func() {
		conv := newConversation("bot", "agent-workspace")
		cc := e.control("release", conv, sbv1.StateReleased, "")
		sim.ResetCounts()
		create(cc)
		got := waitReady(cc)
		Expect(liveState(conv)).To(Equal(sunshinetest.ConversationState{}))
		Expect(calls(sunshinetest.OpReleaseControl)).To(Equal(1))
		Expect(got.Status.ActiveIntegration).To(BeNil())

		update(cc, func(c *sbv1.ConversationControl) {
			c.Spec.State = sbv1.StateActive
			c.Spec.Integration = "bot"
		})
		waitReady(cc)
		Expect(liveState(conv)).To(Equal(sunshinetest.ConversationState{Active: "bot"}))
		Expect(calls(sunshinetest.OpPassControl)).To(Equal(1))
	})

	It("makes no action call on a resync, and no handoff for a metadata-only change", func() {
		conv := newConversation("bot", "")
		cc := e.control("quiet", conv, sbv1.StateActive, sbv1.IntegrationNext)
		cc.Spec.PollInterval = &metav1.Duration{Duration: 10 * time.Second}
		create(cc)
		waitReady(cc)
		Expect(liveState(conv).Active).To(Equal("agent-workspace"))
		sim.ResetCounts()

		update(cc, func(c *sbv1.ConversationControl) { c.Spec.Metadata = map[string]string{"reason": "vip"} })
		got := waitReady(cc)
		Expect(got.Generation).To(BeNumerically(">", 1))
		Consistently(func() int { return calls(sunshinetest.OpPassControl) }, quiet).Should(BeZero())
		Expect(liveState(conv).Active).To(Equal("agent-workspace"), "`next` did not hop again")
		Expect(calls(sunshinetest.OpGetConversation)).To(Equal(1), "one read for the new generation")
	})

	Context("when someone else moves the conversation", func() {
		It("reports drift with driftPolicy Report and does not fight it", func() {
			conv := newConversation("bot", "")
			cc := e.control("report", conv, sbv1.StateActive, "agent-workspace")
			create(cc)
			waitReady(cc)
			sim.ResetCounts()

			Expect(sim.SetConversation(testAppID, conv, sunshinetest.ConversationState{Active: "bot"})).To(Succeed())
			update(cc, func(c *sbv1.ConversationControl) { c.Annotations = map[string]string{"touch": "1"} })
			Eventually(func(g Gomega) {
				insync := condition(get(cc), sbv1.ConditionInSync)
				g.Expect(insync.Status).To(Equal(metav1.ConditionFalse))
				g.Expect(insync.Reason).To(Equal(sbv1.ReasonDrifted))
				g.Expect(insync.Message).To(ContainSubstring("agent-workspace"))
				g.Expect(insync.Message).To(ContainSubstring("active bot"))
			}).Should(Succeed())
			Consistently(func() int { return calls(sunshinetest.OpPassControl) }, quiet).Should(BeZero())
			Expect(liveState(conv).Active).To(Equal("bot"))

			By("a new requestedAt value re-applies once")
			update(cc, func(c *sbv1.ConversationControl) {
				c.Annotations = map[string]string{sbv1.AnnotationRequestedAt: "2026-11-27T10:00:00Z"}
			})
			Eventually(func() string { return liveState(conv).Active }).Should(Equal("agent-workspace"))
			Eventually(func() string { return get(cc).Status.LastHandledReconcileAt }).Should(Equal("2026-11-27T10:00:00Z"))
			got := waitReady(cc)
			Expect(condition(got, sbv1.ConditionInSync).Status).To(Equal(metav1.ConditionTrue))
			Consistently(func() int { return calls(sunshinetest.OpPassControl) }, quiet).Should(Equal(1))
		})

		It("re-applies the declared state with driftPolicy Enforce, once per poll", func() {
			conv := newConversation("bot", "")
			cc := e.control("enforce", conv, sbv1.StateActive, "agent-workspace")
			cc.Spec.DriftPolicy = sbv1.DriftPolicyEnforce
			cc.Spec.PollInterval = &metav1.Duration{Duration: 10 * time.Second}
			create(cc)
			waitReady(cc)
			sim.ResetCounts()

			Expect(sim.SetConversation(testAppID, conv, sunshinetest.ConversationState{Active: "bot"})).To(Succeed())
			Eventually(func() string { return liveState(conv).Active }, 20*time.Second).Should(Equal("agent-workspace"))
			Expect(calls(sunshinetest.OpPassControl)).To(Equal(1))
			Consistently(func() int { return calls(sunshinetest.OpPassControl) }, quiet).Should(Equal(1))
		})
	})

	Context("with errors that retrying cannot fix", func() {
		It("stalls with ConversationNotFound for an unknown conversation", func() {
			cc := e.control("missing", "no-such-conversation", sbv1.StateActive, "bot")
			create(cc)
			got := waitStalled(cc, sbv1.ReasonConversationNotFound)
			Expect(condition(got, sbv1.ConditionReady).Status).To(Equal(metav1.ConditionFalse))
			Expect(kstatusOf(got)).To(Equal(status.FailedStatus))
		})

		It("stalls with IntegrationNotFound for an unknown integration, without calling the API", func() {
			conv := newConversation("bot", "")
			sim.ResetCounts()
			cc := e.control("typo", conv, sbv1.StateActive, "agent-workspce")
			create(cc)
			got := waitStalled(cc, sbv1.ReasonIntegrationNotFound)
			Expect(condition(got, sbv1.ConditionStalled).Message).To(ContainSubstring("agent-workspce"))
			Expect(kstatusOf(got)).To(Equal(status.FailedStatus))
			Expect(calls(sunshinetest.OpGetConversation)).To(BeZero())
			Expect(calls(sunshinetest.OpPassControl)).To(BeZero())

			By("fixing the spec recovers")
			update(cc, func(c *sbv1.ConversationControl) { c.Spec.Integration = "agent-workspace" })
			waitReady(cc)
			Expect(liveState(conv).Active).To(Equal("agent-workspace"))
		})

		It("stalls with Unauthorized for wrong credentials, and recovers when the Secret is fixed", func() {
			conv := newConversation("bot", "")
			Expect(sim.SetKeys(testAppID, sunshinetest.KeySeed{ID: testKeyID, Secret: "rotated-secret", Scope: sunshinetest.ScopeApp})).To(Succeed())
			cc := e.control("creds", conv, sbv1.StateActive, "agent-workspace")
			create(cc)
			got := waitStalled(cc, sbv1.ReasonUnauthorized)
			Expect(kstatusOf(got)).To(Equal(status.FailedStatus))
			Expect(liveState(conv).Active).To(Equal("bot"))

			By("rotating the Secret to the new key, without a restart")
			rotateSecret(e.ns, "rotated-secret")
			waitReady(cc)
			Expect(liveState(conv).Active).To(Equal("agent-workspace"))
		})
	})

	It("retries a 429 after Retry-After and a burst of 5xx, then completes", func() {
		conv := newConversation("bot", "")
		sim.ResetCounts()
		sim.InjectFault(sunshinetest.OpGetConversation, sunshinetest.Fault{Status: 503, Times: 3})
		sim.InjectFault(sunshinetest.OpPassControl, sunshinetest.Fault{Status: 429, Times: 1, RetryAfter: time.Second})
		cc := e.control("faults", conv, sbv1.StateActive, "agent-workspace")
		create(cc)
		Eventually(func() string {
			if c := condition(get(cc), sbv1.ConditionReconciling); c != nil {
				return c.Reason
			}
			return ""
		}).Should(BeElementOf(sbv1.ReasonAPIUnavailable, sbv1.ReasonRateLimited))
		got := waitReady(cc)
		Expect(liveState(conv).Active).To(Equal("agent-workspace"))
		Expect(calls(sunshinetest.OpGetConversation)).To(Equal(3+1+2),
			"three failures, then one read for the 429 pass and two (before and back) for the final one")
		Expect(calls(sunshinetest.OpPassControl)).To(Equal(2), "one refused with 429, one applied")
		Expect(condition(got, sbv1.ConditionReconciling)).To(BeNil())
	})

	It("makes no API call while suspended", func() {
		conv := newConversation("bot", "")
		sim.ResetCounts()
		cc := e.control("suspended", conv, sbv1.StateActive, "agent-workspace")
		cc.Spec.Suspend = true
		create(cc)
		Eventually(func() string {
			if c := condition(get(cc), sbv1.ConditionReady); c != nil {
				return c.Reason
			}
			return ""
		}).Should(Equal(sbv1.ReasonSuspended))
		Consistently(conversationCalls, quiet).Should(BeZero())

		update(cc, func(c *sbv1.ConversationControl) { c.Spec.Suspend = false })
		waitReady(cc)
		Expect(liveState(conv).Active).To(Equal("agent-workspace"))
	})

	It("stalls the newer of two objects on one conversation with Conflict until the older is deleted", func() {
		conv := newConversation("bot", "")
		older := e.control("older", conv, sbv1.StateActive, "agent-workspace")
		create(older)
		waitReady(older)
		newer := e.control("newer", conv, sbv1.StateActive, "partner")
		Expect(k8sClient.Create(suiteCtx, newer)).To(Succeed())
		DeferCleanup(func() { _ = k8sClient.Delete(suiteCtx, newer) })
		got := waitStalled(newer, sbv1.ReasonConflict)
		Expect(condition(got, sbv1.ConditionStalled).Message).To(ContainSubstring("older"))
		Expect(liveState(conv).Active).To(Equal("agent-workspace"))

		Expect(k8sClient.Delete(suiteCtx, older)).To(Succeed())
		waitReady(newer)
		Expect(liveState(conv).Active).To(Equal("partner"))
	})
})

var _ = Describe("Metrics", func() {
	It("counts handoffs by action and result, their latency, and API requests", func() {
		e := newEnv()
		conv := newConversation("bot", "")
		cc := e.control("metrics", conv, sbv1.StateActive, "agent-workspace")
		before := counterValue("switchboard_operator_handoffs_total", map[string]string{"action": "passControl", "result": "applied"})
		create(cc)
		waitReady(cc)
		Expect(counterValue("switchboard_operator_handoffs_total", map[string]string{"action": "passControl", "result": "applied"})).
			To(Equal(before + 1))
		Expect(counterValue("sunshine_client_requests_total", map[string]string{"operation": "passControl", "code": "200"})).
			To(BeNumerically(">=", 1))
		families, err := suiteMetrics.Gather()
		Expect(err).NotTo(HaveOccurred())
		Expect(families).To(ContainElement(HaveField("GetName()", "switchboard_operator_handoff_latency_seconds")))
	})
})

// counterValue reads a counter of the suite's registry (0 when absent).
func counterValue(name string, labels map[string]string) float64 {
	families, err := suiteMetrics.Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
