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

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SwitchboardWebhook declares the webhook the operator manages for the app, so that
// the vendor pushes every switchboard event to the operator's receiver.
type SwitchboardWebhook struct {
	// URL is the public base URL that reaches the operator's receiver (its Service
	// through an Ingress, say), such as https://hooks.example.com. The webhook's target
	// is this URL followed by a path of its own per Switchboard (status.webhook.url).
	// It must use https, except for loopback hosts (localhost, 127.0.0.0/8, [::1]), and
	// must not carry user info, a query or a fragment.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHostname() != ''",message="webhook.url must be an absolute http(s) URL such as https://hooks.example.com"
	// +kubebuilder:validation:XValidation:rule="!self.contains('@')",message="webhook.url must not contain user info (\"@\")"
	// +kubebuilder:validation:XValidation:rule="!self.contains('?') && !self.contains('#')",message="webhook.url must not have a query or a fragment (\"?\" or \"#\")"
	// +kubebuilder:validation:XValidation:rule="!isURL(self) || url(self).getScheme() != 'http' || self.matches('^[hH][tT][tT][pP]://([lL][oO][cC][aA][lL][hH][oO][sS][tT]|127([.](25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}|[[]::1[]])(:[0-9]*)?(/.*)?$')",message="webhook.url must use https unless its host is a loopback address (localhost, 127.0.0.0/8 or [::1])"
	// +required
	URL string `json:"url"`
}

// SwitchboardWebhookStatus is the webhook the operator manages for the app.
type SwitchboardWebhookStatus struct {
	// IntegrationID is the id of the operator's custom integration that holds the webhook.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	IntegrationID string `json:"integrationId,omitempty"`

	// WebhookID is the id of the webhook.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	WebhookID string `json:"webhookId,omitempty"`

	// URL is the webhook's full target: spec.webhook.url followed by
	// /hooks/<an unguessable token of this Switchboard>.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	URL string `json:"url,omitempty"`

	// LastSyncTime is when the webhook was last read and found as declared.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`
}

// ConditionWebhookReady is set on a Switchboard with spec.webhook: True when the
// operator's webhook exists with the declared target and triggers. It does not affect
// Ready: without webhooks the operator polls.
const ConditionWebhookReady = "WebhookReady"

// Reasons of the WebhookReady condition.
const (
	// ReasonWebhookReady: the webhook exists with the declared target and triggers.
	ReasonWebhookReady = "WebhookReady"
	// ReasonWebhookLimitReached: the app already has the most webhooks the vendor allows.
	ReasonWebhookLimitReached = "WebhookLimitReached"
	// ReasonWebhookTargetUnreachable: the vendor refused the target (its HEAD check
	// failed, or the URL is not one the vendor accepts).
	ReasonWebhookTargetUnreachable = "WebhookTargetUnreachable"
	// ReasonWebhookFailed: another error of the vendor's API; the message says which.
	ReasonWebhookFailed = "WebhookFailed"
)

// Annotations and finalizers of the webhook receiver.
const (
	// AnnotationObservedEvent is written by a replica that is not the leader on the
	// ConversationControls a webhook event concerns, so that the leader reconciles them;
	// its value is the event as observed (JSON).
	AnnotationObservedEvent = "switchboard.conversations.dev/observedEvent"
	// FinalizerWebhook is on a Switchboard while the operator manages a webhook for it,
	// so that the webhook is removed with the Switchboard.
	FinalizerWebhook = "switchboard.conversations.dev/webhook"
	// WebhookIntegrationDisplayName is the display name of the custom integration the
	// operator creates, and how it recognises its own.
	WebhookIntegrationDisplayName = "switchboard-operator"
)
