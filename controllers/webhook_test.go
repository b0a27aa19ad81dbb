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
	"net/http"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/internal/receiver"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// receiverURL waits until the receiver of m listens and returns its base URL.
func receiverURL(m *runningManager) string {
	Expect(m.webhooks.Receiver).NotTo(BeNil(), "manager %s runs a receiver", m.name)
	Eventually(m.webhooks.Receiver.Addr).ShouldNot(BeNil())
	return "http://" + m.webhooks.Receiver.Addr().String()
}

// switchboardOf reads the spec's Switchboard.
func switchboardOf(ns string) *sbv1.Switchboard {
	sb := &sbv1.Switchboard{}
	Expect(k8sClient.Get(suiteCtx, client.ObjectKey{Namespace: ns, Name: switchboardNm}, sb)).To(Succeed())
	return sb
}

// setWebhookURL sets (or, with "", removes) spec.webhook of the spec's Switchboard.
func setWebhookURL(ns, url string) {
	Eventually(func() error {
		sb := switchboardOf(ns)
		sb.Spec.Webhook = nil
		if url != "" {
			sb.Spec.Webhook = &sbv1.SwitchboardWebhook{URL: url}
		}
		return k8sClient.Update(suiteCtx, sb)
	}).Should(Succeed())
}

// waitWebhookReady waits until the Switchboard's webhook is managed and returns the Switchboard.
func waitWebhookReady(ns string) *sbv1.Switchboard {
	var sb *sbv1.Switchboard
	Eventually(func(g Gomega) {
		sb = switchboardOf(ns)
		cond := meta.FindStatusCondition(sb.Status.Conditions, sbv1.ConditionWebhookReady)
		g.Expect(cond).NotTo(BeNil(), "conditions: %v", sb.Status.Conditions)
		g.Expect(cond.Status).To(Equal(metav1.ConditionTrue), "WebhookReady: %s %s", cond.Reason, cond.Message)
		g.Expect(sb.Status.Webhook).NotTo(BeNil())
		g.Expect(sb.Status.Webhook.URL).To(Equal(WebhookTarget(sb)))
	}).Should(Succeed())
	return sb
}

// vendor is a client of the simulator with the suite's key, acting as "others" would.
func vendor() *sunshine.Client {
	c, err := sunshine.New(sunshine.Config{Endpoint: sim.URL, AppID: testAppID, RequestsPerSecond: 100, Burst: 100,
		Credentials: sunshine.Credentials{Type: sunshine.AuthBasic, KeyID: testKeyID, Secret: sunshine.NewSecret(testSecret)}})
	Expect(err).NotTo(HaveOccurred())
	return c
}

// customIntegrations lists the app's custom integrations in the simulator.
func customIntegrations() []sunshine.Integration {
	list, err := vendor().ListCustomIntegrations(suiteCtx)
	Expect(err).NotTo(HaveOccurred())
	return list
}

