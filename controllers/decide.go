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
	"fmt"
	"time"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// desired is the declared state of a conversation with its integration resolved against
// the Switchboard's integrations.
type desired struct {
	State sbv1.ControlState
	// Integration is spec.integration as written (an id, name, integrationType or `next`).
	Integration string
	// Target is the integration that should be active (Active) or pending (Offered); nil
	// when Released.
	Target *sbv1.IntegrationReference
	// Next is true when spec.integration is `next` and this generation has not been
	// applied yet: the action then names `next`, so that the vendor takes one hop.
	Next bool
}

// decisionInput is everything decide looks at.
type decisionInput struct {
	Desired          desired
	LastApplied      *sbv1.AppliedAction
	Live             sbv1.LiveState
	DriftPolicy      sbv1.DriftPolicy
	PollInterval     time.Duration
	ReapplyRequested bool // a new value of the requestedAt annotation
	Now              time.Time
}

// decision is what the reconciler should do and report.
type decision struct {
	// Action to issue; empty for none.
	Action sbv1.Action
	// InSync tells whether the live state already matches the desired state.
	InSync bool
	// ReadyReason is the Ready reason when no action is needed.
	ReadyReason string
}

// decide picks at most one switchboard action from the desired state, what was last
// applied and the live state. It is a pure function: PRODUCT.md's decision table, plus
// the drift policy and the requestedAt annotation.
func decide(in decisionInput) decision {
	if inSync(in.Desired, in.Live) {
		reason := sbv1.ReasonSucceeded
		if in.Desired.State == sbv1.StateOffered && sameIntegration(in.Live.Active, in.Desired.Target) {
			reason = sbv1.ReasonAlreadyActive
		}
		return decision{InSync: true, ReadyReason: reason}
	}

	if declarationApplied(in.LastApplied, in.Desired) {
		// Someone moved the conversation after the operator applied this generation.
		enforceDue := in.DriftPolicy == sbv1.DriftPolicyEnforce &&
			in.Now.Sub(in.LastApplied.Time.Time) >= in.PollInterval
		if !in.ReapplyRequested && !enforceDue {
			return decision{ReadyReason: sbv1.ReasonSucceeded}
		}
		return decision{Action: actionFor(in.Desired, in.Live)}
	}
	return decision{Action: actionFor(in.Desired, in.Live)}
}

// declarationApplied tells whether the last applied action applied this declaration
// (state and integration). Metadata and other fields are not part of it, so changing
// only them never causes a new handoff, and a `next` is applied only once.
func declarationApplied(last *sbv1.AppliedAction, d desired) bool {
	return last != nil && last.State == d.State && last.Integration == d.Integration
}

// actionFor is the action that moves live to desired, when they differ.
func actionFor(d desired, live sbv1.LiveState) sbv1.Action {
	switch d.State {
	case sbv1.StateOffered:
		return sbv1.ActionOfferControl
	case sbv1.StateReleased:
		return sbv1.ActionReleaseControl
	default:
		if d.Target != nil && sameIntegration(live.Pending, d.Target) {
			return sbv1.ActionAcceptControl
		}
		return sbv1.ActionPassControl
	}
}

// inSync tells whether the live state satisfies the desired state. An offer is
// satisfied once the integration is pending, and also once it has accepted.
func inSync(d desired, live sbv1.LiveState) bool {
	switch d.State {
	case sbv1.StateReleased:
		return live.Active == nil && live.Pending == nil
	case sbv1.StateOffered:
		return sameIntegration(live.Pending, d.Target) || sameIntegration(live.Active, d.Target)
	default:
		return sameIntegration(live.Active, d.Target)
	}
}

// actionLanded tells, from the live state read after a restart, whether an action that
// was in flight took effect. For passControl and acceptControl a conversation that moved
// away from where it was before counts as landed, so a `next` is never applied twice.
func actionLanded(a *sbv1.AppliedAction, live sbv1.LiveState) bool {
	switch a.Action {
	case sbv1.ActionOfferControl:
		return a.Reached != nil && sameIntegration(live.Pending, a.Reached)
	case sbv1.ActionReleaseControl:
		return live.Active == nil && live.Pending == nil
	default:
		if a.Reached != nil && sameIntegration(live.Active, a.Reached) {
			return true
		}
		var before *sbv1.IntegrationReference
		if a.Before != nil {
			before = a.Before.Active
		}
		return live.Active != nil && !sameIntegration(live.Active, before)
	}
}

// sameIntegration compares two integrations by id, falling back to the name when an id
// is missing.
func sameIntegration(a, b *sbv1.IntegrationReference) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if a.ID != "" && b.ID != "" {
		return a.ID == b.ID
	}
	return a.Name != "" && a.Name == b.Name
}

// describeIntegration names an integration for a person.
func describeIntegration(r *sbv1.IntegrationReference) string {
	switch {
	case r == nil:
		return "none"
	case r.Name != "":
		return r.Name
	default:
		return r.ID
	}
}

// describeLive names the live state for a person, for example "active bot, pending none".
func describeLive(live sbv1.LiveState) string {
	return fmt.Sprintf("active %s, pending %s", describeIntegration(live.Active), describeIntegration(live.Pending))
}
