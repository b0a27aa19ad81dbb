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

// AuthType is how the operator authenticates to the Sunshine Conversations API.
// +kubebuilder:validation:Enum=Basic;JWT
type AuthType string

const (
	// AuthTypeBasic sends the key id and secret as HTTP Basic credentials.
	AuthTypeBasic AuthType = "Basic"
	// AuthTypeJWT signs a short-lived HS256 JWT with the key secret (kid header = key
	// id, scope claim "app").
	AuthTypeJWT AuthType = "JWT"
)

// SecretReference names a Secret in the same namespace.
type SecretReference struct {
	// Name of the Secret. It must hold the keys `keyId` and `secret`.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`
}

// SwitchboardAuth says which credentials to use for the app.
type SwitchboardAuth struct {
	// Type of authentication: Basic, or JWT (HS256 with a kid header and scope "app").
	// +kubebuilder:default=Basic
	// +optional
	Type AuthType `json:"type,omitempty"`

	// SecretRef names a Secret in the Switchboard's namespace with the API key: keys
	// `keyId` and `secret`. Changes to the Secret take effect without a restart.
	// +required
	SecretRef SecretReference `json:"secretRef"`
}

// RateLimit is a client-side token bucket shared by every call made for one app.
type RateLimit struct {
	// RequestsPerSecond is the sustained rate of calls to the vendor's API.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +kubebuilder:default=10
	// +optional
	RequestsPerSecond int32 `json:"requestsPerSecond,omitempty"`

	// Burst is the number of calls allowed at once above the sustained rate.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	// +kubebuilder:default=20
	// +optional
	Burst int32 `json:"burst,omitempty"`
}

// SwitchboardSpec is a connection to one Sunshine Conversations app, and optionally the
// configuration of its switchboard.
// +kubebuilder:validation:XValidation:rule="!has(self.integrations) || self.integrations.all(i, !has(i.next) || self.integrations.exists(j, j.name == i.next))",message="every integrations[].next must name an entry of integrations",fieldPath=".integrations"
// +kubebuilder:validation:XValidation:rule="!has(self.defaultIntegration) || (has(self.integrations) && self.integrations.exists(i, i.name == self.defaultIntegration))",message="defaultIntegration must name an entry of integrations",fieldPath=".defaultIntegration"
// +kubebuilder:validation:XValidation:rule="!has(self.enabled) || !self.enabled || has(self.defaultIntegration)",message="enabled: true needs a defaultIntegration (an enabled switchboard must have a default)",fieldPath=".enabled"
// +kubebuilder:validation:XValidation:rule="!has(self.managementPolicy) || self.managementPolicy != 'Manage' || has(self.defaultIntegration)",message="defaultIntegration is required when managementPolicy is Manage",fieldPath=".defaultIntegration"
type SwitchboardSpec struct {
	// Endpoint is the API base URL, such as https://acme.zendesk.com/sc or
	// https://api.smooch.io. It must use https, except for loopback hosts (a local
	// simulator), and must not carry user info, a query or a fragment; a port, if
	// given, is a number from 1 to 65535.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHostname() != ''",message="endpoint must be an absolute http(s) URL such as https://acme.zendesk.com/sc"
	// +kubebuilder:validation:XValidation:rule="!self.contains('@')",message="endpoint must not contain user info (\"@\"): the credentials belong in the Secret"
	// +kubebuilder:validation:XValidation:rule="!self.contains('?') && !self.contains('#')",message="endpoint must not have a query or a fragment (\"?\" or \"#\")"
	// +kubebuilder:validation:XValidation:rule="!isURL(self) || (url(self).getPort() == '' ? !url(self).getHost().endsWith(':') : size(url(self).getPort()) <= 5 && !url(self).getPort().startsWith('0') && int(url(self).getPort()) <= 65535)",message="endpoint port must be a number from 1 to 65535, or none"
	// +kubebuilder:validation:XValidation:rule="!isURL(self) || url(self).getScheme() != 'http' || self.matches('^[hH][tT][tT][pP]://([lL][oO][cC][aA][lL][hH][oO][sS][tT]|127([.](25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}|[[]::1[]])(:[0-9]*)?(/.*)?$')",message="endpoint must use https unless its host is a loopback address (localhost, 127.0.0.0/8 or [::1])"
	// +required
	Endpoint string `json:"endpoint"`

	// AppID is the Sunshine Conversations app id. Immutable.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_-]+$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="appId is immutable"
	// +required
	AppID string `json:"appId"`

	// Auth names the credentials for the app.
	// +required
	Auth SwitchboardAuth `json:"auth"`

	// RateLimit is the client-side limit for every call on this app.
	// +kubebuilder:default={"requestsPerSecond":10,"burst":20}
	// +optional
	RateLimit RateLimit `json:"rateLimit,omitempty"`

	// RefreshInterval is how often the switchboard and its integrations are listed
	// again. Defaults to 10m.
	// +kubebuilder:default="10m"
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('10s')",message="refreshInterval must be at least 10s"
	// +optional
	RefreshInterval *metav1.Duration `json:"refreshInterval,omitempty"`

	// Webhook, when set, makes the operator manage a webhook that pushes the app's
	// switchboard events to its receiver; removing it removes the webhook.
	// +optional
	Webhook *SwitchboardWebhook `json:"webhook,omitempty"`

	// ManagementPolicy: Observe (default) only lists the switchboard into status and
	// makes no write call; Manage makes the vendor's configuration match enabled,
	// defaultIntegration and integrations.
	// +kubebuilder:default=Observe
	// +optional
	ManagementPolicy ManagementPolicy `json:"managementPolicy,omitempty"`

	// Enabled is the switchboard's enabled flag (Manage only); unset leaves it as it is.
	// An enabled switchboard needs a defaultIntegration.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// DefaultIntegration is the name of the entry of integrations that takes new
	// conversations (Manage only); required under Manage.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_-]+$`
	// +optional
	DefaultIntegration string `json:"defaultIntegration,omitempty"`

	// Integrations are the app's switchboard integrations (Manage only), matched with
	// the vendor's by name: missing ones are created, different ones changed, others
	// deleted. At most 10, names unique.
	// +kubebuilder:validation:MaxItems=10
	// +listType=map
	// +listMapKey=name
	// +optional
	Integrations []SwitchboardIntegrationSpec `json:"integrations,omitempty"`

	// DriftPolicy: Report (default) reports changes others make to a managed
	// configuration (ConfigInSync=False, naming the fields); Enforce repairs them.
	// +kubebuilder:default=Report
	// +optional
	DriftPolicy DriftPolicy `json:"driftPolicy,omitempty"`

	// DeletionPolicy: Orphan (default) leaves the vendor's configuration when the
	// Switchboard is deleted; DeleteCreated removes what the operator created, never an
	// integration it adopted.
	// +kubebuilder:default=Orphan
	// +optional
	DeletionPolicy ConfigDeletionPolicy `json:"deletionPolicy,omitempty"`
}

