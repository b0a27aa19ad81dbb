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
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// observedStatus is a status whose last read found live, at.
func observedStatus(live *sbv1.LiveState, at time.Time) sbv1.ConversationControlStatus {
	t := metav1.NewTime(at)
	return sbv1.ConversationControlStatus{ActiveIntegration: live.Active.DeepCopy(), PendingIntegration: live.Pending.DeepCopy(), LastObservedTime: &t}
}

// sendAndReadBack runs decide as the handoff phase does: the plan of a pass, then decide
// again after the action was answered 2xx and the conversation read back as after.
func sendAndReadBack(t *testing.T, in planInput, after *sbv1.LiveState) plan {
	t.Helper()
	first := decide(in)
	if first.Action == "" {
		t.Fatalf("the first plan sends no action: %+v", first.Status.Conditions)
	}
	in.Status = first.Status
	in.Sent = &sentAction{Action: first.Action, Before: *in.Live}
	in.Live = after
	return decide(in)
}

func TestHistoryRecordsTheOperatorsOwnHandoff(t *testing.T) {
	before := liveOf(bot, nil)
	in := inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), observedStatus(before, now.Add(-time.Hour)), before)
	p := sendAndReadBack(t, in, liveOf(agents, nil))

	if len(p.Status.History) != 1 {
		t.Fatalf("history = %+v, want one transition", p.Status.History)
	}
	h := p.Status.History[0]
	if h.Source != sbv1.TransitionByOperator || h.Action != sbv1.ActionPassControl ||
		!sameIntegration(h.From, bot) || !sameIntegration(h.To, agents) || !h.Time.Time.Equal(now) {
		t.Errorf("transition = %+v, want passControl by the operator from bot to agent-workspace at now", h)
	}
}

func TestHistoryRecordsTheFirstPassHandoffThoughTheStateBeforeWasNotObservedYet(t *testing.T) {
	in := inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), sbv1.ConversationControlStatus{}, liveOf(bot, nil))
	p := sendAndReadBack(t, in, liveOf(agents, nil))
	if len(p.Status.History) != 1 || !sameIntegration(p.Status.History[0].From, bot) || p.Status.History[0].Source != sbv1.TransitionByOperator {
		t.Errorf("history = %+v, want the operator's pass from bot", p.Status.History)
	}
}

func TestHistoryRecordsAChangeByOthersAsObserved(t *testing.T) {
	st := observedStatus(liveOf(agents, nil), now.Add(-time.Hour))
	st.LastAppliedAction = record(sbv1.ActionPassControl, sbv1.StateActive, "agent-workspace", agents, liveOf(bot, nil), time.Hour)
	st.Declaration = declared(sbv1.StateActive, "agent-workspace", 1, nil)
	p := decide(inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), st, liveOf(bot, nil)))

	if len(p.Status.History) != 1 {
		t.Fatalf("history = %+v, want one transition", p.Status.History)
	}
	h := p.Status.History[0]
	if h.Source != sbv1.TransitionObserved || h.Action != "" || !sameIntegration(h.From, agents) || !sameIntegration(h.To, bot) {
		t.Errorf("transition = %+v, want an observed change from agent-workspace to bot, action unknown", h)
	}
}

func TestHistoryRecordsAnOfferAsTheIntegrationNowPending(t *testing.T) {
	before := liveOf(bot, nil)
	in := inputOf(1, specOf(sbv1.StateOffered, "agent-workspace"), observedStatus(before, now.Add(-time.Hour)), before)
	p := sendAndReadBack(t, in, liveOf(bot, agents))
	if len(p.Status.History) != 1 || !sameIntegration(p.Status.History[0].To, agents) || p.Status.History[0].Action != sbv1.ActionOfferControl {
		t.Errorf("history = %+v, want an offer to agent-workspace", p.Status.History)
	}
}

func TestHistoryIsNotWrittenByAPollThatFindsNothingNew(t *testing.T) {
	live := liveOf(agents, nil)
	st := observedStatus(live, now.Add(-time.Hour))
	st.LastAppliedAction = record(sbv1.ActionPassControl, sbv1.StateActive, "agent-workspace", agents, liveOf(bot, nil), time.Hour)
	st.Declaration = declared(sbv1.StateActive, "agent-workspace", 1, nil)
	st.History = []sbv1.Transition{{Time: metav1.NewTime(now.Add(-time.Hour)), From: bot.DeepCopy(), To: agents.DeepCopy(), Source: sbv1.TransitionByOperator}}
	first := decide(inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), st, live))
	again := decide(inputOf(1, specOf(sbv1.StateActive, "agent-workspace"), first.Status, live))
	if len(again.Status.History) != 1 || !equality.Semantic.DeepEqual(first.Status, again.Status) {
		t.Errorf("a poll that found nothing new changed the status: history %+v", again.Status.History)
	}
}

func TestHistoryKeepsTheLastTenTransitions(t *testing.T) {
	st := observedStatus(liveOf(bot, nil), now.Add(-time.Hour))
	st.LastAppliedAction = record(sbv1.ActionPassControl, sbv1.StateActive, "bot", bot, liveOf(nil, nil), time.Hour)
	st.Declaration = declared(sbv1.StateActive, "bot", 1, nil)
	for i := range maxHistory {
		st.History = append(st.History, sbv1.Transition{Time: metav1.NewTime(now.Add(time.Duration(i-20) * time.Minute)),
			Source: sbv1.TransitionObserved, Reason: fmt.Sprintf("old-%d", i)})
	}
	p := decide(inputOf(1, specOf(sbv1.StateActive, "bot"), st, liveOf(agents, nil)))
	h := p.Status.History
	if len(h) != maxHistory || h[0].Reason != "old-1" || !sameIntegration(h[maxHistory-1].To, agents) {
		t.Errorf("history = %+v, want the oldest dropped and the new transition last", h)
	}
}
