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
	"errors"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

var partner = &sbv1.IntegrationReference{ID: "si-partner", Name: "partner", IntegrationType: "partner-oauth-client"}

// planSwitchboard lists bot -> agent-workspace -> bot, and a partner without a next link.
func planSwitchboard() *sbv1.Switchboard {
	sb := readySwitchboardObject()
	sb.Status.Integrations = []sbv1.SwitchboardIntegrationStatus{
		{ID: bot.ID, Name: bot.Name, IntegrationType: bot.IntegrationType, Next: agents.Name},
		{ID: agents.ID, Name: agents.Name, IntegrationType: agents.IntegrationType, Next: bot.Name},
		{ID: partner.ID, Name: partner.Name, IntegrationType: partner.IntegrationType},
	}
	return sb
}

func liveOf(active, pending *sbv1.IntegrationReference) *sbv1.LiveState {
	return &sbv1.LiveState{Active: active.DeepCopy(), Pending: pending.DeepCopy()}
}

// specOf is a spec declaring state and integration, polled every five minutes.
func specOf(state sbv1.ControlState, integration string) sbv1.ConversationControlSpec {
	return sbv1.ConversationControlSpec{
		SwitchboardRef: sbv1.LocalObjectReference{Name: "acme"}, ConversationID: "c1",
		State: state, Integration: integration, DriftPolicy: sbv1.DriftPolicyReport,
		PollInterval: &metav1.Duration{Duration: 5 * time.Minute},
	}
}

// inputOf is decide's input for generation gen of spec, with status and live.
// An explicit integration is resolved as the reconciler's integration phase does.
func inputOf(gen int64, spec sbv1.ConversationControlSpec, st sbv1.ConversationControlStatus, live *sbv1.LiveState) planInput {
	in := planInput{Generation: gen, Spec: spec, Status: st, Now: now, Switchboard: planSwitchboard(), Live: live}
	if spec.State != sbv1.StateReleased && spec.Integration != sbv1.IntegrationNext {
		target, err := resolveIntegration(in.Switchboard, spec.Integration)
		if err != nil {
			in.Blocked = &failure{Reason: sbv1.ReasonIntegrationNotFound, Terminal: true, Message: err.Error()}
		}
		in.Explicit = target
	}
	return in
}

// record is an applied or in-flight action of generation 1.
func record(action sbv1.Action, state sbv1.ControlState, integration string, reached *sbv1.IntegrationReference, before *sbv1.LiveState, ago time.Duration) *sbv1.AppliedAction {
	return &sbv1.AppliedAction{Action: action, State: state, Integration: integration, Generation: 1,
		Time: metav1.NewTime(now.Add(-ago)), Reached: reached.DeepCopy(), Before: before}
}

func declared(state sbv1.ControlState, integration string, since int64, target *sbv1.IntegrationReference) *sbv1.Declaration {
	return &sbv1.Declaration{State: state, Integration: integration, Since: since, Target: target.DeepCopy()}
}

func transient(reason string, retryAfter time.Duration) *failure {
	return &failure{Reason: reason, Message: "the API is unavailable", RetryAfter: retryAfter, Err: errors.New("unavailable")}
}

func refusedWith(reason string) *failure {
	return &failure{Reason: reason, Terminal: true, Message: "refused by the vendor"}
}

// expect checks one plan.
type expect struct {
	action      sbv1.Action
	target      *sbv1.IntegrationReference
	ready       metav1.ConditionStatus
	readyReason string
	inSync      metav1.ConditionStatus
	// stalled or reconciling, when set, is the reason the condition must have (True).
	stalled, reconciling string
	finished             bool
	check                func(t *testing.T, p plan)
}

