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
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"unicode/utf8"
)

// Operation names of the switchboard configuration calls.
const (
	opCreateSwitchboard            = "createSwitchboard"
	opUpdateSwitchboard            = "updateSwitchboard"
	opDeleteSwitchboard            = "deleteSwitchboard"
	opCreateSwitchboardIntegration = "createSwitchboardIntegration"
	opUpdateSwitchboardIntegration = "updateSwitchboardIntegration"
	opDeleteSwitchboardIntegration = "deleteSwitchboardIntegration"
)

// Limits of the switchboard configuration (the vendor's OpenAPI document: schemas
// name, messageHistoryCount; the 400 too_many_switchboard_integrations example).
const (
	// MaxSwitchboardIntegrations is the most switchboard integrations a switchboard has.
	MaxSwitchboardIntegrations = 10
	// MaxNameLength bounds a switchboard integration name.
	MaxNameLength = 128
	// MinMessageHistoryCount is the smallest messageHistoryCount.
	MinMessageHistoryCount = 1
	// MaxMessageHistoryCount is the largest messageHistoryCount.
	MaxMessageHistoryCount = 10
)

// CodeTooManySwitchboardIntegrations is the code of the 400 answer to an eleventh
// switchboard integration.
const CodeTooManySwitchboardIntegrations = "too_many_switchboard_integrations"

// nameRE is the vendor's charset of switchboard integration names.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// SwitchboardUpdate is the body of PATCH switchboard: nil fields are left as they are.
type SwitchboardUpdate struct {
	// Enabled switches the switchboard on or off. An enabled switchboard must have a default.
	Enabled *bool `json:"enabled,omitempty"`
	// DefaultSwitchboardIntegrationID is the switchboard integration given new conversations.
	DefaultSwitchboardIntegrationID *string `json:"defaultSwitchboardIntegrationId,omitempty"`
}

// SwitchboardIntegrationCreate is the body of POST switchboardIntegrations.
type SwitchboardIntegrationCreate struct {
	// Name is required: letters, digits, `_` and `-`, at most MaxNameLength.
	Name string `json:"name"`
	// IntegrationID links a custom integration; exactly one of IntegrationID and
	// IntegrationType is set.
	IntegrationID string `json:"integrationId,omitempty"`
	// IntegrationType links an OAuth integration (its client id) or a first-party one
	// such as "zd:agentWorkspace".
	IntegrationType string `json:"integrationType,omitempty"`
	// DeliverStandbyEvents defaults to true at the vendor when nil.
	DeliverStandbyEvents *bool `json:"deliverStandbyEvents,omitempty"`
	// NextSwitchboardIntegrationID is the target of `next`; empty for none.
	NextSwitchboardIntegrationID string `json:"nextSwitchboardIntegrationId,omitempty"`
	// MessageHistoryCount is from 1 to 10; nil for none.
	MessageHistoryCount *int `json:"messageHistoryCount,omitempty"`
}

// SwitchboardIntegrationUpdate is the body of PATCH switchboardIntegrations/{id}: nil
// fields are left as they are.
type SwitchboardIntegrationUpdate struct {
	// Name renames the integration.
	Name *string
	// IntegrationID relinks it to a custom integration (not together with IntegrationType).
	IntegrationID *string
	// IntegrationType relinks it to an OAuth or first-party integration.
	IntegrationType *string
	// DeliverStandbyEvents changes the standby delivery.
	DeliverStandbyEvents *bool
	// NextSwitchboardIntegrationID changes the target of `next`; a pointer to "" clears
	// it (sends null).
	NextSwitchboardIntegrationID *string
	// MessageHistoryCount changes the history count; a pointer to 0 clears it (sends null).
	MessageHistoryCount *int
}

// MarshalJSON writes the fields that are set, with null for a cleared next or history count.
func (u SwitchboardIntegrationUpdate) MarshalJSON() ([]byte, error) {
	out := map[string]any{}
	setString := func(key string, v *string) {
		if v != nil {
			out[key] = *v
		}
	}
	setString("name", u.Name)
	setString("integrationId", u.IntegrationID)
	setString("integrationType", u.IntegrationType)
	if u.DeliverStandbyEvents != nil {
		out["deliverStandbyEvents"] = *u.DeliverStandbyEvents
	}
	if u.NextSwitchboardIntegrationID != nil {
		out["nextSwitchboardIntegrationId"] = nullIfZero(*u.NextSwitchboardIntegrationID)
	}
	if u.MessageHistoryCount != nil {
		out["messageHistoryCount"] = nullIfZero(*u.MessageHistoryCount)
	}
	return json.Marshal(out)
}

