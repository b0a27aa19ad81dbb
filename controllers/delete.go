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
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// reconcileDelete handles an object being deleted. With deletionPolicy Orphan there is
// no finalizer and nothing to do. With Release it releases the conversation while the
// conversation is still where this object put it (a 404 counts as done), then removes the
// finalizer. It works while suspended (without calling the API), and gives up after
// DeletionTimeout with a Warning event, so deletion never hangs for good. It sets
// Ready=False with reason Deleting, or the failure that holds it up.
func (r *ConversationControlReconciler) reconcileDelete(ctx context.Context, s *ccScope) (ctrl.Result, error) {
	cc := s.cc
	if !controllerutil.ContainsFinalizer(cc, sbv1.FinalizerRelease) {
		return ctrl.Result{}, nil
	}
	s.conds.notReady(sbv1.ReasonDeleting, "the object is being deleted")

	note, err := r.releaseOnDelete(ctx, cc)
	if err != nil {
		f := classify(err)
		waited := r.now().Sub(cc.DeletionTimestamp.Time)
		if waited < r.DeletionTimeout {
			s.conds.fail(f)
			retry := min(max(f.RetryAfter, 5*time.Second), r.DeletionTimeout-waited)
			return ctrl.Result{RequeueAfter: withJitter(retry)}, nil
		}
		note = fmt.Sprintf("gave up releasing the conversation after %s: %s", r.DeletionTimeout, f.Message)
		r.event(cc, corev1.EventTypeWarning, sbv1.EventReasonReleaseSkipped, "Delete", "%s", note)
	} else if note != "" {
		r.event(cc, corev1.EventTypeNormal, sbv1.EventReasonReleaseSkipped, "Delete", "%s", note)
	}

	base := cc.DeepCopy()
	controllerutil.RemoveFinalizer(cc, sbv1.FinalizerRelease)
	if err := r.Patch(ctx, cc, client.MergeFrom(base)); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	logf.FromContext(ctx).Info("Removed the release finalizer", "note", note)
	return ctrl.Result{}, nil
}

// releaseOnDelete releases the conversation if this object still controls it. It returns
// a note when it decided not to release, or the error that stopped it.
func (r *ConversationControlReconciler) releaseOnDelete(ctx context.Context, cc *sbv1.ConversationControl) (string, error) {
	if cc.Spec.Suspend {
		return "the object is suspended: the conversation is left as it is", nil
	}
	last := cc.Status.LastAppliedAction
	if inFlight := cc.Status.InFlightAction; inFlight != nil {
		// Deleted before the next pass settled it: judge it by the live state below.
		last = inFlight
	}
	if last == nil || last.Action == sbv1.ActionReleaseControl {
		return "", nil // nothing of ours to release
	}
	sb := &sbv1.Switchboard{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: cc.Namespace, Name: cc.Spec.SwitchboardRef.Name}, sb); err != nil {
		return "", fmt.Errorf("reading Switchboard %s: %w", cc.Spec.SwitchboardRef.Name, err)
	}
	api, _, err := r.Connector.Connect(ctx, sb, false)
	if err != nil {
		return "", err
	}
	conv, err := api.GetConversation(ctx, cc.Spec.ConversationID)
	if sunshine.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	live := liveStateOf(conv)
	ours := sameIntegration(live.Active, last.Reached) ||
		(last.Action == sbv1.ActionOfferControl && sameIntegration(live.Pending, last.Reached))
	if !ours {
		return fmt.Sprintf("the conversation moved on (%s): not released", describeLive(live)), nil
	}
	err = api.ReleaseControl(ctx, cc.Spec.ConversationID, sunshine.ReleaseControlRequest{})
	r.Metrics.observeHandoff(cc, sbv1.ActionReleaseControl, err)
	if sunshine.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	r.event(cc, corev1.EventTypeNormal, sbv1.EventReasonHandoffApplied, string(sbv1.ActionReleaseControl),
		"releaseControl applied on delete (was %s)", describeLive(live))
	return "", nil
}
