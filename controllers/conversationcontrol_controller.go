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
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
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
// +kubebuilder:rbac:groups=switchboard.conversations.dev,resources=conversationcontrols,verbs=get;list;watch;patch
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
}

// ccScope is one reconcile of one object.
type ccScope struct {
	cc      *sbv1.ConversationControl
	patcher *statusPatcher
	conds   conditions
}

// Reconcile moves one conversation towards the declared state. It reads the object,
// handles deletion, and then runs the phases in order; the status is patched at the end,
// once, and only when it changed.
func (r *ConversationControlReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	cc := &sbv1.ConversationControl{}
	if err := r.Get(ctx, req.NamespacedName, cc); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	patcher := newStatusPatcher(cc)
	s := &ccScope{cc: cc, patcher: &patcher, conds: conditions{list: &cc.Status.Conditions, generation: cc.Generation}}
	defer func() {
		if err := patcher.patchFinal(ctx, r.Client, cc); err != nil {
			retErr = kerrors.NewAggregate([]error{retErr, err})
		}
	}()

	if !cc.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, s)
	}
	if err := r.reconcileFinalizer(ctx, cc); err != nil {
		return ctrl.Result{}, err
	}
	if cc.Spec.Suspend {
		s.conds.notReady(sbv1.ReasonSuspended, "spec.suspend is true: no switchboard calls are made")
		cc.Status.ObservedGeneration = cc.Generation
		return ctrl.Result{}, nil
	}
	return r.reconcileControl(ctx, s)
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
func (r *ConversationControlReconciler) reconcileFinalizer(ctx context.Context, cc *sbv1.ConversationControl) error {
	want := cc.Spec.DeletionPolicy == sbv1.DeletionPolicyRelease
	if want == controllerutil.ContainsFinalizer(cc, sbv1.FinalizerRelease) {
		return nil
	}
	base := cc.DeepCopy()
	if want {
		controllerutil.AddFinalizer(cc, sbv1.FinalizerRelease)
	} else {
		controllerutil.RemoveFinalizer(cc, sbv1.FinalizerRelease)
	}
	return r.Patch(ctx, cc, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
}

// reconcileControl observes the conversation, decides, and applies at most one action.
// It sets Ready, InSync, and Reconciling or Stalled.
func (r *ConversationControlReconciler) reconcileControl(ctx context.Context, s *ccScope) (ctrl.Result, error) {
	cc := s.cc
	if meta.FindStatusCondition(cc.Status.Conditions, sbv1.ConditionReady) == nil {
		s.conds.set(sbv1.ConditionReady, metav1.ConditionUnknown, sbv1.ReasonProgressing, "the operator is reading the conversation")
	}
	if meta.FindStatusCondition(cc.Status.Conditions, sbv1.ConditionInSync) == nil {
		s.conds.set(sbv1.ConditionInSync, metav1.ConditionUnknown, sbv1.ReasonNotObserved, "the live state has not been read yet")
	}

	sb, waiting := r.readySwitchboard(ctx, cc)
	if waiting != "" {
		s.conds.reconciling(sbv1.ReasonSwitchboardNotReady, waiting)
		return ctrl.Result{RequeueAfter: withJitter(r.SwitchboardRetryInterval)}, nil
	}
	older, err := r.olderClaim(ctx, cc, sb)
	if err != nil {
		return ctrl.Result{}, err
	}
	if older != "" {
		return r.failed(s, failure{Reason: sbv1.ReasonConflict, Terminal: true, Message: fmt.Sprintf(
			"ConversationControl %s, created earlier, targets conversation %s of app %s; this one waits until that one is deleted",
			older, cc.Spec.ConversationID, sb.Spec.AppID)})
	}

	// An explicit target must be one of the Switchboard's integrations: refuse it
	// without calling the API.
	var explicit *sbv1.IntegrationReference
	if cc.Spec.State != sbv1.StateReleased && cc.Spec.Integration != sbv1.IntegrationNext {
		if explicit, err = resolveIntegration(sb, cc.Spec.Integration); err != nil {
			return r.failed(s, failure{Reason: sbv1.ReasonIntegrationNotFound, Terminal: true, Message: err.Error()})
		}
	}

	api, _, err := r.Connector.Connect(ctx, sb, false)
	if err != nil {
		return r.failed(s, classify(err))
	}
	live, err := r.observe(ctx, cc, api)
	if err != nil {
		return r.failed(s, classify(err))
	}
	settleInFlight(cc, live)

	want, err := resolveDesired(cc, sb, live, explicit)
	if err != nil {
		return r.failed(s, failure{Reason: sbv1.ReasonIntegrationNotFound, Terminal: true, Message: err.Error()})
	}

	requestedAt := cc.Annotations[sbv1.AnnotationRequestedAt]
	dec := decide(decisionInput{
		Desired:          want,
		LastApplied:      cc.Status.LastAppliedAction,
		Live:             live,
		DriftPolicy:      cc.Spec.DriftPolicy,
		PollInterval:     pollInterval(cc),
		ReapplyRequested: requestedAt != "" && requestedAt != cc.Status.LastHandledReconcileAt,
		Now:              r.now(),
	})
	cc.Status.LastHandledReconcileAt = requestedAt
	if dec.Action == "" && dec.InSync && !want.Next && !declarationApplied(cc.Status.LastAppliedAction, want) {
		// The declaration is in effect without an action of this pass: it was so already, or
		// an action's outcome was lost in a crash. Record it, so that later drift is judged
		// by the drift policy and deletion with Release releases it.
		cc.Status.LastAppliedAction = &sbv1.AppliedAction{
			Action: actionFor(want, sbv1.LiveState{}), State: want.State, Integration: want.Integration,
			Generation: cc.Generation, Time: metav1.NewTime(r.now()), Reached: want.Target.DeepCopy(), Adopted: true,
		}
	}

	if dec.Action != "" {
		after, f, err := r.apply(ctx, s, api, want, dec.Action, live)
		if err != nil || f != nil {
			if f != nil {
				return r.failed(s, *f)
			}
			return ctrl.Result{}, err
		}
		live = after
		cc.Status.ActiveIntegration, cc.Status.PendingIntegration = live.Active.DeepCopy(), live.Pending.DeepCopy()
		dec = decide(decisionInput{Desired: want, LastApplied: cc.Status.LastAppliedAction, Live: live})
	}
	return r.report(s, want, dec, live), nil
}

// readySwitchboard returns the object's Switchboard, or why the object must wait for it.
func (r *ConversationControlReconciler) readySwitchboard(ctx context.Context, cc *sbv1.ConversationControl) (*sbv1.Switchboard, string) {
	sb := &sbv1.Switchboard{}
	key := client.ObjectKey{Namespace: cc.Namespace, Name: cc.Spec.SwitchboardRef.Name}
	if err := r.Get(ctx, key, sb); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Sprintf("Switchboard %s does not exist", key.Name)
		}
		return nil, fmt.Sprintf("Switchboard %s could not be read: %v", key.Name, err)
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

// observe reads the live state of the conversation and records it in status.
func (r *ConversationControlReconciler) observe(ctx context.Context, cc *sbv1.ConversationControl, api SunshineAPI) (sbv1.LiveState, error) {
	conv, err := api.GetConversation(ctx, cc.Spec.ConversationID)
	if err != nil {
		return sbv1.LiveState{}, err
	}
	live := liveStateOf(conv)
	changed := cc.Status.LastObservedTime == nil ||
		!equality.Semantic.DeepEqual(live, sbv1.LiveState{Active: cc.Status.ActiveIntegration, Pending: cc.Status.PendingIntegration})
	if changed {
		// A read that finds nothing new is not written: polls cause no status churn.
		cc.Status.ActiveIntegration, cc.Status.PendingIntegration = live.Active, live.Pending
		observed := metav1.NewTime(r.now())
		cc.Status.LastObservedTime = &observed
	}
	return live, nil
}

// settleInFlight decides, from the live state, whether an action that was in flight when
// the operator stopped took effect, and records it as applied if so.
func settleInFlight(cc *sbv1.ConversationControl, live sbv1.LiveState) {
	inFlight := cc.Status.InFlightAction
	if inFlight == nil {
		return
	}
	cc.Status.InFlightAction = nil
	if inFlight.Generation != cc.Generation || !actionLanded(inFlight, live) {
		return
	}
	if inFlight.Action == sbv1.ActionPassControl || inFlight.Action == sbv1.ActionAcceptControl {
		inFlight.Reached = live.Active
	}
	cc.Status.LastAppliedAction = inFlight
}

// apply sends one action. A `next`, which the vendor does not apply idempotently, is
// recorded as in flight (one status write) before it is sent, so that when the process
// dies between the call and the final status write the next pass decides from the live
// state whether it landed, and never hops twice. Other actions are idempotent: after such
// a crash the next pass finds the declaration in effect and records it (adopted). A
// transient failure (a timeout, a lost answer) leaves any action in flight, to be settled
// from the live state. It returns the live state the action leads to, or the failure.
func (r *ConversationControlReconciler) apply(ctx context.Context, s *ccScope, api SunshineAPI, want desired, action sbv1.Action, before sbv1.LiveState) (sbv1.LiveState, *failure, error) {
	cc := s.cc
	record := &sbv1.AppliedAction{
		Action:      action,
		State:       want.State,
		Integration: cc.Spec.Integration,
		Generation:  cc.Generation,
		Time:        metav1.NewTime(r.now()),
		Reached:     want.Target.DeepCopy(),
		Before:      before.DeepCopy(),
	}
	if action == sbv1.ActionReleaseControl {
		record.Reached = nil
	}
	if want.Next {
		cc.Status.InFlightAction = record
		if err := s.patcher.patchNow(ctx, r.Client, cc); err != nil {
			return before, nil, err
		}
	}

	err := r.send(ctx, api, cc, action, want)
	r.Metrics.observeHandoff(cc, action, err)
	if err != nil {
		f := classify(err)
		if f.Terminal {
			// Refused: the action did not take.
			cc.Status.InFlightAction = nil
			r.event(cc, corev1.EventTypeWarning, sbv1.EventReasonHandoffRefused, string(action),
				"%s to %s refused: %s", action, describeTarget(want), f.Message)
		} else {
			// The outcome is unknown: the next pass decides from the live state.
			cc.Status.InFlightAction = record
		}
		return before, &f, nil
	}
	cc.Status.InFlightAction = nil
	cc.Status.LastAppliedAction = record
	r.event(cc, corev1.EventTypeNormal, sbv1.EventReasonHandoffApplied, string(action),
		"%s to %s applied (was %s)", action, describeTarget(want), describeLive(before))
	return liveAfter(action, want, before), nil, nil
}

// send issues the switchboard action with the object's metadata.
func (r *ConversationControlReconciler) send(ctx context.Context, api SunshineAPI, cc *sbv1.ConversationControl, action sbv1.Action, want desired) error {
	var metadata map[string]any
	if len(cc.Spec.Metadata) > 0 {
		metadata = make(map[string]any, len(cc.Spec.Metadata))
		for k, v := range cc.Spec.Metadata {
			metadata[k] = v
		}
	}
	target := sbv1.IntegrationNext
	if !want.Next && want.Target != nil {
		target = want.Target.ID
	}
	id := cc.Spec.ConversationID
	switch action {
	case sbv1.ActionPassControl:
		return api.PassControl(ctx, id, sunshine.PassControlRequest{SwitchboardIntegration: target, Metadata: metadata})
	case sbv1.ActionOfferControl:
		return api.OfferControl(ctx, id, sunshine.OfferControlRequest{SwitchboardIntegration: target, Metadata: metadata})
	case sbv1.ActionAcceptControl:
		return api.AcceptControl(ctx, id, sunshine.AcceptControlRequest{Metadata: metadata})
	default:
		return api.ReleaseControl(ctx, id, sunshine.ReleaseControlRequest{Metadata: metadata})
	}
}

// report writes the outcome of a pass that needed no further action: Ready=True, InSync,
// and the requeue for the next poll.
func (r *ConversationControlReconciler) report(s *ccScope, want desired, dec decision, live sbv1.LiveState) ctrl.Result {
	cc := s.cc
	if dec.InSync {
		s.conds.set(sbv1.ConditionInSync, metav1.ConditionTrue, sbv1.ReasonInSync,
			fmt.Sprintf("the conversation is as declared (%s)", describeLive(live)))
	} else {
		wasInSync := meta.IsStatusConditionTrue(cc.Status.Conditions, sbv1.ConditionInSync)
		message := fmt.Sprintf("declared %s %s, but the conversation has %s; driftPolicy %s",
			want.State, describeTarget(want), describeLive(live), cc.Spec.DriftPolicy)
		s.conds.set(sbv1.ConditionInSync, metav1.ConditionFalse, sbv1.ReasonDrifted, message)
		if wasInSync {
			r.event(cc, corev1.EventTypeWarning, sbv1.EventReasonDriftDetected, "Observe", "%s", message)
		}
	}
	s.conds.ready(dec.ReadyReason, readyMessage(want, dec.ReadyReason))
	cc.Status.ObservedGeneration = cc.Generation

	poll := pollInterval(cc)
	if poll <= 0 {
		return ctrl.Result{}
	}
	next := poll
	if !dec.InSync && cc.Spec.DriftPolicy == sbv1.DriftPolicyEnforce && cc.Status.LastAppliedAction != nil {
		// Come back when the drift may be enforced again.
		if due := cc.Status.LastAppliedAction.Time.Add(poll).Sub(r.now()); due > 0 && due < next {
			next = due
		}
	}
	return ctrl.Result{RequeueAfter: withJitter(next)}
}

// failed records a classified failure. Terminal failures finish the generation
// (Stalled) and wait for a change; transient ones are retried, after Retry-After when
// the API gave one, else with the controller's exponential backoff.
func (r *ConversationControlReconciler) failed(s *ccScope, f failure) (ctrl.Result, error) {
	s.conds.fail(f)
	if f.Terminal {
		s.cc.Status.ObservedGeneration = s.cc.Generation
		return ctrl.Result{}, nil
	}
	if f.RetryAfter > 0 {
		return ctrl.Result{RequeueAfter: withJitter(f.RetryAfter)}, nil
	}
	return ctrl.Result{}, f.Err
}

// readyMessage says what Ready=True means for this object.
func readyMessage(want desired, reason string) string {
	switch {
	case reason == sbv1.ReasonAlreadyActive:
		return fmt.Sprintf("%s is already active; an offer to the active integration is not needed", describeTarget(want))
	case want.State == sbv1.StateReleased:
		return "the conversation is released"
	case want.State == sbv1.StateOffered:
		return fmt.Sprintf("control is offered to %s", describeTarget(want))
	default:
		return fmt.Sprintf("%s controls the conversation", describeTarget(want))
	}
}

// liveAfter is the live state an applied action leads to.
func liveAfter(action sbv1.Action, want desired, before sbv1.LiveState) sbv1.LiveState {
	switch action {
	case sbv1.ActionOfferControl:
		return sbv1.LiveState{Active: before.Active, Pending: want.Target.DeepCopy()}
	case sbv1.ActionReleaseControl:
		return sbv1.LiveState{}
	default:
		return sbv1.LiveState{Active: want.Target.DeepCopy()}
	}
}

// pollInterval is spec.pollInterval, 0 when unset.
func pollInterval(cc *sbv1.ConversationControl) time.Duration {
	if cc.Spec.PollInterval == nil {
		return 0
	}
	return cc.Spec.PollInterval.Duration
}
