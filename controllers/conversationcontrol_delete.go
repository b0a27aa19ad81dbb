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
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// reconcileDelete handles an object being deleted. With deletionPolicy Release it
// releases the conversation, but only while it is where this object's own action put it,
// and only when no older object claims it; then it removes the finalizer. A release that
// cannot be made (the Switchboard, the Secret or the credentials are gone, the endpoint is
// not allowed) is skipped at once with a Warning Event; a transient failure is retried
// until DeletionTimeout, then skipped the same way. Sets Ready=False Deleting, and
// Reconciling while it retries.
func (r *ConversationControlReconciler) reconcileDelete(ctx context.Context, s *ccScope) outcome {
	cc := s.cc
	if !controllerutil.ContainsFinalizer(cc, sbv1.FinalizerRelease) {
		return outcome{}
	}
	conds := conditions{list: &cc.Status.Conditions, generation: cc.Generation, now: s.in.Now}
	conds.notReady(sbv1.ReasonDeleting, "the object is being deleted")

	note, f := r.releaseOnDelete(ctx, cc)
	if f != nil {
		waited := r.now().Sub(cc.DeletionTimestamp.Time)
		if !f.Terminal && waited < r.DeletionTimeout {
			conds.fail(*f)
			retry := min(max(f.RetryAfter, 5*time.Second), r.DeletionTimeout-waited)
			return outcome{RequeueAfter: retry}
		}
		note = "the conversation was not released: " + f.Message
		if !f.Terminal {
			note = fmt.Sprintf("gave up releasing the conversation after %s: %s", r.DeletionTimeout, f.Message)
		}
	}
	if note != "" {
		r.event(cc, corev1.EventTypeWarning, sbv1.EventReasonReleaseSkipped, "Delete", "%s", note)
	}

	base := cc.DeepCopy()
	controllerutil.RemoveFinalizer(cc, sbv1.FinalizerRelease)
	if err := r.Patch(ctx, cc, client.MergeFrom(base)); err != nil && !apierrors.IsNotFound(err) {
		return outcome{Err: err}
	}
	s.skipPatch = true // the object is going away; its status no longer matters
	logf.FromContext(ctx).Info("Removed the release finalizer", "note", note)
	return outcome{}
}

// releaseOnDelete releases the conversation if this object's own action put it where it
// is. It returns a note for a Warning Event when the release was skipped for a reason a
// person should know, or the failure that stopped it.
func (r *ConversationControlReconciler) releaseOnDelete(ctx context.Context, cc *sbv1.ConversationControl) (string, *failure) {
	if cc.Spec.Suspend {
		return "the object is suspended: the conversation is left as it is", nil
	}
	if !mayHaveMoved(cc.Status) {
		return "", nil // nothing of ours to release
	}
	sb := &sbv1.Switchboard{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: cc.Namespace, Name: cc.Spec.SwitchboardRef.Name}, sb); err != nil {
		if apierrors.IsNotFound(err) {
			return "", &failure{Terminal: true, Reason: sbv1.ReasonSwitchboardNotReady,
				Message: fmt.Sprintf("Switchboard %s does not exist", cc.Spec.SwitchboardRef.Name)}
		}
		return "", &failure{Reason: sbv1.ReasonSwitchboardNotReady, Message: fmt.Sprintf("Switchboard %s could not be read", cc.Spec.SwitchboardRef.Name), Err: err}
	}
	claim, err := r.olderClaim(ctx, cc, sb)
	if err != nil {
		return "", &failure{Reason: sbv1.ReasonAPIUnavailable, Message: "the objects claiming the conversation could not be listed", Err: err}
	}
	if claim != "" {
		return "the conversation was not released: " + claim, nil
	}
	api, _, err := r.Connector.Connect(ctx, sb, false)
	if err != nil {
		f := classify(err)
		return "", &f
	}
	conv, err := api.GetConversation(ctx, cc.Spec.ConversationID)
	if sunshine.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		f := classify(err)
		return "", &f
	}
	live := liveStateOf(conv)
	if !putThereByUs(cc.Status, live) {
		return fmt.Sprintf("the conversation moved on (%s): not released", describeLive(live)), nil
	}
	err = api.ReleaseControl(ctx, cc.Spec.ConversationID, sunshine.ReleaseControlRequest{})
	r.Metrics.observeHandoff(cc, sbv1.ActionReleaseControl, err)
	if err != nil && !sunshine.IsNotFound(err) {
		f := classify(err)
		return "", &f
	}
	r.event(cc, corev1.EventTypeNormal, sbv1.EventReasonHandoffApplied, string(sbv1.ActionReleaseControl),
		"releaseControl applied on delete (was %s)", describeLive(live))
	return "", nil
}

// mayHaveMoved tells whether an applied action of this object moved the conversation to an
// integration. An action still in flight does not count: whether it landed is not known, and
// the operator never releases what it cannot tell it moved.
func mayHaveMoved(st sbv1.ConversationControlStatus) bool {
	last := st.LastAppliedAction
	return last != nil && last.Reached != nil
}

// putThereByUs tells whether the conversation is exactly where this object's own action
// put it: active at the integration its pass or accept made active with nothing pending, or
// pending at the integration it offered control to while nothing was active, with nothing
// active still. A conversation that
// someone offered on since, or an offer that was then accepted (by the other integration,
// not by this object), is not released; nor is one whose last action is still in flight.
func putThereByUs(st sbv1.ConversationControlStatus, live sbv1.LiveState) bool {
	a := st.LastAppliedAction
	switch {
	case a == nil || a.Reached == nil:
		return false
	case a.Action == sbv1.ActionOfferControl:
		// Only an offer made while nothing was active left nothing active.
		return a.Before != nil && a.Before.Active == nil && live.Active == nil && sameIntegration(live.Pending, a.Reached)
	default:
		return live.Pending == nil && sameIntegration(live.Active, a.Reached)
	}
}
