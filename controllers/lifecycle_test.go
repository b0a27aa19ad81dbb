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
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// movableClock is a clock a spec moves forward.
type movableClock struct{ offset atomic.Int64 }

func (c *movableClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *movableClock) advance(d time.Duration) { c.offset.Add(int64(d)) }
func runManagerWithClock(name, partition string, clock func() time.Time) *runningManager {
	managerClock = clock
	defer func() { managerClock = nil }()
	return runManager(name, partition, suiteOptions, nil)
}

// poke changes a label, so that the object is reconciled now.
func poke(cc *sbv1.ConversationControl) {
	update(cc, func(c *sbv1.ConversationControl) {
		c.Labels["poked"] = fmt.Sprint(time.Now().UnixNano())
	})
}

// expiredEvents lists the Expired Events of the objects in ns.
func expiredEvents(ns string) []string {
	var list eventsv1.EventList
	Expect(k8sClient.List(suiteCtx, &list, client.InNamespace(ns))).To(Succeed())
	var names []string
	for _, e := range list.Items {
		if e.Reason == sbv1.EventReasonExpired {
			names = append(names, e.Regarding.Name)
		}
	}
	return names
}

var _ = Describe("Objects that finish go away", Label("ttl"), func() {
	const partition = "ttl"
	var clock *movableClock

	BeforeEach(func() {
		clock = &movableClock{}
		m := runManagerWithClock("ttl", partition, clock.now)
		DeferCleanup(m.stop)
	})

	gone := func(cc *sbv1.ConversationControl) func() error {
		return func() error {
			return k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(cc), &sbv1.ConversationControl{})
		}
	}

	It("deletes an applied Released declaration when its TTL runs out, with an Event", func() {
		e := newEnvFor(partition)
		cc := e.control("released", newConversation("bot", ""), sbv1.StateReleased, "")
		cc.Spec.TTLSecondsAfterFinished = ptrTo(int32(600))
		create(cc)
		got := waitReady(cc)
		Expect(got.Status.FinishedTime).NotTo(BeNil(), "a Released declaration that was applied is finished")
		Expect(got.Status.ExpiresAt).NotTo(BeNil())
		Expect(got.Status.ExpiresAt.Sub(got.Status.FinishedTime.Time)).To(Equal(600 * time.Second))

		By("nothing happens before the TTL runs out")
		clock.advance(590 * time.Second)
		poke(cc)
		Consistently(gone(cc), 2*time.Second).Should(Succeed())

		By("the TTL runs out")
		clock.advance(20 * time.Second)
		poke(cc)
		Eventually(gone(cc)).WithTimeout(20 * time.Second).Should(Satisfy(isNotFound))
		Eventually(func() []string { return expiredEvents(e.ns) }).Should(ContainElement("released"))
	})

	It("counts a conversation released by others under Report as finished, and a new declaration as not", func() {
		e := newEnvFor(partition)
		conv := newConversation("bot", "")
		cc := e.control("closed-ticket", conv, sbv1.StateActive, "agent-workspace")
		cc.Spec.TTLSecondsAfterFinished = ptrTo(int32(60))
		create(cc)
		Expect(waitReady(cc).Status.FinishedTime).To(BeNil(), "an applied Active declaration in effect is not finished")

		By("the ticket closes and control is released by others")
		Expect(sim.SetConversation(testAppID, conv, sunshinetest.ConversationState{})).To(Succeed())
		poke(cc)
		Eventually(func(g Gomega) {
			g.Expect(get(cc).Status.ExpiresAt).NotTo(BeNil())
		}).Should(Succeed())
		Expect(get(cc).Status.Declaration.State).To(Equal(sbv1.StateActive))

		By("a new declaration before the TTL runs out keeps the object")
		update(cc, func(c *sbv1.ConversationControl) { c.Spec.Integration = "bot" })
		Eventually(func(g Gomega) {
			got := get(cc)
			g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
			g.Expect(got.Status.FinishedTime).To(BeNil())
			g.Expect(got.Status.ExpiresAt).To(BeNil())
		}).Should(Succeed())
		clock.advance(2 * time.Minute)
		poke(cc)
		Consistently(gone(cc), 2*time.Second).Should(Succeed())
	})

	It("deletes an object whose conversation does not exist, through its Release finalizer", func() {
		e := newEnvFor(partition)
		cc := e.control("missing", "conv-that-never-was", sbv1.StateActive, "bot")
		cc.Spec.TTLSecondsAfterFinished = ptrTo(int32(0))
		cc.Spec.DeletionPolicy = sbv1.DeletionPolicyRelease
		create(cc)
		Eventually(gone(cc)).WithTimeout(20 * time.Second).Should(Satisfy(isNotFound))
		Eventually(func() []string { return expiredEvents(e.ns) }).Should(ContainElement("missing"))
	})
})

var _ = Describe("A restart costs nothing", Label("restart"), func() {
	It("makes no vendor call for objects in sync until their polls are due, and serves a new object at once", func() {
		const partition = "restart"
		var mu sync.Mutex
		calls := map[string]int{}
		srv, err := sunshinetest.NewServer(testSeed(), sunshinetest.WithRequestHook(func(info sunshinetest.RequestInfo) {
			if info.ConversationID != "" {
				mu.Lock()
				calls[info.ConversationID]++
				mu.Unlock()
			}
		}))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Close)
		total := func() int {
			mu.Lock()
			defer mu.Unlock()
			n := 0
			for _, c := range calls {
				n += c
			}
			return n
		}

		e := env{ns: newNamespace(), partition: partition}
		first := runManager("restart-1", partition, suiteOptions, nil)
		createReadySwitchboard(e.ns, srv.URL, e.labels(), sbv1.RateLimit{RequestsPerSecond: 100, Burst: 100})
		const n = 20
		objs := make([]*sbv1.ConversationControl, 0, n)
		for i := range n {
			conv := fmt.Sprintf("restart-%d", i)
			Expect(srv.SetConversation(testAppID, conv, sunshinetest.ConversationState{Active: "bot"})).To(Succeed())
			cc := e.control(conv, conv, sbv1.StateActive, "agent-workspace")
			cc.Spec.PollInterval = &metav1.Duration{Duration: 5 * time.Minute}
			create(cc)
			objs = append(objs, cc)
		}
		for _, cc := range objs {
			waitReady(cc)
		}
		first.stop()
		before := total()

		By("a new manager starts over the same objects")
		second := runManager("restart-2", partition, suiteOptions, nil)
		DeferCleanup(second.stop)
		Consistently(total, 3*time.Second).Should(Equal(before), "objects in sync make no call after a restart")

		By("a new object does not wait behind them")
		Expect(srv.SetConversation(testAppID, "restart-new", sunshinetest.ConversationState{Active: "bot"})).To(Succeed())
		fresh := e.control("restart-new", "restart-new", sbv1.StateActive, "agent-workspace")
		create(fresh)
		waitReady(fresh)
		Expect(total()-before).To(Equal(calls["restart-new"]), "only the new object called the vendor")
		for _, cc := range objs {
			Expect(get(cc).Status.ObservedGeneration).To(Equal(int64(1)))
		}
	})
})
