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
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// eventReasons lists the reasons of the Events about one object.
func eventReasons(ns, name string) []string {
	var list eventsv1.EventList
	Expect(k8sClient.List(suiteCtx, &list, client.InNamespace(ns))).To(Succeed())
	var reasons []string
	for _, ev := range list.Items {
		if ev.Regarding.Name == name {
			reasons = append(reasons, ev.Reason)
		}
	}
	return reasons
}

// deleteAndWait deletes obj and waits until it is gone.
func deleteAndWait(obj client.Object, within time.Duration) {
	Expect(k8sClient.Delete(suiteCtx, obj)).To(Succeed())
	Eventually(func() error {
		return k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(obj), obj)
	}).WithTimeout(within).Should(Satisfy(isNotFound))
}

var _ = Describe("ConversationControl deletion", func() {
	var e env
	BeforeEach(func() { e = newEnv() })

	It("leaves the conversation as it is with deletionPolicy Orphan, without a finalizer", func() {
		conv := newConversation("bot", "")
		cc := e.control("orphan", conv, sbv1.StateActive, "agent-workspace")
		cc.Spec.DeletionPolicy = sbv1.DeletionPolicyOrphan
		create(cc)
		got := waitReady(cc)
		Expect(got.Finalizers).To(BeEmpty())
		deleteAndWait(cc, 5*time.Second)
		Expect(liveState(conv).Active).To(Equal("agent-workspace"))
		Expect(calls(sunshinetest.OpReleaseControl)).To(BeZero())
	})

	It("releases the conversation with deletionPolicy Release", func() {
		conv := newConversation("bot", "")
		cc := e.control("release-on-delete", conv, sbv1.StateActive, "agent-workspace")
		cc.Spec.DeletionPolicy = sbv1.DeletionPolicyRelease
		create(cc)
		got := waitReady(cc)
		Expect(controllerutil.ContainsFinalizer(got, sbv1.FinalizerRelease)).To(BeTrue())
		deleteAndWait(cc, 10*time.Second)
		Expect(liveState(conv)).To(Equal(sunshinetest.ConversationState{}))
		Expect(calls(sunshinetest.OpReleaseControl)).To(Equal(1))
	})

	It("does not release a conversation that moved on since this object put it there", func() {
		conv := newConversation("bot", "")
		cc := e.control("moved-on", conv, sbv1.StateActive, "agent-workspace")
		cc.Spec.DeletionPolicy = sbv1.DeletionPolicyRelease
		create(cc)
		waitReady(cc)
		Expect(sim.SetConversation(testAppID, conv, sunshinetest.ConversationState{Active: "bot"})).To(Succeed())
		deleteAndWait(cc, 10*time.Second)
		Expect(liveState(conv).Active).To(Equal("bot"))
		Expect(calls(sunshinetest.OpReleaseControl)).To(BeZero())
		Eventually(func() []string { return eventReasons(e.ns, "moved-on") }).Should(ContainElement(sbv1.EventReasonReleaseSkipped))
	})

	It("finishes deletion within the bound while the API is down, with a Warning event", func() {
		conv := newConversation("bot", "")
		cc := e.control("api-down", conv, sbv1.StateActive, "agent-workspace")
		cc.Spec.DeletionPolicy = sbv1.DeletionPolicyRelease
		create(cc)
		waitReady(cc)
		sim.InjectFault("", sunshinetest.Fault{Status: 503, Times: 1000})
		DeferCleanup(sim.ClearFaults)
		deleteAndWait(cc, suiteOptions.DeletionTimeout+10*time.Second)
		Expect(calls(sunshinetest.OpReleaseControl)).To(BeZero())
		Expect(eventReasons(e.ns, "api-down")).To(ContainElement(sbv1.EventReasonReleaseSkipped))
	})

	It("deletes a suspended object without calling the API", func() {
		conv := newConversation("bot", "")
		cc := e.control("suspended-delete", conv, sbv1.StateActive, "agent-workspace")
		cc.Spec.DeletionPolicy = sbv1.DeletionPolicyRelease
		create(cc)
		waitReady(cc)
		update(cc, func(c *sbv1.ConversationControl) { c.Spec.Suspend = true })
		Eventually(func() string { return condition(get(cc), sbv1.ConditionReady).Reason }).Should(Equal(sbv1.ReasonSuspended))
		sim.ResetCounts()
		deleteAndWait(cc, 5*time.Second)
		Expect(conversationCalls()).To(BeZero())
		Expect(liveState(conv).Active).To(Equal("agent-workspace"))
	})
})

var _ = Describe("A crash between the API call and the status write", func() {
	It("never applies `next` twice for one generation", func() {
		e := newEnv()
		conv := newConversation("bot", "")
		cc := e.control("crash", conv, sbv1.StateActive, sbv1.IntegrationNext)
		failed := make(chan struct{}, 1)
		hook := func(obj client.Object, patch []byte) bool {
			if obj.GetName() != "crash" || !bytes.Contains(patch, []byte("lastAppliedAction")) {
				return false
			}
			select {
			case failed <- struct{}{}:
				return true // fail the first status write after the call, once
			default:
				return false
			}
		}
		statusPatchFault.Store(&hook)
		DeferCleanup(func() { statusPatchFault.Store(nil) })
		sim.ResetCounts()
		create(cc)

		Eventually(failed).Should(HaveLen(1), "the status write after the call failed")
		got := waitReady(cc)
		Expect(calls(sunshinetest.OpPassControl)).To(Equal(1))
		Expect(liveState(conv).Active).To(Equal("agent-workspace"), "one hop from bot, not two")
		Expect(got.Status.InFlightAction).To(BeNil())
		Expect(got.Status.LastAppliedAction.Reached.Name).To(Equal("agent-workspace"))
		Consistently(func() int { return calls(sunshinetest.OpPassControl) }, quiet).Should(Equal(1))
	})
})
