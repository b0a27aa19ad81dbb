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

package v1alpha1

// Condition types. Ready is always present after the first reconcile; Reconciling and
// Stalled are "abnormal-true" conditions that exist only while True, as kstatus, Flux
// and Argo CD expect; InSync reports whether the live conversation matches the spec.
const (
	// ConditionReady summarises the object: True when the desired state is applied
	// (ConversationControl) or the app's switchboard could be listed (Switchboard).
	ConditionReady = "Ready"
	// ConditionReconciling is True while the operator is working towards the desired
	// state: an action in flight, a retry after a transient error, or waiting for a
	// dependency. It is removed, never set to False.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when an error stops progress and retrying cannot fix it
	// until something changes (the spec, the Secret, the vendor's configuration). It is
	// removed, never set to False.
	ConditionStalled = "Stalled"
	// ConditionInSync is True when the conversation's live switchboard state matches
	// the desired state.
	ConditionInSync = "InSync"
)

// Reasons for progress and success. Reasons are CamelCase, fixed, and documented in
// the README with what a user should do about each.
const (
	// ReasonProgressing: the operator is applying the desired state.
	ReasonProgressing = "Progressing"
	// ReasonSucceeded: the desired state is applied (Ready=True).
	ReasonSucceeded = "Succeeded"
	// ReasonAlreadyActive: an offer was requested to the integration that is already
	// active; the vendor refuses such offers, and the desired outcome already holds.
	ReasonAlreadyActive = "AlreadyActive"
	// ReasonSuspended: spec.suspend is true; no API calls are made.
	ReasonSuspended = "Suspended"
	// ReasonDeleting: the object is being deleted.
	ReasonDeleting = "Deleting"
	// ReasonInSync: the live state matches the desired state.
	ReasonInSync = "InSync"
	// ReasonDrifted: the live state was changed by someone else after the operator
	// applied the desired state.
	ReasonDrifted = "Drifted"
	// ReasonNotObserved: the live state has not been read yet (or could not be).
	ReasonNotObserved = "NotObserved"
	// ReasonSwitchboardReady: the app's switchboard was listed with these credentials.
	ReasonSwitchboardReady = "SwitchboardReady"
)

// Reasons for transient conditions: the operator retries on its own (Reconciling=True).
const (
	// ReasonRateLimited: the vendor answered 429; the operator waits for Retry-After
	// (bounded) or backs off exponentially.
	ReasonRateLimited = "RateLimited"
	// ReasonAPIUnavailable: the vendor answered 5xx, timed out, or the connection failed;
	// the operator backs off exponentially with jitter.
	ReasonAPIUnavailable = "APIUnavailable"
	// ReasonSwitchboardNotReady: the referenced Switchboard does not exist yet or is not
	// Ready; the ConversationControl waits for it.
	ReasonSwitchboardNotReady = "SwitchboardNotReady"
	// ReasonActionNotApplied: the vendor accepted an action, but reading the conversation
	// back shows it did not take (the vendor's "200 and no change" reading of a failed
	// action); the operator retries it with backoff.
	ReasonActionNotApplied = "ActionNotApplied"
	// ReasonConversationChanged: the vendor refused an action while the conversation was
	// changing; the operator decides again from what it reads next.
	ReasonConversationChanged = "ConversationChanged"
)

// Reasons for terminal conditions (Stalled=True): retrying cannot help until something
// changes.
const (
	// ReasonConversationNotFound: the vendor answered 404 for the conversation.
	ReasonConversationNotFound = "ConversationNotFound"
	// ReasonIntegrationNotFound: spec.integration names no integration of the app's
	// switchboard, or the vendor refused it as a target.
	ReasonIntegrationNotFound = "IntegrationNotFound"
	// ReasonUnauthorized: the vendor answered 401; the credentials in the Secret are
	// wrong. A change of the Secret retries.
	ReasonUnauthorized = "Unauthorized"
	// ReasonForbidden: the vendor answered 403; the key's scope does not allow the call.
	ReasonForbidden = "Forbidden"
	// ReasonInvalidRequest: the vendor (or the client's own validation) refused the
	// request as malformed.
	ReasonInvalidRequest = "InvalidRequest"
	// ReasonAppNotFound: the vendor answered 404 for the app.
	ReasonAppNotFound = "AppNotFound"
	// ReasonConflict: an older ConversationControl targets the same conversation of the
	// same app; this one waits until the older one is gone.
	ReasonConflict = "Conflict"
	// ReasonNoNextIntegration: spec.integration is `next`, but no integration is active in
	// the conversation or the active one has no `next` link; no call is made.
	ReasonNoNextIntegration = "NoNextIntegration"
	// ReasonSecretNotFound: the Secret named by spec.auth.secretRef does not exist.
	ReasonSecretNotFound = "SecretNotFound"
	// ReasonSecretInvalid: the Secret lacks the key `keyId` or `secret`, or its value is
	// empty (values are trimmed of surrounding whitespace).
	ReasonSecretInvalid = "SecretInvalid"
	// ReasonSecretForbidden: the operator's RBAC does not let it read the Secret (403).
	ReasonSecretForbidden = "SecretForbidden"
	// ReasonEndpointNotAllowed: the host of spec.endpoint is not in the operator's
	// --allowed-endpoint-hosts; the Secret is not read and no connection is opened.
	ReasonEndpointNotAllowed = "EndpointNotAllowed"
	// ReasonUnexpectedResponse: the vendor answered with a status the operator does not
	// expect (a redirect, or a 4xx it does not know); retrying cannot help.
	ReasonUnexpectedResponse = "UnexpectedResponse"
	// ReasonSwitchboardNotFound: the app has no switchboard.
	ReasonSwitchboardNotFound = "SwitchboardNotFound"
	// ReasonInvalidResponse: the vendor's answer is larger than the operator keeps (more
	// than MaxIntegrations integrations, or a field longer than
	// MaxIntegrationFieldLength); status keeps the previous listing.
	ReasonInvalidResponse = "InvalidResponse"
)

// Event reasons, used on Kubernetes Events emitted for handoffs.
const (
	// EventReasonHandoffApplied: a switchboard action was applied.
	EventReasonHandoffApplied = "HandoffApplied"
	// EventReasonHandoffRefused: the vendor refused a switchboard action.
	EventReasonHandoffRefused = "HandoffRefused"
	// EventReasonDriftDetected: the live state moved away from the desired state.
	EventReasonDriftDetected = "DriftDetected"
	// EventReasonExpired: the object finished and its TTL ran out, so the operator deleted it.
	EventReasonExpired = "Expired"
	// EventReasonReleaseSkipped: deletion with policy Release found the conversation
	// elsewhere, or gave up after the deletion timeout.
	EventReasonReleaseSkipped = "ReleaseSkipped"
)

// Annotations and finalizers.
const (
	// AnnotationRequestedAt, when set to a new value, forces a fresh read of the live
	// state and, where it differs from the desired state, one re-apply, whatever the
	// drift policy. The handled value is echoed in status.lastHandledReconcileAt.
	AnnotationRequestedAt = "switchboard.conversations.dev/requestedAt"
	// FinalizerRelease is added to ConversationControls with deletionPolicy Release so
	// that the conversation is released before the object goes away.
	FinalizerRelease = "switchboard.conversations.dev/release"
)
