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

// ControlState is the desired switchboard state of the conversation.
// +kubebuilder:validation:Enum=Active;Offered;Released
type ControlState string

const (
	// StateActive means the integration controls the conversation (passControl, or
	// acceptControl when it is already pending).
	StateActive ControlState = "Active"
	// StateOffered means control is offered to the integration (offerControl); it becomes
	// pending until it accepts.
	StateOffered ControlState = "Offered"
	// StateReleased means no integration controls the conversation (releaseControl).
	StateReleased ControlState = "Released"
)

// DeletionPolicy says what happens to the conversation when the object is deleted.
// +kubebuilder:validation:Enum=Orphan;Release
type DeletionPolicy string

const (
	// DeletionPolicyOrphan leaves the conversation as it is.
	DeletionPolicyOrphan DeletionPolicy = "Orphan"
	// DeletionPolicyRelease calls releaseControl on delete, while the conversation is
	// still where this object put it.
	DeletionPolicyRelease DeletionPolicy = "Release"
)

// DriftPolicy says what happens when someone else moves the conversation after the
// operator applied the desired state.
// +kubebuilder:validation:Enum=Report;Enforce
type DriftPolicy string

const (
	// DriftPolicyReport only reports drift (InSync=False) and does not fight it.
	DriftPolicyReport DriftPolicy = "Report"
	// DriftPolicyEnforce re-applies the desired state, at most once per pollInterval.
	DriftPolicyEnforce DriftPolicy = "Enforce"
)

// IntegrationNext is the keyword that targets the `next` integration of the one that
// is currently active.
const IntegrationNext = "next"

// Action is a switchboard action.
// +kubebuilder:validation:Enum=passControl;offerControl;acceptControl;releaseControl
type Action string

const (
	// ActionPassControl makes the target integration active.
	ActionPassControl Action = "passControl"
	// ActionOfferControl makes the target integration pending.
	ActionOfferControl Action = "offerControl"
	// ActionAcceptControl makes the pending integration active.
	ActionAcceptControl Action = "acceptControl"
	// ActionReleaseControl leaves the conversation with no active integration.
	ActionReleaseControl Action = "releaseControl"
)

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// Name of the object.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`
}

