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

package controllers

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

func boolPtr(v bool) *bool { return &v }

// si is a live switchboard integration; next is an id.
func si(id, name, integrationType, next string) sunshine.SwitchboardIntegration {
	return sunshine.SwitchboardIntegration{ID: id, Name: name, IntegrationType: integrationType, IntegrationID: "int-" + id,
		DeliverStandbyEvents: true, NextSwitchboardIntegrationID: next}
}

// routingConfig is bot -> agent-workspace -> bot, bot the default, enabled.
func routingConfig() sunshine.SwitchboardConfig {
	return sunshine.SwitchboardConfig{Enabled: boolPtr(true), Default: "bot", Integrations: []sunshine.IntegrationConfig{
		{Name: "bot", IntegrationType: "custom", DeliverStandbyEvents: true, Next: "agent-workspace"},
		{Name: "agent-workspace", IntegrationType: "zd:agentWorkspace", DeliverStandbyEvents: true, Next: "bot"},
	}}
}

// routingLive is routingConfig at the vendor.
func routingLive() (*sunshine.Switchboard, []sunshine.SwitchboardIntegration) {
	return &sunshine.Switchboard{ID: "sb", Enabled: true, DefaultSwitchboardIntegrationID: "b"},
		[]sunshine.SwitchboardIntegration{si("b", "bot", "custom", "a"), si("a", "agent-workspace", "zd:agentWorkspace", "b")}
}

func callStrings(p configPlan) []string {
	out := make([]string, len(p.Calls))
	for i, c := range p.Calls {
		out[i] = c.String()
	}
	return out
}