func (e expect) verify(t *testing.T, p plan) {
	t.Helper()
	if p.Action != e.action || !sameIntegration(p.Target, e.target) {
		t.Errorf("action = %q to %v, want %q to %v", p.Action, p.Target, e.action, e.target)
	}
	e.verifyConditions(t, p.Status.Conditions)
	if p.Outcome.Finished != e.finished {
		t.Errorf("finished = %v, want %v", p.Outcome.Finished, e.finished)
	}
	if e.check != nil {
		e.check(t, p)
	}
}

// verifyConditions checks Ready and InSync (when expected), Stalled and Reconciling (True
// with the reason, or absent), and that every condition carries an observedGeneration.
func (e expect) verifyConditions(t *testing.T, conds []metav1.Condition) {
	t.Helper()
	if e.ready != "" {
		c := meta.FindStatusCondition(conds, sbv1.ConditionReady)
		if c == nil || c.Status != e.ready || (e.readyReason != "" && c.Reason != e.readyReason) {
			t.Errorf("Ready = %+v, want %s %s", c, e.ready, e.readyReason)
		}
	}
	if e.inSync != "" {
		if c := meta.FindStatusCondition(conds, sbv1.ConditionInSync); c == nil || c.Status != e.inSync {
			t.Errorf("InSync = %+v, want %s", c, e.inSync)
		}
	}
	for condType, reason := range map[string]string{sbv1.ConditionStalled: e.stalled, sbv1.ConditionReconciling: e.reconciling} {
		c := meta.FindStatusCondition(conds, condType)
		switch {
		case reason == "" && c != nil:
			t.Errorf("%s = %+v, want none", condType, c)
		case reason != "" && (c == nil || c.Status != metav1.ConditionTrue || c.Reason != reason):
			t.Errorf("%s = %+v, want True %s", condType, c, reason)
		}
	}
	for _, c := range conds {
		if c.ObservedGeneration == 0 {
			t.Errorf("condition %s carries no observedGeneration", c.Type)
		}
	}
}

