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
	"net/url"
	"slices"
	"strings"
)

// Operation names of the integration and webhook calls, as used in errors and
// in the metrics' operation label.
const (
	opListIntegrations  = "listIntegrations"
	opCreateIntegration = "createIntegration"
	opGetIntegration    = "getIntegration"
	opDeleteIntegration = "deleteIntegration"
	opListWebhooks      = "listWebhooks"
	opCreateWebhook     = "createWebhook"
	opGetWebhook        = "getWebhook"
	opUpdateWebhook     = "updateWebhook"
	opDeleteWebhook     = "deleteWebhook"
)

// Limits of the integration and webhook endpoints (OpenAPI document, tag
// Webhooks and schema integration).
const (
	// MaxWebhooksPerApp is how many webhooks an app may have, over all its
	// integrations; the API refuses the next one.
	MaxWebhooksPerApp = 10
	// MaxDisplayNameLength bounds an integration's displayName, in characters.
	MaxDisplayNameLength = 100
	// IntegrationTypeCustom is the integration type that may carry webhooks.
	IntegrationTypeCustom = "custom"
	// maxIntegrationPages bounds how many pages ListCustomIntegrations follows.
	maxIntegrationPages = 100
	// integrationPageSize is the page[size] ListCustomIntegrations asks for (the maximum).
	integrationPageSize = 100
)

// WebhookTriggers lists every trigger the OpenAPI document's table "Webhook
// Triggers" names; a webhook may subscribe to these only (case-sensitive).
var WebhookTriggers = []string{
	"client:add", "client:remove", "client:update",
	"conversation:create", "conversation:join", "conversation:leave", "conversation:remove",
	"conversation:message", "conversation:message:delivery:channel", "conversation:message:delivery:failure",
	"conversation:message:delivery:user", "conversation:postback", "conversation:read", "conversation:referral",
	"passthrough:messaging", "conversation:typing",
	TriggerAcceptControl, TriggerAcceptControlFailure, TriggerOfferControl, TriggerOfferControlFailure,
	TriggerPassControl, TriggerPassControlFailure, TriggerReleaseControl,
	"user:merge", "user:update", "user:remove",
}

// Integration is an integration of the app. Only custom integrations carry
// webhooks.
type Integration struct {
	// ID is the integration id.
	ID string `json:"id"`
	// Type is the integration type, for example IntegrationTypeCustom.
	Type string `json:"type"`
	// Status is "active", "inactive" or "error"; empty when not reported.
	Status string `json:"status,omitempty"`
	// DisplayName is the human-friendly name; empty when unset.
	DisplayName string `json:"displayName,omitempty"`
	// Webhooks are the webhooks of a custom integration, when the API lists them.
	Webhooks []Webhook `json:"webhooks,omitempty"`
}

// Webhook is a webhook of a custom integration. Its Secret is what the vendor
// sends in the X-API-Key header of every delivery; it is a Secret, so no
// printed or encoded form of a Webhook shows it.
type Webhook struct {
	// ID is the webhook id.
	ID string `json:"id"`
	// Version is the payload schema version, for example "v2".
	Version string `json:"version,omitempty"`
	// Target is the URL the deliveries are POSTed to.
	Target string `json:"target"`
	// Triggers are the events the webhook is subscribed to.
	Triggers []string `json:"triggers"`
	// Secret is the webhook's shared secret; the API returns it on create and get.
	Secret Secret `json:"secret"`
	// IncludeFullUser asks for the complete user in event payloads.
	IncludeFullUser bool `json:"includeFullUser"`
	// IncludeFullSource asks for the client and device in event payloads.
	IncludeFullSource bool `json:"includeFullSource"`
}

// webhookWire is Webhook as the API encodes it, with the secret in clear.
type webhookWire struct {
	ID                string   `json:"id"`
	Version           string   `json:"version,omitempty"`
	Target            string   `json:"target"`
	Triggers          []string `json:"triggers"`
	Secret            string   `json:"secret,omitempty"`
	IncludeFullUser   bool     `json:"includeFullUser"`
	IncludeFullSource bool     `json:"includeFullSource"`
}