func nullIfZero[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

// switchboardResponse is the body of a created or updated switchboard.
type switchboardResponse struct {
	Switchboard *Switchboard `json:"switchboard"`
}

// switchboardIntegrationResponse is the body of a created or updated switchboard integration.
type switchboardIntegrationResponse struct {
	SwitchboardIntegration *SwitchboardIntegration `json:"switchboardIntegration"`
}

// CreateSwitchboard creates the app's switchboard (disabled, without integrations). An
// app has at most one: a second is refused with 400 bad_request.
func (c *Client) CreateSwitchboard(ctx context.Context) (*Switchboard, error) {
	body, err := c.do(ctx, opCreateSwitchboard, http.MethodPost, nil, "switchboards")
	if err != nil {
		return nil, err
	}
	return decodeObject[switchboardResponse](opCreateSwitchboard, body, func(r switchboardResponse) *Switchboard { return r.Switchboard })
}

// UpdateSwitchboard changes the switchboard's enabled flag and default integration. The
// vendor refuses to enable a switchboard without a default.
func (c *Client) UpdateSwitchboard(ctx context.Context, switchboardID string, req SwitchboardUpdate) (*Switchboard, error) {
	if err := firstError(validateID("switchboardId", switchboardID), validateUpdateSwitchboard(req)); err != nil {
		return nil, err
	}
	body, err := c.do(ctx, opUpdateSwitchboard, http.MethodPatch, req, "switchboards", switchboardID)
	if err != nil {
		return nil, err
	}
	return decodeObject[switchboardResponse](opUpdateSwitchboard, body, func(r switchboardResponse) *Switchboard { return r.Switchboard })
}

// DeleteSwitchboard deletes the switchboard and all of its switchboard integrations.
func (c *Client) DeleteSwitchboard(ctx context.Context, switchboardID string) error {
	if err := validateID("switchboardId", switchboardID); err != nil {
		return err
	}
	_, err := c.do(ctx, opDeleteSwitchboard, http.MethodDelete, nil, "switchboards", switchboardID)
	return err
}

// CreateSwitchboardIntegration adds a switchboard integration; the vendor refuses an
// eleventh with 400 too_many_switchboard_integrations.
func (c *Client) CreateSwitchboardIntegration(ctx context.Context, switchboardID string, req SwitchboardIntegrationCreate) (*SwitchboardIntegration, error) {
	if err := firstError(validateID("switchboardId", switchboardID), ValidateSwitchboardIntegrationCreate(req)); err != nil {
		return nil, err
	}
	body, err := c.do(ctx, opCreateSwitchboardIntegration, http.MethodPost, req, "switchboards", switchboardID, "switchboardIntegrations")
	if err != nil {
		return nil, err
	}
	return decodeObject[switchboardIntegrationResponse](opCreateSwitchboardIntegration, body,
		func(r switchboardIntegrationResponse) *SwitchboardIntegration { return r.SwitchboardIntegration })
}

// UpdateSwitchboardIntegration changes a switchboard integration.
func (c *Client) UpdateSwitchboardIntegration(ctx context.Context, switchboardID, integrationID string,
	req SwitchboardIntegrationUpdate) (*SwitchboardIntegration, error) {
	if err := firstError(validateID("switchboardId", switchboardID), validateID("switchboardIntegrationId", integrationID),
		ValidateSwitchboardIntegrationUpdate(req)); err != nil {
		return nil, err
	}
	body, err := c.do(ctx, opUpdateSwitchboardIntegration, http.MethodPatch, req,
		"switchboards", switchboardID, "switchboardIntegrations", integrationID)
	if err != nil {
		return nil, err
	}
	return decodeObject[switchboardIntegrationResponse](opUpdateSwitchboardIntegration, body,
		func(r switchboardIntegrationResponse) *SwitchboardIntegration { return r.SwitchboardIntegration })
}

// DeleteSwitchboardIntegration deletes a switchboard integration. The vendor refuses to
// delete the default one or one that another integration's next names.
func (c *Client) DeleteSwitchboardIntegration(ctx context.Context, switchboardID, integrationID string) error {
	if err := firstError(validateID("switchboardId", switchboardID), validateID("switchboardIntegrationId", integrationID)); err != nil {
		return err
	}
	_, err := c.do(ctx, opDeleteSwitchboardIntegration, http.MethodDelete, nil,
		"switchboards", switchboardID, "switchboardIntegrations", integrationID)
	return err
}

// decodeObject decodes a response body and takes the object out of it.
func decodeObject[R any, T any](op string, body []byte, take func(R) *T) (*T, error) {
	resp, err := decode[R](op, body)
	if err != nil {
		return nil, err
	}
	obj := take(resp)
	if obj == nil {
		return nil, fmt.Errorf("sunshine: %s: decoding response: no object in it", op)
	}
	return obj, nil
}

// validateUpdateSwitchboard checks the body of PATCH switchboard.
func validateUpdateSwitchboard(req SwitchboardUpdate) error {
	if req.DefaultSwitchboardIntegrationID != nil {
		return validateID("defaultSwitchboardIntegrationId", *req.DefaultSwitchboardIntegrationID)
	}
	return nil
}

// ValidateSwitchboardIntegrationCreate checks the body of a new switchboard integration
// as the vendor does: a valid name, exactly one of integrationId and integrationType,
// messageHistoryCount from 1 to 10.
func ValidateSwitchboardIntegrationCreate(req SwitchboardIntegrationCreate) error {
	return firstError(
		ValidateIntegrationName("name", req.Name),
		validateLink("", req.IntegrationID != "", req.IntegrationType != "", true),
		validateLinkValue("integrationId", req.IntegrationID),
		validateLinkValue("integrationType", req.IntegrationType),
		validateHistory("messageHistoryCount", req.MessageHistoryCount, false),
	)
}

// ValidateSwitchboardIntegrationUpdate checks the body of a switchboard integration
// change: a valid name when renamed, not both integrationId and integrationType,
// messageHistoryCount from 1 to 10 (or 0 to clear it).
func ValidateSwitchboardIntegrationUpdate(req SwitchboardIntegrationUpdate) error {
	var errs []error
	if req.Name != nil {
		errs = append(errs, ValidateIntegrationName("name", *req.Name))
	}
	errs = append(errs, validateLink("", req.IntegrationID != nil, req.IntegrationType != nil, false))
	if req.IntegrationID != nil {
		errs = append(errs, validateLinkValue("integrationId", *req.IntegrationID))
	}
	if req.IntegrationType != nil {
		errs = append(errs, validateLinkValue("integrationType", *req.IntegrationType))
	}
	if req.NextSwitchboardIntegrationID != nil && *req.NextSwitchboardIntegrationID != "" {
		errs = append(errs, validateID("nextSwitchboardIntegrationId", *req.NextSwitchboardIntegrationID))
	}
	return firstError(append(errs, validateHistory("messageHistoryCount", req.MessageHistoryCount, true))...)
}

// ValidateIntegrationName checks a switchboard integration name: letters, digits, `_`
// and `-`, from 1 to MaxNameLength characters.
func ValidateIntegrationName(field, name string) error {
	switch {
	case name == "":
		return &ValidationError{Field: field, Reason: "must not be empty"}
	case utf8.RuneCountInString(name) > MaxNameLength:
		return &ValidationError{Field: field, Reason: fmt.Sprintf("must be at most %d characters", MaxNameLength)}
	case !nameRE.MatchString(name):
		return &ValidationError{Field: field, Reason: "must contain only letters, digits, _ and -"}
	}
	return nil
}

// validateLink checks that one (create: exactly one; update: at most one) of
// integrationId and integrationType is given. prefix is put before the field names.
func validateLink(prefix string, hasID, hasType, create bool) error {
	switch {
	case hasID && hasType:
		return &ValidationError{Field: prefix + "integrationId", Reason: "exactly one of integrationId or integrationType must be set, not both"}
	case create && !hasID && !hasType:
		return &ValidationError{Field: prefix + "integrationId", Reason: "exactly one of integrationId or integrationType must be set"}
	}
	return nil
}

// validateLinkValue checks an integrationId or integrationType that is given.
func validateLinkValue(field, v string) error {
	if v != "" && utf8.RuneCountInString(v) > MaxNameLength {
		return &ValidationError{Field: field, Reason: fmt.Sprintf("must be at most %d characters", MaxNameLength)}
	}
	return nil
}

// validateHistory checks a messageHistoryCount; with clearable, 0 means "clear it".
func validateHistory(field string, n *int, clearable bool) error {
	if n == nil || (clearable && *n == 0) {
		return nil
	}
	if *n < MinMessageHistoryCount || *n > MaxMessageHistoryCount {
		return &ValidationError{Field: field, Reason: fmt.Sprintf("must be from %d to %d", MinMessageHistoryCount, MaxMessageHistoryCount)}
	}
	return nil
}
