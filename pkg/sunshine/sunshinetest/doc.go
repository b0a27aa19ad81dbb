// Package sunshinetest is an in-memory simulator of the Sunshine
// Conversations (Zendesk messaging) switchboard API, for tests, benchmarks
// and demos, named after net/http/httptest.
//
// It is an independent implementation of the vendor's wire protocol
// (OpenAPI 17.12.1) and of the behaviour described in the project's
// SWITCHBOARD.md; it does not share code with the client in pkg/sunshine, so
// the two check each other.
//
// # What it serves
//
// Routes, exactly as the vendor spells them (other paths answer 404
// not_found, other methods 405 method_not_allowed):
//
//	POST /v2/apps/{appId}/conversations/{conversationId}/passControl     -> 200 {}
//	POST /v2/apps/{appId}/conversations/{conversationId}/offerControl    -> 200 {}
//	POST /v2/apps/{appId}/conversations/{conversationId}/acceptControl   -> 200 {}
//	POST /v2/apps/{appId}/conversations/{conversationId}/releaseControl  -> 200 {}
//	GET  /v2/apps/{appId}/conversations/{conversationId}                 -> {"conversation":{...}}
//	GET  /v2/apps/{appId}/switchboards                                   -> {"switchboards":[...]}
//	GET  /v2/apps/{appId}/switchboards/{switchboardId}/switchboardIntegrations
//	                                                                     -> {"switchboardIntegrations":[...]}
//
// Errors carry the vendor's body {"errors":[{"code":"...","title":"..."}]}.
// The world (apps, API keys, one switchboard per app with up to 10
// switchboard integrations linked by `next`, conversations with their
// active and pending integrations) comes from a Seed, written in Go or read
// from YAML/JSON with ParseSeed or LoadSeed.
//
// Requests are checked in this order: injected faults, authentication
// (401 unauthorized), app (404 app_not_found), scope (403 forbidden), body
// (413, 400 bad_request), conversation (404 conversation_not_found), then the
// state machine of SWITCHBOARD.md 6.1:
//
//	pass(t):    t resolvable             -> active=t, pending=nil
//	offer(t):   t resolvable, t!=active  -> pending=t
//	accept():   pending!=nil             -> active=pending, pending=nil
//	release():                           -> active=nil, pending=nil
//
// Targets resolve by the keyword `next`, then id, then name, then
// integrationType; a step matching several integrations is ambiguous.
//
// Authentication: Basic (key id and secret) or a Bearer JWT signed HS256
// with the key secret, with the key id in the `kid` header and a `scope`
// claim equal to the key's scope; unsigned tokens are refused. Account keys
// may call every app; app and integration keys only their own app. An
// integration-scoped key identifies its caller as the switchboard
// integrations whose integrationId equals the key's IntegrationID.
//
// # Assumptions (SWITCHBOARD.md section 7)
//
//   - 7#1: semantic failures answer 400 switchboard_invalid_target (bad or
//     unresolvable target, offer to the active integration) or
//     switchboard_invalid_action (accept with nothing pending), state
//     unchanged; with WithAsyncFailures they answer 200 {} instead, still
//     without changing the state, and send the :failure event.
//   - 7#2: an ambiguous target answers 400 bad_request (200 {} in async mode).
//   - 7#3: integration names are unique per switchboard (checked in the seed).
//   - 7#6: `next` is relative to the caller's integration for integration
//     scope, else to the active integration; no reference or no next
//     pointer is an invalid target. 2.6: an integration-scoped pass `next`
//     from a caller that is not active is a duplicate: 200 {}, no change.
//   - 7#7: a pass to the already-active integration with nothing pending is
//     a no-op.
//   - 7#8: an offer with nothing active works for explicit targets; `next`
//     fails.
//   - 7#9: release with nothing active answers 200 {} (app scope); with
//     integration scope 403, since the caller is not active.
//   - 7#10: pass and offer by a non-active integration-scoped caller are
//     allowed; accept by a caller that is not pending and release by one
//     that is not active answer 403 forbidden.
//   - 7#11: actions on an app without switchboard integrations fail as
//     invalid target; a disabled switchboard still tracks state.
//   - 7#16: `reason` is accepted on pass and release and must be
//     ticketClosed or transferToEmail.
//   - 7#17: metadata must be a flat object (string, number, boolean or null
//     values) of at most 4096 bytes as compact JSON, else 400 bad_request.
//   - 7#18: bodies over 100 kb (102400 bytes) answer 413 with code
//     request_entity_too_large; a 429 carries code too_many_requests and,
//     when the fault sets it, Retry-After. Injected statuses use the code
//     of the status text (service_unavailable, bad_gateway...), and 404 the
//     operation's not-found code.
//   - 7#19: a JWT whose scope claim differs from its key's scope answers 401.
//   - 7#20: integration scope on /switchboards routes answers 403 forbidden.
//   - 7#21: each action is applied atomically under the simulator's lock,
//     so concurrent actions on one conversation are serialised.
//   - 7#23: `next` may form cycles but not point at its own integration.
//
// # Webhooks
//
// Custom integrations and their webhooks (hooks.go) are created through the
// API only (the seed has none); the simulator creates integrations of type
// custom only (others answer 400 "Invalid integration type"). Assumptions
// where the document is silent: the 11th webhook of an app answers 400
// bad_request "An app is limited to 10 webhooks"; a failed HEAD check at
// creation answers 400 bad_request; integration responses list the
// integration's webhooks with their secrets; an integration key may use the
// webhook routes of its own integration (or "me") only, and no integration
// route (403). Deliveries (deliveries.go) follow the document's retry policy
// with the attempt spacing 1, 2, 4 and 8 minutes; an event goes to every
// webhook of the app subscribed to its trigger (7#12), with one id for all
// of them; a move made outside the API sends the events it amounts to
// (releaseControl, acceptControl, passControl, then offerControl).
//
// Also: a non-empty body must be sent as application/json (else 400); an
// empty body is accepted only by releaseControl. A GET of an unknown
// conversation creates nothing. Conversations are `personal`, with empty
// metadata, and createdAt = lastUpdatedAt = when they were created.
//
// # Test hooks
//
// Count, Counts and ResetCounts report requests per Operation: every
// request that reached an operation's route with its method is counted,
// including those answered by an injected fault or with an error; unknown
// routes and wrong methods are not. Reset returns to the seed (state, keys,
// counts, faults). Conversation, SetConversation and DeleteConversation read
// and move conversations as an agent or bot would, outside the API. SetKeys
// rotates credentials. Integrations lists the switchboard integrations with
// their generated ids. InjectFault adds latency, N failures with a status
// and the vendor's error body, 429 with Retry-After, dropped connections,
// lost answers (the request is applied, then the connection closed
// without the answer), or no-effect actions (`200 {}`, nothing changed),
// per operation or for all (""), optionally after the first N matching
// requests (Fault.After); Faults lists them and ClearFaults removes them.
// WithRequestHook
// and WithLogger observe each request; AdminHandler serves the same hooks
// over HTTP under /_sim/ for scripts.
package sunshinetest
