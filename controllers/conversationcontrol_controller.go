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
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// The operator patches (never updates) its objects: the release finalizer on the object,
// everything else in status. It sets no owner references, so it needs no finalizers
// subresource permission.
// +kubebuilder:rbac:groups=switchboard.conversations.dev,resources=conversationcontrols,verbs=get;list;watch;patch;delete
// +kubebuilder:rbac:groups=switchboard.conversations.dev,resources=conversationcontrols/status,verbs=get;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// ConversationControlReconciler hands conversations over as ConversationControl objects
// declare, and reports the outcome in their status.
type ConversationControlReconciler struct {
	client.Client
	// Connector hands out the API client of a Switchboard.
	Connector Connector
	// Recorder emits Kubernetes Events for handoffs; optional.
	Recorder events.EventRecorder
	// Metrics records handoffs; optional.
	Metrics *Metrics
	// Now returns the current time; tests may replace it.
	Now func() time.Time
	// DeletionTimeout bounds how long deletion with policy Release keeps trying to
	// release the conversation before it gives up with a Warning event.
	DeletionTimeout time.Duration
	// SwitchboardRetryInterval is how often an object waiting for its Switchboard looks
	// again (the Switchboard watch usually wakes it sooner).
	SwitchboardRetryInterval time.Duration
	// DefaultTTLAfterFinished deletes finished objects without spec.ttlSecondsAfterFinished
	// this long after they finished; nil keeps them.
	DefaultTTLAfterFinished *time.Duration
	// Observations holds what the webhook receiver observed of each conversation
	// (Observations.Observation); nil without the receiver.
	Observations *Observations

	// ReadBackWait is how long, after an action, the reconciler waits for the vendor's
	// webhook event before it reads the conversation back; 0 always reads.
	ReadBackWait time.Duration

	// webhookEvents wakes the objects a webhook event concerns (the leader's receiver).
	webhookEvents chan ccEvent
	// eventMisses remembers the Switchboards whose events did not come in time.
	eventMisses eventMisses

	// written remembers this process's last write of each object, to tell a cache that
	// has not caught up with it.
	written writeExpectations
	// memory remembers, per object, the first pass after a start and when its
	// conversation was last observed.
	memory objectMemory
}

// ccScope is one reconcile of one object: the object, its status patcher, and the input of
// decide that the phases gather.
type ccScope struct {
	cc      *sbv1.ConversationControl
	patcher *statusPatcher
	in      planInput
	api     SunshineAPI
	// skipPatch is set when the object turned out to be stale: nothing is written.
	skipPatch bool
}

// ccPhase is one step of a reconcile. A phase that ends the reconcile returns its outcome
// and true.
type ccPhase func(ctx context.Context, s *ccScope) (outcome, bool)