// MaxIntegrations is the most switchboard integrations an app can have (the vendor's
// limit) and the most the operator writes to a Switchboard's status.
const MaxIntegrations = 10

// MaxIntegrationFieldLength bounds, in characters, every field of an integration the
// operator writes to status.
const MaxIntegrationFieldLength = 128

// SwitchboardIntegrationStatus is one switchboard integration as listed by the API.
type SwitchboardIntegrationStatus struct {
	// ID of the switchboard integration.
	// +kubebuilder:validation:MaxLength=128
	ID string `json:"id"`
	// Name of the switchboard integration, usable as a target in ConversationControls.
	// +kubebuilder:validation:MaxLength=128
	Name string `json:"name"`
	// IntegrationType is `custom` for custom integrations, or the OAuth client id /
	// first-party type such as `zd:agentWorkspace`.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	IntegrationType string `json:"integrationType,omitempty"`
	// IntegrationID is the linked integration's id.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	IntegrationID string `json:"integrationId,omitempty"`
	// Next is the name of the integration targeted by the keyword `next`.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	Next string `json:"next,omitempty"`
}

// SwitchboardStatus is what the operator observed of the app's switchboard.
type SwitchboardStatus struct {
	// ObservedGeneration is the generation last reconciled; -1 before the first reconcile.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Ready, and Reconciling or Stalled while they are True.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// SwitchboardID is the id of the app's switchboard.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	SwitchboardID string `json:"switchboardId,omitempty"`

	// Enabled tells whether the app's switchboard is enabled.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// DefaultIntegration is the name of the default switchboard integration.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	DefaultIntegration string `json:"defaultIntegration,omitempty"`

	// Integrations as listed by the API, sorted by name, refreshed every
	// refreshInterval. At most 10 (the vendor's limit).
	// +kubebuilder:validation:MaxItems=10
	// +listType=atomic
	// +optional
	Integrations []SwitchboardIntegrationStatus `json:"integrations,omitempty"`

	// LastRefreshTime is when the integrations were last listed.
	// +optional
	LastRefreshTime *metav1.Time `json:"lastRefreshTime,omitempty"`

	// CredentialsHash identifies (without revealing) the Secret version and connection
	// settings the client was built from, so a rotation is noticed. It is a truncated
	// SHA-256 of the endpoint, app id, auth type, rate limit, and the Secret's uid and
	// resourceVersion; never of the Secret's data.
	// +optional
	CredentialsHash string `json:"credentialsHash,omitempty"`

	// LastHandledReconcileAt echoes the last handled value of the requestedAt annotation.
	// +optional
	LastHandledReconcileAt string `json:"lastHandledReconcileAt,omitempty"`

	// Webhook is the webhook the operator manages for spec.webhook.
	// +optional
	Webhook *SwitchboardWebhookStatus `json:"webhook,omitempty"`

	// Config is what the operator did to the switchboard's configuration
	// (managementPolicy Manage).
	// +optional
	Config *SwitchboardConfigStatus `json:"config,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=sb,categories=conversations
// +kubebuilder:printcolumn:name="App",type=string,JSONPath=`.spec.appId`
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.spec.endpoint`,priority=1
// +kubebuilder:printcolumn:name="Default",type=string,JSONPath=`.status.defaultIntegration`
// +kubebuilder:printcolumn:name="Policy",type=string,JSONPath=`.spec.managementPolicy`
// +kubebuilder:printcolumn:name="Config",type=string,JSONPath=`.status.conditions[?(@.type=="ConfigInSync")].status`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Switchboard is a connection to one Sunshine Conversations app: its endpoint, its
// credentials and a client-side rate limit. Its status lists the app's switchboard
// integrations.
type Switchboard struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired connection.
	// +required
	Spec SwitchboardSpec `json:"spec"`

	// Status is what the operator observed.
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status SwitchboardStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// SwitchboardList contains a list of Switchboard.
type SwitchboardList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Switchboard `json:"items"`
}
