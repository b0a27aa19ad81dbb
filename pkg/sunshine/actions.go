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
	"net/http"
)

// Operation names, as used in errors and in the metrics' operation label.
const (
	opPassControl                 = "passControl"
	opOfferControl                = "offerControl"
	opAcceptControl               = "acceptControl"
	opReleaseControl              = "releaseControl"
	opGetConversation             = "getConversation"
	opListSwitchboards            = "listSwitchboards"
	opListSwitchboardIntegrations = "listSwitchboardIntegrations"
)

// Values of the optional reason of passControl and releaseControl.
const (
	ReasonTicketClosed    = "ticketClosed"
	ReasonTransferToEmail = "transferToEmail"
)

// PassControlRequest is the body of passControl.
type PassControlRequest struct {
	// SwitchboardIntegration is the switchboard integration to make active: its
	// id, name or integrationType (matched in that order), or "next". Required.
	SwitchboardIntegration string `json:"switchboardIntegration"`
	// Metadata is passed on in the switchboard:passControl webhook. Flat: string,
	// number, boolean or null values only, at most MaxMetadataBytes as JSON.
	Metadata map[string]any `json:"metadata,omitempty"`
	// Reason is optional: ReasonTicketClosed or ReasonTransferToEmail.
	Reason string `json:"reason,omitempty"`
}

// OfferControlRequest is the body of offerControl.
type OfferControlRequest struct {
	// SwitchboardIntegration is the switchboard integration to make pending: its
	// id, name or integrationType, or "next". It must not be the active one. Required.
	SwitchboardIntegration string `json:"switchboardIntegration"`
	// Metadata is passed on in the switchboard:offerControl webhook; see PassControlRequest.
	Metadata map[string]any `json:"metadata,omitempty"`
}

// AcceptControlRequest is the body of acceptControl.
type AcceptControlRequest struct {
	// Metadata is passed on in the switchboard:acceptControl webhook; see PassControlRequest.
	Metadata map[string]any `json:"metadata,omitempty"`
}

// ReleaseControlRequest is the body of releaseControl.
type ReleaseControlRequest struct {
	// Metadata is passed on in the switchboard:releaseControl webhook; see PassControlRequest.
	Metadata map[string]any `json:"metadata,omitempty"`
	// Reason is optional: ReasonTicketClosed or ReasonTransferToEmail.
	Reason string `json:"reason,omitempty"`
}

// PassControl makes a switchboard integration active for the conversation;
// every other one goes to standby, which also drops a pending offer.
func (c *Client) PassControl(ctx context.Context, conversationID string, req PassControlRequest) error {
	return c.action(ctx, opPassControl, conversationID, req, firstError(
		validateID("conversationId", conversationID),
		validateTarget(req.SwitchboardIntegration),
		ValidateMetadata(req.Metadata),
		validateReason(req.Reason),
	))
}

// OfferControl makes a switchboard integration pending for the conversation,
// replacing any earlier offer; the active one stays active until the offer
// is accepted.
func (c *Client) OfferControl(ctx context.Context, conversationID string, req OfferControlRequest) error {
	return c.action(ctx, opOfferControl, conversationID, req, firstError(
		validateID("conversationId", conversationID),
		validateTarget(req.SwitchboardIntegration),
		ValidateMetadata(req.Metadata),
	))
}

// AcceptControl makes the pending switchboard integration active. It always
// sends a body, `{}` at least, since the API requires one.
func (c *Client) AcceptControl(ctx context.Context, conversationID string, req AcceptControlRequest) error {
	return c.action(ctx, opAcceptControl, conversationID, req, firstError(
		validateID("conversationId", conversationID),
		ValidateMetadata(req.Metadata),
	))
}

// ReleaseControl clears the conversation's switchboard state: nothing active,
// nothing pending, until the default assignment picks an integration again.
func (c *Client) ReleaseControl(ctx context.Context, conversationID string, req ReleaseControlRequest) error {
	return c.action(ctx, opReleaseControl, conversationID, req, firstError(
		validateID("conversationId", conversationID),
		ValidateMetadata(req.Metadata),
		validateReason(req.Reason),
	))
}

// action POSTs body to /v2/apps/<appId>/conversations/<conversationId>/<op>,
// unless the request failed validation (invalid), in which case nothing is
// sent. The answer of a success is `{}`, so it is not decoded.
func (c *Client) action(ctx context.Context, op, conversationID string, body any, invalid error) error {
	if invalid != nil {
		return invalid
	}
	_, err := c.do(ctx, op, http.MethodPost, body, "conversations", conversationID, op)
	return err
}