// UnmarshalJSON decodes a webhook as the API sends it, keeping the secret as a Secret.
func (w *Webhook) UnmarshalJSON(data []byte) error {
	var wire webhookWire
	if err := json.Unmarshal(data, &wire); err != nil {
		return err
	}
	*w = Webhook{
		ID: wire.ID, Version: wire.Version, Target: wire.Target, Triggers: wire.Triggers,
		Secret: NewSecret(wire.Secret), IncludeFullUser: wire.IncludeFullUser, IncludeFullSource: wire.IncludeFullSource,
	}
	return nil
}

// WebhookRequest is the body of webhook creation, alone or inside a custom
// integration. The client always sends includeFullUser and includeFullSource
// as false: switchboard events do not need them.
type WebhookRequest struct {
	// Target is the URL deliveries are POSTed to: an absolute https URL (http
	// only for a loopback host) without user info or fragment. Required.
	Target string
	// Triggers are the events to subscribe to, at least one, each from
	// WebhookTriggers, no repeats. Required.
	Triggers []string
}

// WebhookUpdate is the body of UpdateWebhook: the fields to change. A zero
// field is left as it is; at least one must be set.
type WebhookUpdate struct {
	// Target replaces the URL when not empty; see WebhookRequest.Target.
	Target string
	// Triggers replace the subscribed events when not nil; see WebhookRequest.Triggers.
	Triggers []string
}

// CustomIntegrationRequest is the body of CreateCustomIntegration.
type CustomIntegrationRequest struct {
	// DisplayName names the integration; optional, at most MaxDisplayNameLength characters.
	DisplayName string
	// Webhook is the one webhook the integration is created with.
	Webhook WebhookRequest
}

// webhookBody is the JSON of a webhook in a create request.
type webhookBody struct {
	Target            string   `json:"target"`
	Triggers          []string `json:"triggers"`
	IncludeFullUser   bool     `json:"includeFullUser"`
	IncludeFullSource bool     `json:"includeFullSource"`
}

// webhookUpdateBody is the JSON of UpdateWebhook.
type webhookUpdateBody struct {
	Target   string   `json:"target,omitempty"`
	Triggers []string `json:"triggers,omitempty"`
}

// customIntegrationBody is the JSON of CreateCustomIntegration.
type customIntegrationBody struct {
	Type        string        `json:"type"`
	DisplayName string        `json:"displayName,omitempty"`
	Webhooks    []webhookBody `json:"webhooks"`
}

// ListCustomIntegrations lists the app's integrations of type custom,
// following the API's cursor pagination (at most 100 pages of 100).
func (c *Client) ListCustomIntegrations(ctx context.Context) ([]Integration, error) {
	var all []Integration
	after := ""
	for range maxIntegrationPages {
		query := url.Values{"filter[types]": {IntegrationTypeCustom}, "page[size]": {fmt.Sprint(integrationPageSize)}}
		if after != "" {
			query.Set("page[after]", after)
		}
		body, err := c.doQuery(ctx, opListIntegrations, http.MethodGet, query, nil, "integrations")
		if err != nil {
			return nil, err
		}
		page, err := decode[struct {
			Integrations []Integration `json:"integrations"`
			Meta         struct {
				HasMore     bool   `json:"hasMore"`
				AfterCursor string `json:"afterCursor"`
			} `json:"meta"`
		}](opListIntegrations, body)
		if err != nil {
			return nil, err
		}
		for _, in := range page.Integrations {
			if in.Type == IntegrationTypeCustom {
				all = append(all, in)
			}
		}
		if !page.Meta.HasMore || page.Meta.AfterCursor == "" || page.Meta.AfterCursor == after {
			return all, nil
		}
		after = page.Meta.AfterCursor
	}
	return nil, fmt.Errorf("sunshine: %s: more than %d pages of integrations", opListIntegrations, maxIntegrationPages)
}

