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

package sunshine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// webhookAnswer is a webhook as the API answers it, with testSecret as its secret.
const webhookAnswer = `{"id":"5e554d2cac66fb73a3c01871","version":"v2","target":"https://op.example.com/hook",` +
	`"triggers":["switchboard:passControl"],"secret":"` + testSecret + `","includeFullUser":false,"includeFullSource":false}`

func TestIntegrationAndWebhookCallsSendTheDocumentedRequests(t *testing.T) {
	ctx := context.Background()
	hook := sunshine.WebhookRequest{Target: "https://op.example.com/hook", Triggers: []string{sunshine.TriggerPassControl}}
	tests := []struct {
		name, answer      string
		call              func(*sunshine.Client) error
		method, uri, body string
	}{
		{
			name:   "create a custom integration with one webhook",
			answer: `{"integration":{"id":"i1","type":"custom","status":"active","displayName":"op","webhooks":[` + webhookAnswer + `]}}`,
			call: func(c *sunshine.Client) error {
				in, err := c.CreateCustomIntegration(ctx, sunshine.CustomIntegrationRequest{DisplayName: "op", Webhook: hook})
				if err == nil && (in.ID != "i1" || len(in.Webhooks) != 1 || !in.Webhooks[0].Secret.Equal(testSecret)) {
					err = fmt.Errorf("decoded %+v, want i1 with the webhook and its secret", in)
				}
				return err
			},
			method: http.MethodPost, uri: "/v2/apps/app-1/integrations",
			body: `{"type":"custom","displayName":"op","webhooks":[{"target":"https://op.example.com/hook","triggers":["switchboard:passControl"],"includeFullUser":false,"includeFullSource":false}]}`,
		},
		{
			name:   "get an integration",
			answer: `{"integration":{"id":"i1","type":"custom"}}`,
			call: func(c *sunshine.Client) error {
				in, err := c.GetIntegration(ctx, "i1")
				if err == nil && in.Type != "custom" {
					err = fmt.Errorf("decoded %+v", in)
				}
				return err
			},
			method: http.MethodGet, uri: "/v2/apps/app-1/integrations/i1",
		},
		{
			name: "delete an integration", answer: `{}`,
			call:   func(c *sunshine.Client) error { return c.DeleteIntegration(ctx, "i1") },
			method: http.MethodDelete, uri: "/v2/apps/app-1/integrations/i1",
		},
		{
			name:   "list webhooks",
			answer: `{"webhooks":[` + webhookAnswer + `]}`,
			call: func(c *sunshine.Client) error {
				list, err := c.ListWebhooks(ctx, "i1")
				if err == nil && (len(list) != 1 || list[0].Target != "https://op.example.com/hook") {
					err = fmt.Errorf("decoded %+v", list)
				}
				return err
			},
			method: http.MethodGet, uri: "/v2/apps/app-1/integrations/i1/webhooks",
		},
		{
			name:   "create a webhook",
			answer: `{"webhook":` + webhookAnswer + `}`,
			call: func(c *sunshine.Client) error {
				w, err := c.CreateWebhook(ctx, "i1", sunshine.WebhookRequest{Target: "http://127.0.0.1:9443/hook?x=1", Triggers: sunshine.SwitchboardTriggers})
				if err == nil && !w.Secret.Equal(testSecret) {
					err = errors.New("the secret was not decoded")
				}
				return err
			},
			method: http.MethodPost, uri: "/v2/apps/app-1/integrations/i1/webhooks",
			body: `{"target":"http://127.0.0.1:9443/hook?x=1","triggers":["switchboard:passControl","switchboard:passControl:failure","switchboard:offerControl","switchboard:offerControl:failure","switchboard:acceptControl","switchboard:acceptControl:failure","switchboard:releaseControl"],"includeFullUser":false,"includeFullSource":false}`,
		},
		{
			name:   "get a webhook with its secret",
			answer: `{"webhook":` + webhookAnswer + `}`,
			call: func(c *sunshine.Client) error {
				w, err := c.GetWebhook(ctx, "i1", "w1")
				if err == nil && (!w.Secret.Equal(testSecret) || w.Secret.Equal("other") || w.Version != "v2") {
					err = errors.New("the secret or version was not decoded")
				}
				return err
			},
			method: http.MethodGet, uri: "/v2/apps/app-1/integrations/i1/webhooks/w1",
		},
		{
			name:   "update only the triggers of a webhook",
			answer: `{"webhook":` + webhookAnswer + `}`,
			call: func(c *sunshine.Client) error {
				_, err := c.UpdateWebhook(ctx, "i1", "w1", sunshine.WebhookUpdate{Triggers: []string{sunshine.TriggerReleaseControl}})
				return err
			},
			method: http.MethodPatch, uri: "/v2/apps/app-1/integrations/i1/webhooks/w1", body: `{"triggers":["switchboard:releaseControl"]}`,
		},
		{
			name:   "update only the target of a webhook",
			answer: `{"webhook":` + webhookAnswer + `}`,
			call: func(c *sunshine.Client) error {
				_, err := c.UpdateWebhook(ctx, "i1", "w1", sunshine.WebhookUpdate{Target: "https://op.example.com/new"})
				return err
			},
			method: http.MethodPatch, uri: "/v2/apps/app-1/integrations/i1/webhooks/w1", body: `{"target":"https://op.example.com/new"}`,
		},
		{
			name: "delete a webhook", answer: `{}`,
			call:   func(c *sunshine.Client) error { return c.DeleteWebhook(ctx, "i1", "w1") },
			method: http.MethodDelete, uri: "/v2/apps/app-1/integrations/i1/webhooks/w1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newStub(t, http.StatusOK, nil, tt.answer)
			if err := tt.call(newClient(t, testConfig(srv.URL))); err != nil {
				t.Fatalf("call: %v", masked(err.Error()))
			}
			got := srv.last(t)
			if got.Method != tt.method || got.RequestURI != tt.uri || got.Body != tt.body {
				t.Errorf("sent %s %s %s, want %s %s %s", got.Method, got.RequestURI, got.Body, tt.method, tt.uri, tt.body)
			}
			if user, _, ok := (&http.Request{Header: got.Header}).BasicAuth(); !ok || user != "app_key" {
				t.Errorf("request not authenticated with the app key: %q", user)
			}
		})
	}
}

