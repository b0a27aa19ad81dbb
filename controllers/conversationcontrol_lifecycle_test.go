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

	"k8s.io/apimachinery/pkg/types"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

func TestPollSlotsAreOneIntervalApartAndSpreadOverIt(t *testing.T) {
	const interval = 5 * time.Minute
	buckets := make([]int, 10)
	for i := range 1000 {
		phase := pollPhaseOf(types.UID(fmt.Sprintf("uid-%d", i)))
		if phase < 0 || phase >= 1 {
			t.Fatalf("phase %v is outside [0, 1)", phase)
		}
		buckets[int(phase*10)]++
		slot := nextPollSlot(now, interval, phase)
		if slot.Before(now) || !slot.Before(now.Add(interval)) {
			t.Fatalf("slot %s is not within one interval from %s", slot, now)
		}
		if again := nextPollSlot(slot, interval, phase); !again.Equal(slot) {
			t.Fatalf("a slot's next slot is %s, not itself (%s)", again, slot)
		}
		if next := nextPollSlot(slot.Add(time.Nanosecond), interval, phase); next.Sub(slot) != interval {
			t.Fatalf("consecutive slots are %s apart, want %s", next.Sub(slot), interval)
		}
	}
	for i, n := range buckets {
		if n < 60 || n > 140 {
			t.Errorf("tenth %d of the interval holds %d of 1000 objects' polls; want them spread (60..140)", i, n)
		}
	}
}

// appliedInput is decide's input for an object whose declaration was applied an hour ago
// and is observed now as live.
func appliedInput(state sbv1.ControlState, integration string, reached *sbv1.IntegrationReference, live *sbv1.LiveState) planInput {
	st := observedStatus(liveOf(reached, nil), now.Add(-time.Hour))
	st.LastAppliedAction = record(actionFor(state, reached, sbv1.LiveState{}), state, integration, reached, liveOf(bot, nil), time.Hour)
	st.Declaration = declared(state, integration, 1, nil)
	return inputOf(1, specOf(state, integration), st, live)
}

func withTTL(in planInput, seconds int32) planInput {
	in.Spec.TTLSecondsAfterFinished = &seconds
	return in
}

func TestFinishedObjectsExpireAfterTheirTTL(t *testing.T) {
	defaultTTL := 10 * time.Minute
	enforce := withTTL(appliedInput(sbv1.StateActive, "agent-workspace", agents, liveOf(nil, nil)), 60)
	enforce.Spec.DriftPolicy = sbv1.DriftPolicyEnforce
	withDefault := appliedInput(sbv1.StateReleased, "", nil, liveOf(nil, nil))
	withDefault.DefaultTTL = &defaultTTL
	notFound := withTTL(inputOf(1, specOf(sbv1.StateActive, "bot"), sbv1.ConversationControlStatus{}, nil), 30)
	notFound.ReadErr = refusedWith(sbv1.ReasonConversationNotFound)
	cases := []struct {
		name     string
		in       planInput
		finished bool
		expires  time.Duration // after now; 0 for no expiry
	}{
		{"a Released declaration applied and in effect", withTTL(appliedInput(sbv1.StateReleased, "", nil, liveOf(nil, nil)), 60), true, time.Minute},
		{"released by others after the declaration was applied, under Report",
			withTTL(appliedInput(sbv1.StateActive, "agent-workspace", agents, liveOf(nil, nil)), 60), true, time.Minute},
		{"released by others under Enforce is re-applied, not finished", enforce, false, 0},
		{"an Active declaration in effect is not finished", withTTL(appliedInput(sbv1.StateActive, "agent-workspace", agents, liveOf(agents, nil)), 60), false, 0},
		{"moved to another integration by others is not finished",
			withTTL(appliedInput(sbv1.StateActive, "agent-workspace", agents, liveOf(bot, nil)), 60), false, 0},
		{"Stalled ConversationNotFound", notFound, true, 30 * time.Second},
		{"the manager's default applies without spec.ttlSecondsAfterFinished", withDefault, true, defaultTTL},
		{"without any TTL a finished object is kept", appliedInput(sbv1.StateReleased, "", nil, liveOf(nil, nil)), true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := decide(tc.in)
			if got := p.Status.FinishedTime != nil; got != tc.finished {
				t.Fatalf("finished = %v (finishedTime %v), want %v", got, p.Status.FinishedTime, tc.finished)
			}
			switch {
			case tc.expires == 0 && p.Status.ExpiresAt != nil:
				t.Errorf("expiresAt = %s, want none", p.Status.ExpiresAt)
			case tc.expires != 0 && (p.Status.ExpiresAt == nil || !p.Status.ExpiresAt.Time.Equal(now.Add(tc.expires))):
				t.Errorf("expiresAt = %v, want now + %s", p.Status.ExpiresAt, tc.expires)
			case tc.expires != 0 && (p.Outcome.RequeueAfter > tc.expires || p.Outcome.RequeueAfter <= 0):
				t.Errorf("the pass comes back after %s, after the expiry in %s", p.Outcome.RequeueAfter, tc.expires)
			}
		})
	}
}

func TestAFinishedObjectKeepsItsFinishedTimeAndLosesItWithANewDeclaration(t *testing.T) {
	first := decide(withTTL(appliedInput(sbv1.StateReleased, "", nil, liveOf(nil, nil)), 60))
	later := withTTL(inputOf(1, specOf(sbv1.StateReleased, ""), first.Status, liveOf(nil, nil)), 60)
	later.Now = now.Add(30 * time.Second)
	again := decide(later)
	if !again.Status.FinishedTime.Equal(first.Status.FinishedTime) || !again.Status.ExpiresAt.Equal(first.Status.ExpiresAt) {
		t.Errorf("a later pass moved the expiry: %v -> %v", first.Status.ExpiresAt, again.Status.ExpiresAt)
	}
	unreadable := withTTL(inputOf(1, specOf(sbv1.StateReleased, ""), first.Status, nil), 60)
	unreadable.ReadErr = transient(sbv1.ReasonAPIUnavailable, 0)
	if p := decide(unreadable); p.Status.ExpiresAt == nil {
		t.Error("a pass that could not read the conversation dropped the expiry")
	}
	renewed := withTTL(inputOf(2, specOf(sbv1.StateActive, "bot"), first.Status, liveOf(nil, nil)), 60)
	if p := decide(renewed); p.Status.FinishedTime != nil || p.Status.ExpiresAt != nil {
		t.Errorf("a new declaration kept finishedTime %v and expiresAt %v", p.Status.FinishedTime, p.Status.ExpiresAt)
	}
}