func TestDecideFollowsTheDecisionTable(t *testing.T) {
	active, offered := sbv1.StateActive, sbv1.StateOffered
	cases := []struct {
		name string
		in   planInput
		want expect
	}{
		{"Active X with X pending accepts the offer",
			inputOf(1, specOf(active, "agent-workspace"), sbv1.ConversationControlStatus{}, liveOf(bot, agents)),
			expect{action: sbv1.ActionAcceptControl, target: agents, ready: metav1.ConditionFalse, reconciling: sbv1.ReasonProgressing}},
		{"Active X with X already active does nothing and adopts the declaration",
			inputOf(1, specOf(active, "agent-workspace"), sbv1.ConversationControlStatus{}, liveOf(agents, nil)),
			expect{ready: metav1.ConditionTrue, readyReason: sbv1.ReasonSucceeded, inSync: metav1.ConditionTrue, finished: true,
				check: func(t *testing.T, p plan) {
					if last := p.Status.LastAppliedAction; last == nil || !last.Adopted || last.Reached != nil {
						t.Errorf("lastAppliedAction = %+v, want adopted and reaching nothing", last)
					}
				}}},
		{"Active X with another integration active passes control to X by id",
			inputOf(1, specOf(active, "agent-workspace"), sbv1.ConversationControlStatus{}, liveOf(bot, nil)),
			expect{action: sbv1.ActionPassControl, target: agents, ready: metav1.ConditionFalse, reconciling: sbv1.ReasonProgressing}},
		{"Active X with nothing active passes control",
			inputOf(1, specOf(active, "bot"), sbv1.ConversationControlStatus{}, liveOf(nil, nil)),
			expect{action: sbv1.ActionPassControl, target: bot, ready: metav1.ConditionFalse, reconciling: sbv1.ReasonProgressing}},
		{"Active X with another integration pending passes control",
			inputOf(1, specOf(active, "bot"), sbv1.ConversationControlStatus{}, liveOf(nil, agents)),
			expect{action: sbv1.ActionPassControl, target: bot, ready: metav1.ConditionFalse, reconciling: sbv1.ReasonProgressing}},
		{"Offered X with X already pending does nothing",
			inputOf(1, specOf(offered, "agent-workspace"), sbv1.ConversationControlStatus{}, liveOf(bot, agents)),
			expect{ready: metav1.ConditionTrue, readyReason: sbv1.ReasonSucceeded, inSync: metav1.ConditionTrue, finished: true}},
		{"Offered X with X already active does nothing and says so",
			inputOf(1, specOf(offered, "agent-workspace"), sbv1.ConversationControlStatus{}, liveOf(agents, nil)),
			expect{ready: metav1.ConditionTrue, readyReason: sbv1.ReasonAlreadyActive, inSync: metav1.ConditionTrue, finished: true}},
		{"Offered X otherwise offers control",
			inputOf(1, specOf(offered, "agent-workspace"), sbv1.ConversationControlStatus{}, liveOf(bot, nil)),
			expect{action: sbv1.ActionOfferControl, target: agents, ready: metav1.ConditionFalse, reconciling: sbv1.ReasonProgressing}},
		{"Released with nothing active or pending does nothing",
			inputOf(1, specOf(sbv1.StateReleased, ""), sbv1.ConversationControlStatus{}, liveOf(nil, nil)),
			expect{ready: metav1.ConditionTrue, inSync: metav1.ConditionTrue, finished: true}},
		{"Released with an active integration releases control",
			inputOf(1, specOf(sbv1.StateReleased, ""), sbv1.ConversationControlStatus{}, liveOf(bot, nil)),
			expect{action: sbv1.ActionReleaseControl, ready: metav1.ConditionFalse, reconciling: sbv1.ReasonProgressing}},
		{"Released with only a pending integration releases control",
			inputOf(1, specOf(sbv1.StateReleased, ""), sbv1.ConversationControlStatus{}, liveOf(nil, agents)),
			expect{action: sbv1.ActionReleaseControl, ready: metav1.ConditionFalse, reconciling: sbv1.ReasonProgressing}},
		{"an unknown integration is Stalled IntegrationNotFound without a call",
			inputOf(1, specOf(active, "agnet-workspace"), sbv1.ConversationControlStatus{}, liveOf(bot, nil)),
			expect{ready: metav1.ConditionFalse, stalled: sbv1.ReasonIntegrationNotFound, finished: true}},
		{"next resolves to the next link of the active integration and sends its id, recorded before sending",
			inputOf(1, specOf(active, "next"), sbv1.ConversationControlStatus{}, liveOf(bot, nil)),
			expect{action: sbv1.ActionPassControl, target: agents, ready: metav1.ConditionFalse, reconciling: sbv1.ReasonProgressing,
				check: func(t *testing.T, p plan) {
					if !p.PersistFirst || p.Status.InFlightAction == nil || !sameIntegration(p.Status.Declaration.Target, agents) {
						t.Errorf("want the resolved next and the action in flight persisted first; got persist=%v declaration=%+v in flight=%+v",
							p.PersistFirst, p.Status.Declaration, p.Status.InFlightAction)
					}
				}}},
		{"next with nothing active is Stalled NoNextIntegration without a call",
			inputOf(1, specOf(active, "next"), sbv1.ConversationControlStatus{}, liveOf(nil, nil)),
			expect{ready: metav1.ConditionFalse, stalled: sbv1.ReasonNoNextIntegration, finished: true}},
		{"next from an integration without a next link is Stalled NoNextIntegration without a call",
			inputOf(1, specOf(active, "next"), sbv1.ConversationControlStatus{}, liveOf(partner, nil)),
			expect{ready: metav1.ConditionFalse, stalled: sbv1.ReasonNoNextIntegration, finished: true}},
		{"suspended: Ready=False Suspended and no call",
			func() planInput {
				in := inputOf(1, specOf(active, "bot"), sbv1.ConversationControlStatus{}, nil)
				in.Spec.Suspend = true
				return in
			}(),
			expect{ready: metav1.ConditionFalse, readyReason: sbv1.ReasonSuspended, finished: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.want.verify(t, decide(tc.in)) })
	}
}

