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

package soak

import (
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

const (
	testAppID       = "app-test"
	testKeyID       = "app_test_key"
	testSecret      = "s3cr3t-VALUE-never-printed" // recognisable: it must appear in no log, event or status
	testPartner     = "partner-oauth-client"
	secretName      = "sunshine-key"
	switchboardName = "acme"
)

// testSeed is the simulator's world: one app with a bot, the Agent Workspace and a
// partner, linked bot -> agent-workspace -> bot.
func testSeed() sunshinetest.Seed {
	return sunshinetest.Seed{Apps: []sunshinetest.AppSeed{{
		ID:   testAppID,
		Keys: []sunshinetest.KeySeed{{ID: testKeyID, Secret: testSecret, Scope: sunshinetest.ScopeApp}},
		Switchboard: &sunshinetest.SwitchboardSeed{
			Enabled: true,
			Default: "bot",
			Integrations: []sunshinetest.IntegrationSeed{
				{Name: "bot", IntegrationType: "custom", IntegrationID: "5e1f0c0ffee0000000000001", Next: "agent-workspace"},
				{Name: "agent-workspace", IntegrationType: "zd:agentWorkspace", Next: "bot"},
				{Name: "partner", IntegrationType: testPartner},
			},
		},
	}}}
}

// nextOf follows the test seed's next links.
var nextOf = map[string]string{"bot": "agent-workspace", "agent-workspace": "bot"}
