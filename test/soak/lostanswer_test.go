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

package soak

import (
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// A handoff whose answer is lost, on the soak's fault API: applied once, recorded, and
// released on delete.

var _ = Describe("Lost answers", Label("reliability"), func() {
	DescribeTable("records a handoff whose answer was lost, and releases the conversation on delete with deletionPolicy Release",
		func(lost sunshinetest.Fault, stopWhileSent bool) {
			const partition = "lost-answer"
			api := newFaultAPI(suiteOptions.APITimeout)
			mgr := runManager(partition, partition, suiteOptions)
			ns := api.newSwitchboard(partition)
			const conv = "lost-answer-conv"
			Expect(api.sim.SetConversation(testAppID, conv, sunshinetest.ConversationState{Active: "bot"})).To(Succeed())
			api.inject(sunshinetest.OpPassControl, lost)
			lostAnswersTaken := func() int { return api.faultsTaken().of(sunshinetest.OpPassControl, lostAnswers...) }
			passes := func() int { return api.requests(sunshinetest.OpPassControl) }
			cc := control(ns, partition, "lost-answer", conv, sbv1.StateActive, "agent-workspace")
			cc.Spec.DeletionPolicy = sbv1.DeletionPolicyRelease
			create(cc)
			if stopWhileSent {
				By("stopping the manager while the passControl waits for its answer")
				Eventually(lostAnswersTaken).Should(Equal(1), "the passControl arrived")
				mgr.stop()
				Expect(passes()).To(BeZero(), "the manager stopped before the simulator handled the passControl")
				By("the simulator applies the passControl while no manager runs; starting another")
				Eventually(passes).WithTimeout(2 * lost.Latency).Should(Equal(1))
				runManager(partition+"-again", partition, suiteOptions)
			}

			got := waitReady(cc)
			Expect(api.live(conv)).To(Equal(sunshinetest.ConversationState{Active: "agent-workspace"}))
			Expect(api.faultsTaken()).To(Equal(faultCounts{sunshinetest.OpPassControl: {api.kindOf(lost): 1}}),
				"the passControl took the lost answer")
			Expect(api.sim.Faults()).To(BeEmpty(), "the fault is used up")
			Eventually(api.statuses).WithArguments(sunshinetest.OpPassControl).Should(Equal(map[int]int{0: 1}),
				"the passControl landed, its answer was lost, and it was not sent again")

			By("deleting the object: the conversation is where the object put it")
			deleteAndWait(cc, 20*time.Second)
			Expect(api.live(conv)).To(Equal(sunshinetest.ConversationState{}),
				"released on delete (status.lastAppliedAction was %+v)", got.Status.LastAppliedAction)
			Expect(api.statuses(sunshinetest.OpReleaseControl)).To(Equal(map[int]int{http.StatusOK: 1}))
			Expect(api.statuses(sunshinetest.OpPassControl)).To(Equal(map[int]int{0: 1}), "no passControl since")
			Expect(got.Status.LastAppliedAction).NotTo(BeNil())
			Expect(got.Status.LastAppliedAction.Action).To(Equal(sbv1.ActionPassControl))
		},
		Entry("to a connection closed after the vendor applied it", sunshinetest.Fault{LostAnswer: true}, false),
		Entry("to the client's timeout (the vendor applies it as the client gives up)",
			sunshinetest.Fault{LostAnswer: true, Latency: suiteOptions.APITimeout}, false),
		Entry("to a manager stop", sunshinetest.Fault{LostAnswer: true, Latency: 3 * suiteOptions.APITimeout}, true),
	)
})