// metricValue sums the samples of a metric of reg whose labels include labels.
func metricValue(reg *prometheus.Registry, name string, labels map[string]string) float64 {
	families, err := reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	total := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			matches := true
			for k, v := range labels {
				matches = matches && have[k] == v
			}
			if matches {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

// waitDrifted waits until the object reports the drift to the bot (others moved it there).
func waitDrifted(cc *sbv1.ConversationControl) {
	const active = "bot"
	Eventually(func(g Gomega) {
		out := get(cc)
		inSync := condition(out, sbv1.ConditionInSync)
		g.Expect(inSync).NotTo(BeNil())
		g.Expect(inSync.Status).To(Equal(metav1.ConditionFalse), "InSync: %s %s", inSync.Reason, inSync.Message)
		g.Expect(out.Status.ActiveIntegration).NotTo(BeNil())
		g.Expect(out.Status.ActiveIntegration.Name).To(Equal(active))
	}).Should(Succeed())
}

// quiesceDeliveries waits until the simulator has sent every delivery and the
// receiver of m has dispatched what it received.
func quiesceDeliveries(m *runningManager) {
	sim.FlushDeliveries()
	Eventually(sim.DeliveryStats).Should(HaveField("Pending", 0))
	dispatched := func() float64 {
		return metricValue(m.metrics, "switchboard_operator_webhook_events_total", nil)
	}
	Eventually(func() bool {
		before := dispatched()
		time.Sleep(300 * time.Millisecond)
		return dispatched() == before
	}).Should(BeTrue(), "the receiver dispatched every event it got")
}

// moveByOthers hands the conversation back to the bot in the simulator as an agent
// would (the vendor sends the events of the move).
func moveByOthers(conv string) {
	Expect(sim.SetConversation(testAppID, conv, sunshinetest.ConversationState{Active: "bot"})).To(Succeed())
}

var _ = Describe("Webhooks", func() {
	var (
		e    env
		base string
	)
	BeforeEach(func() {
		e = newEnv()
		base = receiverURL(mainManager)
	})

	It("makes a Switchboard that declares spec.webhook from the start Ready, with its webhook", func() {
		ns := newNamespace()
		createSecret(ns, testSecret)
		sb := &sbv1.Switchboard{
			ObjectMeta: metav1.ObjectMeta{Name: switchboardNm, Namespace: ns},
			Spec: sbv1.SwitchboardSpec{Endpoint: sim.URL, AppID: testAppID,
				Auth:    sbv1.SwitchboardAuth{Type: sbv1.AuthTypeBasic, SecretRef: sbv1.SecretReference{Name: secretName}},
				Webhook: &sbv1.SwitchboardWebhook{URL: base}},
		}
		Expect(createAndCleanUp(sb)).To(Succeed())
		got := waitWebhookReady(ns)
		Eventually(func() bool {
			return meta.IsStatusConditionTrue(switchboardOf(ns).Status.Conditions, sbv1.ConditionReady)
		}).Should(BeTrue(), "adding the webhook finalizer does not lose the pass's Ready: %v", got.Status.Conditions)
	})

	It("manages one integration with one webhook: created, repaired when others change it, removed with the field", func() {
		By("declaring spec.webhook")
		setWebhookURL(e.ns, base)
		sb := waitWebhookReady(e.ns)
		Expect(controllerutil.ContainsFinalizer(sb, sbv1.FinalizerWebhook)).To(BeTrue(), "the finalizer is on while a webhook is managed")
		Expect(sb.Status.Webhook.URL).To(HavePrefix(base + receiver.PathPrefix))
		Expect(strings.TrimPrefix(sb.Status.Webhook.URL, base+receiver.PathPrefix)).To(HaveLen(64), "the path ends in a SHA-256 token")
		ours := customIntegrations()
		Expect(ours).To(HaveLen(1))
		Expect(ours[0].ID).To(Equal(sb.Status.Webhook.IntegrationID))
		Expect(ours[0].DisplayName).To(Equal(sbv1.WebhookIntegrationDisplayName))
		wh, err := vendor().GetWebhook(suiteCtx, sb.Status.Webhook.IntegrationID, sb.Status.Webhook.WebhookID)
		Expect(err).NotTo(HaveOccurred())
		Expect(wh.Target).To(Equal(sb.Status.Webhook.URL))
		Expect(wh.Triggers).To(ConsistOf(sunshine.SwitchboardTriggers))

		By("leaving an integration of somebody else alone")
		foreign, err := vendor().CreateCustomIntegration(suiteCtx, sunshine.CustomIntegrationRequest{DisplayName: "botpress",
			Webhook: sunshine.WebhookRequest{Target: base + receiver.PathPrefix + "botpress", Triggers: []string{sunshine.TriggerPassControl}}})
		Expect(err).NotTo(HaveOccurred())

		By("repairing the target and triggers others changed")
		_, err = vendor().UpdateWebhook(suiteCtx, sb.Status.Webhook.IntegrationID, sb.Status.Webhook.WebhookID,
			sunshine.WebhookUpdate{Target: base + "/moved", Triggers: []string{sunshine.TriggerReleaseControl}})
		Expect(err).NotTo(HaveOccurred())
		Expect(k8sClient.Patch(suiteCtx, sb, client.RawPatch("application/merge-patch+json",
			[]byte(`{"metadata":{"annotations":{"`+sbv1.AnnotationRequestedAt+`":"repair-1"}}}`)))).To(Succeed())
		Eventually(func(g Gomega) {
			wh, err := vendor().GetWebhook(suiteCtx, sb.Status.Webhook.IntegrationID, sb.Status.Webhook.WebhookID)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(wh.Target).To(Equal(sb.Status.Webhook.URL))
			g.Expect(wh.Triggers).To(ConsistOf(sunshine.SwitchboardTriggers))
		}).Should(Succeed())

		By("re-creating it when others deleted it")
		Expect(vendor().DeleteIntegration(suiteCtx, sb.Status.Webhook.IntegrationID)).To(Succeed())
		Expect(k8sClient.Patch(suiteCtx, sb, client.RawPatch("application/merge-patch+json",
			[]byte(`{"metadata":{"annotations":{"`+sbv1.AnnotationRequestedAt+`":"repair-2"}}}`)))).To(Succeed())
		Eventually(func(g Gomega) {
			current := switchboardOf(e.ns)
			g.Expect(current.Status.Webhook).NotTo(BeNil())
			g.Expect(current.Status.Webhook.IntegrationID).NotTo(Equal(sb.Status.Webhook.IntegrationID))
			list := customIntegrations()
			ids := make([]string, 0, len(list))
			for _, in := range list {
				ids = append(ids, in.ID)
			}
			g.Expect(ids).To(ConsistOf(current.Status.Webhook.IntegrationID, foreign.ID))
		}).Should(Succeed())

		By("removing it when spec.webhook is removed")
		setWebhookURL(e.ns, "")
		Eventually(func(g Gomega) {
			current := switchboardOf(e.ns)
			g.Expect(current.Status.Webhook).To(BeNil())
			g.Expect(meta.FindStatusCondition(current.Status.Conditions, sbv1.ConditionWebhookReady)).To(BeNil())
			g.Expect(controllerutil.ContainsFinalizer(current, sbv1.FinalizerWebhook)).To(BeFalse())
		}).Should(Succeed())
		remaining := customIntegrations()
		Expect(remaining).To(HaveLen(1))
		Expect(remaining[0].ID).To(Equal(foreign.ID), "the integration it did not create is untouched")
	})

	It("removes the webhook when the Switchboard is deleted", func() {
		setWebhookURL(e.ns, base)
		sb := waitWebhookReady(e.ns)
		Expect(k8sClient.Delete(suiteCtx, sb)).To(Succeed())
		Eventually(func() error {
			return k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(sb), &sbv1.Switchboard{})
		}).Should(Satisfy(isNotFound))
		Expect(customIntegrations()).To(BeEmpty())
	})

	It("reports the vendor's cap of 10 webhooks as WebhookLimitReached", func() {
		for i := range sunshine.MaxWebhooksPerApp {
			_, err := vendor().CreateCustomIntegration(suiteCtx, sunshine.CustomIntegrationRequest{DisplayName: "other",
				Webhook: sunshine.WebhookRequest{Target: base + receiver.PathPrefix + "other-" + string(rune('a'+i)), Triggers: []string{sunshine.TriggerPassControl}}})
			Expect(err).NotTo(HaveOccurred())
		}
		setWebhookURL(e.ns, base)
		Eventually(func(g Gomega) {
			cond := meta.FindStatusCondition(switchboardOf(e.ns).Status.Conditions, sbv1.ConditionWebhookReady)
			g.Expect(cond).NotTo(BeNil())
			g.Expect(cond.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(cond.Reason).To(Equal(sbv1.ReasonWebhookLimitReached))
		}).Should(Succeed())
		Expect(meta.IsStatusConditionTrue(switchboardOf(e.ns).Status.Conditions, sbv1.ConditionReady)).To(BeTrue(),
			"the Switchboard stays Ready: polls still work")
	})

	When("the webhook is managed", func() {
		BeforeEach(func() {
			setWebhookURL(e.ns, base)
			waitWebhookReady(e.ns)
		})

		It("reconciles an external hand-back pushed by the vendor, without a poll", func() {
			conv := newConversation("bot", "")
			cc := e.control("handback", conv, sbv1.StateActive, "agent-workspace") // pollInterval: 1h
			create(cc)
			waitReady(cc)
			reads := sim.Count(sunshinetest.OpGetConversation)
			moveByOthers(conv)
			waitDrifted(cc)
			Expect(sim.Count(sunshinetest.OpGetConversation)-reads).To(BeZero(),
				"the vendor's event carries the conversation: no read for it")
		})

		It("takes the vendor's event after an action as its observation: one read per handoff", func() {
			conv := newConversation("bot", "")
			reads := sim.Count(sunshinetest.OpGetConversation)
			cc := e.control("one-read", conv, sbv1.StateActive, "agent-workspace")
			create(cc)
			got := waitReady(cc)
			Expect(meta.IsStatusConditionTrue(got.Status.Conditions, sbv1.ConditionInSync)).To(BeTrue())
			Expect(sim.Count(sunshinetest.OpGetConversation)-reads).To(Equal(1),
				"the read before the action; the passControl event replaces the read-back")
			Expect(got.Status.History).To(HaveLen(1))
			Expect(got.Status.History[0].Source).To(Equal(sbv1.TransitionByOperator))
		})

		It("records a :failure event with the vendor's error code", func() {
			conv := newConversation("bot", "")
			// Every pass has no effect, so the vendor reports each as a failure, until cleared.
			sim.InjectFault(sunshinetest.OpPassControl, sunshinetest.Fault{NoEffect: true, Times: 1000})
			cc := e.control("refused", conv, sbv1.StateActive, "agent-workspace")
			create(cc)
			Eventually(func(g Gomega) {
				obs, ok := mainManager.webhooks.Observations.Observation(ObservationScope(switchboardOf(e.ns)), conv)
				g.Expect(ok).To(BeTrue())
				g.Expect(obs.Type).To(Equal(sunshine.TriggerPassControlFailure))
				g.Expect(obs.Failed()).To(BeTrue())
				g.Expect(obs.ErrorCode).NotTo(BeEmpty())
				g.Expect(obs.ErrorMessage).NotTo(BeEmpty())
			}).Should(Succeed())
			By("the :failure event is the vendor's refusal: Stalled with the reason of its code, and its code in the message")
			stalled := waitStalled(cc, sbv1.ReasonIntegrationNotFound)
			Expect(condition(stalled, sbv1.ConditionStalled).Message).To(ContainSubstring("switchboard_invalid_target"))
			sim.ClearFaults()
			update(cc, func(c *sbv1.ConversationControl) {
				c.Annotations = map[string]string{sbv1.AnnotationRequestedAt: "after-the-fix"}
			})
			waitReady(cc) // the re-apply lands
		})

		It("answers 401 to a wrong key and enqueues nothing", func() {
			conv := newConversation("bot", "")
			cc := e.control("wrong-key", conv, sbv1.StateActive, "agent-workspace")
			create(cc)
			waitReady(cc)
			quiesceDeliveries(mainManager)
			enqueued := metricValue(mainManager.metrics, "switchboard_operator_webhook_events_total", map[string]string{"outcome": "enqueued"})
			Expect(sim.InjectDeliveryFault(sunshinetest.DeliveryFault{WrongKey: true, Times: 5})).To(Succeed())
			moveByOthers(conv)
			Eventually(func(g Gomega) {
				rejected := slices.ContainsFunc(sim.Deliveries(), func(d sunshinetest.Delivery) bool {
					return d.WrongKey && d.Outcome == sunshinetest.DeliveryRejected &&
						len(d.Attempts) == 1 && d.Attempts[0].Status == http.StatusUnauthorized
				})
				g.Expect(rejected).To(BeTrue(), "a wrong key gets one 401 and no retry: %+v", sim.Deliveries())
			}).Should(Succeed())
			Consistently(func() string {
				return string(condition(get(cc), sbv1.ConditionInSync).Status)
			}, 2*time.Second).Should(Equal(string(metav1.ConditionTrue)), "nothing was enqueued: the drift is not seen before the poll")
			Expect(metricValue(mainManager.metrics, "switchboard_operator_webhook_events_total", map[string]string{"outcome": "enqueued"})).
				To(Equal(enqueued))
			Expect(metricValue(mainManager.metrics, "switchboard_operator_webhook_deliveries_rejected_total", map[string]string{"reason": "unauthorized"})).
				To(BeNumerically(">=", 1))
		})

		It("reconciles once for a duplicate delivery", func() {
			conv := newConversation("bot", "")
			cc := e.control("duplicate", conv, sbv1.StateActive, "agent-workspace")
			create(cc)
			waitReady(cc)
			quiesceDeliveries(mainManager)
			duplicates := metricValue(mainManager.metrics, "switchboard_operator_webhook_events_total", map[string]string{"outcome": "duplicate"})
			enqueued := metricValue(mainManager.metrics, "switchboard_operator_webhook_events_total", map[string]string{"outcome": "enqueued"})
			Expect(sim.InjectDeliveryFault(sunshinetest.DeliveryFault{Duplicate: true})).To(Succeed())
			sim.ResetCounts()
			moveByOthers(conv)
			waitDrifted(cc)
			Eventually(func() bool {
				return slices.ContainsFunc(sim.Deliveries(), func(d sunshinetest.Delivery) bool {
					return d.Duplicate && d.Outcome == sunshinetest.DeliveryDelivered
				})
			}).Should(BeTrue(), "the duplicate was delivered (and answered 200)")
			Eventually(func() float64 {
				return metricValue(mainManager.metrics, "switchboard_operator_webhook_events_total", map[string]string{"outcome": "duplicate"})
			}).Should(BeNumerically(">", duplicates))
			Consistently(func() float64 {
				return metricValue(mainManager.metrics, "switchboard_operator_webhook_events_total", map[string]string{"outcome": "enqueued"}) - enqueued
			}, 2*time.Second).Should(Equal(1.0), "one event woke the object, its duplicate did not")
			Expect(calls(sunshinetest.OpGetConversation)).To(BeZero(), "the event carried the conversation: no read")
		})

		It("reconciles every object of a burst of events", func() {
			const n = 15
			ccs := make([]*sbv1.ConversationControl, 0, n)
			convs := make([]string, 0, n)
			for i := range n {
				conv := newConversation("bot", "")
				cc := e.control("burst-"+string(rune('a'+i)), conv, sbv1.StateActive, "agent-workspace")
				create(cc)
				ccs, convs = append(ccs, cc), append(convs, conv)
			}
			for _, cc := range ccs {
				waitReady(cc)
			}
			for _, conv := range convs {
				moveByOthers(conv)
			}
			for _, cc := range ccs {
				waitDrifted(cc)
			}
		})

		It("leaves the drift to the poll while webhooks do not arrive", func() {
			conv := newConversation("bot", "")
			cc := e.control("polled", conv, sbv1.StateActive, "agent-workspace")
			cc.Spec.PollInterval = &metav1.Duration{Duration: 10 * time.Second}
			create(cc)
			waitReady(cc)
			sim.FlushDeliveries()
			Expect(sim.InjectDeliveryFault(sunshinetest.DeliveryFault{Drop: true, Times: 10})).To(Succeed())
			moveByOthers(conv)
			Eventually(func() bool {
				return slices.ContainsFunc(sim.Deliveries(), func(d sunshinetest.Delivery) bool { return d.Outcome == sunshinetest.DeliveryDropped })
			}).Should(BeTrue())
			Eventually(func(g Gomega) {
				inSync := condition(get(cc), sbv1.ConditionInSync)
				g.Expect(inSync.Status).To(Equal(metav1.ConditionFalse))
			}).WithTimeout(30 * time.Second).Should(Succeed())
		})
	})
})

var _ = Describe("Webhooks with two replicas", func() {
	It("passes an event delivered to the replica that does not lead to the leader", func() {
		const partition = "webhook-replicas"
		leaseNs := newNamespace()
		withLeaderElection := func(o *ctrl.Options) {
			o.LeaderElection = true
			o.LeaderElectionID = "switchboard-operator-test-webhooks"
			o.LeaderElectionNamespace = leaseNs
			o.LeaderElectionReleaseOnCancel = true
			o.LeaseDuration = ptrTo(4 * time.Second)
			o.RenewDeadline = ptrTo(2 * time.Second)
			o.RetryPeriod = ptrTo(500 * time.Millisecond)
		}
		first := runManager("first", partition, suiteOptions, withLeaderElection)
		second := runManager("second", partition, suiteOptions, withLeaderElection)
		Eventually(func() int {
			n := 0
			for _, m := range []*runningManager{first, second} {
				if m.elected() {
					n++
				}
			}
			return n
		}).Should(Equal(1))
		leader, follower := first, second
		if second.elected() {
			leader, follower = second, first
		}

		e := newEnvFor(partition)
		setWebhookURL(e.ns, receiverURL(follower)) // the vendor reaches the replica that does not lead
		waitWebhookReady(e.ns)
		conv := newConversation("bot", "")
		cc := e.control("replicas", conv, sbv1.StateActive, "agent-workspace")
		create(cc)
		waitReady(cc)
		quiesceDeliveries(follower)
		routed := metricValue(follower.metrics, "switchboard_operator_webhook_events_total", map[string]string{"outcome": "routed"})
		Expect(routed).To(BeNumerically(">=", 1), "the follower routed the event of the operator's own handoff")

		moveByOthers(conv)
		waitDrifted(cc)
		Eventually(func(g Gomega) {
			g.Expect(get(cc).Annotations).To(HaveKeyWithValue(sbv1.AnnotationObservedEvent, ContainSubstring(`"name":"bot"`)),
				"the follower routed the event through the API server")
			obs, ok := leader.webhooks.Observations.Observation(ObservationScope(switchboardOf(e.ns)), conv)
			g.Expect(ok).To(BeTrue(), "the leader recorded the follower's observation")
			g.Expect(obs.Active).NotTo(BeNil())
			g.Expect(obs.Active.Name).To(Equal("bot"))
		}).Should(Succeed())
		Expect(metricValue(follower.metrics, "switchboard_operator_webhook_events_total", map[string]string{"outcome": "routed"})).
			To(BeNumerically(">", routed))
		_, followerHas := follower.webhooks.Observations.Observation(ObservationScope(switchboardOf(e.ns)), conv)
		Expect(followerHas).To(BeFalse(), "the follower keeps nothing itself")
		Expect(leader.elected()).To(BeTrue())
	})
})