func TestListCustomIntegrationsFollowsPagesAndAsksForCustomOnly(t *testing.T) {
	var mu sync.Mutex
	var queries []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.Query())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("page[after]") == "" {
			_, _ = io.WriteString(w, `{"integrations":[{"id":"i1","type":"custom"},{"id":"w","type":"web"}],"meta":{"hasMore":true,"afterCursor":"aaaaaaaaaaaaaaaaaaaaaaaa"}}`)
			return
		}
		_, _ = io.WriteString(w, `{"integrations":[{"id":"i2","type":"custom","displayName":"op"}],"meta":{"hasMore":false}}`)
	}))
	t.Cleanup(srv.Close)
	list, err := newClient(t, testConfig(srv.URL)).ListCustomIntegrations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "i1" || list[1].ID != "i2" || list[1].DisplayName != "op" {
		t.Errorf("listed %+v, want the custom integrations i1 and i2 only", list)
	}
	if len(queries) != 2 || queries[0].Get("filter[types]") != "custom" || queries[1].Get("page[after]") != "aaaaaaaaaaaaaaaaaaaaaaaa" {
		t.Errorf("queries = %v, want filter[types]=custom, then the after cursor", queries)
	}
}

func TestIntegrationAndWebhookRequestsAreValidatedBeforeSending(t *testing.T) {
	ctx := context.Background()
	ok := sunshine.WebhookRequest{Target: "https://op.example.com/hook", Triggers: []string{sunshine.TriggerPassControl}}
	with := func(target string, triggers ...string) sunshine.WebhookRequest {
		return sunshine.WebhookRequest{Target: target, Triggers: triggers}
	}
	tests := []struct {
		name, field string
		call        func(*sunshine.Client) error
	}{
		{"empty target", "target", func(c *sunshine.Client) error {
			_, err := c.CreateWebhook(ctx, "i1", with("", sunshine.TriggerPassControl))
			return err
		}},
		{"relative target", "target", func(c *sunshine.Client) error {
			_, err := c.CreateWebhook(ctx, "i1", with("/hook", sunshine.TriggerPassControl))
			return err
		}},
		{"plain http to a public host", "target", func(c *sunshine.Client) error {
			_, err := c.CreateWebhook(ctx, "i1", with("http://op.example.com/hook", sunshine.TriggerPassControl))
			return err
		}},
		{"user info in the target", "target", func(c *sunshine.Client) error {
			_, err := c.CreateWebhook(ctx, "i1", with("https://u:p@op.example.com/hook", sunshine.TriggerPassControl))
			return err
		}},
		{"fragment in the target", "target", func(c *sunshine.Client) error {
			_, err := c.CreateWebhook(ctx, "i1", with("https://op.example.com/hook#x", sunshine.TriggerPassControl))
			return err
		}},
		{"bad port", "target", func(c *sunshine.Client) error {
			_, err := c.CreateWebhook(ctx, "i1", with("https://op.example.com:0/hook", sunshine.TriggerPassControl))
			return err
		}},
		{"no triggers", "triggers", func(c *sunshine.Client) error {
			_, err := c.CreateWebhook(ctx, "i1", with("https://op.example.com/hook"))
			return err
		}},
		{"a trigger in the wrong case", "triggers[0]", func(c *sunshine.Client) error {
			_, err := c.CreateWebhook(ctx, "i1", with("https://op.example.com/hook", "switchboard:PassControl"))
			return err
		}},
		{"a repeated trigger", "triggers[1]", func(c *sunshine.Client) error {
			_, err := c.CreateWebhook(ctx, "i1", with("https://op.example.com/hook", sunshine.TriggerPassControl, sunshine.TriggerPassControl))
			return err
		}},
		{"bad integration id", "integrationId", func(c *sunshine.Client) error {
			_, err := c.CreateWebhook(ctx, "../x", ok)
			return err
		}},
		{"bad webhook id", "webhookId", func(c *sunshine.Client) error { _, err := c.GetWebhook(ctx, "i1", ""); return err }},
		{"integration webhook without triggers", "webhooks[0].triggers", func(c *sunshine.Client) error {
			_, err := c.CreateCustomIntegration(ctx, sunshine.CustomIntegrationRequest{Webhook: with("https://op.example.com/hook")})
			return err
		}},
		{"display name too long", "displayName", func(c *sunshine.Client) error {
			_, err := c.CreateCustomIntegration(ctx, sunshine.CustomIntegrationRequest{DisplayName: strings.Repeat("é", 101), Webhook: ok})
			return err
		}},
		{"update that changes nothing", "target", func(c *sunshine.Client) error {
			_, err := c.UpdateWebhook(ctx, "i1", "w1", sunshine.WebhookUpdate{})
			return err
		}},
		{"update with empty triggers", "triggers", func(c *sunshine.Client) error {
			_, err := c.UpdateWebhook(ctx, "i1", "w1", sunshine.WebhookUpdate{Triggers: []string{}})
			return err
		}},
		{"delete with a bad id", "integrationId", func(c *sunshine.Client) error { return c.DeleteIntegration(ctx, "a/b") }},
		{"delete webhook with a bad id", "webhookId", func(c *sunshine.Client) error { return c.DeleteWebhook(ctx, "i1", "a?b") }},
		{"list webhooks with a bad id", "integrationId", func(c *sunshine.Client) error { _, err := c.ListWebhooks(ctx, ""); return err }},
		{"get integration with a bad id", "integrationId", func(c *sunshine.Client) error { _, err := c.GetIntegration(ctx, ".."); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newStub(t, http.StatusOK, nil, `{}`)
			err := tt.call(newClient(t, testConfig(srv.URL)))
			var verr *sunshine.ValidationError
			if !errors.As(err, &verr) || verr.Field != tt.field {
				t.Fatalf("error = %v, want a *ValidationError of field %s", err, tt.field)
			}
			if strings.Contains(err.Error(), "u:p") || strings.Contains(err.Error(), "op.example.com") {
				t.Errorf("the error echoes the target: %v", err)
			}
			if n := len(srv.requests()); n != 0 {
				t.Errorf("%d requests sent, want none", n)
			}
		})
	}
}

