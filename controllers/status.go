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
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// conditions sets the kstatus-compatible conditions of one object: Ready is always
// present; Reconciling and Stalled exist only while True and never together; every
// condition carries the object's generation.
type conditions struct {
	list       *[]metav1.Condition
	generation int64
	// now is the transition time of a condition that changes status; zero for the clock.
	now time.Time
}

func (c conditions) set(condType string, status metav1.ConditionStatus, reason, message string) {
	cond := metav1.Condition{
		Type:               condType,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: c.generation,
	}
	if !c.now.IsZero() {
		cond.LastTransitionTime = metav1.NewTime(c.now)
	}
	meta.SetStatusCondition(c.list, cond)
}

// initial sets a condition that is not there yet.
func (c conditions) initial(condType string, status metav1.ConditionStatus, reason, message string) {
	if meta.FindStatusCondition(*c.list, condType) == nil {
		c.set(condType, status, reason, message)
	}
}

// ready marks the object Ready=True and clears Reconciling and Stalled.
func (c conditions) ready(reason, message string) {
	meta.RemoveStatusCondition(c.list, sbv1.ConditionReconciling)
	meta.RemoveStatusCondition(c.list, sbv1.ConditionStalled)
	c.set(sbv1.ConditionReady, metav1.ConditionTrue, reason, message)
}

// reconciling marks the object as progressing (Reconciling=True, Ready=False).
func (c conditions) reconciling(reason, message string) {
	c.retrying(reason, message)
	c.set(sbv1.ConditionReady, metav1.ConditionFalse, reason, message)
}

// retrying marks a retry (Reconciling=True) and leaves Ready as it is.
func (c conditions) retrying(reason, message string) {
	meta.RemoveStatusCondition(c.list, sbv1.ConditionStalled)
	c.set(sbv1.ConditionReconciling, metav1.ConditionTrue, reason, message)
}

// stalled marks the object as stuck until something changes (Stalled=True, Ready=False).
// stalledWith tells whether Stalled is True with reason.
func (c conditions) stalledWith(reason string) bool {
	s := meta.FindStatusCondition(*c.list, sbv1.ConditionStalled)
	return s != nil && s.Status == metav1.ConditionTrue && s.Reason == reason
}

func (c conditions) stalled(reason, message string) {
	meta.RemoveStatusCondition(c.list, sbv1.ConditionReconciling)
	c.set(sbv1.ConditionStalled, metav1.ConditionTrue, reason, message)
	c.set(sbv1.ConditionReady, metav1.ConditionFalse, reason, message)
}

// notReady marks Ready=False without Reconciling or Stalled (suspended, deleting).
func (c conditions) notReady(reason, message string) {
	meta.RemoveStatusCondition(c.list, sbv1.ConditionReconciling)
	meta.RemoveStatusCondition(c.list, sbv1.ConditionStalled)
	c.set(sbv1.ConditionReady, metav1.ConditionFalse, reason, message)
}

// fail records a classified error: Stalled for terminal errors, Reconciling otherwise.
func (c conditions) fail(f failure) {
	if f.Terminal {
		c.stalled(f.Reason, f.Message)
		return
	}
	c.reconciling(f.Reason, f.Message)
}

// statusWriteTimeout bounds a status write that must happen even while the manager stops.
const statusWriteTimeout = 10 * time.Second

// statusPatcher writes an object's status once per reconcile, as a merge patch of the
// status alone, and only when it changed.
type statusPatcher struct {
	original client.Object
}

func newStatusPatcher(obj client.Object) statusPatcher {
	return statusPatcher{original: obj.DeepCopyObject().(client.Object)}
}

// patch sends the status change of obj, if any. The base of the patch is obj itself with
// the original status, so the patch holds nothing but status fields and needs no
// resourceVersion (metadata may have been patched in between).
func (p statusPatcher) patch(ctx context.Context, c client.Client, obj client.Object, opts ...client.MergeFromOption) error {
	if equality.Semantic.DeepEqual(statusOf(p.original), statusOf(obj)) {
		return nil
	}
	base := obj.DeepCopyObject().(client.Object)
	copyStatus(base, p.original)
	if err := c.Status().Patch(ctx, obj, client.MergeFromWithOptions(base, opts...)); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}

// patchFinal is patch at the end of a reconcile. It writes even when ctx was cancelled
// (the manager is stopping) after an API call: what the call did must not be lost.
func (p statusPatcher) patchFinal(ctx context.Context, c client.Client, obj client.Object) error {
	writeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), statusWriteTimeout)
	defer cancel()
	return p.patch(writeCtx, c, obj)
}

// patchNow sends the status change of obj right away (in the middle of a reconcile), with
// an optimistic lock: it fails with a conflict when obj is not the object's latest version
// (a stale cache), so nothing is decided from an outdated status. The result becomes the
// base of the next patch.
func (p *statusPatcher) patchNow(ctx context.Context, c client.Client, obj client.Object) error {
	if err := p.patch(ctx, c, obj, client.MergeFromWithOptimisticLock{}); err != nil {
		return err
	}
	p.original = obj.DeepCopyObject().(client.Object)
	return nil
}

// statusOf returns the status of one of this API's objects.
func statusOf(obj client.Object) any {
	switch o := obj.(type) {
	case *sbv1.ConversationControl:
		return &o.Status
	case *sbv1.Switchboard:
		return &o.Status
	}
	return nil
}

// copyStatus copies the status of from into to (objects of the same kind).
func copyStatus(to, from client.Object) {
	switch t := to.(type) {
	case *sbv1.ConversationControl:
		t.Status = *from.(*sbv1.ConversationControl).Status.DeepCopy()
	case *sbv1.Switchboard:
		t.Status = *from.(*sbv1.Switchboard).Status.DeepCopy()
	}
}