// CreateCustomIntegration creates an integration of type custom with exactly
// one webhook; the answer carries the webhook with its secret.
func (c *Client) CreateCustomIntegration(ctx context.Context, req CustomIntegrationRequest) (*Integration, error) {
	if err := firstError(validateDisplayName(req.DisplayName), validateWebhookRequest("webhooks[0].", req.Webhook)); err != nil {
		return nil, err
	}
	body := customIntegrationBody{
		Type: IntegrationTypeCustom, DisplayName: req.DisplayName,
		Webhooks: []webhookBody{{Target: req.Webhook.Target, Triggers: req.Webhook.Triggers}},
	}
	return c.integrationCall(ctx, opCreateIntegration, http.MethodPost, body, "integrations")
}

// GetIntegration reads one integration.
func (c *Client) GetIntegration(ctx context.Context, integrationID string) (*Integration, error) {
	if err := validateID("integrationId", integrationID); err != nil {
		return nil, err
	}
	return c.integrationCall(ctx, opGetIntegration, http.MethodGet, nil, "integrations", integrationID)
}

// DeleteIntegration deletes an integration and, with it, its webhooks.
func (c *Client) DeleteIntegration(ctx context.Context, integrationID string) error {
	if err := validateID("integrationId", integrationID); err != nil {
		return err
	}
	_, err := c.do(ctx, opDeleteIntegration, http.MethodDelete, nil, "integrations", integrationID)
	return err
}

// ListWebhooks lists the webhooks of a custom integration.
func (c *Client) ListWebhooks(ctx context.Context, integrationID string) ([]Webhook, error) {
	if err := validateID("integrationId", integrationID); err != nil {
		return nil, err
	}
	body, err := c.do(ctx, opListWebhooks, http.MethodGet, nil, "integrations", integrationID, "webhooks")
	if err != nil {
		return nil, err
	}
	resp, err := decode[struct {
		Webhooks []Webhook `json:"webhooks"`
	}](opListWebhooks, body)
	return resp.Webhooks, err
}

// CreateWebhook adds a webhook to a custom integration. Before creating it
// the vendor sends a HEAD request to the target and refuses the webhook when
// that fails. The answer carries the secret.
func (c *Client) CreateWebhook(ctx context.Context, integrationID string, req WebhookRequest) (*Webhook, error) {
	if err := firstError(validateID("integrationId", integrationID), validateWebhookRequest("", req)); err != nil {
		return nil, err
	}
	body := webhookBody{Target: req.Target, Triggers: req.Triggers}
	return c.webhookCall(ctx, opCreateWebhook, http.MethodPost, body, "integrations", integrationID, "webhooks")
}

// GetWebhook reads a webhook, including its secret.
func (c *Client) GetWebhook(ctx context.Context, integrationID, webhookID string) (*Webhook, error) {
	if err := firstError(validateID("integrationId", integrationID), validateID("webhookId", webhookID)); err != nil {
		return nil, err
	}
	return c.webhookCall(ctx, opGetWebhook, http.MethodGet, nil, "integrations", integrationID, "webhooks", webhookID)
}

// UpdateWebhook changes a webhook's target or triggers; the secret stays.
func (c *Client) UpdateWebhook(ctx context.Context, integrationID, webhookID string, req WebhookUpdate) (*Webhook, error) {
	err := firstError(validateID("integrationId", integrationID), validateID("webhookId", webhookID), validateWebhookUpdate(req))
	if err != nil {
		return nil, err
	}
	body := webhookUpdateBody(req)
	return c.webhookCall(ctx, opUpdateWebhook, http.MethodPatch, body, "integrations", integrationID, "webhooks", webhookID)
}

// DeleteWebhook deletes a webhook.
func (c *Client) DeleteWebhook(ctx context.Context, integrationID, webhookID string) error {
	if err := firstError(validateID("integrationId", integrationID), validateID("webhookId", webhookID)); err != nil {
		return err
	}
	_, err := c.do(ctx, opDeleteWebhook, http.MethodDelete, nil, "integrations", integrationID, "webhooks", webhookID)
	return err
}

