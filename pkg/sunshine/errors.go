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

package sunshine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Error codes the switchboard endpoints answer with, as classified by the Is... helpers.
const (
	CodeConversationNotFound     = "conversation_not_found"
	CodeAppNotFound              = "app_not_found"
	CodeSwitchboardNotFound      = "switchboard_not_found"
	CodeSwitchboardInvalidTarget = "switchboard_invalid_target"
	CodeSwitchboardInvalidAction = "switchboard_invalid_action"
)

// maxRetryAfter caps a Retry-After value, so a broken header cannot park a caller for days.
const maxRetryAfter = time.Hour

// maxTitleLength caps the error title kept from a response body.
const maxTitleLength = 256

// APIError is a non-2xx answer from the API.
type APIError struct {
	// Operation is the client operation, for example "passControl".
	Operation string
	// StatusCode is the HTTP status code.
	StatusCode int
	// Code is the first error code of the body, for example "conversation_not_found";
	// empty when the body carried none.
	Code string
	// Title is the first error title of the body, for example "Conversation not found".
	Title string
	// RetryAfter is the Retry-After header as a duration; zero when absent.
	RetryAfter time.Duration
}

// Error returns, for example, `sunshine: passControl: 404 conversation_not_found: Conversation not found`.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sunshine: %s: %d", e.Operation, e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	switch {
	case e.Title != "":
		b.WriteString(": " + e.Title)
	case e.Code == "":
		b.WriteString(" " + http.StatusText(e.StatusCode))
	}
	return b.String()
}

// ValidationError is a request or configuration the client refused before
// sending anything.
type ValidationError struct {
	// Field names the offending input, for example `conversationId` or `metadata["foo"]`.
	Field string
	// Reason says what is wrong with it.
	Reason string
}

// Error returns, for example, `sunshine: metadata["foo"]: nested objects are not allowed`.
func (e *ValidationError) Error() string {
	return "sunshine: " + e.Field + ": " + e.Reason
}

// RequestError is a request that got no complete answer: a refused or dropped
// connection, a timeout, a cancelled context, or a rate-limiter wait that
// could not finish in time.
type RequestError struct {
	// Operation is the client operation, for example "getConversation".
	Operation string
	// Err is the underlying error.
	Err error
}

// Error returns, for example, `sunshine: passControl: Post "http://...": EOF`.
func (e *RequestError) Error() string { return "sunshine: " + e.Operation + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *RequestError) Unwrap() error { return e.Err }

// RateLimitedError is a call the client's own token bucket (Config.RequestsPerSecond
// and Burst) did not let through because its token was further away than the client
// waits. Nothing was sent; the same call may be made again after Delay.
type RateLimitedError struct {
	// Operation is the client operation, for example "passControl".
	Operation string
	// Delay is how long until the bucket would have let the call through.
	Delay time.Duration
}

// Error returns, for example, `sunshine: passControl: client-side rate limit reached, next call allowed in 1.2s`.
func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("sunshine: %s: client-side rate limit reached, next call allowed in %s",
		e.Operation, e.Delay.Round(time.Millisecond))
}

// NetworkFailure names the kind of failure of a request that got no complete answer.
type NetworkFailure string

// The kinds of NetworkFailure, from the most specific to the most general.
const (
	// FailureCanceled: the caller's context was cancelled.
	FailureCanceled NetworkFailure = "canceled"
	// FailureDNS: the host name could not be resolved.
	FailureDNS NetworkFailure = "DNS"
	// FailureTimeout: no answer within the timeout (the client's or the context's).
	FailureTimeout NetworkFailure = "timeout"
	// FailureConnectionRefused: nothing accepted the connection.
	FailureConnectionRefused NetworkFailure = "connection refused"
	// FailureConnectionReset: the peer reset the connection.
	FailureConnectionReset NetworkFailure = "connection reset"
	// FailureTLS: the TLS handshake failed, for example on an untrusted certificate.
	FailureTLS NetworkFailure = "TLS"
	// FailureConnectionClosed: the connection closed before the answer was complete.
	FailureConnectionClosed NetworkFailure = "connection closed"
	// FailureNetwork: any other failure to exchange the request and its answer.
	FailureNetwork NetworkFailure = "network"
)

// NetworkFailureOf names the kind of failure of a *RequestError in err's chain; false
// when err holds none. The kind is stable where the error text is not (it carries
// addresses and ephemeral ports), so it suits messages for people.
func NetworkFailureOf(err error) (NetworkFailure, bool) {
	var reqErr *RequestError
	if !errors.As(err, &reqErr) {
		return "", false
	}
	var (
		dnsErr    *net.DNSError
		netErr    net.Error
		headerErr tls.RecordHeaderError
		alertErr  tls.AlertError
		verifyErr *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return FailureCanceled, true
	case errors.As(err, &dnsErr):
		return FailureDNS, true
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return FailureTimeout, true
	case errors.Is(err, syscall.ECONNREFUSED):
		return FailureConnectionRefused, true
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return FailureConnectionReset, true
	case errors.As(err, &headerErr) || errors.As(err, &alertErr) || errors.As(err, &verifyErr) ||
		errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &invalid):
		return FailureTLS, true
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return FailureConnectionClosed, true
	default:
		return FailureNetwork, true
	}
}

