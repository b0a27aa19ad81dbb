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

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

func TestActionsMoveControlOfTheConversation(t *testing.T) {
	metadata := map[string]any{"reason": "vip", "priority": 1, "escalated": true, "ticket": nil}
	tests := []struct {
		name  string
		start sunshinetest.ConversationState
		op    sunshinetest.Operation
		call  func(context.Context, *sunshine.Client) error
		want  sunshinetest.ConversationState
	}{
		{
			name:  "passes control to an integration named explicitly",
			start: sunshinetest.ConversationState{Active: "bot"},
			op:    sunshinetest.OpPassControl,
			call: func(ctx context.Context, c *sunshine.Client) error {
				return c.PassControl(ctx, "c1", sunshine.PassControlRequest{SwitchboardIntegration: "agent", Metadata: metadata})
			},
			want: sunshinetest.ConversationState{Active: "agent"},
		},
		{
			name:  "passes control to the next integration with a reason, dropping the pending offer",
			start: sunshinetest.ConversationState{Active: "bot", Pending: "agent"},
			op:    sunshinetest.OpPassControl,
			call: func(ctx context.Context, c *sunshine.Client) error {
				return c.PassControl(ctx, "c1", sunshine.PassControlRequest{SwitchboardIntegration: "next", Reason: sunshine.ReasonTicketClosed})
			},
			want: sunshinetest.ConversationState{Active: "agent"},
		},
		{
			name:  "offers control by integration type, keeping the active integration",
			start: sunshinetest.ConversationState{Active: "bot"},
			op:    sunshinetest.OpOfferControl,
			call: func(ctx context.Context, c *sunshine.Client) error {
				return c.OfferControl(ctx, "c1", sunshine.OfferControlRequest{SwitchboardIntegration: "zd:agentWorkspace", Metadata: metadata})
			},
			want: sunshinetest.ConversationState{Active: "bot", Pending: "agent"},
		},
		{
			name:  "accepts the pending offer with an empty body",
			start: sunshinetest.ConversationState{Active: "bot", Pending: "agent"},
			op:    sunshinetest.OpAcceptControl,
			call: func(ctx context.Context, c *sunshine.Client) error {
				return c.AcceptControl(ctx, "c1", sunshine.AcceptControlRequest{})
			},
			want: sunshinetest.ConversationState{Active: "agent"},
		},
		{
			name:  "accepts the pending offer with metadata",
			start: sunshinetest.ConversationState{Active: "bot", Pending: "agent"},
			op:    sunshinetest.OpAcceptControl,
			call: func(ctx context.Context, c *sunshine.Client) error {
				return c.AcceptControl(ctx, "c1", sunshine.AcceptControlRequest{Metadata: metadata})
			},
			want: sunshinetest.ConversationState{Active: "agent"},
		},
		{
			name:  "releases control with a reason, clearing active and pending",
			start: sunshinetest.ConversationState{Active: "bot", Pending: "agent"},
			op:    sunshinetest.OpReleaseControl,
			call: func(ctx context.Context, c *sunshine.Client) error {
				return c.ReleaseControl(ctx, "c1", sunshine.ReleaseControlRequest{Reason: sunshine.ReasonTransferToEmail, Metadata: metadata})
			},
			want: sunshinetest.ConversationState{},
		},
	}
	for _, auth := range authTypes {
		sim := newSimulator(t)
		client := simClient(t, sim, withAuth(auth, appKey, ""))
		for _, tt := range tests {
			t.Run(string(auth)+"/"+tt.name, func(t *testing.T) {
				sim.Reset()
				if err := sim.SetConversation("app-1", "c1", tt.start); err != nil {
					t.Fatalf("SetConversation: %v", err)
				}
				if err := tt.call(context.Background(), client); err != nil {
					t.Fatalf("action: %v", err)
				}
				wantState(t, sim, "c1", tt.want)
				if n := sim.Count(tt.op); n != 1 {
					t.Errorf("simulator counted %d %s requests, want 1", n, tt.op)
				}
			})
		}
	}
}

func TestAsyncFailuresAnswerSuccessWithoutChange(t *testing.T) {
	sim := newSimulator(t, sunshinetest.WithAsyncFailures())
	client := simClient(t, sim)
	ctx := context.Background()
	if err := client.PassControl(ctx, "c1", sunshine.PassControlRequest{SwitchboardIntegration: "nobody"}); err != nil {
		t.Fatalf("PassControl to an unknown integration: %v", err)
	}
	if err := client.AcceptControl(ctx, "c1", sunshine.AcceptControlRequest{}); err != nil {
		t.Fatalf("AcceptControl with nothing pending: %v", err)
	}
	// Only reading the conversation back tells that neither action took effect.
	conv, err := client.GetConversation(ctx, "c1")
	if err != nil {
		t.Fatalf("GetConversation: %v", err)
	}
	if conv.Active == nil || conv.Active.Name != "bot" || conv.Pending != nil {
		t.Errorf("conversation = %+v, want bot still active and nothing pending", conv)
	}
}
