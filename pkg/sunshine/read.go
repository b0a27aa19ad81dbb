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

import (
	"context"
	"fmt"
	"net/http"
)

// IntegrationRef is a switchboard integration as a conversation refers to it.
type IntegrationRef struct {
	// ID is the switchboard integration id.
	ID string `json:"id"`
	// Name is the switchboard integration name.
	Name string `json:"name"`
	// IntegrationID is the id of the integration that delivers the events.
	IntegrationID string `json:"integrationId"`
	// IntegrationType is "custom" or the OAuth client id, e.g. "zd:agentWorkspace".
	IntegrationType string `json:"integrationType"`
}

// Conversation is the part of a conversation the switchboard concerns.
type Conversation struct {
	// ID is the conversation id.
	ID string `json:"id"`
	// Type is "personal" or "sdkGroup".
	Type string `json:"type"`
	// Metadata is the conversation's own metadata.
	Metadata map[string]any `json:"metadata,omitempty"`
	// Active is the switchboard integration in control; nil when none is.
	Active *IntegrationRef `json:"activeSwitchboardIntegration,omitempty"`
	// Pending is the switchboard integration offered control; nil when none is.
	Pending *IntegrationRef `json:"pendingSwitchboardIntegration,omitempty"`
}

// Switchboard is an app's switchboard.
type Switchboard struct {
	// ID is the switchboard id.
	ID string `json:"id"`
	// Enabled says whether the switchboard routes events; a disabled one lets
	// every integration receive everything.
	Enabled bool `json:"enabled"`
	// DefaultSwitchboardIntegrationID is the switchboard integration given
	// control of new conversations; empty when unset.
	DefaultSwitchboardIntegrationID string `json:"defaultSwitchboardIntegrationId,omitempty"`
}

// SwitchboardIntegration is one integration taking part in a switchboard.
type SwitchboardIntegration struct {
	// ID is the switchboard integration id.
	ID string `json:"id"`
	// Name is the handle used in control actions.
	Name string `json:"name"`
	// IntegrationID is the id of the linked integration.
	IntegrationID string `json:"integrationId"`
	// IntegrationType is "custom" or the OAuth client id, e.g. "zd:agentWorkspace".
	IntegrationType string `json:"integrationType"`
	// DeliverStandbyEvents says whether the integration gets conversation events while on standby.
	DeliverStandbyEvents bool `json:"deliverStandbyEvents"`
	// NextSwitchboardIntegrationID is the target of the "next" keyword; empty when unset.
	NextSwitchboardIntegrationID string `json:"nextSwitchboardIntegrationId,omitempty"`
	// MessageHistoryCount is how many past messages are given as context; nil when unset.
	MessageHistoryCount *int `json:"messageHistoryCount,omitempty"`
}

// GetConversation reads a conversation, including which switchboard
// integrations are active and pending.
func (c *Client) GetConversation(ctx context.Context, conversationID string) (*Conversation, error) {
	if err := validateID("conversationId", conversationID); err != nil {
		return nil, err
	}
	body, err := c.do(ctx, opGetConversation, http.MethodGet, nil, "conversations", conversationID)
	if err != nil {
		return nil, err
	}
	return decodeConversation(body)
}

// ListSwitchboards lists the app's switchboards: none or one.
func (c *Client) ListSwitchboards(ctx context.Context) ([]Switchboard, error) {
	body, err := c.do(ctx, opListSwitchboards, http.MethodGet, nil, "switchboards")
	if err != nil {
		return nil, err
	}
	resp, err := decode[struct {
		Switchboards []Switchboard `json:"switchboards"`
	}](opListSwitchboards, body)
	return resp.Switchboards, err
}

// ListSwitchboardIntegrations lists the integrations of a switchboard.
func (c *Client) ListSwitchboardIntegrations(ctx context.Context, switchboardID string) ([]SwitchboardIntegration, error) {
	if err := validateID("switchboardId", switchboardID); err != nil {
		return nil, err
	}
	body, err := c.do(ctx, opListSwitchboardIntegrations, http.MethodGet, nil,
		"switchboards", switchboardID, "switchboardIntegrations")
	if err != nil {
		return nil, err
	}
	resp, err := decode[struct {
		SwitchboardIntegrations []SwitchboardIntegration `json:"switchboardIntegrations"`
	}](opListSwitchboardIntegrations, body)
	return resp.SwitchboardIntegrations, err
}

// conversationResponse is the body of GET conversation.
type conversationResponse struct {
	Conversation *Conversation `json:"conversation"`
}

// decodeConversation decodes the body of GET conversation; the fuzz test
// drives it with arbitrary bytes.
func decodeConversation(body []byte) (*Conversation, error) {
	resp, err := decode[conversationResponse](opGetConversation, body)
	if err != nil {
		return nil, err
	}
	if resp.Conversation == nil {
		return nil, fmt.Errorf("sunshine: %s: decoding response: no conversation in it", opGetConversation)
	}
	return resp.Conversation, nil
}
