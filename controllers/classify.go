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
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
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
//
// Whether a vendor error is retried comes from sunshine.IsRetryable alone; classify
// only names it. Messages are stable sentences: they name the kind of failure, never
// a raw network error with its addresses and ports, so a retry that fails the same way
// writes no new status.
func classify(err error) failure {
	f := failure{Err: err, Message: err.Error()}
	switch {
	case errors.Is(err, ErrEndpointNotAllowed):
		f.Reason, f.Terminal = sbv1.ReasonEndpointNotAllowed, true
	case errors.Is(err, ErrSecretNotFound):
		f.Reason, f.Terminal = sbv1.ReasonSecretNotFound, true
	case errors.Is(err, ErrSecretInvalid):
		f.Reason, f.Terminal = sbv1.ReasonSecretInvalid, true
	case errors.Is(err, ErrSecretForbidden):
		f.Reason, f.Terminal = sbv1.ReasonSecretForbidden, true
	case isVendorError(err):
		classifyVendor(&f, err)
	default:
		// The Kubernetes API server, for example a Secret read that timed out: retry.
		f.Reason = sbv1.ReasonAPIUnavailable
	}
	return f
}

// isVendorError reports whether err comes from the vendor's client.
func isVendorError(err error) bool {
	var (
		apiErr     *sunshine.APIError
		reqErr     *sunshine.RequestError
		limitedErr *sunshine.RateLimitedError
		invalidErr *sunshine.ValidationError
	)
	return errors.As(err, &apiErr) || errors.As(err, &reqErr) || errors.As(err, &limitedErr) || errors.As(err, &invalidErr)
}

// classifyVendor fills f for an error of the vendor's client.
func classifyVendor(f *failure, err error) {
	if errors.Is(err, context.Canceled) {
		// Not the vendor's doing: the operator is stopping. The next run retries.
		f.Reason = sbv1.ReasonAPIUnavailable
		f.Message = operationOf(err) + ": the request was cancelled before an answer came"
		return
	}
	if sunshine.IsRetryable(err) {
		classifyTransient(f, err)
		return
	}
	f.Terminal = true
	switch {
	case sunshine.IsUnauthorized(err):
		f.Reason = sbv1.ReasonUnauthorized
		f.Message = "the API refused the credentials (401): check the key id and secret in the Secret"
	case sunshine.IsForbidden(err):
		f.Reason = sbv1.ReasonForbidden
	case sunshine.IsAppNotFound(err):
		f.Reason = sbv1.ReasonAppNotFound
	case sunshine.IsConversationNotFound(err):
		f.Reason = sbv1.ReasonConversationNotFound
	case sunshine.IsSwitchboardNotFound(err):
		f.Reason = sbv1.ReasonSwitchboardNotFound
	case sunshine.IsInvalidTarget(err):
		f.Reason = sbv1.ReasonIntegrationNotFound
	case sunshine.IsNotFound(err):
		f.Reason = sbv1.ReasonConversationNotFound
	case sunshine.IsInvalidRequest(err), sunshine.IsInvalidAction(err):
		f.Reason = sbv1.ReasonInvalidRequest
	default:
		// A redirect, or a status the operator does not know (409, 405, ...).
		f.Reason = sbv1.ReasonUnexpectedResponse
		f.Message = fmt.Sprintf("%s: the API answered %s, which the operator does not expect; check spec.endpoint "+
			"(it must be the API base URL, and the operator follows no redirects)", operationOf(err), httpStatusOf(err))
	}
}

// classifyTransient fills f for a retryable vendor error.
func classifyTransient(f *failure, err error) {
	op := operationOf(err)
	var limited *sunshine.RateLimitedError
	switch {
	case errors.As(err, &limited):
		f.Reason = sbv1.ReasonRateLimited
		f.Message = op + ": the Switchboard's client-side rate limit (spec.rateLimit) is reached; the call is retried when it allows one"
	case sunshine.IsRateLimited(err):
		f.Reason = sbv1.ReasonRateLimited
		f.Message = op + ": the API answered 429 Too Many Requests; the call is retried after its Retry-After or with backoff"
	default:
		f.Reason = sbv1.ReasonAPIUnavailable
		if kind, ok := sunshine.NetworkFailureOf(err); ok {
			f.Message = op + ": " + networkSentence(kind) + "; the call is retried with backoff"
		} else {
			f.Message = op + ": the API answered " + httpStatusOf(err) + "; the call is retried with backoff"
		}
	}
	if d, ok := sunshine.RetryAfter(err); ok && d > 0 {
		f.RetryAfter = min(d, maxRetryAfter)
	}
}

// networkSentence says what a kind of network failure means, in words that do not
// change from one failure to the next.
func networkSentence(kind sunshine.NetworkFailure) string {
	switch kind {
	case sunshine.FailureTimeout:
		return "the API did not answer in time (timeout)"
	case sunshine.FailureConnectionRefused:
		return "the connection to the API was refused"
	case sunshine.FailureConnectionReset:
		return "the connection to the API was reset"
	case sunshine.FailureConnectionClosed:
		return "the connection to the API closed before the answer was complete"
	case sunshine.FailureTLS:
		return "the TLS handshake with the API failed (check the endpoint's certificate)"
	case sunshine.FailureDNS:
		return "the API's host name could not be resolved (DNS)"
	case sunshine.FailureCanceled:
		return "the request was cancelled before an answer came"
	default:
		return "the request to the API failed without an answer"
	}
}

// operationOf names the client operation of a vendor error, "the API call" when it
// names none.
func operationOf(err error) string {
	var (
		apiErr     *sunshine.APIError
		reqErr     *sunshine.RequestError
		limitedErr *sunshine.RateLimitedError
	)
	switch {
	case errors.As(err, &apiErr):
		return apiErr.Operation
	case errors.As(err, &reqErr):
		return reqErr.Operation
	case errors.As(err, &limitedErr):
		return limitedErr.Operation
	}
	return "the API call"
}

// httpStatusOf is the HTTP status of an *APIError as "503 Service Unavailable".
func httpStatusOf(err error) string {
	var apiErr *sunshine.APIError
	if !errors.As(err, &apiErr) {
		return "an unknown status"
	}
	if text := http.StatusText(apiErr.StatusCode); text != "" {
		return fmt.Sprintf("%d %s", apiErr.StatusCode, text)
	}
	return fmt.Sprintf("status %d", apiErr.StatusCode)
}

// withJitter spreads d by up to +10% so that many objects polled at the same interval
// do not hit the API in waves.
func withJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}
