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
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/validationcases"
)

// configOf is a shared case as the operator hands it to the client.
func configOf(c validationcases.Config) sunshine.SwitchboardConfig {
	out := sunshine.SwitchboardConfig{Enabled: c.Enabled, Default: c.Default}
	for _, i := range c.Integrations {
		out.Integrations = append(out.Integrations, sunshine.IntegrationConfig{
			Name: i.Name, IntegrationID: i.IntegrationID, IntegrationType: i.IntegrationType, Next: i.Next,
			DeliverStandbyEvents: i.DeliverStandbyEvents == nil || *i.DeliverStandbyEvents, MessageHistoryCount: i.MessageHistoryCount,
		})
	}
	return out
}

func TestClientAcceptsTheSharedConfigCases(t *testing.T) {
	for _, tc := range validationcases.Configs {
		t.Run(tc.Name, func(t *testing.T) {
			err := sunshine.ValidateSwitchboardConfig(configOf(tc.Value))
			if tc.Accept != (err == nil) {
				t.Fatalf("ValidateSwitchboardConfig = %v, want accept %v", err, tc.Accept)
			}
			var verr *sunshine.ValidationError
			if err != nil && (!errors.As(err, &verr) || !strings.HasPrefix(verr.Field, tc.Field)) {
				t.Fatalf("error %v does not name the field %s", err, tc.Field)
			}
		})
	}
}

func TestClientValidatesConfigRequestsBeforeSending(t *testing.T) {
	srv := newStub(t, 201, nil, `{}`)
	client := newClient(t, testConfig(srv.URL))
	ctx := t.Context()
	n := func(v int) *int { return &v }
	s := func(v string) *string { return &v }
	tests := []struct {
		name, field string
		call        func() error
	}{
		{"create without a link", "integrationId", func() error {
			_, err := client.CreateSwitchboardIntegration(ctx, "sb", sunshine.SwitchboardIntegrationCreate{Name: "bot"})
			return err
		}},
		{"create with both links", "integrationId", func() error {
			_, err := client.CreateSwitchboardIntegration(ctx, "sb", sunshine.SwitchboardIntegrationCreate{Name: "bot", IntegrationID: "i", IntegrationType: "custom"})
			return err
		}},
		{"create with a bad name", "name", func() error {
			_, err := client.CreateSwitchboardIntegration(ctx, "sb", sunshine.SwitchboardIntegrationCreate{Name: "a/b", IntegrationType: "x"})
			return err
		}},
		{"create with history 11", "messageHistoryCount", func() error {
			_, err := client.CreateSwitchboardIntegration(ctx, "sb", sunshine.SwitchboardIntegrationCreate{Name: "bot", IntegrationType: "x", MessageHistoryCount: n(11)})
			return err
		}},
		{"update with both links", "integrationId", func() error {
			_, err := client.UpdateSwitchboardIntegration(ctx, "sb", "si", sunshine.SwitchboardIntegrationUpdate{IntegrationID: s("i"), IntegrationType: s("t")})
			return err
		}},
		{"update with a path in the id", "switchboardIntegrationId", func() error {
			_, err := client.UpdateSwitchboardIntegration(ctx, "sb", "../x", sunshine.SwitchboardIntegrationUpdate{})
			return err
		}},
		{"delete with an empty switchboard id", "switchboardId", func() error { return client.DeleteSwitchboardIntegration(ctx, "", "si") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var verr *sunshine.ValidationError
			if !errors.As(err, &verr) || verr.Field != tt.field {
				t.Fatalf("err = %v, want a *ValidationError on %s", err, tt.field)
			}
		})
	}
	if got := len(srv.requests()); got != 0 {
		t.Errorf("%d requests were sent, want none", got)
	}
}

func TestUpdateSendsNullToClearNextAndHistory(t *testing.T) {
	srv := newStub(t, 200, nil, `{"switchboardIntegration":{"id":"si","name":"bot","integrationId":"i","integrationType":"custom","deliverStandbyEvents":true}}`)
	client := newClient(t, testConfig(srv.URL))
	clear, zero := "", 0
	if _, err := client.UpdateSwitchboardIntegration(t.Context(), "sb", "si",
		sunshine.SwitchboardIntegrationUpdate{NextSwitchboardIntegrationID: &clear, MessageHistoryCount: &zero}); err != nil {
		t.Fatal(err)
	}
	last := srv.last(t)
	if last.Method != "PATCH" || last.Body != `{"messageHistoryCount":null,"nextSwitchboardIntegrationId":null}` {
		t.Errorf("sent %s %s, want PATCH with both fields null", last.Method, last.Body)
	}
}