// integrationCall sends a request answered by {"integration": {...}}.
func (c *Client) integrationCall(ctx context.Context, op, method string, body any, segments ...string) (*Integration, error) {
	data, err := c.do(ctx, op, method, body, segments...)
	if err != nil {
		return nil, err
	}
	resp, err := decode[struct {
		Integration *Integration `json:"integration"`
	}](op, data)
	if err != nil {
		return nil, err
	}
	if resp.Integration == nil {
		return nil, fmt.Errorf("sunshine: %s: decoding response: no integration in it", op)
	}
	return resp.Integration, nil
}

// webhookCall sends a request answered by {"webhook": {...}}.
func (c *Client) webhookCall(ctx context.Context, op, method string, body any, segments ...string) (*Webhook, error) {
	data, err := c.do(ctx, op, method, body, segments...)
	if err != nil {
		return nil, err
	}
	resp, err := decode[struct {
		Webhook *Webhook `json:"webhook"`
	}](op, data)
	if err != nil {
		return nil, err
	}
	if resp.Webhook == nil {
		return nil, fmt.Errorf("sunshine: %s: decoding response: no webhook in it", op)
	}
	return resp.Webhook, nil
}

// validateDisplayName checks the optional displayName of a new integration.
func validateDisplayName(name string) error {
	if n := len([]rune(name)); n > MaxDisplayNameLength {
		return &ValidationError{Field: "displayName", Reason: fmt.Sprintf("is %d characters, more than the %d allowed", n, MaxDisplayNameLength)}
	}
	return textError("displayName", name)
}

// textError wraps textProblem as a *ValidationError of field.
func textError(field, s string) error {
	if reason := textProblem(s); reason != "" {
		return &ValidationError{Field: field, Reason: reason}
	}
	return nil
}

// validateWebhookRequest checks a new webhook; prefix goes before the field names.
func validateWebhookRequest(prefix string, req WebhookRequest) error {
	return firstError(ValidateWebhookTarget(prefix+"target", req.Target), validateTriggers(prefix+"triggers", req.Triggers))
}

// validateWebhookUpdate checks the body of UpdateWebhook.
func validateWebhookUpdate(req WebhookUpdate) error {
	if req.Target == "" && req.Triggers == nil {
		return &ValidationError{Field: "target", Reason: "an update must change the target or the triggers"}
	}
	var errs []error
	if req.Target != "" {
		errs = append(errs, ValidateWebhookTarget("target", req.Target))
	}
	if req.Triggers != nil {
		errs = append(errs, validateTriggers("triggers", req.Triggers))
	}
	return firstError(errs...)
}

// ValidateWebhookTarget checks a webhook target URL as the client does before
// sending it: an absolute http or https URL with a host, no user info, query
// allowed, no fragment, and https unless the host is a loopback address (the
// same loopback rule as ValidateEndpoint). field names it in the error. The
// error never echoes the URL.
func ValidateWebhookTarget(field, target string) error {
	invalid := func(reason string) error { return &ValidationError{Field: field, Reason: reason} }
	if target == "" {
		return invalid("must not be empty")
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Opaque != "" {
		return invalid("must be an absolute http(s) URL such as https://operator.example.com/hook/...")
	}
	if u.User != nil {
		return invalid(`must not contain user info ("@")`)
	}
	if strings.Contains(target, "#") {
		return invalid(`must not have a fragment ("#")`)
	}
	if port := u.Port(); port != "" && !validPort(port) {
		return invalid("must have a port from 1 to 65535, or none")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return invalid("must use https unless the host is a loopback address")
	}
	return nil
}

// validateTriggers checks a webhook's trigger list.
func validateTriggers(field string, triggers []string) error {
	if len(triggers) == 0 {
		return &ValidationError{Field: field, Reason: "must name at least one trigger, for example " + TriggerPassControl}
	}
	for i, t := range triggers {
		if !slices.Contains(WebhookTriggers, t) {
			return &ValidationError{Field: fmt.Sprintf("%s[%d]", field, i),
				Reason: fmt.Sprintf("%q is not a webhook trigger of the API (they are case-sensitive, for example %s)", truncate(t, 64), TriggerPassControl)}
		}
		if slices.Contains(triggers[:i], t) {
			return &ValidationError{Field: fmt.Sprintf("%s[%d]", field, i), Reason: fmt.Sprintf("repeats %q", t)}
		}
	}
	return nil
}
