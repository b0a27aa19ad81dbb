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
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// emptyAppSeed adds app-2, an app without a switchboard, to the test seed.
func emptyAppSeed() sunshinetest.Seed {
	s := testSeed()
	s.Apps = append(s.Apps, sunshinetest.AppSeed{ID: "app-2", Keys: []sunshinetest.KeySeed{{ID: "app2_key", Secret: testSecret, Scope: "app"}}})
	return s
}

func ptr[T any](v T) *T { return &v }

// TestConfigCallsConformToTheOpenAPIDocument drives every configuration call and every
// documented refusal through the conformance transport, against the simulator.
func TestConfigCallsConformToTheOpenAPIDocument(t *testing.T) {
	seen := &exchanges{}
	conform := withConformance(t, seen)
	sim, err := sunshinetest.NewServer(emptyAppSeed())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	ctx := context.Background()
	client := simClient(t, sim, conform, func(c *sunshine.Config) { c.AppID, c.Credentials.KeyID = "app-2", "app2_key" })

	board, err := client.CreateSwitchboard(ctx)
	if err != nil || board.ID == "" || board.Enabled {
		t.Fatalf("CreateSwitchboard = %+v, %v; want a disabled switchboard with an id", board, err)
	}
	_, err = client.CreateSwitchboard(ctx)
	wantAPIError(t, "a second switchboard", err, http.StatusBadRequest, "bad_request", "Only one switchboard")

	bot, err := client.CreateSwitchboardIntegration(ctx, board.ID, sunshine.SwitchboardIntegrationCreate{Name: "bot", IntegrationID: "int-bot", MessageHistoryCount: ptr(3)})
	if err != nil || bot.IntegrationType != "custom" || !bot.DeliverStandbyEvents || bot.MessageHistoryCount == nil || *bot.MessageHistoryCount != 3 {
		t.Fatalf("create bot = %+v, %v", bot, err)
	}
	agents, err := client.CreateSwitchboardIntegration(ctx, board.ID, sunshine.SwitchboardIntegrationCreate{
		Name: "agents", IntegrationType: "zd:agentWorkspace", DeliverStandbyEvents: ptr(false), NextSwitchboardIntegrationID: bot.ID})
	if err != nil || agents.NextSwitchboardIntegrationID != bot.ID || agents.DeliverStandbyEvents || agents.IntegrationID == "" {
		t.Fatalf("create agents = %+v, %v", agents, err)
	}
	_, err = client.UpdateSwitchboard(ctx, board.ID, sunshine.SwitchboardUpdate{Enabled: ptr(true)})
	wantAPIError(t, "enabling without a default", err, http.StatusNotFound, "switchboard_integration_not_found", "must have an associated default")

	if bot, err = client.UpdateSwitchboardIntegration(ctx, board.ID, bot.ID, sunshine.SwitchboardIntegrationUpdate{NextSwitchboardIntegrationID: &agents.ID}); err != nil || bot.NextSwitchboardIntegrationID != agents.ID {
		t.Fatalf("update bot = %+v, %v", bot, err)
	}
	if board, err = client.UpdateSwitchboard(ctx, board.ID, sunshine.SwitchboardUpdate{Enabled: ptr(true), DefaultSwitchboardIntegrationID: &bot.ID}); err != nil || !board.Enabled || board.DefaultSwitchboardIntegrationID != bot.ID {
		t.Fatalf("update switchboard = %+v, %v", board, err)
	}
	err = client.DeleteSwitchboardIntegration(ctx, board.ID, bot.ID)
	wantAPIError(t, "deleting the default", err, http.StatusBadRequest, "bad_request", "default")
	err = client.DeleteSwitchboardIntegration(ctx, board.ID, agents.ID)
	wantAPIError(t, "deleting a next target", err, http.StatusBadRequest, "bad_request", "next")
	cleared := ""
	if bot, err = client.UpdateSwitchboardIntegration(ctx, board.ID, bot.ID, sunshine.SwitchboardIntegrationUpdate{NextSwitchboardIntegrationID: &cleared, MessageHistoryCount: ptr(0)}); err != nil ||
		bot.NextSwitchboardIntegrationID != "" || bot.MessageHistoryCount != nil {
		t.Fatalf("clearing next and history = %+v, %v", bot, err)
	}
	if err := client.DeleteSwitchboardIntegration(ctx, board.ID, agents.ID); err != nil {
		t.Fatalf("deleting agents: %v", err)
	}
	for i := range 9 {
		if _, err := client.CreateSwitchboardIntegration(ctx, board.ID, sunshine.SwitchboardIntegrationCreate{Name: fmt.Sprintf("p%d", i), IntegrationType: "partner"}); err != nil {
			t.Fatalf("integration %d: %v", i+2, err)
		}
	}
	_, err = client.CreateSwitchboardIntegration(ctx, board.ID, sunshine.SwitchboardIntegrationCreate{Name: "eleventh", IntegrationType: "partner"})
	wantAPIError(t, "an eleventh integration", err, http.StatusBadRequest, "too_many_switchboard_integrations", "max number")
	_, err = client.UpdateSwitchboardIntegration(ctx, board.ID, "nowhere", sunshine.SwitchboardIntegrationUpdate{DeliverStandbyEvents: ptr(true)})
	wantAPIError(t, "changing an unknown integration", err, http.StatusNotFound, "switchboard_integration_not_found", "")
	err = client.DeleteSwitchboardIntegration(ctx, board.ID, "nowhere")
	wantAPIError(t, "deleting an unknown integration", err, http.StatusNotFound, "switchboard_integration_not_found", "")
	if err := client.DeleteSwitchboard(ctx, board.ID); err != nil {
		t.Fatalf("DeleteSwitchboard: %v", err)
	}
	if list, err := client.ListSwitchboards(ctx); err != nil || len(list) != 0 {
		t.Fatalf("after deleting: %v, %v", list, err)
	}
	err = client.DeleteSwitchboard(ctx, board.ID)
	wantAPIError(t, "deleting it again", err, http.StatusNotFound, "switchboard_not_found", "")

	// Both ids: the client refuses it, so send it raw through the same check.
	board, err = client.CreateSwitchboard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	doc, router := loadOpenAPI(t)
	raw := &http.Client{Transport: &conformanceTransport{t: t, doc: doc, router: router, seen: seen}}
	req, _ := http.NewRequest(http.MethodPost, sim.URL+"/v2/apps/app-2/switchboards/"+board.ID+"/switchboardIntegrations",
		strings.NewReader(`{"name":"both","integrationId":"i","integrationType":"custom"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("app2_key", testSecret)
	resp, err := raw.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("both ids answered %d, want 400", resp.StatusCode)
	}

	for _, op := range []string{"CreateSwitchboard", "UpdateSwitchboard", "DeleteSwitchboard",
		"CreateSwitchboardIntegration", "UpdateSwitchboardIntegration", "DeleteSwitchboardIntegration"} {
		statuses := seen.statuses[op]
		if !slices.ContainsFunc(statuses, func(s int) bool { return s >= 200 && s < 300 }) || !slices.ContainsFunc(statuses, func(s int) bool { return s >= 400 }) {
			t.Errorf("%s was answered %v through the conformance check; want a success and an error", op, statuses)
		}
	}
}

func wantAPIError(t *testing.T, what string, err error, status int, code, title string) {
	t.Helper()
	var apiErr *sunshine.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != status || apiErr.Code != code || !strings.Contains(apiErr.Title, title) {
		t.Errorf("%s: err = %v, want %d %s with %q", what, err, status, code, title)
	}
}

func TestConfigCallsNeedAnAppScopedKey(t *testing.T) {
	sim := newSimulator(t)
	client := simClient(t, sim, withAuth(sunshine.AuthBasic, integrationKey, ""))
	_, err := client.CreateSwitchboardIntegration(context.Background(), "sb-1", sunshine.SwitchboardIntegrationCreate{Name: "x", IntegrationType: "y"})
	wantAPIError(t, "integration scope", err, http.StatusForbidden, "forbidden", "")
	if got := sim.Integrations("app-1"); len(got) != 2 {
		t.Errorf("integrations = %d, want the 2 of the seed", len(got))
	}
}
