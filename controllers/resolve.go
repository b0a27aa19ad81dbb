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
	managedNote := ""
	if sb.Spec.ManagementPolicy == sbv1.ManagementPolicyManage {
		managedNote = fmt.Sprintf("; Switchboard %s manages the switchboard's configuration and its spec.integrations do not declare it (removed or renamed)", sb.Name)
	}
	return nil, fmt.Errorf("integration %q is not an id, name or integrationType of a switchboard integration of Switchboard %s (known: %s)%s",
		name, sb.Name, integrationNames(sb), managedNote)
}

// resolveNext resolves `next` to the `next` link of the integration active in the
// conversation, with the Stalled reason when it cannot be resolved.
func resolveNext(sb *sbv1.Switchboard, live sbv1.LiveState, conversationID string) (*sbv1.IntegrationReference, string, error) {
	if live.Active == nil {
		return nil, sbv1.ReasonNoNextIntegration, fmt.Errorf(
			"integration %q cannot be resolved: no integration is active in conversation %s", sbv1.IntegrationNext, conversationID)
	}
	for _, i := range sb.Status.Integrations {
		if !sameIntegration(referenceTo(i), live.Active) {
			continue
		}
		if i.Next == "" {
			return nil, sbv1.ReasonNoNextIntegration, fmt.Errorf(
				"integration %q cannot be resolved: the active integration %s has no next integration", sbv1.IntegrationNext, i.Name)
		}
		next, err := resolveIntegration(sb, i.Next)
		if err != nil {
			return nil, sbv1.ReasonIntegrationNotFound, err
		}
		return next, "", nil
	}
	return nil, sbv1.ReasonIntegrationNotFound, fmt.Errorf("integration %q cannot be resolved: the active integration %s is not listed by Switchboard %s",
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