// ConversationControlSpec declares who should control one conversation.
// +kubebuilder:validation:XValidation:rule="self.state == 'Released' || has(self.integration)",message="integration is required unless state is Released",fieldPath=".integration"
// +kubebuilder:validation:XValidation:rule="self.state != 'Released' || !has(self.integration)",message="integration must not be set when state is Released",fieldPath=".integration"
type ConversationControlSpec struct {
	// SwitchboardRef names the Switchboard (the app connection) in the same namespace.
	// Immutable: a conversation id only has a meaning within its app.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="switchboardRef is immutable"
	// +required
	SwitchboardRef LocalObjectReference `json:"switchboardRef"`

	// ConversationID is the Sunshine Conversations conversation id. Immutable.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_-]+$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="conversationId is immutable"
	// +required
	ConversationID string `json:"conversationId"`

	// State is the desired switchboard state: Active (the integration controls the
	// conversation), Offered (control is offered to it), or Released (nobody controls it).
	// +kubebuilder:default=Active
	// +optional
	State ControlState `json:"state,omitempty"`

	// Integration is the id, name or integrationType of a switchboard integration of the
	// app, or `next` (the next integration of the one currently active; applied once
	// per generation). Required unless state is Released.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +optional
	Integration string `json:"integration,omitempty"`

	// Metadata is passed with the switchboard action. Flat string values; keys and
	// values together at most 4096 bytes as the operator sends them, as JSON
	// (`{"key":"value",...}`, UTF-8, with `"`, `\`, tab, newline and carriage return
	// escaped as two bytes and U+2028 and U+2029 as six). Other control characters are
	// refused. Changing only the metadata does not cause a new handoff.
	// +kubebuilder:validation:MaxProperties=128
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.matches('[\\\\x00-\\\\x08\\\\x0b\\\\x0c\\\\x0e-\\\\x1f]') && !self[k].matches('[\\\\x00-\\\\x08\\\\x0b\\\\x0c\\\\x0e-\\\\x1f]'))",message="metadata keys and values must not contain control characters other than tab, newline and carriage return"
	// +kubebuilder:validation:XValidation:rule="self.map(k, [k, self[k]].map(s, bytes(s).size() + size(s) - size(s.replace('\\\\', '').replace('\"', '').replace('\\t', '').replace('\\n', '').replace('\\r', '')) + 3 * (size(s) - size(s.replace('\\u2028', '').replace('\\u2029', ''))) + 2).sum() + 2).sum() + 1 <= 4096",message="metadata must fit in 4096 bytes as JSON, counted as the operator sends it (UTF-8, with quotes, colons and commas)"
	// +optional
	Metadata map[string]MetadataValue `json:"metadata,omitempty"`

	// DeletionPolicy: Orphan leaves the conversation as it is; Release releases control
	// on delete while the conversation is still where this object put it.
	// +kubebuilder:default=Orphan
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// DriftPolicy: Report only reports a conversation moved by someone else (InSync=False);
	// Enforce re-applies the desired state, at most once per pollInterval.
	// +kubebuilder:default=Report
	// +optional
	DriftPolicy DriftPolicy `json:"driftPolicy,omitempty"`

	// PollInterval is how often the live state is re-read; 0s means never. At least 10s
	// otherwise.
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:XValidation:rule="duration(self) == duration('0s') || duration(self) >= duration('10s')",message="pollInterval must be 0s (never) or at least 10s"
	// +optional
	PollInterval *metav1.Duration `json:"pollInterval,omitempty"`

	// Suspend stops all API calls for this object; deletion still works.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// TTLSecondsAfterFinished deletes the object this many seconds after it finished (see
	// the README for what "finished" means); deletion follows deletionPolicy. Unset: the
	// manager's --default-ttl-seconds-after-finished applies, and without it the object is
	// kept.
	// +kubebuilder:validation:Minimum=0
	// +optional
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`
}

// The bound of MetadataValue lets the API server estimate the cost of the metadata
// rules; the values share 4096 bytes anyway.

// MetadataValue is one value of spec.metadata: a string of at most 4096 characters.
// +kubebuilder:validation:MaxLength=4096
type MetadataValue = string

// IntegrationReference identifies a switchboard integration.
type IntegrationReference struct {
	// ID of the switchboard integration.
	// +optional
	ID string `json:"id,omitempty"`
	// Name of the switchboard integration.
	// +optional
	Name string `json:"name,omitempty"`
	// IntegrationType of the switchboard integration.
	// +optional
	IntegrationType string `json:"integrationType,omitempty"`
}

// Declaration is one declaration of a ConversationControl as the operator pursues it.
type Declaration struct {
	// State is spec.state.
	State ControlState `json:"state"`
	// Integration is spec.integration as written.
	// +optional
	Integration string `json:"integration,omitempty"`
	// Since is the first generation of the object that declared it, as seen by the operator.
	Since int64 `json:"since"`
	// Target is the integration a `next` declaration was resolved to: the `next` link of the
	// integration observed active when the operator first acted on it. It is fixed for the
	// life of the declaration, so every action the operator sends for it names this id.
	// +optional
	Target *IntegrationReference `json:"target,omitempty"`
}

// AppliedAction records a switchboard action the operator made.
type AppliedAction struct {
	// Action is the switchboard action.
	Action Action `json:"action"`
	// State is the desired state the action applied.
	State ControlState `json:"state"`
	// Integration is spec.integration as it was when the action was made (may be `next`).
	// +optional
	Integration string `json:"integration,omitempty"`
	// Generation is the object's generation the action applied.
	Generation int64 `json:"generation"`
	// Time the action was made.
	Time metav1.Time `json:"time"`
	// Reached is the integration the action made active or pending, where known (for
	// `next`, the integration it reached).
	// +optional
	Reached *IntegrationReference `json:"reached,omitempty"`
	// Before is the live state observed just before the action was made. For an action in
	// flight it lets the next pass tell, from the live state, whether the action landed.
	// +optional
	Before *LiveState `json:"before,omitempty"`
	// Adopted is true when no action of the operator is known to have made the declaration
	// true: the operator found it already in effect (or the outcome of its own action was
	// lost in a crash) and recorded it, so that drift and deletion treat it as applied.
	// +optional
	Adopted bool `json:"adopted,omitempty"`
}

// LiveState is the switchboard state of a conversation as read from the API.
type LiveState struct {
	// Active integration, if any.
	// +optional
	Active *IntegrationReference `json:"active,omitempty"`
	// Pending integration, if any.
	// +optional
	Pending *IntegrationReference `json:"pending,omitempty"`
}

// ConversationControlStatus is what the operator did and observed. Only the operator
// writes it, always whole structures at a time, so its structures are atomic for
// server-side apply: managedFields then name each structure once instead of every field
// in it, which makes every status write smaller for the API server to track.
type ConversationControlStatus struct {
	// ObservedGeneration is the generation last finished (applied or stalled); -1 before
	// the first reconcile.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Ready, InSync, and Reconciling or Stalled while they are True.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// Declaration is the declaration (spec.state and spec.integration) the operator pursues,
	// with the first generation that declared it and, for `next`, the integration it was
	// resolved to. A later generation that declares something else starts a new declaration,
	// even when it equals an older one.
	// +structType=atomic
	// +optional
	Declaration *Declaration `json:"declaration,omitempty"`

	// LastAppliedAction is what the operator last did successfully.
	// +structType=atomic
	// +optional
	LastAppliedAction *AppliedAction `json:"lastAppliedAction,omitempty"`

	// InFlightAction is an action whose outcome is not known yet: a `next` handoff,
	// recorded just before it is sent, or an action whose answer was lost. The next pass
	// decides from the live state whether it landed, so a `next` is never applied twice.
	// +structType=atomic
	// +optional
	InFlightAction *AppliedAction `json:"inFlightAction,omitempty"`

	// ActiveIntegration is the integration the API last reported as active.
	// +structType=atomic
	// +optional
	ActiveIntegration *IntegrationReference `json:"activeIntegration,omitempty"`

	// PendingIntegration is the integration the API last reported as pending.
	// +structType=atomic
	// +optional
	PendingIntegration *IntegrationReference `json:"pendingIntegration,omitempty"`

	// LastObservedTime is when a read of the live state last found it changed (reads that
	// find nothing new are not written, so polls cause no status churn).
	// +optional
	LastObservedTime *metav1.Time `json:"lastObservedTime,omitempty"`

	// LastHandledReconcileAt echoes the last handled value of the requestedAt annotation.
	// +optional
	LastHandledReconcileAt string `json:"lastHandledReconcileAt,omitempty"`

	// History holds the last transitions of the conversation's control, newest last, at
	// most 10. It is written only together with a status write that happens anyway.
	// +kubebuilder:validation:MaxItems=10
	// +listType=atomic
	// +optional
	History []Transition `json:"history,omitempty"`

	// FinishedTime is when the object's generation finished (see the README); with a TTL
	// the object is deleted at FinishedTime plus the TTL.
	// +optional
	FinishedTime *metav1.Time `json:"finishedTime,omitempty"`

	// ExpiresAt is when the object will be deleted because its TTL ran out.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`
}

