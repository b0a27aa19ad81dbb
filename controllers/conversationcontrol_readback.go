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
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// eventMissBackoff is how long, after an action whose event did not come in time, the
// actions of the same Switchboard read back without waiting for events.
const eventMissBackoff = time.Minute

// readBack observes the conversation after an action answered 2xx. Where the Switchboard's
// webhook is ready, the vendor's event for the action is the observation when it comes
// within ReadBackWait: it carries the conversation's state after the action, and a
// `:failure` event turns the action into the vendor's refusal, with its error code.
// Otherwise, after a refusal, and when the event came through another replica (see
// Observation.Unverified), the conversation is read.
func (r *ConversationControlReconciler) readBack(ctx context.Context, s *ccScope, action sbv1.Action, sentAt time.Time) (*sbv1.LiveState, *failure) {
	sb := s.in.Switchboard
	if s.in.Sent.Err != nil || r.ReadBackWait <= 0 || !webhookReady(sb) || r.eventMisses.recent(sb, sentAt) {
		return r.read(ctx, s)
	}
	obs, ok := r.Observations.Wait(ctx, ObservationScope(sb), s.cc.Spec.ConversationID, sentAt, r.ReadBackWait, eventFor(action))
	if !ok {
		r.eventMisses.record(sb, time.Now())
		return r.read(ctx, s)
	}
	if obs.Unverified {
		return r.read(ctx, s) // passed on by another replica: a sign to read now, not the state
	}
	r.memory.markObserved(s.cc, obs.Received)
	if obs.Failed() {
		f := eventFailure(obs)
		s.in.Sent.Err = &f
	}
	live := liveStateOf(&sunshine.Conversation{Active: obs.Active, Pending: obs.Pending})
	return &live, nil
}

// awaitEvent announces, where the action's event may replace the read-back, that this
// reconcile waits for it, so that the event does not wake the object a second time.
func (r *ConversationControlReconciler) awaitEvent(s *ccScope) (done func()) {
	sb := s.in.Switchboard
	if r.ReadBackWait <= 0 || !webhookReady(sb) {
		return func() {}
	}
	return r.Observations.Await(ObservationScope(sb), s.cc.Spec.ConversationID, client.ObjectKeyFromObject(s.cc))
}

// newerEvent returns the conversation's state from the vendor's latest event when the
// receiver recorded it (verified by the webhook's key) after this process last observed
// the conversation for this object: the event that woke the object replaces the read. A
// poll, or any pass without such an event, reads.
func (r *ConversationControlReconciler) newerEvent(s *ccScope) (*sbv1.LiveState, bool) {
	sb := s.in.Switchboard
	if r.Observations == nil || !webhookReady(sb) {
		return nil, false
	}
	obs, ok := r.Observations.Observation(ObservationScope(sb), s.cc.Spec.ConversationID)
	if !ok || obs.Unverified || obs.Failed() {
		return nil, false
	}
	last, seen := r.memory.observedAt(s.cc)
	if !seen || !obs.Received.After(last) {
		return nil, false
	}
	r.memory.markObserved(s.cc, obs.Received)
	live := liveStateOf(&sunshine.Conversation{Active: obs.Active, Pending: obs.Pending})
	return &live, true
}

// webhookReady tells whether the Switchboard's managed webhook exists as declared.
func webhookReady(sb *sbv1.Switchboard) bool {
	return sb != nil && sb.Spec.Webhook != nil && meta.IsStatusConditionTrue(sb.Status.Conditions, sbv1.ConditionWebhookReady)
}

// eventTriggers are the webhook triggers of each action: its own and its failure.
var eventTriggers = map[sbv1.Action][2]string{
	sbv1.ActionPassControl:    {sunshine.TriggerPassControl, sunshine.TriggerPassControlFailure},
	sbv1.ActionOfferControl:   {sunshine.TriggerOfferControl, sunshine.TriggerOfferControlFailure},
	sbv1.ActionAcceptControl:  {sunshine.TriggerAcceptControl, sunshine.TriggerAcceptControlFailure},
	sbv1.ActionReleaseControl: {sunshine.TriggerReleaseControl, ""},
}

// eventFor matches the events an action causes.
func eventFor(action sbv1.Action) func(Observation) bool {
	triggers := eventTriggers[action]
	return func(o Observation) bool { return o.Type != "" && (o.Type == triggers[0] || o.Type == triggers[1]) }
}

// eventFailure is the refusal a `:failure` event reports. The vendor fails a target it
// cannot resolve with switchboard_invalid_target (the Switchboard's listing is out of
// date): IntegrationNotFound; any other code is InvalidRequest. Both are terminal, as the
// same answers given synchronously are.
func eventFailure(o Observation) failure {
	reason := sbv1.ReasonInvalidRequest
	if o.ErrorCode == "switchboard_invalid_target" {
		reason = sbv1.ReasonIntegrationNotFound
	}
	code := o.ErrorCode
	if code == "" {
		code = "no error code"
	}
	message := fmt.Sprintf("the vendor reported %s (%s)", o.Type, code)
	if o.ErrorMessage != "" {
		message += ": " + o.ErrorMessage
	}
	return failure{Reason: reason, Terminal: true, Message: message}
}

// eventMisses remembers, per Switchboard, when an action's event last failed to come in
// time, so that a webhook that stopped delivering does not slow every handoff.
type eventMisses struct {
	mu   sync.Mutex
	last map[types.UID]time.Time
}

func (m *eventMisses) record(sb *sbv1.Switchboard, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil {
		m.last = map[types.UID]time.Time{}
	}
	m.last[sb.UID] = at
}

func (m *eventMisses) recent(sb *sbv1.Switchboard, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	last, ok := m.last[sb.UID]
	return ok && now.Sub(last) < eventMissBackoff
}
