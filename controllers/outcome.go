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
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
)

// outcome is how a reconcile ends, for every reconciler and for deletion.
type outcome struct {
	// Finished tells that the generation is finished (applied or stalled), so
	// status.observedGeneration is written.
	Finished bool
	// RequeueAfter, when positive, asks for another pass after it (with jitter): the next
	// poll, a Retry-After, a wait.
	RequeueAfter time.Duration
	// Exact asks for RequeueAfter without jitter: a poll slot or an expiry, already spread
	// over objects.
	Exact bool
	// Err asks for a retry with the controller's exponential backoff. An optimistic-lock
	// conflict is retried soon and silently.
	Err error
}

// wakeBy brings the next pass forward to at (at once when at has passed), without jitter.
func (o *outcome) wakeBy(at, now time.Time) {
	if until := max(at.Sub(now), time.Millisecond); o.RequeueAfter == 0 || until < o.RequeueAfter {
		o.RequeueAfter, o.Exact = until, true
	}
}

// conflictRetryDelay is how soon a reconcile that lost an optimistic-lock race, or found its
// cache behind its own last write, looks again.
const conflictRetryDelay = 200 * time.Millisecond

// retrySoon is the outcome of a pass that lost a race with another writer of the object.
func retrySoon() outcome { return outcome{RequeueAfter: conflictRetryDelay} }

// finish maps an outcome to the controller's result and writes observedGeneration when the
// generation is finished. It is the only place that does either.
func finish(o outcome, observedGeneration *int64, generation int64) (ctrl.Result, error) {
	if o.Finished {
		*observedGeneration = generation
	}
	switch {
	case o.Err != nil && apierrors.IsConflict(o.Err):
		return ctrl.Result{RequeueAfter: conflictRetryDelay}, nil
	case o.Err != nil:
		return ctrl.Result{}, o.Err
	case o.RequeueAfter > 0 && o.Exact:
		return ctrl.Result{RequeueAfter: o.RequeueAfter}, nil
	case o.RequeueAfter > 0:
		return ctrl.Result{RequeueAfter: withJitter(o.RequeueAfter)}, nil
	}
	return ctrl.Result{}, nil
}