// apiError returns the *APIError in err's chain, or nil.
func apiError(err error) *APIError {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr
	}
	return nil
}

// hasStatus reports whether err is an *APIError with one of the statuses.
func hasStatus(err error, statuses ...int) bool {
	if e := apiError(err); e != nil {
		for _, s := range statuses {
			if e.StatusCode == s {
				return true
			}
		}
	}
	return false
}

// hasCode reports whether err is an *APIError with the error code.
func hasCode(err error, code string) bool {
	e := apiError(err)
	return e != nil && e.Code == code
}

// IsNotFound reports whether err is a 404 answer, whatever its code.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsConversationNotFound reports whether err is a 404 conversation_not_found answer.
func IsConversationNotFound(err error) bool {
	return IsNotFound(err) && hasCode(err, CodeConversationNotFound)
}

// IsAppNotFound reports whether err is a 404 app_not_found answer.
func IsAppNotFound(err error) bool { return IsNotFound(err) && hasCode(err, CodeAppNotFound) }

// IsSwitchboardNotFound reports whether err is a 404 switchboard_not_found answer.
func IsSwitchboardNotFound(err error) bool {
	return IsNotFound(err) && hasCode(err, CodeSwitchboardNotFound)
}

// IsUnauthorized reports whether err is a 401 answer: missing or wrong credentials.
func IsUnauthorized(err error) bool { return hasStatus(err, http.StatusUnauthorized) }

// IsForbidden reports whether err is a 403 answer: the credentials may not do this.
func IsForbidden(err error) bool { return hasStatus(err, http.StatusForbidden) }

// IsInvalidRequest reports whether err is a request the API refused as
// invalid (400, 413 or 422), or a *ValidationError the client raised before
// sending.
func IsInvalidRequest(err error) bool {
	var verr *ValidationError
	return errors.As(err, &verr) ||
		hasStatus(err, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity)
}

// IsInvalidTarget reports whether err has the code switchboard_invalid_target:
// the switchboard integration named does not resolve to exactly one, or is
// already active (offerControl).
func IsInvalidTarget(err error) bool { return hasCode(err, CodeSwitchboardInvalidTarget) }

// IsInvalidAction reports whether err has the code switchboard_invalid_action,
// for example acceptControl with no pending switchboard integration.
func IsInvalidAction(err error) bool { return hasCode(err, CodeSwitchboardInvalidAction) }

// IsRateLimited reports whether err is a 429 answer, or a *RateLimitedError (the
// client's own token bucket refused the call).
func IsRateLimited(err error) bool {
	var limited *RateLimitedError
	return hasStatus(err, http.StatusTooManyRequests) || errors.As(err, &limited)
}

// IsRetryable reports whether the same call may succeed later: 408, 429 and
// 5xx answers, calls the client's rate limiter refused (*RateLimitedError), and
// requests that got no answer (network errors, timeouts). A context the caller
// cancelled is not retryable, and neither is any other answer (3xx and the
// 4xx not named here).
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var limited *RateLimitedError
	if errors.As(err, &limited) {
		return true
	}
	if e := apiError(err); e != nil {
		return e.StatusCode == http.StatusRequestTimeout || e.StatusCode == http.StatusTooManyRequests ||
			e.StatusCode >= 500
	}
	var reqErr *RequestError
	return errors.As(err, &reqErr)
}

// RetryAfter returns how long the caller should wait before trying again: the
// Retry-After header of an *APIError, or the Delay of a *RateLimitedError; false
// when err gives no such hint.
func RetryAfter(err error) (time.Duration, bool) {
	var limited *RateLimitedError
	if errors.As(err, &limited) {
		return limited.Delay, true
	}
	if e := apiError(err); e != nil && e.RetryAfter > 0 {
		return e.RetryAfter, true
	}
	return 0, false
}

// errorBody is the vendor's error body: {"errors":[{"code":"...","title":"..."}]}.
type errorBody struct {
	Errors []struct {
		Code  string `json:"code"`
		Title string `json:"title"`
	} `json:"errors"`
}

// decodeAPIError builds the *APIError of a non-2xx answer. A body that is not
// the vendor's error JSON (a proxy's HTML page, say) leaves Code and Title empty.
func decodeAPIError(op string, status int, header http.Header, body []byte) *APIError {
	e := &APIError{Operation: op, StatusCode: status, RetryAfter: parseRetryAfter(header.Get("Retry-After"), time.Now())}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && len(eb.Errors) > 0 {
		e.Code = truncate(eb.Errors[0].Code, maxTitleLength)
		e.Title = truncate(eb.Errors[0].Title, maxTitleLength)
	}
	return e
}

// truncate shortens s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// parseRetryAfter reads a Retry-After value, delay-seconds or an HTTP-date,
// relative to now. It returns 0 for an absent, malformed or past value.
func parseRetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseUint(value, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		d = maxRetryAfter
		if err == nil && secs < uint64(maxRetryAfter/time.Second) {
			d = time.Duration(secs) * time.Second
		}
	} else if at, err := http.ParseTime(value); err == nil {
		d = at.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