// appliedStatus is the status after a confirmed pass to agent-workspace, declared Active
// agent-workspace in generation 1, ago before now.
func appliedStatus(ago time.Duration) sbv1.ConversationControlStatus {
	const integration, gen = "agent-workspace", 1
	target := agents
	return sbv1.ConversationControlStatus{
		Declaration:       declared(sbv1.StateActive, integration, gen, nil),
		LastAppliedAction: record(sbv1.ActionPassControl, sbv1.StateActive, integration, target, liveOf(bot, nil), ago),
		Conditions: []metav1.Condition{{Type: sbv1.ConditionInSync, Status: metav1.ConditionTrue, Reason: sbv1.ReasonInSync, ObservedGeneration: gen},
			{Type: sbv1.ConditionReady, Status: metav1.ConditionTrue, Reason: sbv1.ReasonSucceeded, ObservedGeneration: gen}},
	}
}

func TestDecideDriftAndReapply(t *testing.T) {
	enforce := func(in planInput) planInput { in.Spec.DriftPolicy = sbv1.DriftPolicyEnforce; return in }
	requested := func(in planInput) planInput { in.RequestedAt = "2026-11-27T10:00:00Z"; return in }
	cases := []struct {
		name string
		in   planInput
		want expect
	}{
		{"drift with Report is only reported (Ready=True, InSync=False)",
			inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), appliedStatus(time.Hour), liveOf(bot, nil)),
			expect{ready: metav1.ConditionTrue, inSync: metav1.ConditionFalse, finished: true,
				check: func(t *testing.T, p plan) {
					if len(p.Events) != 1 || p.Events[0].Reason != sbv1.EventReasonDriftDetected {
						t.Errorf("events = %+v, want one DriftDetected", p.Events)
					}
				}}},
		{"drift with Enforce re-applies once the poll interval has passed",
			enforce(inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), appliedStatus(time.Hour), liveOf(bot, nil))),
			expect{action: sbv1.ActionPassControl, target: agents, ready: metav1.ConditionFalse, reconciling: sbv1.ReasonProgressing}},
		{"drift with Enforce waits within the poll interval",
			enforce(inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), appliedStatus(time.Minute), liveOf(bot, nil))),
			expect{ready: metav1.ConditionTrue, inSync: metav1.ConditionFalse, finished: true,
				check: func(t *testing.T, p plan) {
					if p.Outcome.RequeueAfter != 4*time.Minute {
						t.Errorf("requeue after %s, want 4m (when Enforce is due)", p.Outcome.RequeueAfter)
					}
				}}},
		{"drift with a new requestedAt re-applies whatever the policy",
			requested(inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), appliedStatus(time.Minute), liveOf(bot, nil))),
			expect{action: sbv1.ActionPassControl, target: agents, ready: metav1.ConditionFalse, reconciling: sbv1.ReasonProgressing,
				check: func(t *testing.T, p plan) {
					if p.Status.LastHandledReconcileAt != "" {
						t.Errorf("requestedAt handled before the re-apply was observed")
					}
				}}},
		{"a new requestedAt with no drift is handled without a call",
			requested(inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), appliedStatus(time.Minute), liveOf(agents, nil))),
			expect{ready: metav1.ConditionTrue, inSync: metav1.ConditionTrue, finished: true,
				check: func(t *testing.T, p plan) {
					if p.Status.LastHandledReconcileAt == "" {
						t.Errorf("requestedAt not handled")
					}
				}}},
		{"an accepted offer is not drift",
			inputOf(1, specOf(sbv1.StateOffered, "agent-workspace"), sbv1.ConversationControlStatus{
				Declaration:       declared(sbv1.StateOffered, "agent-workspace", 1, nil),
				LastAppliedAction: record(sbv1.ActionOfferControl, sbv1.StateOffered, "agent-workspace", agents, liveOf(bot, nil), time.Hour),
			}, liveOf(agents, nil)),
			expect{ready: metav1.ConditionTrue, readyReason: sbv1.ReasonAlreadyActive, inSync: metav1.ConditionTrue, finished: true}},
		{"a new declaration is applied even where the last one drifted",
			inputOf(2, specOf(sbv1.StateActive, "partner"), appliedStatus(time.Minute), liveOf(bot, nil)),
			expect{action: sbv1.ActionPassControl, target: partner, ready: metav1.ConditionFalse, reconciling: sbv1.ReasonProgressing}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.want.verify(t, decide(tc.in)) })
	}
}

