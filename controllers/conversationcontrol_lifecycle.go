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
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// reconcileExpiry deletes an object whose TTL ran out (status.expiresAt, which decide keeps)
// while its generation is still the finished one; deletion then follows deletionPolicy.
// An Event records it. It sets no conditions.
func (r *ConversationControlReconciler) reconcileExpiry(ctx context.Context, s *ccScope) (outcome, bool) {
	cc := s.cc
	st := cc.Status
	if st.ExpiresAt == nil || s.in.Now.Before(st.ExpiresAt.Time) || st.ObservedGeneration != cc.Generation {
		return outcome{}, false
	}
	s.skipPatch = true
	uid, rv := cc.UID, cc.ResourceVersion
	if err := r.Delete(ctx, cc, client.Preconditions{UID: &uid, ResourceVersion: &rv}); err != nil {
		if apierrors.IsNotFound(err) {
			return outcome{}, true
		}
		return outcome{Err: err}, true // a conflict: the object changed; decide again soon
	}
	r.event(cc, corev1.EventTypeNormal, sbv1.EventReasonExpired, "Delete",
		"finished at %s; its TTL ran out at %s, so it was deleted (deletionPolicy %s)",
		st.FinishedTime.UTC().Format(time.RFC3339), st.ExpiresAt.UTC().Format(time.RFC3339), cc.Spec.DeletionPolicy)
	return outcome{}, true
}

// reconcileResume makes the first pass of this process over an object that has nothing to
// do but poll wait for its poll slot, without a call: after a restart, objects are polled
// when the previous process would have polled them, spread over the interval, not all at
// start-up. Any pending work (a new generation, an action in flight, a new requestedAt, a
// failure) runs at once. It sets no conditions.
func (r *ConversationControlReconciler) reconcileResume(_ context.Context, s *ccScope) (outcome, bool) {
	cc := s.cc
	if !r.memory.firstPass(cc) || !waitsOnlyForPolls(cc, s.in.RequestedAt) || r.eventHeld(s) {
		return outcome{}, false
	}
	o := outcome{Finished: true}
	if poll := pollIntervalOf(cc.Spec); poll > 0 {
		from := s.in.Now
		if last := lastKnownObservation(cc.Status); last.Add(poll / 2).After(from) {
			from = last.Add(poll / 2)
		}
		o.RequeueAfter, o.Exact = nextPollSlot(from, poll, s.in.PollPhase).Sub(s.in.Now), true
	}
	if exp := cc.Status.ExpiresAt; exp != nil {
		o.wakeBy(exp.Time, s.in.Now)
	}
	return o, true
}

// eventHeld tells whether the receiver holds a verified event of the object's conversation:
// it arrived after this process started, so the conversation may have changed since the
// status was written.
func (r *ConversationControlReconciler) eventHeld(s *ccScope) bool {
	if r.Observations == nil || s.in.Switchboard == nil {
		return false
	}
	obs, ok := r.Observations.Observation(ObservationScope(s.in.Switchboard), s.cc.Spec.ConversationID)
	return ok && !obs.Unverified
}

// waitsOnlyForPolls tells whether an object's generation is finished with nothing left to
// do until its next poll: Ready=True (or Stalled ConversationNotFound) at this generation,
// no action in flight, no unhandled requestedAt.
func waitsOnlyForPolls(cc *sbv1.ConversationControl, requestedAt string) bool {
	st := cc.Status
	if st.ObservedGeneration != cc.Generation || st.InFlightAction != nil ||
		(requestedAt != "" && requestedAt != st.LastHandledReconcileAt) {
		return false
	}
	ready := meta.FindStatusCondition(st.Conditions, sbv1.ConditionReady)
	stalled := meta.FindStatusCondition(st.Conditions, sbv1.ConditionStalled)
	switch {
	case stalled != nil:
		return stalled.Reason == sbv1.ReasonConversationNotFound && stalled.ObservedGeneration == cc.Generation
	case ready != nil:
		return ready.Status == metav1.ConditionTrue && ready.ObservedGeneration == cc.Generation
	}
	return false
}

// lastKnownObservation is the latest time the status shows the conversation was read or
// acted on.
func lastKnownObservation(st sbv1.ConversationControlStatus) time.Time {
	var last time.Time
	for _, t := range []*metav1.Time{st.LastObservedTime, appliedTime(st.LastAppliedAction)} {
		if t != nil && t.After(last) {
			last = t.Time
		}
	}
	return last
}

func appliedTime(a *sbv1.AppliedAction) *metav1.Time {
	if a == nil {
		return nil
	}
	return &a.Time
}

// objectMemory is what this process remembers of each object it reconciled, by name: its
// UID (a re-created object is another object), whether a pass reached the restart check,
// and when this process last observed its conversation.
type objectMemory struct {
	mu      sync.Mutex
	objects map[types.NamespacedName]remembered
}

type remembered struct {
	uid        types.UID
	seen       bool
	observedAt time.Time
}

// update applies change to obj's entry, a new one when obj is another object than the one
// remembered under its name.
func (m *objectMemory) update(obj client.Object, change func(*remembered)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.objects == nil {
		m.objects = map[types.NamespacedName]remembered{}
	}
	key := client.ObjectKeyFromObject(obj)
	e := m.objects[key]
	if e.uid != obj.GetUID() {
		e = remembered{uid: obj.GetUID()}
	}
	change(&e)
	m.objects[key] = e
}

// firstPass tells whether this is the process's first pass over obj, and remembers it.
func (m *objectMemory) firstPass(obj client.Object) bool {
	first := false
	m.update(obj, func(e *remembered) { first, e.seen = !e.seen, true })
	return first
}

// markObserved records that the conversation of obj was observed at t.
func (m *objectMemory) markObserved(obj client.Object, t time.Time) {
	m.update(obj, func(e *remembered) {
		if t.After(e.observedAt) {
			e.observedAt = t
		}
	})
}

// observedAt is when this process last observed the conversation of obj.
func (m *objectMemory) observedAt(obj client.Object) (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.objects[client.ObjectKeyFromObject(obj)]
	if !ok || e.uid != obj.GetUID() || e.observedAt.IsZero() {
		return time.Time{}, false
	}
	return e.observedAt, true
}

// forget drops an object that is gone.
func (m *objectMemory) forget(key types.NamespacedName) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objects, key)
}
