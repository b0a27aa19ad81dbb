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

// ManagementPolicy says whether the operator only reads the app's switchboard
// configuration or makes it match the spec.
// +kubebuilder:validation:Enum=Observe;Manage
type ManagementPolicy string

const (
	// ManagementPolicyObserve only lists the switchboard and its integrations into
	// status; the operator makes no write call.
	ManagementPolicyObserve ManagementPolicy = "Observe"
	// ManagementPolicyManage makes the vendor's switchboard configuration match
	// spec.enabled, spec.defaultIntegration and spec.integrations.
	ManagementPolicyManage ManagementPolicy = "Manage"
)

// ConfigDeletionPolicy says what happens to the vendor's switchboard configuration when
// a Switchboard under Manage is deleted.
// +kubebuilder:validation:Enum=Orphan;DeleteCreated
type ConfigDeletionPolicy string

const (
	// ConfigDeletionPolicyOrphan leaves the vendor's configuration as it is.
	ConfigDeletionPolicyOrphan ConfigDeletionPolicy = "Orphan"
	// ConfigDeletionPolicyDeleteCreated removes what the operator created (the
	// switchboard integrations in status.createdIntegrationIds, and the switchboard when
	// the operator created it and nothing else is left on it); adopted integrations stay.
	ConfigDeletionPolicyDeleteCreated ConfigDeletionPolicy = "DeleteCreated"
)

// MaxMessageHistoryCount is the largest messageHistoryCount the vendor accepts.
const MaxMessageHistoryCount = 10

// SwitchboardIntegrationSpec declares one switchboard integration, matched with the
// vendor's by name.
// +kubebuilder:validation:XValidation:rule="has(self.integrationId) != has(self.integrationType)",message="exactly one of integrationId or integrationType must be set"
// +kubebuilder:validation:XValidation:rule="!has(self.next) || self.next != self.name",message="next must name another integration, not the integration itself"
type SwitchboardIntegrationSpec struct {
	// Name is the integration's handle, used as a target by ConversationControls:
	// letters, digits, `_` and `-`, at most 128 characters, unique in the list.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_-]+$`
	// +required
	Name string `json:"name"`

	// IntegrationID links a custom integration by its id. Exactly one of integrationId
	// and integrationType is set.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +optional
	IntegrationID string `json:"integrationId,omitempty"`

	// IntegrationType links an OAuth integration by its client id, or a first-party one
	// such as `zd:agentWorkspace`. Exactly one of integrationId and integrationType is set.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +optional
	IntegrationType string `json:"integrationType,omitempty"`

	// DeliverStandbyEvents says whether the linked integration receives conversation
	// events while it is on standby. Defaults to true, as the vendor does.
	// +kubebuilder:default=true
	// +optional
	DeliverStandbyEvents *bool `json:"deliverStandbyEvents,omitempty"`

	// Next is the name of the integration that the keyword `next` leads to from this
	// one; another entry of spec.integrations. Unset: no next integration.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_-]+$`
	// +optional
	Next string `json:"next,omitempty"`

	// MessageHistoryCount is how many past messages an integration that becomes active
	// is given as context, from 1 to 10. Unset: none.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	// +optional
	MessageHistoryCount *int32 `json:"messageHistoryCount,omitempty"`
}

// SwitchboardConfigStatus is what the operator did to the app's switchboard
// configuration under managementPolicy Manage.
type SwitchboardConfigStatus struct {
	// AppliedGeneration is the generation whose configuration was last applied in
	// full; a difference found afterwards is drift.
	// +optional
	AppliedGeneration int64 `json:"appliedGeneration,omitempty"`

	// CreatedSwitchboard is true when the operator created the app's switchboard.
	// +optional
	CreatedSwitchboard bool `json:"createdSwitchboard,omitempty"`

	// CreatedIntegrationIDs are the ids of the switchboard integrations the operator
	// created (the only ones deletionPolicy DeleteCreated removes), sorted.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=128
	// +listType=atomic
	// +optional
	CreatedIntegrationIDs []string `json:"createdIntegrationIds,omitempty"`

	// Drift names the fields others changed at the vendor since the configuration was
	// applied, sorted; empty when none.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	// +listType=atomic
	// +optional
	Drift []string `json:"drift,omitempty"`
}

// Condition type, reasons and events of the switchboard configuration.
const (
	// ConditionConfigInSync is True when the vendor's switchboard configuration matches
	// the spec (managementPolicy Manage only).
	ConditionConfigInSync = "ConfigInSync"
	// ReasonConfigApplied: the operator made the vendor's configuration match the spec.
	ReasonConfigApplied = "ConfigApplied"
	// ReasonConfigRefused: the vendor refused a configuration call; the message names it.
	ReasonConfigRefused = "ConfigRefused"
	// ReasonConfigBlocked: the spec cannot be reached with the vendor's rules from the
	// live configuration (for example an eleventh integration that nothing frees room for).
	ReasonConfigBlocked = "ConfigBlocked"
	// EventReasonConfigApplied: configuration calls were applied.
	EventReasonConfigApplied = "ConfigApplied"
	// EventReasonConfigRefused: the vendor refused a configuration call.
	EventReasonConfigRefused = "ConfigRefused"
	// EventReasonConfigDriftRepaired: drift by others was repaired (driftPolicy Enforce).
	EventReasonConfigDriftRepaired = "ConfigDriftRepaired"
	// EventReasonConfigDeletionSkipped: deletion with deletionPolicy DeleteCreated gave
	// up after the deletion timeout, or left what it may not remove.
	EventReasonConfigDeletionSkipped = "ConfigDeletionSkipped"
	// FinalizerConfig is added to Switchboards with managementPolicy Manage and
	// deletionPolicy DeleteCreated, so that what the operator created is removed first.
	FinalizerConfig = "switchboard.conversations.dev/config"
)