// TestDecideIssueScenarios names the races and faults that broke the first reconciler;
// each case is one pass of decide at the moment of the race.
func TestDecideIssueScenarios(t *testing.T) {
	nextInFlight := sbv1.ConversationControlStatus{
		Declaration:    declared(sbv1.StateActive, "next", 1, agents),
		InFlightAction: record(sbv1.ActionPassControl, sbv1.StateActive, "next", agents, liveOf(bot, nil), 0),
	}
	groups := [][]decideCase{nextScenarios(nextInFlight), failedActionScenarios(), refusalScenarios(), readBackScenarios(nextInFlight)}
	cases := slices.Concat(groups...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.want.verify(t, decide(tc.in)) })
	}
}

// decideCase is one pass of decide and what its plan must be.
type decideCase struct {
	name string
	in   planInput
	want expect
}

// withSpec is in with its spec edited.
func withSpec(in planInput, edit func(*sbv1.ConversationControlSpec)) planInput {
	edit(&in.Spec)
	return in
}

// checkNoSecondHop checks that the in-flight `next` was settled as reaching agent-workspace.
func checkNoSecondHop(t *testing.T, p plan) {
	if last := p.Status.LastAppliedAction; last == nil || !sameIntegration(last.Reached, agents) || last.Generation != 1 {
		t.Errorf("lastAppliedAction = %+v, want the in-flight next settled as reaching agent-workspace", last)
	}
	if p.Status.InFlightAction != nil {
		t.Errorf("in flight = %+v, want settled", p.Status.InFlightAction)
	}
}

// nextScenarios are issue scenario 1: a `next` in flight, or fixed, hops at most once.
func nextScenarios(nextInFlight sbv1.ConversationControlStatus) []decideCase {
	return []decideCase{
		{"1: a next in flight (answer lost) then a metadata edit: settled from the live state, no second hop",
			withSpec(inputOf(2, specOf(sbv1.StateActive, "next"), nextInFlight, liveOf(agents, nil)), func(s *sbv1.ConversationControlSpec) {
				s.Metadata = map[string]string{"reason": "vip"}
			}),
			expect{ready: metav1.ConditionTrue, inSync: metav1.ConditionTrue, finished: true, check: checkNoSecondHop}},
		{"1: a next in flight then suspend and resume (generation 3): no second hop",
			inputOf(3, specOf(sbv1.StateActive, "next"), nextInFlight, liveOf(agents, nil)),
			expect{ready: metav1.ConditionTrue, inSync: metav1.ConditionTrue, finished: true, check: checkNoSecondHop}},
		{"1: a next in flight then a driftPolicy edit, and the conversation moved on: counted as applied, not hopped again",
			withSpec(inputOf(2, specOf(sbv1.StateActive, "next"), nextInFlight, liveOf(partner, nil)), func(s *sbv1.ConversationControlSpec) {
				s.DriftPolicy = sbv1.DriftPolicyReport
			}),
			expect{ready: metav1.ConditionTrue, inSync: metav1.ConditionFalse, finished: true, check: func(t *testing.T, p plan) {
				if last := p.Status.LastAppliedAction; last == nil || last.Reached != nil {
					t.Errorf("lastAppliedAction = %+v, want applied, reaching nothing this object can claim", last)
				}
			}}},
		{"1: a next whose target is fixed sends that id again, not the next link of whoever is active now",
			inputOf(2, specOf(sbv1.StateActive, "next"), sbv1.ConversationControlStatus{Declaration: declared(sbv1.StateActive, "next", 1, agents)},
				liveOf(partner, nil)),
			expect{action: sbv1.ActionPassControl, target: agents, ready: metav1.ConditionFalse, reconciling: sbv1.ReasonProgressing}},
	}
}

