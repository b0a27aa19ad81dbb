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
	"sort"
	"strings"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// resolveIntegration finds the switchboard integration that spec.integration names: by
// id, then name, then integrationType (which must be unique), as the vendor resolves
// targets.
func resolveIntegration(sb *sbv1.Switchboard, name string) (*sbv1.IntegrationReference, error) {
	integrations := sb.Status.Integrations
	for _, match := range []func(sbv1.SwitchboardIntegrationStatus) bool{
		func(i sbv1.SwitchboardIntegrationStatus) bool { return i.ID == name },
		func(i sbv1.SwitchboardIntegrationStatus) bool { return i.Name == name },
		func(i sbv1.SwitchboardIntegrationStatus) bool { return i.IntegrationType == name },
	} {
		var found []sbv1.SwitchboardIntegrationStatus
		for _, i := range integrations {
			if match(i) {
				found = append(found, i)
			}
		}
		switch len(found) {
		case 0:
			continue
		case 1:
			return referenceTo(found[0]), nil
		default:
			return nil, fmt.Errorf("integration %q is ambiguous: it matches %d switchboard integrations of Switchboard %s; name one by id or name",
				name, len(found), sb.Name)
		}
	}
	return nil, fmt.Errorf("integration %q is not an id, name or integrationType of a switchboard integration of Switchboard %s (known: %s)",
		name, sb.Name, integrationNames(sb))
}

// resolveDesired turns the spec into the desired state for this pass. For `next`, the
// target is the next integration of the active one until the declaration is applied,
// and the integration it reached afterwards.
func resolveDesired(cc *sbv1.ConversationControl, sb *sbv1.Switchboard, live sbv1.LiveState, explicit *sbv1.IntegrationReference) (desired, error) {
	want := desired{State: cc.Spec.State, Integration: cc.Spec.Integration, Target: explicit}
	if want.State == sbv1.StateReleased || cc.Spec.Integration != sbv1.IntegrationNext {
		return want, nil
	}
	if last := cc.Status.LastAppliedAction; declarationApplied(last, want) && last.Reached != nil {
		want.Target = last.Reached.DeepCopy()
		return want, nil
	}
	if live.Active == nil {
		return want, fmt.Errorf("integration %q cannot be resolved: no integration is active in conversation %s", sbv1.IntegrationNext, cc.Spec.ConversationID)
	}
	for _, i := range sb.Status.Integrations {
		if (i.ID != "" && i.ID == live.Active.ID) || (live.Active.ID == "" && i.Name == live.Active.Name) {
			if i.Next == "" {
				return want, fmt.Errorf("integration %q cannot be resolved: the active integration %s has no next integration", sbv1.IntegrationNext, i.Name)
			}
			next, err := resolveIntegration(sb, i.Next)
			if err != nil {
				return want, err
			}
			want.Target, want.Next = next, true
			return want, nil
		}
	}
	return want, fmt.Errorf("integration %q cannot be resolved: the active integration %s is not listed by Switchboard %s",
		sbv1.IntegrationNext, describeIntegration(live.Active), sb.Name)
}

// referenceTo is the reference to a listed switchboard integration.
func referenceTo(i sbv1.SwitchboardIntegrationStatus) *sbv1.IntegrationReference {
	return &sbv1.IntegrationReference{ID: i.ID, Name: i.Name, IntegrationType: i.IntegrationType}
}

// integrationRef converts the API's view of an integration.
func integrationRef(r *sunshine.IntegrationRef) *sbv1.IntegrationReference {
	if r == nil {
		return nil
	}
	return &sbv1.IntegrationReference{ID: r.ID, Name: r.Name, IntegrationType: r.IntegrationType}
}

// liveStateOf is the switchboard state of a conversation as the API returned it.
func liveStateOf(conv *sunshine.Conversation) sbv1.LiveState {
	return sbv1.LiveState{Active: integrationRef(conv.Active), Pending: integrationRef(conv.Pending)}
}

// integrationNames lists the Switchboard's integrations for a message, sorted.
func integrationNames(sb *sbv1.Switchboard) string {
	if len(sb.Status.Integrations) == 0 {
		return "none listed"
	}
	names := make([]string, 0, len(sb.Status.Integrations))
	for _, i := range sb.Status.Integrations {
		names = append(names, i.Name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// describeTarget names the desired integration for a person.
func describeTarget(want desired) string {
	if want.Next {
		return fmt.Sprintf("next (%s)", describeIntegration(want.Target))
	}
	if want.Target == nil {
		return "nobody"
	}
	return describeIntegration(want.Target)
}
