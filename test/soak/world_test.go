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
	"github.com/switchboard-operator/switchboard-operator/test/world"
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
	w := world.New(testAppID, testKeyID, testSecret, switchboardName)
	w.Integrations[0].IntegrationID = "5e1f0c0ffee0000000000001"
	w.Integrations = append(w.Integrations, sunshinetest.IntegrationSeed{Name: "partner", IntegrationType: testPartner})
	return w.Seed()
}

// nextOf follows the test seed's next links.
var nextOf = map[string]string{"bot": "agent-workspace", "agent-workspace": "bot"}