// failedActionScenarios are issue scenarios 2 and 3: an action answered 429 or failing
// transiently did not land, and a requestedAt re-apply that failed is not handled.
func failedActionScenarios() []decideCase {
	return []decideCase{
		{"2: a pass answered 429 did not land: in flight cleared, Reconciling RateLimited, nothing reached",
			func() planInput {
				in := inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), sbv1.ConversationControlStatus{
					Declaration:    declared(sbv1.StateActive, "agent-workspace", 1, nil),
					InFlightAction: record(sbv1.ActionPassControl, sbv1.StateActive, "agent-workspace", agents, liveOf(bot, nil), 0),
				}, liveOf(bot, nil))
				in.Sent = &sentAction{Action: sbv1.ActionPassControl, Before: *liveOf(bot, nil), Err: transient(sbv1.ReasonRateLimited, 2*time.Second)}
				return in
			}(),
			expect{ready: metav1.ConditionFalse, reconciling: sbv1.ReasonRateLimited, check: func(t *testing.T, p plan) {
				if p.Status.InFlightAction != nil || p.Status.LastAppliedAction != nil {
					t.Errorf("a 429 landed: in flight %+v, last %+v", p.Status.InFlightAction, p.Status.LastAppliedAction)
				}
				if p.Outcome.RequeueAfter != 2*time.Second {
					t.Errorf("requeue after %s, want Retry-After 2s", p.Outcome.RequeueAfter)
				}
			}}},
		{"2: after the 429, others moved the conversation: the retry applies the declaration and reaches nothing else",
			inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), sbv1.ConversationControlStatus{
				Declaration: declared(sbv1.StateActive, "agent-workspace", 1, nil)}, liveOf(partner, nil)),
			expect{action: sbv1.ActionPassControl, target: agents, ready: metav1.ConditionFalse, reconciling: sbv1.ReasonProgressing}},
		{"3: a requestedAt re-apply that failed transiently is not marked handled",
			func() planInput {
				in := inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), appliedStatus(time.Minute), liveOf(bot, nil))
				in.RequestedAt = "now"
				in.Status.InFlightAction = record(sbv1.ActionPassControl, sbv1.StateActive, "agent-workspace", agents, liveOf(bot, nil), 0)
				in.Sent = &sentAction{Action: sbv1.ActionPassControl, Before: *liveOf(bot, nil), Err: transient(sbv1.ReasonAPIUnavailable, 0)}
				return in
			}(),
			expect{ready: metav1.ConditionFalse, reconciling: sbv1.ReasonAPIUnavailable, check: func(t *testing.T, p plan) {
				if p.Status.LastHandledReconcileAt != "" {
					t.Errorf("requestedAt handled although the re-apply failed")
				}
				if p.Outcome.Err == nil {
					t.Errorf("want a retry with backoff")
				}
			}}},
	}
}

