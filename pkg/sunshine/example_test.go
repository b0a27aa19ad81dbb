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
	"fmt"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// The example hands a conversation from the bot to the agent workspace, using
// the simulator in place of the real API.
func ExampleClient_PassControl() {
	sim, err := sunshinetest.NewServer(sunshinetest.Seed{Apps: []sunshinetest.AppSeed{{
		ID:   "app-demo",
		Keys: []sunshinetest.KeySeed{{ID: "app_demo_key", Secret: "demo-secret", Scope: "app"}},
		Switchboard: &sunshinetest.SwitchboardSeed{
			Enabled: true,
			Default: "bot",
			Integrations: []sunshinetest.IntegrationSeed{
				{Name: "bot", IntegrationType: "custom", Next: "agent-workspace"},
				{Name: "agent-workspace", IntegrationType: "zd:agentWorkspace", Next: "bot"},
			},
		},
		Conversations: []sunshinetest.ConversationSeed{{ID: "conv-1", Active: "bot"}},
	}}})
	if err != nil {
		panic(err)
	}
	defer sim.Close()

	client, err := sunshine.New(sunshine.Config{
		Endpoint:    sim.URL, // e.g. https://acme.zendesk.com/sc in production
		AppID:       "app-demo",
		Credentials: sunshine.Credentials{Type: sunshine.AuthJWT, KeyID: "app_demo_key", Secret: sunshine.NewSecret("demo-secret")},
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	err = client.PassControl(ctx, "conv-1", sunshine.PassControlRequest{
		SwitchboardIntegration: "agent-workspace",
		Metadata:               map[string]any{"reason": "vip"},
	})
	if err != nil {
		panic(err)
	}
	conv, err := client.GetConversation(ctx, "conv-1")
	if err != nil {
		panic(err)
	}
	fmt.Println("active:", conv.Active.Name)

	err = client.PassControl(ctx, "conv-404", sunshine.PassControlRequest{SwitchboardIntegration: "bot"})
	fmt.Println("conversation not found:", sunshine.IsConversationNotFound(err), "retryable:", sunshine.IsRetryable(err))
	// Output:
	// active: agent-workspace
	// conversation not found: true retryable: false
}