// TransitionSource says who made a transition.
// +kubebuilder:validation:Enum=Operator;Observed
type TransitionSource string

const (
	// TransitionByOperator is a transition an action of this object made.
	TransitionByOperator TransitionSource = "Operator"
	// TransitionObserved is a change by others (agents, bots, the vendor) that the
	// operator observed.
	TransitionObserved TransitionSource = "Observed"
)

// Transition is one change of who controls the conversation.
type Transition struct {
	// Time the transition was made or observed.
	Time metav1.Time `json:"time"`
	// From is the integration active before, if any.
	// +optional
	From *IntegrationReference `json:"from,omitempty"`
	// To is the integration active (or, for an offer, pending) after, if any.
	// +optional
	To *IntegrationReference `json:"to,omitempty"`
	// Action is the switchboard action, when known: the operator's own, or the one a
	// webhook event reported.
	// +optional
	Action Action `json:"action,omitempty"`
	// Source is Operator for this object's own action, Observed for a change by others.
	Source TransitionSource `json:"source"`
	// Reason is the vendor's reason when known (ticketClosed, transferToEmail).
	// +optional
	Reason string `json:"reason,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=cc,categories=conversations
// +kubebuilder:printcolumn:name="Conversation",type=string,JSONPath=`.spec.conversationId`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.spec.state`
// +kubebuilder:printcolumn:name="Integration",type=string,JSONPath=`.spec.integration`
// +kubebuilder:printcolumn:name="Active",type=string,JSONPath=`.status.activeIntegration.name`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ConversationControl declares which switchboard integration should control one
// conversation of a Sunshine Conversations app.
type ConversationControl struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired control of the conversation.
	// +required
	Spec ConversationControlSpec `json:"spec"`

	// Status is what the operator did and observed.
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status ConversationControlStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ConversationControlList contains a list of ConversationControl.
type ConversationControlList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ConversationControl `json:"items"`
}