// refusalScenarios are issue scenario 4: after a refused action the plan is decided from
// the conversation read again.
func refusalScenarios() []decideCase {
	return []decideCase{
		{"4: the pending integration accepted by itself before acceptControl (refused): read back in sync, Ready",
			func() planInput {
				in := inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), sbv1.ConversationControlStatus{
					Declaration: declared(sbv1.StateActive, "agent-workspace", 1, nil)}, liveOf(agents, nil))
				in.Sent = &sentAction{Action: sbv1.ActionAcceptControl, Before: *liveOf(bot, agents), Err: refusedWith(sbv1.ReasonInvalidRequest)}
				return in
			}(),
			expect{ready: metav1.ConditionTrue, readyReason: sbv1.ReasonSucceeded, inSync: metav1.ConditionTrue, finished: true}},
		{"4: the offeree became active before offerControl (refused): Ready AlreadyActive, not Stalled",
			func() planInput {
				in := inputOf(1, specOf(sbv1.StateOffered, "agent-workspace"), sbv1.ConversationControlStatus{
					Declaration: declared(sbv1.StateOffered, "agent-workspace", 1, nil)}, liveOf(agents, nil))
				in.Sent = &sentAction{Action: sbv1.ActionOfferControl, Before: *liveOf(bot, nil), Err: refusedWith(sbv1.ReasonIntegrationNotFound)}
				return in
			}(),
			expect{ready: metav1.ConditionTrue, readyReason: sbv1.ReasonAlreadyActive, inSync: metav1.ConditionTrue, finished: true}},
		{"4: a refusal with the conversation unchanged is Stalled with the vendor's reason and a Warning",
			func() planInput {
				in := inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), sbv1.ConversationControlStatus{
					Declaration: declared(sbv1.StateActive, "agent-workspace", 1, nil)}, liveOf(bot, nil))
				in.Sent = &sentAction{Action: sbv1.ActionPassControl, Before: *liveOf(bot, nil), Err: refusedWith(sbv1.ReasonInvalidRequest)}
				return in
			}(),
			expect{ready: metav1.ConditionFalse, stalled: sbv1.ReasonInvalidRequest, finished: true, check: func(t *testing.T, p plan) {
				if len(p.Events) != 1 || p.Events[0].Reason != sbv1.EventReasonHandoffRefused {
					t.Errorf("events = %+v, want one HandoffRefused", p.Events)
				}
			}}},
		{"4: a refusal while the conversation changed decides again soon instead of stalling",
			func() planInput {
				in := inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), sbv1.ConversationControlStatus{
					Declaration: declared(sbv1.StateActive, "agent-workspace", 1, nil)}, liveOf(partner, nil))
				in.Sent = &sentAction{Action: sbv1.ActionAcceptControl, Before: *liveOf(bot, agents), Err: refusedWith(sbv1.ReasonInvalidRequest)}
				return in
			}(),
			expect{ready: metav1.ConditionFalse, reconciling: sbv1.ReasonConversationChanged}},
	}
}

