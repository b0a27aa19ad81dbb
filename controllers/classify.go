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
	"errors"
	"math/rand/v2"
	"time"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"

	switchboardv1alpha1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// maxRetryAfter bounds how long a 429's Retry-After can make the operator wait.
const maxRetryAfter = 5 * time.Minute

// failure is an error classified once, for conditions, events and the requeue.
type failure struct {
	// Reason is the condition reason (a constant of api/v1alpha1).
	Reason string
	// Terminal errors set Stalled and wait for a change; the others set Reconciling and
	// are retried.
	Terminal bool
	// RetryAfter, when set, is how long to wait before the retry (bounded).
	RetryAfter time.Duration
	// Message is written for a person; it never holds credentials.
	Message string
	// Err is the error as returned.
	Err error
}

// classify maps an error from the vendor's API (or from building the client) to a
// condition reason and a retry decision. It is the only place that does so.
func classify(err error) failure {
	f := failure{Err: err, Message: err.Error()}
	switch {
	case errors.Is(err, ErrSecretNotFound):
		f.Reason, f.Terminal = switchboardv1alpha1.ReasonSecretNotFound, true
	case sunshine.IsUnauthorized(err):
		f.Reason, f.Terminal = switchboardv1alpha1.ReasonUnauthorized, true
		f.Message = "the API refused the credentials (401): check the key id and secret in the Secret"
	case sunshine.IsForbidden(err):
		f.Reason, f.Terminal = switchboardv1alpha1.ReasonForbidden, true
	case sunshine.IsAppNotFound(err):
		f.Reason, f.Terminal = switchboardv1alpha1.ReasonAppNotFound, true
	case sunshine.IsConversationNotFound(err):
		f.Reason, f.Terminal = switchboardv1alpha1.ReasonConversationNotFound, true
	case sunshine.IsSwitchboardNotFound(err):
		f.Reason, f.Terminal = switchboardv1alpha1.ReasonSwitchboardNotFound, true
	case sunshine.IsInvalidTarget(err):
		f.Reason, f.Terminal = switchboardv1alpha1.ReasonIntegrationNotFound, true
	case sunshine.IsNotFound(err):
		f.Reason, f.Terminal = switchboardv1alpha1.ReasonConversationNotFound, true
	case sunshine.IsInvalidRequest(err), sunshine.IsInvalidAction(err):
		f.Reason, f.Terminal = switchboardv1alpha1.ReasonInvalidRequest, true
	case sunshine.IsRateLimited(err):
		f.Reason = switchboardv1alpha1.ReasonRateLimited
		if d, ok := sunshine.RetryAfter(err); ok && d > 0 {
			f.RetryAfter = min(d, maxRetryAfter)
		}
	default:
		// 5xx, timeouts, connection errors, and anything unexpected: retry with backoff.
		f.Reason = switchboardv1alpha1.ReasonAPIUnavailable
	}
	return f
}

// withJitter spreads d by up to +10% so that many objects polled at the same interval
// do not hit the API in waves.
func withJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}
