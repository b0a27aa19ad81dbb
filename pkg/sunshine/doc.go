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

// Package sunshine is a client for the switchboard endpoints of the Sunshine
// Conversations API (Zendesk messaging), v2, as described by the vendor's
// OpenAPI document 17.12.1:
//
//   - the four switchboard actions on a conversation: PassControl,
//     OfferControl, AcceptControl and ReleaseControl;
//   - GetConversation, which tells which switchboard integration is active
//     and which is pending;
//   - ListSwitchboards and ListSwitchboardIntegrations;
//   - the custom integrations and their webhooks, which deliver the
//     switchboard events: ListCustomIntegrations, CreateCustomIntegration
//     (type custom with exactly one webhook), GetIntegration,
//     DeleteIntegration, ListWebhooks, CreateWebhook, GetWebhook (which
//     returns the webhook's secret), UpdateWebhook and DeleteWebhook. The
//     vendor allows MaxWebhooksPerApp webhooks per app and sends a HEAD
//     request to a new webhook's target before creating it. A webhook's
//     secret is held as a Secret; a receiver checks the X-API-Key header of
//     a delivery with Secret.Equal, and parses the body with
//     DecodeWebhookDelivery.
//
// A Client acts on one app. Create it with New; it is safe for concurrent use.
//
// # Endpoint
//
// Config.Endpoint is the API base URL, which may carry a path prefix, as
// https://acme.zendesk.com/sc does; requests go to <Endpoint>/v2/apps/... with
// every id path-escaped. It must use https unless its host is a loopback
// address (127.0.0.0/8, ::1, localhost), which is how tests reach the
// simulator in package sunshinetest. TLS certificates are always verified
// and redirects are never followed.
//
// # Authentication
//
// Credentials hold an API key. With AuthBasic the key id and secret are sent
// as HTTP Basic credentials. With AuthJWT the client signs a JWT with HS256
// and the key secret, with the key id in the `kid` header and the `scope`
// claim set to Credentials.Scope ("app" unless set), and sends it as a bearer
// token. The secret never appears in errors, and Credentials and Config print
// it redacted whatever the fmt verb (and Credentials as JSON too).
//
// # Validation
//
// Requests are checked before anything is sent: ids must be non-empty, at
// most MaxIDLength bytes and free of "/", "?", "#", "%", whitespace and "..";
// passControl and offerControl need a switchboard integration; a reason must
// be ReasonTicketClosed or ReasonTransferToEmail; metadata must be flat and
// at most MaxMetadataBytes as JSON (see ValidateMetadata). A refused request
// returns a *ValidationError naming the field.
//
// # Errors
//
// A non-2xx answer is an *APIError carrying the status, the first code and
// title of the vendor's error body {"errors":[{"code":..., "title":...}]}, and
// the Retry-After header (seconds or an HTTP date). A request that got no
// complete answer (connection refused or dropped, timeout, cancelled context)
// is a *RequestError. Callers classify errors with the helpers rather than by
// status: IsNotFound, IsConversationNotFound, IsAppNotFound,
// IsSwitchboardNotFound, IsUnauthorized, IsForbidden, IsInvalidRequest,
// IsInvalidTarget, IsInvalidAction, IsRateLimited, IsRetryable and
// RetryAfter. IsRetryable holds for 408, 429 and 5xx answers, calls the
// client's own rate limiter refused (*RateLimitedError), network errors and
// timeouts, and not for a context the caller cancelled nor for any other
// answer (3xx, other 4xx). NetworkFailureOf names the kind of a *RequestError
// (timeout, connection refused or reset, TLS, DNS, ...) for messages that must
// not carry addresses.
//
// The switchboard may report that an action could not be applied (an unknown
// target, nothing pending to accept) either at once, as a 400 with code
// switchboard_invalid_target or switchboard_invalid_action, or only later in
// a failure webhook after answering 200. Callers that need to know whether an
// action took effect read the conversation back with GetConversation.
//
// # Rate limit, timeouts and retries
//
// Every call first takes a token from the client's own token bucket
// (Config.RequestsPerSecond and Config.Burst) without queueing behind other
// callers: it waits, honouring the context, only when its token comes within
// one token interval (at most a second); otherwise it returns a
// *RateLimitedError at once, without sending, and RetryAfter gives the delay.
// A caller serving many objects (a controller's worker) so moves on instead of
// blocking. Every HTTP exchange is bounded by Config.Timeout. The client never retries: not
// the POST actions, which the API gives no idempotency key for, and not the
// reads either. The caller decides, typically by requeueing with back-off
// when IsRetryable holds and after RetryAfter when it is set. (Below the
// client, net/http may send a GET again over a fresh connection when a
// kept-alive one turns out to be closed; it re-sends a POST only when none
// of it was written.)
//
// # Metrics
//
// With Config.Metrics set (see NewMetrics), the client counts requests by
// operation and status code and observes their latency by operation.
//
// # Deviations from the OpenAPI document
//
// The tests check every request of the sixteen operations and every answer of
// the simulator in package sunshinetest against the vendor's document with
// kin-openapi (request path, method, parameters and body; response status and
// body; not the security requirements). What differs:
//
//   - passControl and releaseControl send the optional `reason` field, which
//     the 17.12.1 request schemas do not list but the webhook payloads and the
//     vendor's earlier client libraries do. The schemas allow additional
//     properties, so such a body still conforms.
//   - The client is stricter than the document: ids in the path must be
//     path-safe and at most MaxIDLength bytes (the document says only
//     "string"), and metadata must be flat and at most MaxMetadataBytes, a
//     rule the document states in prose but not in the schema.
//   - The document lists only a few error statuses per operation (404, and
//     403 for acceptControl and releaseControl). The API also answers 400
//     (bad requests and, synchronously, switchboard_invalid_target and
//     switchboard_invalid_action), 401, 403 on the switchboard routes for
//     integration-scoped keys, 429 and 5xx, as the document's introduction
//     says. The client decodes all of them as the generic errorResponse, and
//     the tests check those bodies against that schema.
package sunshine