func TestIntegrationAndWebhookErrorsAreTyped(t *testing.T) {
	srv := newStub(t, http.StatusNotFound, nil, `{"errors":[{"code":"integration_not_found","title":"Integration not found"}]}`)
	_, err := newClient(t, testConfig(srv.URL)).GetWebhook(context.Background(), "i1", "w1")
	var apiErr *sunshine.APIError
	if !errors.As(err, &apiErr) || !sunshine.IsNotFound(err) || apiErr.Code != "integration_not_found" || apiErr.Operation != "getWebhook" {
		t.Errorf("error = %#v, want a 404 integration_not_found of getWebhook", err)
	}
	srv = newStub(t, http.StatusOK, nil, `{"nothing":true}`)
	if _, err := newClient(t, testConfig(srv.URL)).GetIntegration(context.Background(), "i1"); err == nil || !strings.Contains(err.Error(), "no integration") {
		t.Errorf("an answer without an integration gave %v", err)
	}
}

func TestNoPrintedFormOfAWebhookShowsItsSecret(t *testing.T) {
	var w sunshine.Webhook
	if err := json.Unmarshal([]byte(webhookAnswer), &w); err != nil {
		t.Fatal(err)
	}
	in := sunshine.Integration{ID: "i1", Type: "custom", Webhooks: []sunshine.Webhook{w}}
	for name, v := range map[string]any{"Webhook": w, "*Webhook": &w, "Integration": in, "*Integration": &in} {
		for _, verb := range fmtVerbs {
			if out := fmt.Sprintf(verb, v); revealsSecret(out) {
				t.Errorf("fmt %s of %s reveals the secret: %s", verb, name, masked(out))
			}
		}
		out, err := json.Marshal(v)
		if err != nil || revealsSecret(string(out)) {
			t.Errorf("JSON of %s = %s, %v", name, masked(string(out)), err)
		}
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("webhook", "value", v)
		if revealsSecret(buf.String()) {
			t.Errorf("slog printed the secret of %s", name)
		}
	}
	if !w.Secret.Equal(testSecret) || w.Secret.Equal(testSecret+"x") || w.Secret.Equal("") || sunshine.NewSecret("").Equal("") {
		t.Errorf("Secret.Equal does not tell the secret from other strings")
	}
}
