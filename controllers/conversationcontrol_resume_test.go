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
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// inSyncControl is an object whose generation finished Ready a minute ago, polled every
// five minutes.
func inSyncControl() *sbv1.ConversationControl {
	observed := metav1.NewTime(now.Add(-time.Minute))
	return &sbv1.ConversationControl{
		ObjectMeta: metav1.ObjectMeta{Name: "vip", Namespace: "support", Generation: 1, UID: "uid-vip"},
		Spec:       specOf(sbv1.StateActive, "agent-workspace"),
		Status: sbv1.ConversationControlStatus{
			ObservedGeneration: 1, LastObservedTime: &observed, ActiveIntegration: agents.DeepCopy(),
			Declaration:       declared(sbv1.StateActive, "agent-workspace", 1, nil),
			LastAppliedAction: record(sbv1.ActionPassControl, sbv1.StateActive, "agent-workspace", agents, liveOf(bot, nil), time.Minute),
			Conditions: []metav1.Condition{
				{Type: sbv1.ConditionReady, Status: metav1.ConditionTrue, ObservedGeneration: 1, Reason: sbv1.ReasonSucceeded, LastTransitionTime: observed},
				{Type: sbv1.ConditionInSync, Status: metav1.ConditionTrue, ObservedGeneration: 1, Reason: sbv1.ReasonInSync, LastTransitionTime: observed},
			},
		},
	}
}

// firstPassAfterStart reconciles cc once with a reconciler that has never seen it, and
// reports how often the conversation was read.
func firstPassAfterStart(t *testing.T, observations *Observations) (ctrl.Result, int) {
	t.Helper()
	reads := 0
	api := &fakeAPI{t: t, getConversation: func(string) (*sunshine.Conversation, error) {
		reads++
		return &sunshine.Conversation{ID: "c1", Active: &sunshine.IntegrationRef{ID: agents.ID, Name: agents.Name}}, nil
	}}
	r := &ConversationControlReconciler{Client: unitClient(t, inSyncControl(), readySwitchboardObject()), Connector: fakeConnector{api},
		Now: func() time.Time { return now }, Observations: observations}
	res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "support", Name: "vip"}})
	if err != nil {
		t.Fatal(err)
	}
	return res, reads
}

func TestTheFirstPassAfterAStartWaitsForThePollSlotWithoutACall(t *testing.T) {
	res, reads := firstPassAfterStart(t, NewObservations(10, time.Hour))
	if reads != 0 {
		t.Errorf("the first pass read the conversation %d times, want none before its poll is due", reads)
	}
	if res.RequeueAfter < 90*time.Second || res.RequeueAfter > 6*time.Minute+30*time.Second {
		t.Errorf("requeue after %s, want the poll slot at least half an interval after the last observation", res.RequeueAfter)
	}
}

func TestTheFirstPassAfterAStartReadsWhenAnEventOfTheConversationCame(t *testing.T) {
	observations := NewObservations(10, time.Hour)
	observations.Record(ObservationScope(readySwitchboardObject()), "c1", Observation{EventID: "e1", Type: sunshine.TriggerPassControl, Time: now})
	if _, reads := firstPassAfterStart(t, observations); reads != 1 {
		t.Errorf("the first pass read the conversation %d times after an event of it came, want 1", reads)
	}
}

func TestObservationsOfTheSameAppOnAnotherEndpointAreNotShared(t *testing.T) {
	observations := NewObservations(10, time.Hour)
	vendor, other := readySwitchboardObject(), readySwitchboardObject()
	other.Spec.Endpoint = "https://api.example.test"
	observations.Record(ObservationScope(other), "c1", Observation{EventID: "e1", Type: sunshine.TriggerReleaseControl, Time: now})
	if _, ok := observations.Observation(ObservationScope(vendor), "c1"); ok {
		t.Error("an event received for another endpoint's app of the same id is visible to this Switchboard's objects")
	}
	if _, ok := observations.Observation(ObservationScope(other), "c1"); !ok {
		t.Error("the event is not kept for its own Switchboard")
	}
}