// Reconcile moves one conversation towards the declared state. It reads the object,
// handles deletion, runs the phases in order, and writes the status once at the end, only
// when it changed.
func (r *ConversationControlReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cc := &sbv1.ConversationControl{}
	if err := r.Get(ctx, req.NamespacedName, cc); err != nil {
		if apierrors.IsNotFound(err) {
			r.written.forget(req.NamespacedName)
			r.memory.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.written.stale(cc) {
		// The cache has not caught up with this process's last write: deciding from it could
		// repeat an action. Look again shortly.
		return finish(retrySoon(), &cc.Status.ObservedGeneration, cc.Generation)
	}
	patcher := newStatusPatcher(cc)
	s := &ccScope{cc: cc, patcher: &patcher, in: planInput{
		Generation: cc.Generation, Spec: cc.Spec, RequestedAt: cc.Annotations[sbv1.AnnotationRequestedAt], Now: r.now(),
		PollPhase: pollPhaseOf(cc.UID), DefaultTTL: r.DefaultTTLAfterFinished,
	}}

	var o outcome
	if !cc.DeletionTimestamp.IsZero() {
		o = r.reconcileDelete(ctx, s)
	} else {
		o = r.runPhases(ctx, s)
	}
	result, err := finish(o, &cc.Status.ObservedGeneration, cc.Generation)
	if s.skipPatch {
		return result, err
	}
	if perr := patcher.patchFinal(ctx, r.Client, cc); perr != nil {
		return finish(outcome{Err: kerrors.NewAggregate([]error{err, perr})}, &cc.Status.ObservedGeneration, cc.Generation)
	}
	r.written.record(cc)
	return result, err
}

// runPhases runs the phases of a reconcile in order, until one ends it.
func (r *ConversationControlReconciler) runPhases(ctx context.Context, s *ccScope) outcome {
	for _, phase := range []ccPhase{
		r.reconcileExpiry,
		r.reconcileFinalizer,
		r.reconcileSwitchboard,
		r.reconcileClaims,
		r.reconcileIntegration,
		r.reconcileResume,
		r.reconcileConnection,
		r.reconcileObservation,
		r.reconcileHandoff,
	} {
		if o, done := phase(ctx, s); done {
			return o
		}
	}
	return outcome{}
}

func (r *ConversationControlReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *ConversationControlReconciler) event(cc *sbv1.ConversationControl, eventType, reason, action, note string, args ...any) {
	if r.Recorder != nil {
		r.Recorder.Eventf(cc, nil, eventType, reason, action, note, args...)
	}
}

// reconcileFinalizer keeps the release finalizer exactly where deletionPolicy Release
// needs it. It sets no conditions.
func (r *ConversationControlReconciler) reconcileFinalizer(ctx context.Context, s *ccScope) (outcome, bool) {
	cc := s.cc
	want := cc.Spec.DeletionPolicy == sbv1.DeletionPolicyRelease
	if want == controllerutil.ContainsFinalizer(cc, sbv1.FinalizerRelease) {
		return outcome{}, false
	}
	base := cc.DeepCopy()
	if want {
		controllerutil.AddFinalizer(cc, sbv1.FinalizerRelease)
	} else {
		controllerutil.RemoveFinalizer(cc, sbv1.FinalizerRelease)
	}
	if err := r.Patch(ctx, cc, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		s.skipPatch = true
		return outcome{Err: err}, true
	}
	r.written.record(cc)
	return outcome{}, false
}

// reconcileSwitchboard finds the object's Switchboard; while it is not usable, decide sets
// Reconciling SwitchboardNotReady. Suspended objects stop here (decide sets Ready=False
// Suspended), before any call.
func (r *ConversationControlReconciler) reconcileSwitchboard(ctx context.Context, s *ccScope) (outcome, bool) {
	if s.cc.Spec.Suspend {
		return r.conclude(s), true
	}
	sb, waiting := r.usableSwitchboard(ctx, s.cc)
	if waiting != "" {
		s.in.Blocked = &failure{Reason: sbv1.ReasonSwitchboardNotReady, Message: waiting, RetryAfter: r.SwitchboardRetryInterval}
		return r.conclude(s), true
	}
	s.in.Switchboard = sb
	return outcome{}, false
}

// reconcileClaims stops an object that an older ConversationControl's claim on the same
// conversation beats: decide sets Stalled Conflict, and no call is made.
func (r *ConversationControlReconciler) reconcileClaims(ctx context.Context, s *ccScope) (outcome, bool) {
	claim, err := r.olderClaim(ctx, s.cc, s.in.Switchboard)
	if err != nil {
		return outcome{Err: err}, true
	}
	if claim != "" {
		s.in.Blocked = &failure{Reason: sbv1.ReasonConflict, Terminal: true, Message: claim}
		return r.conclude(s), true
	}
	return outcome{}, false
}

// reconcileIntegration resolves an explicit integration against the Switchboard's listing,
// and refuses, without any call, one that it does not list: decide sets Stalled
// IntegrationNotFound.
func (r *ConversationControlReconciler) reconcileIntegration(_ context.Context, s *ccScope) (outcome, bool) {
	spec := s.cc.Spec
	if spec.State == sbv1.StateReleased || spec.Integration == sbv1.IntegrationNext {
		return outcome{}, false
	}
	target, err := resolveIntegration(s.in.Switchboard, spec.Integration)
	if err != nil {
		s.in.Blocked = &failure{Reason: sbv1.ReasonIntegrationNotFound, Terminal: true, Message: err.Error()}
		return r.conclude(s), true
	}
	s.in.Explicit = target
	return outcome{}, false
}

// reconcileConnection gets the Switchboard's API client; when it cannot be built, decide
// sets the classified failure.
func (r *ConversationControlReconciler) reconcileConnection(ctx context.Context, s *ccScope) (outcome, bool) {
	api, _, err := r.Connector.Connect(ctx, s.in.Switchboard, false)
	if err != nil {
		f := classify(err)
		s.in.Blocked = &f
		return r.conclude(s), true
	}
	s.api = api
	return outcome{}, false
}

// reconcileObservation reads the conversation (one GET); decide records what it found, or
// the failure to read it.
func (r *ConversationControlReconciler) reconcileObservation(ctx context.Context, s *ccScope) (outcome, bool) {
	if live, ok := r.newerEvent(s); ok {
		s.in.Live = live // the vendor pushed the conversation's state since this process last observed it
		return outcome{}, false
	}
	s.in.Live, s.in.ReadErr = r.read(ctx, s)
	return outcome{}, false
}

// read reads the live state of the conversation.
func (r *ConversationControlReconciler) read(ctx context.Context, s *ccScope) (*sbv1.LiveState, *failure) {
	readAt := time.Now()
	conv, err := s.api.GetConversation(ctx, s.cc.Spec.ConversationID)
	if err != nil {
		f := classify(err)
		return nil, &f
	}
	r.memory.markObserved(s.cc, readAt)
	live := liveStateOf(conv)
	return &live, nil
}

// reconcileHandoff decides, sends the planned action if any, reads the conversation back
// and decides again from what it reads: Ready=True only for what was observed. Every
// condition comes from decide.
func (r *ConversationControlReconciler) reconcileHandoff(ctx context.Context, s *ccScope) (outcome, bool) {
	p := r.applyPlan(s)
	if p.Action == "" {
		return p.Outcome, true
	}
	if p.PersistFirst {
		if err := s.patcher.patchNow(ctx, r.Client, s.cc); err != nil {
			// Lost a race with another write, or the cache is stale: nothing was sent.
			s.skipPatch = true
			return outcome{Err: err}, true
		}
		r.written.record(s.cc)
	}
	sentAt := time.Now() // by the process's clock, as the receiver records events
	defer r.awaitEvent(s)()
	sent := r.send(ctx, s, p)
	s.in.Status, s.in.Sent = s.cc.Status, sent
	if !sent.Unknown && (sent.Err == nil || sent.Err.Terminal) {
		// Answered: observe what the action did (a refusal too: a race may have made the
		// declaration true).
		s.in.Live, s.in.ReadErr = r.readBack(ctx, s, p.Action, sentAt)
	}
	return r.applyPlan(s).Outcome, true
}

// conclude runs decide on what the phases gathered and applies its plan.
func (r *ConversationControlReconciler) conclude(s *ccScope) outcome {
	return r.applyPlan(s).Outcome
}

// applyPlan runs decide and takes its status and Events.
func (r *ConversationControlReconciler) applyPlan(s *ccScope) plan {
	s.in.Status = s.cc.Status
	p := decide(s.in)
	s.cc.Status = p.Status
	for _, e := range p.Events {
		r.event(s.cc, e.Type, e.Reason, e.Action, "%s", e.Note)
	}
	return p
}

// send issues the planned action with the object's metadata and tells how it was answered.
func (r *ConversationControlReconciler) send(ctx context.Context, s *ccScope, p plan) *sentAction {
	cc := s.cc
	var metadata map[string]any
	if len(cc.Spec.Metadata) > 0 {
		metadata = make(map[string]any, len(cc.Spec.Metadata))
		for k, v := range cc.Spec.Metadata {
			metadata[k] = v
		}
	}
	var target string
	if p.Target != nil {
		target = p.Target.ID
	}
	id := cc.Spec.ConversationID
	var err error
	switch p.Action {
	case sbv1.ActionPassControl:
		err = s.api.PassControl(ctx, id, sunshine.PassControlRequest{SwitchboardIntegration: target, Metadata: metadata})
	case sbv1.ActionOfferControl:
		err = s.api.OfferControl(ctx, id, sunshine.OfferControlRequest{SwitchboardIntegration: target, Metadata: metadata})
	case sbv1.ActionAcceptControl:
		err = s.api.AcceptControl(ctx, id, sunshine.AcceptControlRequest{Metadata: metadata})
	default:
		err = s.api.ReleaseControl(ctx, id, sunshine.ReleaseControlRequest{Metadata: metadata})
	}
	r.Metrics.observeHandoff(cc, p.Action, err)
	sent := &sentAction{Action: p.Action}
	if before := p.Status.InFlightAction; before != nil && before.Before != nil {
		sent.Before = *before.Before
	}
	if err != nil {
		f := classify(err)
		sent.Err, sent.Unknown = &f, !answered(err)
	}
	return sent
}

// answered tells whether the vendor answered a request with a status, or the client refused
// it before sending: either way the request changed nothing. After any other error (a
// timeout, a dropped connection) the vendor may have applied it.
func answered(err error) bool {
	var apiErr *sunshine.APIError
	var invalid *sunshine.ValidationError
	return errors.As(err, &apiErr) || errors.As(err, &invalid)
}

// usableSwitchboard returns the object's Switchboard, or why the object must wait for it.
// A Switchboard whose listing is usable is Ready; a transient error refreshing it keeps it
// Ready with its last listing.
func (r *ConversationControlReconciler) usableSwitchboard(ctx context.Context, cc *sbv1.ConversationControl) (*sbv1.Switchboard, string) {
	sb := &sbv1.Switchboard{}
	key := client.ObjectKey{Namespace: cc.Namespace, Name: cc.Spec.SwitchboardRef.Name}
	if err := r.Get(ctx, key, sb); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Sprintf("Switchboard %s does not exist", key.Name)
		}
		return nil, fmt.Sprintf("Switchboard %s could not be read", key.Name)
	}
	ready := meta.FindStatusCondition(sb.Status.Conditions, sbv1.ConditionReady)
	if ready == nil || ready.Status != metav1.ConditionTrue {
		why := "it has not been reconciled yet"
		if ready != nil {
			why = fmt.Sprintf("%s: %s", ready.Reason, ready.Message)
		}
		return nil, fmt.Sprintf("Switchboard %s is not Ready (%s)", key.Name, why)
	}
	return sb, ""
}
