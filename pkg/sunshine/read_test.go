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
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

func TestGetConversationReportsActiveAndPendingIntegrations(t *testing.T) {
	bot := &sunshine.IntegrationRef{ID: "si-bot", Name: "bot", IntegrationID: "int-bot", IntegrationType: "custom"}
	tests := []struct {
		name        string
		state       sunshinetest.ConversationState
		wantActive  *sunshine.IntegrationRef
		wantPending bool // the agent integration is pending
	}{
		{name: "one integration active", state: sunshinetest.ConversationState{Active: "bot"}, wantActive: bot},
		{name: "active and pending", state: sunshinetest.ConversationState{Active: "bot", Pending: "agent"}, wantActive: bot, wantPending: true},
		{name: "released: neither active nor pending", state: sunshinetest.ConversationState{}},
	}
	for _, auth := range authTypes {
		sim := newSimulator(t)
		client := simClient(t, sim, withAuth(auth, appKey, ""))
		for _, tt := range tests {
			t.Run(string(auth)+"/"+tt.name, func(t *testing.T) {
				if err := sim.SetConversation("app-1", "c1", tt.state); err != nil {
					t.Fatalf("SetConversation: %v", err)
				}
				conv, err := client.GetConversation(context.Background(), "c1")
				if err != nil {
					t.Fatalf("GetConversation: %v", err)
				}
				if conv.ID != "c1" || conv.Type != "personal" {
					t.Errorf("conversation id/type = %q/%q, want c1/personal", conv.ID, conv.Type)
				}
				if diff := cmp.Diff(tt.wantActive, conv.Active); diff != "" {
					t.Errorf("active integration (-want +got):\n%s", diff)
				}
				if got := conv.Pending != nil && conv.Pending.Name == "agent" && conv.Pending.ID == "si-agent"; got != tt.wantPending {
					t.Errorf("pending integration = %+v, want agent pending: %v", conv.Pending, tt.wantPending)
				}
			})
		}
	}
}

func TestListSwitchboardsAndIntegrations(t *testing.T) {
	for _, auth := range authTypes {
		t.Run(string(auth), func(t *testing.T) {
			sim := newSimulator(t)
			client := simClient(t, sim, withAuth(auth, appKey, ""))
			ctx := context.Background()

			switchboards, err := client.ListSwitchboards(ctx)
			if err != nil {
				t.Fatalf("ListSwitchboards: %v", err)
			}
			want := []sunshine.Switchboard{{ID: "sb-1", Enabled: true, DefaultSwitchboardIntegrationID: "si-bot"}}
			if diff := cmp.Diff(want, switchboards); diff != "" {
				t.Errorf("switchboards (-want +got):\n%s", diff)
			}

			wantIntegrations := []sunshine.SwitchboardIntegration{
				{ID: "si-bot", Name: "bot", IntegrationID: "int-bot", IntegrationType: "custom", DeliverStandbyEvents: true, NextSwitchboardIntegrationID: "si-agent"},
				{ID: "si-agent", Name: "agent", IntegrationType: "zd:agentWorkspace", DeliverStandbyEvents: true, NextSwitchboardIntegrationID: "si-bot"},
			}
			integrations, err := client.ListSwitchboardIntegrations(ctx, "sb-1")
			if err != nil {
				t.Fatalf("ListSwitchboardIntegrations: %v", err)
			}
			if len(integrations) == 2 {
				// The simulator generates the integration id of an OAuth link, as the vendor does.
				if integrations[1].IntegrationID == "" {
					t.Errorf("agent integration has no integrationId")
				}
				wantIntegrations[1].IntegrationID = integrations[1].IntegrationID
			}
			if diff := cmp.Diff(wantIntegrations, integrations); diff != "" {
				t.Errorf("switchboard integrations (-want +got):\n%s", diff)
			}
		})
	}
}