func TestPlanConfig(t *testing.T) {
	board, live := routingLive()
	tests := []struct {
		name  string
		want  func() sunshine.SwitchboardConfig
		board *sunshine.Switchboard
		live  []sunshine.SwitchboardIntegration
		calls []string
	}{
		{
			name: "creates the whole configuration for an app without a switchboard",
			want: routingConfig,
			calls: []string{
				"createSwitchboard",
				"createSwitchboardIntegration bot (integrationType=custom)",
				"createSwitchboardIntegration agent-workspace (integrationType=zd:agentWorkspace, next=bot)",
				"updateSwitchboardIntegration bot (next=agent-workspace)",
				"updateSwitchboard (default=bot, enabled=true)",
			},
		},
		{name: "adopts a matching switchboard without a call", want: routingConfig, board: board, live: live},
		{
			name: "adds an integration with its next link in the create",
			want: func() sunshine.SwitchboardConfig {
				c := routingConfig()
				c.Integrations = append(c.Integrations, sunshine.IntegrationConfig{Name: "partner", IntegrationType: "p", Next: "bot", DeliverStandbyEvents: false})
				return c
			},
			board: board, live: live,
			calls: []string{"createSwitchboardIntegration partner (integrationType=p, deliverStandbyEvents=false, next=bot)"},
		},
		{
			name: "changes one integration in one call",
			want: func() sunshine.SwitchboardConfig {
				c := routingConfig()
				n := 5
				c.Integrations[1].MessageHistoryCount, c.Integrations[1].DeliverStandbyEvents = &n, false
				return c
			},
			board: board, live: live,
			calls: []string{"updateSwitchboardIntegration agent-workspace (deliverStandbyEvents=false, messageHistoryCount=5)"},
		},
		{
			name: "removes the default and a next target: repoints both first, then deletes",
			want: func() sunshine.SwitchboardConfig {
				return sunshine.SwitchboardConfig{Enabled: boolPtr(true), Default: "agent-workspace", Integrations: []sunshine.IntegrationConfig{
					{Name: "agent-workspace", IntegrationType: "zd:agentWorkspace", DeliverStandbyEvents: true},
				}}
			},
			board: board, live: live,
			calls: []string{
				"updateSwitchboardIntegration agent-workspace (next=none)",
				"updateSwitchboard (default=agent-workspace)",
				"deleteSwitchboardIntegration bot",
			},
		},
		{
			name: "replaces the default with a new integration: create, link, default, then delete",
			want: func() sunshine.SwitchboardConfig {
				return sunshine.SwitchboardConfig{Default: "bot2", Integrations: []sunshine.IntegrationConfig{
					{Name: "bot2", IntegrationType: "custom", DeliverStandbyEvents: true, Next: "agent-workspace"},
					{Name: "agent-workspace", IntegrationType: "zd:agentWorkspace", DeliverStandbyEvents: true, Next: "bot2"},
				}}
			},
			board: board, live: live,
			calls: []string{
				"createSwitchboardIntegration bot2 (integrationType=custom, next=agent-workspace)",
				"updateSwitchboardIntegration agent-workspace (next=bot2)",
				"updateSwitchboard (default=bot2)",
				"deleteSwitchboardIntegration bot",
			},
		},
		{
			name: "deletes undeclared integrations that point at each other: breaks the cycle once",
			want: func() sunshine.SwitchboardConfig {
				return sunshine.SwitchboardConfig{Default: "bot", Integrations: []sunshine.IntegrationConfig{{Name: "bot", IntegrationType: "custom", DeliverStandbyEvents: true}}}
			},
			board: &sunshine.Switchboard{ID: "sb", DefaultSwitchboardIntegrationID: "b"},
			live:  []sunshine.SwitchboardIntegration{si("b", "bot", "custom", ""), si("x", "x", "p", "y"), si("y", "y", "p", "x")},
			calls: []string{"updateSwitchboardIntegration y (next=none)", "deleteSwitchboardIntegration x", "deleteSwitchboardIntegration y"},
		},
		{
			name:  "disables without touching the default",
			want:  func() sunshine.SwitchboardConfig { c := routingConfig(); c.Enabled = boolPtr(false); return c },
			board: board, live: live,
			calls: []string{"updateSwitchboard (enabled=false)"},
		},
		{
			name: "relinks an integration declared by integrationId",
			want: func() sunshine.SwitchboardConfig {
				c := routingConfig()
				c.Integrations[0].IntegrationType, c.Integrations[0].IntegrationID = "", "int-new"
				return c
			},
			board: board, live: live,
			calls: []string{"updateSwitchboardIntegration bot (integrationId=int-new)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := planConfig(tt.want(), tt.board, tt.live)
			if plan.Blocked != "" {
				t.Fatalf("blocked: %s", plan.Blocked)
			}
			if diff := cmp.Diff(tt.calls, callStrings(plan)); diff != "" && (len(tt.calls) > 0 || len(plan.Calls) > 0) {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanConfigMakesRoomOnAFullSwitchboard(t *testing.T) {
	board := &sunshine.Switchboard{ID: "sb", DefaultSwitchboardIntegrationID: "i0"}
	live := make([]sunshine.SwitchboardIntegration, 0, 10)
	want := sunshine.SwitchboardConfig{Default: "new"}
	for i := range 10 {
		live = append(live, si(fmt.Sprintf("i%d", i), fmt.Sprintf("n%d", i), "p", ""))
		if i > 0 {
			want.Integrations = append(want.Integrations, sunshine.IntegrationConfig{Name: fmt.Sprintf("n%d", i), IntegrationType: "p", DeliverStandbyEvents: true})
		}
	}
	want.Integrations = append(want.Integrations, sunshine.IntegrationConfig{Name: "new", IntegrationType: "p", DeliverStandbyEvents: true})
	plan := planConfig(want, board, live)
	wantCalls := []string{"updateSwitchboard (default=n1)", "deleteSwitchboardIntegration n0",
		"createSwitchboardIntegration new (integrationType=p)", "updateSwitchboard (default=new)"}
	if diff := cmp.Diff(wantCalls, callStrings(plan)); diff != "" || plan.Blocked != "" {
		t.Errorf("calls (-want +got):\n%s\nblocked: %s", diff, plan.Blocked)
	}
}

func TestPlanConfigRefusesDuplicateLiveNames(t *testing.T) {
	plan := planConfig(routingConfig(), &sunshine.Switchboard{ID: "sb"}, []sunshine.SwitchboardIntegration{si("1", "bot", "custom", ""), si("2", "bot", "p", "")})
	if len(plan.Calls) != 0 || plan.Blocked == "" {
		t.Errorf("plan = %+v, want no call and a reason", plan)
	}
}

func TestConfigDriftNamesTheFields(t *testing.T) {
	board, live := routingLive()
	live[1].NextSwitchboardIntegrationID = ""
	live[0].DeliverStandbyEvents = false
	board.Enabled = false
	live = append(live, si("p", "partner", "p", ""))
	got := configDrift(routingConfig(), board, live)
	want := []string{"enabled", "integrations[agent-workspace].next", "integrations[bot].deliverStandbyEvents", "integrations[partner] (not declared)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("drift (-want +got):\n%s", diff)
	}
}

func TestDeletionConfigKeepsAdoptedIntegrations(t *testing.T) {
	board, live := routingLive()
	// The operator created agent-workspace; bot was adopted and points at it.
	want, nothingLeft := deletionConfig(board, live, []string{"a"})
	plan := planConfig(want, board, live)
	if nothingLeft || cmp.Diff([]string{"updateSwitchboardIntegration bot (next=none)", "deleteSwitchboardIntegration agent-workspace"}, callStrings(plan)) != "" {
		t.Errorf("plan %v (nothing left %v)", callStrings(plan), nothingLeft)
	}
	_, nothingLeft = deletionConfig(board, live, []string{"a", "b"})
	if !nothingLeft {
		t.Error("with every integration created, nothing adopted is left")
	}
}

// names is the pool random configurations draw from, so that live and declared overlap.
var names = []string{"bot", "agents", "partner", "triage", "billing", "sales", "vip", "night", "email", "voice", "extra", "spare"}

// randomLive draws a live configuration: nil (no switchboard) or a switchboard with up to
// 10 integrations, random next links (never to themselves), a default and enabled.
func randomLive(t *rapid.T) *sunshinetest.SwitchboardSeed {
	if rapid.IntRange(0, 5).Draw(t, "noSwitchboard") == 0 {
		return nil
	}
	picked := rapid.SliceOfNDistinct(rapid.SampledFrom(names), 0, 10, rapid.ID[string]).Draw(t, "liveNames")
	seed := &sunshinetest.SwitchboardSeed{}
	for _, n := range picked {
		in := sunshinetest.IntegrationSeed{Name: n, IntegrationType: rapid.SampledFrom([]string{"custom", "zd:agentWorkspace", "p"}).Draw(t, "type")}
		if next := rapid.SampledFrom(append([]string{""}, picked...)).Draw(t, "next"); next != n {
			in.Next = next
		}
		dse := rapid.Bool().Draw(t, "dse")
		in.DeliverStandbyEvents = &dse
		if rapid.Bool().Draw(t, "hasHistory") {
			h := rapid.IntRange(1, 10).Draw(t, "history")
			in.MessageHistoryCount = &h
		}
		seed.Integrations = append(seed.Integrations, in)
	}
	if len(picked) > 0 && rapid.Bool().Draw(t, "hasDefault") {
		seed.Default = rapid.SampledFrom(picked).Draw(t, "default")
		seed.Enabled = rapid.Bool().Draw(t, "enabled")
	}
	return seed
}

// randomWant draws a valid declared configuration.
func randomWant(t *rapid.T) sunshine.SwitchboardConfig {
	picked := rapid.SliceOfNDistinct(rapid.SampledFrom(names), 1, 10, rapid.ID[string]).Draw(t, "wantNames")
	var cfg sunshine.SwitchboardConfig
	for _, n := range picked {
		in := sunshine.IntegrationConfig{Name: n, DeliverStandbyEvents: rapid.Bool().Draw(t, "wantDSE")}
		if rapid.Bool().Draw(t, "byID") {
			in.IntegrationID = rapid.SampledFrom([]string{"int-1", "int-2"}).Draw(t, "integrationId")
		} else {
			in.IntegrationType = rapid.SampledFrom([]string{"custom", "zd:agentWorkspace", "p"}).Draw(t, "integrationType")
		}
		if next := rapid.SampledFrom(append([]string{""}, picked...)).Draw(t, "wantNext"); next != n {
			in.Next = next
		}
		if rapid.Bool().Draw(t, "wantHasHistory") {
			h := rapid.IntRange(1, 10).Draw(t, "wantHistory")
			in.MessageHistoryCount = &h
		}
		cfg.Integrations = append(cfg.Integrations, in)
	}
	cfg.Default = rapid.SampledFrom(picked).Draw(t, "wantDefault")
	if rapid.Bool().Draw(t, "manageEnabled") {
		cfg.Enabled = boolPtr(rapid.Bool().Draw(t, "wantEnabled"))
	}
	return cfg
}

// checkedAPI is the client, checking after every write that the switchboard is never
// enabled without a default.
type checkedAPI struct {
	*sunshine.Client
	t *rapid.T
}

func (c checkedAPI) check(ctx context.Context) {
	boards, err := c.ListSwitchboards(ctx)
	if err != nil {
		c.t.Fatalf("listing: %v", err)
	}
	if len(boards) == 1 && boards[0].Enabled && boards[0].DefaultSwitchboardIntegrationID == "" {
		c.t.Fatalf("the switchboard is enabled without a default")
	}
}

func (c checkedAPI) UpdateSwitchboard(ctx context.Context, id string, req sunshine.SwitchboardUpdate) (*sunshine.Switchboard, error) {
	defer c.check(ctx)
	return c.Client.UpdateSwitchboard(ctx, id, req)
}

func (c checkedAPI) UpdateSwitchboardIntegration(ctx context.Context, sb, id string, req sunshine.SwitchboardIntegrationUpdate) (*sunshine.SwitchboardIntegration, error) {
	defer c.check(ctx)
	return c.Client.UpdateSwitchboardIntegration(ctx, sb, id, req)
}

func (c checkedAPI) DeleteSwitchboardIntegration(ctx context.Context, sb, id string) error {
	defer c.check(ctx)
	return c.Client.DeleteSwitchboardIntegration(ctx, sb, id)
}

// lowerBound is the fewest calls any plan needs: one per missing switchboard, created
// integration, deleted integration and differing integration that stays, and one for the
// default and enabled together.
func lowerBound(want sunshine.SwitchboardConfig, live liveConfig) int {
	m, _ := modelOf(live.Board, live.Integrations)
	n := 0
	if !m.Exists {
		n++
	}
	for _, w := range want.Integrations {
		if in := m.find(w.Name); in == nil {
			n++
		} else if _, changed := integrationChange(*in, w); changed {
			n++
		}
	}
	for _, in := range m.Integrations {
		if !slices.ContainsFunc(want.Integrations, func(w sunshine.IntegrationConfig) bool { return w.Name == in.Name }) {
			n++
		}
	}
	if m.Default != want.Default || (want.Enabled != nil && *want.Enabled != m.Enabled) {
		n++
	}
	return n
}

// hasCycle tells whether the next links among the given names form a cycle.
func hasCycle(next map[string]string, among map[string]bool) bool {
	for start := range among {
		seen := map[string]bool{}
		for n := start; among[n] && !seen[n]; n = next[n] {
			seen[n] = true
			if next[n] == start {
				return true
			}
		}
	}
	return false
}

// TestPlanConfigReachesRandomSpecsOnTheSimulator applies the plan for random pairs of
// live and declared configurations to the simulator, which refuses what the vendor
// refuses: every call must be accepted, the switchboard must never be enabled without a
// default, the result must match the declaration, a second plan must be empty, and
// without cycles or a full switchboard the plan must have the fewest calls.
func TestPlanConfigReachesRandomSpecsOnTheSimulator(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		liveSeed, want := randomLive(t), randomWant(t)
		if err := sunshine.ValidateSwitchboardConfig(want); err != nil {
			t.Fatalf("generated an invalid spec: %v", err)
		}
		srv, err := sunshinetest.NewServer(sunshinetest.Seed{Apps: []sunshinetest.AppSeed{{ID: "app", Switchboard: liveSeed,
			Keys: []sunshinetest.KeySeed{{ID: "app_key", Secret: "s", Scope: sunshinetest.ScopeApp}}}}})
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
		defer srv.Close()
		client, err := sunshine.New(sunshine.Config{Endpoint: srv.URL, AppID: "app", RequestsPerSecond: 1000, Burst: 1000,
			Credentials: sunshine.Credentials{Type: sunshine.AuthBasic, KeyID: "app_key", Secret: sunshine.NewSecret("s")}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		live, err := listConfig(ctx, client)
		if err != nil {
			t.Fatal(err)
		}
		plan := planConfig(want, live.Board, live.Integrations)
		if plan.Blocked != "" {
			t.Fatalf("blocked: %s", plan.Blocked)
		}
		ap := newConfigApplier(checkedAPI{client, t}, live, &sbv1.SwitchboardConfigStatus{})
		if applied, err := ap.applyAll(ctx, plan.Calls, nil); err != nil {
			t.Fatalf("call %d of %v refused: %v", len(applied)+1, callStrings(plan), err)
		}
		after, err := listConfig(ctx, client)
		if err != nil {
			t.Fatal(err)
		}
		if drift := configDrift(want, after.Board, after.Integrations); len(drift) > 0 {
			t.Fatalf("after %v the configuration still differs: %v", callStrings(plan), drift)
		}
		if again := planConfig(want, after.Board, after.Integrations); len(again.Calls) > 0 {
			t.Fatalf("a second plan is not empty: %v", callStrings(again))
		}
		checkFewest(t, want, live, plan)
	})
}

// checkFewest fails unless the plan has exactly the lower bound of calls, where no cycle
// of new or of deleted integrations and no full switchboard forces more.
func checkFewest(t *rapid.T, want sunshine.SwitchboardConfig, live liveConfig, plan configPlan) {
	m, _ := modelOf(live.Board, live.Integrations)
	wantNext, liveNext := map[string]string{}, map[string]string{}
	missing, deleted := map[string]bool{}, map[string]bool{}
	for _, w := range want.Integrations {
		wantNext[w.Name] = w.Next
		if m.find(w.Name) == nil {
			missing[w.Name] = true
		}
	}
	for _, in := range m.Integrations {
		liveNext[in.Name] = in.Next
		if _, declared := wantNext[in.Name]; !declared {
			deleted[in.Name] = true
		}
	}
	bound := lowerBound(want, live)
	if len(plan.Calls) < bound {
		t.Fatalf("%d calls, fewer than the %d the changes need: %v", len(plan.Calls), bound, callStrings(plan))
	}
	if !hasCycle(wantNext, missing) && !hasCycle(liveNext, deleted) && len(m.Integrations)+len(missing) <= vendorMaxIntegrations && len(plan.Calls) != bound {
		t.Fatalf("%d calls, want the fewest (%d): %v", len(plan.Calls), bound, callStrings(plan))
	}
}
