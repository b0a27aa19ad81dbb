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

package sunshine

import "fmt"

// SwitchboardConfig is a whole switchboard configuration as an operator declares it:
// the enabled flag, the default integration and every switchboard integration,
// referring to each other by name.
type SwitchboardConfig struct {
	// Enabled is the switchboard's enabled flag; nil leaves it as it is.
	Enabled *bool
	// Default is the name of the default integration, an entry of Integrations. It is
	// required: new conversations go to it, and it is where the default moves before
	// the live default is deleted.
	Default string
	// Integrations are the switchboard integrations, at most MaxSwitchboardIntegrations,
	// names unique.
	Integrations []IntegrationConfig
}

// IntegrationConfig is one declared switchboard integration.
type IntegrationConfig struct {
	// Name is the integration's handle (see ValidateIntegrationName).
	Name string
	// IntegrationID links a custom integration; exactly one of IntegrationID and
	// IntegrationType is set.
	IntegrationID string
	// IntegrationType links an OAuth or first-party integration.
	IntegrationType string
	// DeliverStandbyEvents says whether the integration gets events on standby.
	DeliverStandbyEvents bool
	// Next is the name of another entry that `next` leads to; empty for none.
	Next string
	// MessageHistoryCount is from 1 to 10; nil for none.
	MessageHistoryCount *int
}

// ValidateSwitchboardConfig checks a declared configuration against the vendor's rules,
// the same ones the Switchboard CRD enforces: at most 10 integrations with valid, unique
// names; exactly one of integrationId and integrationType each; messageHistoryCount
// from 1 to 10; next naming another entry; a default that is an entry (required, and
// always needed by an enabled switchboard). Errors are *ValidationError values whose
// Field is the spec field, such as `integrations[2].next`.
func ValidateSwitchboardConfig(cfg SwitchboardConfig) error {
	if n := len(cfg.Integrations); n > MaxSwitchboardIntegrations {
		return &ValidationError{Field: "integrations", Reason: fmt.Sprintf("has %d entries, at most %d are allowed", n, MaxSwitchboardIntegrations)}
	}
	names := make(map[string]bool, len(cfg.Integrations))
	for i, in := range cfg.Integrations {
		at := fmt.Sprintf("integrations[%d].", i)
		if err := firstError(
			ValidateIntegrationName(at+"name", in.Name),
			validateLink(at, in.IntegrationID != "", in.IntegrationType != "", true),
			validateLinkValue(at+"integrationId", in.IntegrationID),
			validateLinkValue(at+"integrationType", in.IntegrationType),
			validateHistory(at+"messageHistoryCount", in.MessageHistoryCount, false),
		); err != nil {
			return err
		}
		if names[in.Name] {
			return &ValidationError{Field: at + "name", Reason: fmt.Sprintf("%q is the name of an earlier entry: names must be unique", in.Name)}
		}
		names[in.Name] = true
	}
	for i, in := range cfg.Integrations {
		at := fmt.Sprintf("integrations[%d].next", i)
		switch {
		case in.Next == "":
		case in.Next == in.Name:
			return &ValidationError{Field: at, Reason: "must name another integration, not the integration itself"}
		case !names[in.Next]:
			return &ValidationError{Field: at, Reason: fmt.Sprintf("%q must name an entry of integrations", in.Next)}
		}
	}
	switch {
	case cfg.Default == "" && cfg.Enabled != nil && *cfg.Enabled:
		return &ValidationError{Field: "enabled", Reason: "an enabled switchboard must have a default integration"}
	case cfg.Default == "":
		return &ValidationError{Field: "defaultIntegration", Reason: "is required"}
	case !names[cfg.Default]:
		return &ValidationError{Field: "defaultIntegration", Reason: fmt.Sprintf("%q must name an entry of integrations", cfg.Default)}
	}
	return nil
}
