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
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	coordinationv1 "k8s.io/api/coordination/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// Reliability: two managers with leader election handing the work over. The soak (many
// objects under API faults and manager restarts) is a suite of its own, in test/soak.

// runManager starts a manager for the objects labelled testManagerLabel=partition with a
// registry of its own, and stops it when the spec ends.
func runManager(name, partition string, opts Options, edit func(*ctrl.Options)) *runningManager {
	m := startManager(suiteCtx, cfg, name, partition, opts, prometheus.NewRegistry(), edit)
	DeferCleanup(m.stop)
	return m
}

var _ = Describe("Reliability", Label("reliability"), func() {
	It("lets the other manager finish the pending handoffs when the leader stops", func() {
		const partition = "leader-election"
		leaseNs := newNamespace()
		const leaseName = "switchboard-operator-test-leader"
		withLeaderElection := func(o *ctrl.Options) {
			o.LeaderElection = true
			o.LeaderElectionID = leaseName
			o.LeaderElectionNamespace = leaseNs
			o.LeaderElectionReleaseOnCancel = true
			o.LeaseDuration = ptrTo(4 * time.Second)
			o.RenewDeadline = ptrTo(2 * time.Second)
			o.RetryPeriod = ptrTo(500 * time.Millisecond)
		}
		first := runManager("first", partition, suiteOptions, withLeaderElection)
		second := runManager("second", partition, suiteOptions, withLeaderElection)

		By("waiting for one of the two to be elected")
		electedOnes := func() []string {
			var names []string
			for _, m := range []*runningManager{first, second} {
				if m.elected() {
					names = append(names, m.name)
				}
			}
			return names
		}
		Eventually(electedOnes).Should(HaveLen(1))
		Consistently(electedOnes, time.Second).Should(HaveLen(1), "one leader at a time")
		leader, follower := first, second
		if second.elected() {
			leader, follower = second, first
		}
		holder := leaseHolder(leaseNs, leaseName)
		Expect(holder).NotTo(BeEmpty())

		e := newEnvFor(partition)
		convNext, convName, convOffer := newConversation("bot", ""), newConversation("bot", ""), newConversation("bot", "")
		ccNext := e.control("next", convNext, sbv1.StateActive, sbv1.IntegrationNext)
		ccName := e.control("by-name", convName, sbv1.StateActive, "agent-workspace")
		ccOffer := e.control("offer", convOffer, sbv1.StateOffered, "agent-workspace")
		for _, cc := range []*sbv1.ConversationControl{ccNext, ccName, ccOffer} {
			create(cc)
		}
		for _, cc := range []*sbv1.ConversationControl{ccNext, ccName, ccOffer} {
			waitReady(cc)
		}
		Expect(liveState(convOffer)).To(Equal(sunshinetest.ConversationState{Active: "bot", Pending: "agent-workspace"}))
		Expect(follower.elected()).To(BeFalse(), "the follower stays a follower while the leader runs")

		By(fmt.Sprintf("stopping the leader (%s) and declaring more handoffs", leader.name))
		leader.stop()
		update(ccOffer, func(c *sbv1.ConversationControl) { c.Spec.State = sbv1.StateActive })
		update(ccName, func(c *sbv1.ConversationControl) { c.Spec.Integration = "partner" })
		convNext2, convRelease := newConversation("agent-workspace", ""), newConversation("bot", "partner")
		ccNext2 := e.control("next-after", convNext2, sbv1.StateActive, sbv1.IntegrationNext)
		ccRelease := e.control("release-after", convRelease, sbv1.StateReleased, "")
		create(ccNext2)
		create(ccRelease)

		By(fmt.Sprintf("the other manager (%s) takes over", follower.name))
		Eventually(follower.mgr.Elected()).WithTimeout(15 * time.Second).Should(BeClosed())
		Expect(leaseHolder(leaseNs, leaseName)).NotTo(Equal(holder), "the lease changed hands")
		for _, cc := range []*sbv1.ConversationControl{ccNext, ccName, ccOffer, ccNext2, ccRelease} {
			waitReady(cc)
		}
		Expect(liveState(convNext)).To(Equal(sunshinetest.ConversationState{Active: "agent-workspace"}), "one hop from bot")
		Expect(liveState(convName)).To(Equal(sunshinetest.ConversationState{Active: "partner"}))
		Expect(liveState(convOffer)).To(Equal(sunshinetest.ConversationState{Active: "agent-workspace"}))
		Expect(liveState(convNext2)).To(Equal(sunshinetest.ConversationState{Active: "bot"}), "one hop from agent-workspace")
		Expect(liveState(convRelease)).To(Equal(sunshinetest.ConversationState{}))
		Expect(get(ccOffer).Status.LastAppliedAction.Action).To(Equal(sbv1.ActionAcceptControl))

		wantCalls := map[sunshinetest.Operation]int{
			sunshinetest.OpPassControl:    4, // next, by name, by name again, next-after
			sunshinetest.OpOfferControl:   1,
			sunshinetest.OpAcceptControl:  1,
			sunshinetest.OpReleaseControl: 1,
		}
		actionCalls := func() map[sunshinetest.Operation]int {
			out := map[sunshinetest.Operation]int{}
			for op := range wantCalls {
				out[op] = calls(op)
			}
			return out
		}
		Expect(actionCalls()).To(Equal(wantCalls), "each handoff exactly once")
		Consistently(actionCalls, quiet).Should(Equal(wantCalls))
	})
})

// leaseHolder is the holder of a leader election Lease, "" when nobody holds it.
func leaseHolder(ns, name string) string {
	lease := &coordinationv1.Lease{}
	Expect(k8sClient.Get(suiteCtx, client.ObjectKey{Namespace: ns, Name: name}, lease)).To(Succeed())
	if lease.Spec.HolderIdentity == nil {
		return ""
	}
	return *lease.Spec.HolderIdentity
}