// readBackScenarios are issue scenarios 5, 6 and 8, and a transient read failure: what
// was read back decides, a Conflict loser plans no call, a reverting generation is applied.
func readBackScenarios(nextInFlight sbv1.ConversationControlStatus) []decideCase {
	return []decideCase{
		{"5: a 200 that changed nothing is not success: Reconciling ActionNotApplied, retried with backoff",
			func() planInput {
				in := inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), sbv1.ConversationControlStatus{
					Declaration:    declared(sbv1.StateActive, "agent-workspace", 1, nil),
					InFlightAction: record(sbv1.ActionPassControl, sbv1.StateActive, "agent-workspace", agents, liveOf(bot, nil), 0),
				}, liveOf(bot, nil))
				in.Sent = &sentAction{Action: sbv1.ActionPassControl, Before: *liveOf(bot, nil)}
				return in
			}(),
			expect{ready: metav1.ConditionFalse, reconciling: sbv1.ReasonActionNotApplied, check: func(t *testing.T, p plan) {
				if p.Status.LastAppliedAction != nil || p.Outcome.Err == nil {
					t.Errorf("want nothing applied and a retry with backoff; last %+v, outcome %+v", p.Status.LastAppliedAction, p.Outcome)
				}
			}}},
		{"5: a 200 whose effect is read back: Ready, with the integration it reached and a HandoffApplied Event",
			func() planInput {
				in := inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), sbv1.ConversationControlStatus{
					Declaration:    declared(sbv1.StateActive, "agent-workspace", 1, nil),
					InFlightAction: record(sbv1.ActionPassControl, sbv1.StateActive, "agent-workspace", agents, liveOf(bot, nil), 0),
				}, liveOf(agents, nil))
				in.Sent = &sentAction{Action: sbv1.ActionPassControl, Before: *liveOf(bot, nil)}
				return in
			}(),
			expect{ready: metav1.ConditionTrue, inSync: metav1.ConditionTrue, finished: true, check: func(t *testing.T, p plan) {
				if last := p.Status.LastAppliedAction; last == nil || !sameIntegration(last.Reached, agents) {
					t.Errorf("lastAppliedAction = %+v", last)
				}
				if len(p.Events) != 1 || p.Events[0].Reason != sbv1.EventReasonHandoffApplied {
					t.Errorf("events = %+v, want one HandoffApplied", p.Events)
				}
			}}},
		{"6: a Conflict loser is Stalled Conflict and plans no call",
			func() planInput {
				in := inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), sbv1.ConversationControlStatus{}, nil)
				in.Blocked = &failure{Reason: sbv1.ReasonConflict, Terminal: true, Message: "older claim"}
				return in
			}(),
			expect{ready: metav1.ConditionFalse, stalled: sbv1.ReasonConflict, finished: true}},
		{"8: a new generation that reverts to an earlier declaration, after a failed one, is applied",
			inputOf(3, specOf(sbv1.StateActive, "bot"), sbv1.ConversationControlStatus{
				Declaration:       declared(sbv1.StateActive, "partner", 2, nil),
				LastAppliedAction: record(sbv1.ActionPassControl, sbv1.StateActive, "bot", bot, liveOf(nil, nil), time.Hour),
			}, liveOf(agents, nil)),
			expect{action: sbv1.ActionPassControl, target: bot, ready: metav1.ConditionFalse, reconciling: sbv1.ReasonProgressing}},
		{"transient read failure keeps the action in flight for the next pass",
			func() planInput {
				in := inputOf(1, specOf(sbv1.StateActive, "next"), nextInFlight, nil)
				in.ReadErr = transient(sbv1.ReasonAPIUnavailable, 0)
				return in
			}(),
			expect{ready: metav1.ConditionFalse, reconciling: sbv1.ReasonAPIUnavailable, check: func(t *testing.T, p plan) {
				if p.Status.InFlightAction == nil {
					t.Errorf("the in-flight action was dropped")
				}
			}}},
	}
}

// TestDecideWritesNothingOnTheFirstPollAfterANext is issue scenario 10: a poll that finds
// the conversation as it was leaves the status exactly as it is.
func TestDecideWritesNothingOnTheFirstPollAfterANext(t *testing.T) {
	spec := specOf(sbv1.StateActive, "next")
	first := decide(inputOf(1, spec, sbv1.ConversationControlStatus{}, liveOf(bot, nil)))
	if first.Action != sbv1.ActionPassControl {
		t.Fatalf("first pass: action %q", first.Action)
	}
	in := inputOf(1, spec, first.Status, liveOf(agents, nil))
	in.Sent = &sentAction{Action: first.Action, Before: *liveOf(bot, nil)}
	confirmed := decide(in)
	for i := range 3 {
		in := inputOf(1, spec, confirmed.Status, liveOf(agents, nil))
		in.Now = now.Add(time.Duration(i+1) * 5 * time.Minute)
		poll := decide(in)
		if poll.Action != "" || len(poll.Events) > 0 {
			t.Fatalf("poll %d: action %q events %+v", i, poll.Action, poll.Events)
		}
		if !equality.Semantic.DeepEqual(poll.Status, confirmed.Status) {
			t.Fatalf("poll %d changed the status:\nbefore %+v\nafter  %+v", i, confirmed.Status, poll.Status)
		}
	}
}
